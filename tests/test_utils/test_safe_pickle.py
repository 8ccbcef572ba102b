"""Restricted unpickling: allowed data round-trips, anything that could run code is refused."""
import os
import pickle
import argparse

import numpy as np
import pytest
import scipy.sparse

from mmhpse.utils.safe_pickle import UnsafePickleError, safe_npz_member, safe_pickle_load


class _Payload:
    """Unpickling this runs ``os.getcwd`` (a harmless stand-in for any callable)."""

    def __reduce__(self):
        return (os.getcwd, ())


def _dump(tmp_path, obj, name='f.pkl', protocol=4):
    path = str(tmp_path / name)
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=protocol)
    return path


@pytest.mark.parametrize('protocol', [2, 4, 5])
def test_plain_data_round_trips(tmp_path, protocol):
    data = dict(
        poses=[np.arange(12, dtype=np.float32).reshape(3, 4)],
        genders=['m', 'f'],
        f=np.float64(2.5),
        n=np.int64(3),
        t=(1, 2.0, None, True, b'x'),
        s={1, 2},
        sparse=scipy.sparse.csc_matrix(np.eye(3)),
        obj=np.array([{'a': 1}, None], dtype=object),
        fortran=np.asfortranarray(np.arange(6.).reshape(2, 3)))
    out = safe_pickle_load(_dump(tmp_path, data, protocol=protocol))
    assert out['genders'] == ['m', 'f'] and out['t'] == data['t'] and out['s'] == {1, 2}
    np.testing.assert_array_equal(out['poses'][0], data['poses'][0])
    assert out['poses'][0].dtype == np.float32
    assert out['f'] == 2.5 and out['n'] == 3
    np.testing.assert_array_equal(out['sparse'].toarray(), np.eye(3))
    assert out['obj'][0] == {'a': 1}
    np.testing.assert_array_equal(out['fortran'], data['fortran'])


@pytest.mark.parametrize('payload,name', [
    (_Payload(), 'posix.getcwd'),
    (pickle.loads(pickle.dumps(eval)), 'builtins.eval'),
])
def test_code_is_refused_with_file_and_class(tmp_path, payload, name):
    path = _dump(tmp_path, {'x': [payload]})
    with pytest.raises(UnsafePickleError) as err:
        safe_pickle_load(path)
    assert path in str(err.value)
    assert name.split('.')[-1] in str(err.value)


def test_reconstructor_of_arbitrary_class_is_refused(tmp_path):
    # protocol 0/1 pickles rebuild plain objects through copyreg._reconstructor(cls, ...)
    path = _dump(tmp_path, argparse.Namespace(a=1), protocol=1)
    with pytest.raises(UnsafePickleError, match='argparse'):
        safe_pickle_load(path)


def test_not_a_pickle_names_the_file(tmp_path):
    path = tmp_path / 'text.pkl'
    path.write_text('hello')
    with pytest.raises(ValueError, match='text.pkl'):
        safe_pickle_load(str(path))


def test_python2_latin1_pickle(tmp_path):
    # numpy arrays in a Python-2 pickle carry their buffer as a str: latin1 decodes it
    arr = np.arange(4, dtype=np.float64)
    path = _dump(tmp_path, {'a': arr}, protocol=2)
    np.testing.assert_array_equal(safe_pickle_load(path, encoding='latin1')['a'], arr)


def test_npz_members(tmp_path):
    path = str(tmp_path / 'a.npz')
    np.savez(path, plain=np.arange(6, dtype=np.int16).reshape(2, 3),
             smpl=np.array({'betas': np.ones((2, 10))}, dtype=object),
             bad=np.array([_Payload()], dtype=object))
    np.testing.assert_array_equal(safe_npz_member(path, 'plain'),
                                  np.arange(6, dtype=np.int16).reshape(2, 3))
    smpl = safe_npz_member(path, 'smpl')
    assert smpl.shape == () and smpl[()]['betas'].shape == (2, 10)
    with pytest.raises(UnsafePickleError) as err:
        safe_npz_member(path, 'bad')
    assert path in str(err.value) and "'bad'" in str(err.value) and 'getcwd' in str(err.value)
    with pytest.raises(ValueError, match='missing'):
        safe_npz_member(path, 'missing')
