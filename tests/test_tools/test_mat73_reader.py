"""MATLAB v7.3 (HDF5) MAT-files read by the converters' ``load_mat``: the same arrays as
``scipy.io.loadmat`` gives for a v5 file of the same variables (the reference), written here the
way MATLAB's ``save -v7.3`` lays them out."""
import os.path as osp
import sys

import numpy as np
import pytest
from scipy.io import loadmat, savemat

from helpers.mat73 import savemat73
from helpers.tool_runner import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
from _common import ConversionError, load_mat  # noqa: E402

VARIABLES = dict(
    joints=np.arange(2 * 17 * 1 * 3, dtype=np.float64).reshape(2, 17, 1, 3) / 7,
    frames=np.array([[1, 0, 1, 1]], np.uint8),
    single=np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2),
    counts=np.array([[3, -4, 5]], np.int32),
    scalar=np.float64(2.5),
    row=np.array([1., 2., 3.]),  # 1-D: a 1 x 3 row in MATLAB
    flags=np.array([[True, False], [False, True]]),
    name='TS1 walk',
    lines=np.array(['ab', 'cd', 'ef']),
    accents='Müller €',
    empty=np.zeros((0, 3)),
    no_text='',
    phase=np.array([[1 + 2j, -3j]]),
    cells=np.array([[np.eye(2), 'crop'], [np.array([[7]], np.int16), np.array(
        [np.arange(3.), 'x'], dtype=object)]], dtype=object),
    no_cells=np.empty((0, 0), dtype=object),
)


def assert_same(got, want, where):
    assert type(got) is type(want), where
    if isinstance(want, np.ndarray):
        assert (got.dtype, got.shape) == (want.dtype, want.shape), \
            f'{where}: {got.dtype}{got.shape} != {want.dtype}{want.shape}'
        if want.dtype == object:
            for idx in np.ndindex(want.shape):
                assert_same(got[idx], want[idx], f'{where}{idx}')
        else:
            np.testing.assert_array_equal(got, want, err_msg=where)


@pytest.fixture
def files(tmp_path):
    v5, v73 = str(tmp_path / 'v5.mat'), str(tmp_path / 'v73.mat')
    savemat(v5, VARIABLES)
    savemat73(v73, VARIABLES)
    return v5, v73


def test_v73_layout_is_matlabs(files):
    import h5py
    _, v73 = files
    with pytest.raises(NotImplementedError, match='HDF reader'):
        loadmat(v73)  # scipy sees the 7.3 header and refuses the file
    with open(v73, 'rb') as f:
        assert f.read(19) == b'MATLAB 7.3 MAT-file'
    with h5py.File(v73, 'r') as f:
        assert f.userblock_size == 512
        assert f['joints'].shape == (3, 1, 17, 2)  # column-major: the MATLAB shape reversed
        assert f['joints'].attrs['MATLAB_class'] == b'double'
        assert f['name'].dtype == np.uint16 and f['name'].shape == (8, 1)
        assert f['cells'].attrs['MATLAB_class'] == b'cell'
        assert isinstance(f['cells'][0, 1], h5py.Reference)  # MATLAB's {2, 1}
        np.testing.assert_array_equal(f[f['cells'][0, 1]][()].T, [[7]])
        assert f['empty'].attrs['MATLAB_empty'] == 1


def test_v73_reads_as_scipy_reads_v5(files):
    v5, v73 = files
    want, got = load_mat(v5), load_mat(v73)
    want = {k: v for k, v in want.items() if not k.startswith('__')}
    assert sorted(got) == sorted(want) == sorted(VARIABLES)
    for key in VARIABLES:
        assert_same(got[key], want[key], key)
    # spot checks against the source values, independent of scipy
    np.testing.assert_array_equal(got['joints'], VARIABLES['joints'])
    assert got['accents'].tolist() == ['Müller €'] and got['lines'].tolist() == ['ab', 'cd', 'ef']
    assert got['cells'][1, 1][0, 1].tolist() == ['x']


def test_v73_selected_variables(files):
    for path in files:  # v5 and v7.3 alike
        mat = load_mat(path, ['frames', 'missing'])
        assert sorted(k for k in mat if not k.startswith('__')) == ['frames']


def test_v73_unsupported_and_broken(files, tmp_path):
    import h5py
    _, v73 = files
    with h5py.File(v73, 'r+') as f:
        f.create_group('calib').attrs['MATLAB_class'] = np.bytes_('struct')
        f['bare'] = np.zeros(3)
    with pytest.raises(ConversionError, match=r"v73\.mat: variable 'bare': no MATLAB_class"):
        load_mat(v73)  # all variables
    with pytest.raises(ConversionError, match=r"v73\.mat: variable 'calib': a MATLAB struct"):
        load_mat(v73, ['calib'])
    assert set(load_mat(v73, ['frames', 'name'])) == {'frames', 'name'}  # others still readable
    broken = str(tmp_path / 'broken.mat')
    with open(broken, 'wb') as f:  # a v7.3 header and no HDF5 body
        f.write(b'MATLAB 7.3 MAT-file'.ljust(124) + b'\x00\x02IM' + b'\x00' * 384)
    with pytest.raises(ConversionError, match=r'broken\.mat: cannot be read as a MATLAB v7\.3'):
        load_mat(broken)


def test_v73_without_h5py(files, monkeypatch):
    v5, v73 = files
    monkeypatch.setitem(sys.modules, 'h5py', None)  # makes `import h5py` fail
    with pytest.raises(ConversionError, match=r'v73\.mat: a MATLAB v7\.3 \(HDF5\) file; reading '
                                              r'it needs h5py, which is not installed'):
        load_mat(v73)
    assert 'frames' in load_mat(v5)  # v5 files need scipy only
