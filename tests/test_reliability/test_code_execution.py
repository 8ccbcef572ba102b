"""No file that mmhpse reads runs code, and no tool writes outside its output folder.

Each payload here would write a marker file if it ran; every test asserts that the marker is
absent and that the refusal names the file (and the member and the class where there is one).
"""
import os
import os.path as osp
import pickle
import subprocess
import sys
import types

import numpy as np
import pytest
import torch

from helpers.procedural_run import CONFIG, as_args, make_procedural_data, tiny_options
from helpers.tool_runner import REPO, load_tool, tool_env
from mmhpse.models.body_models import load_smpl_file
from mmhpse.utils.checkpoint import encode_safe, load_external_checkpoint
from mmhpse.utils.safe_pickle import UnsafePickleError


class Payload:
    """Unpickling this calls ``exec`` on code that writes ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('ran')", ))


def _smpl_dict(body_model_dir):
    with open(osp.join(body_model_dir, 'smpl', 'SMPL_NEUTRAL.pkl'), 'rb') as f:
        return pickle.load(f)  # the generated surrogate: written by this test session


# ---------------------------------------------------------------- resume: config text
def test_resume_never_executes_the_config_text_of_a_checkpoint(tmp_path,
                                                               surrogate_body_model_dir):
    data = make_procedural_data(str(tmp_path / 'data'), surrogate_body_model_dir)
    options = as_args(tiny_options(data, surrogate_body_model_dir, epochs=1))
    env = tool_env()
    train = [sys.executable, osp.join(REPO, 'tools/train.py'), CONFIG]
    first = subprocess.run([*train, '--work-dir', str(tmp_path / 'a'), '--cfg-options',
                            *options], cwd=REPO, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr[-3000:]
    ckpt = load_external_checkpoint(str(tmp_path / 'a' / 'epoch_1.pth'))
    marker = tmp_path / 'config_text_ran'
    # mmengine's Runner.resume runs meta['config'] with Config.fromstring(text, '.py')
    ckpt['meta']['config'] = f"open({str(marker)!r}, 'w').write('ran')\ngpu_ids = [0, 1]\n"
    evil = str(tmp_path / 'evil.pth')
    torch.save(encode_safe(ckpt), evil)
    torch.load(evil, weights_only=True)  # a file that passes weights_only

    resumed = subprocess.run([*train, '--work-dir', str(tmp_path / 'b'), '--resume', evil,
                              '--cfg-options', *options, 'train_cfg.max_epochs=2'],
                             cwd=REPO, env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert not marker.exists()
    assert f'{evil}: ignored meta["config"]' in resumed.stdout + resumed.stderr
    assert osp.exists(tmp_path / 'b' / 'epoch_2.pth')  # it did resume and train


# ---------------------------------------------------------------- body-model files
def test_smpl_pickle_with_a_payload_is_refused(surrogate_body_model_dir, tmp_path):
    marker = tmp_path / 'smpl_pkl_ran'
    data = dict(_smpl_dict(surrogate_body_model_dir), v_template=Payload(marker))
    path = str(tmp_path / 'SMPL_NEUTRAL.pkl')
    with open(path, 'wb') as f:
        pickle.dump(data, f, protocol=2)
    with pytest.raises(UnsafePickleError) as err:
        load_smpl_file(path)
    assert str(err.value).startswith(f'{path}: refused to unpickle `builtins.exec`')
    from mmhpse.models.body_models import SMPL
    with pytest.raises(UnsafePickleError, match='builtins.exec'):
        SMPL(str(tmp_path))
    assert not marker.exists()


def _fake_chumpy_pickle(obj, path):
    """Pickle ``obj`` holding an instance of a class of a fake ``chumpy.ch`` module."""
    chumpy, ch = types.ModuleType('chumpy'), types.ModuleType('chumpy.ch')
    ch.Ch = type('Ch', (), {'__module__': 'chumpy.ch'})
    chumpy.ch = ch
    sys.modules['chumpy'], sys.modules['chumpy.ch'] = chumpy, ch
    try:
        with open(path, 'wb') as f:
            pickle.dump(obj(ch.Ch), f, protocol=2)
    finally:
        del sys.modules['chumpy'], sys.modules['chumpy.ch']


def test_chumpy_stand_ins_open_no_hole(surrogate_body_model_dir, tmp_path):
    """chumpy classes become inert stand-ins, but what their state holds is still checked."""
    marker = tmp_path / 'chumpy_ran'
    data = _smpl_dict(surrogate_body_model_dir)

    def with_payload(ch_cls):
        value = ch_cls()
        value.__dict__.update(x=data['shapedirs'], _dirty_vars=Payload(marker))
        return dict(data, shapedirs=value)

    path = str(tmp_path / 'SMPL_NEUTRAL.pkl')
    _fake_chumpy_pickle(with_payload, path)
    with pytest.raises(UnsafePickleError, match=r'SMPL_NEUTRAL\.pkl: refused to unpickle '
                       r'`builtins\.exec`'):
        load_smpl_file(path)
    assert not marker.exists() and 'chumpy' not in sys.modules

    def plain(ch_cls):
        value = ch_cls()
        value.__dict__.update(x=data['shapedirs'], _dirty_vars=set())
        return dict(data, shapedirs=value)

    _fake_chumpy_pickle(plain, path)
    loaded = load_smpl_file(path)  # the official layout still loads, without chumpy
    assert type(loaded['shapedirs']) is np.ndarray
    np.testing.assert_array_equal(loaded['shapedirs'], data['shapedirs'])


def _smpl_npz(data, path, **extra):
    """An SMPL ``.npz``: arrays as members, anything else (dicts, sparse matrices) as 0-d object
    members, as converters write them."""
    members = {k: v if isinstance(v, np.ndarray) else np.array(v, dtype=object)
               for k, v in data.items()}
    members.update(extra)
    np.savez(path, **members)
    return path


def test_smpl_npz_object_member_with_a_payload_is_refused(surrogate_body_model_dir, tmp_path):
    marker = tmp_path / 'smpl_npz_ran'
    data = _smpl_dict(surrogate_body_model_dir)
    path = _smpl_npz(data, str(tmp_path / 'SMPL_NEUTRAL.npz'),
                     J_regressor=np.array(Payload(marker), dtype=object))
    with pytest.raises(UnsafePickleError) as err:
        load_smpl_file(path)
    assert str(err.value).startswith(f"{path}: member 'J_regressor': refused to unpickle "
                                     '`builtins.exec`')
    assert not marker.exists()


def test_smpl_npz_loads_without_unrestricted_pickles(surrogate_body_model_dir, tmp_path):
    """A converted SMPL .npz (sparse regressor kept as a pickled scipy matrix) gives the same
    body model as the .pkl."""
    from mmhpse.models.body_models import SMPL
    data = _smpl_dict(surrogate_body_model_dir)
    folder = tmp_path / 'npz'
    folder.mkdir()
    sparse = data['J_regressor']
    assert hasattr(sparse, 'toarray')  # stored as a pickled scipy matrix in the .npz
    path = _smpl_npz(data, str(folder / 'SMPL_NEUTRAL.npz'))
    loaded = load_smpl_file(path)
    assert loaded.keys() == data.keys()
    assert type(loaded['J_regressor']) is type(sparse)
    np.testing.assert_array_equal(loaded['J_regressor'].toarray(), sparse.toarray())
    np.testing.assert_array_equal(loaded['v_template'], data['v_template'])
    pose = torch.zeros(1, 69)
    pose[0, 5] = 0.7
    args = (torch.zeros(1, 3), pose, torch.full((1, 10), 0.3))
    a = SMPL(str(folder))(*args)['vertices']
    b = SMPL(osp.join(surrogate_body_model_dir, 'smpl'))(*args)['vertices']
    torch.testing.assert_close(a, b, rtol=0, atol=0)


# ---------------------------------------------------------------- publish_model
def _publish_tool():
    return load_tool('tools/model_converters/publish_model.py')


def _files_under(folder):
    return {osp.join(root, f) for root, _, files in os.walk(folder) for f in files}


@pytest.mark.parametrize('experiment', ['../..', '../../evil_20260101_120000', 'a/b', '.hidden',
                                        '/abs/path_20260101_120000'])
def test_publish_model_never_writes_outside_its_output_folder(experiment, tmp_path):
    src = str(tmp_path / 'run' / 'epoch_1.pth')
    os.makedirs(osp.dirname(src))
    torch.save({'state_dict': {'w': torch.ones(2)}, 'meta': {'experiment_name': experiment}},
               src)
    out_dir = tmp_path / 'zoo' / 'nested' / 'deeper'
    before = _files_under(tmp_path)
    with pytest.raises(ValueError) as err:
        _publish_tool().publish(src, str(out_dir), date='20260101')
    assert f'meta.experiment_name {experiment!r}' in str(err.value)
    assert 'not a plain file name' in str(err.value)
    assert _files_under(tmp_path) == before  # nothing written anywhere
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools/model_converters/'
                                                    'publish_model.py'), src, str(out_dir)],
                          cwd=REPO, env=tool_env(), capture_output=True, text=True)
    assert proc.returncode != 0 and 'not a plain file name' in proc.stderr
    assert _files_under(tmp_path) == before


def test_publish_model_names_a_plain_experiment_inside_the_folder(tmp_path):
    src = str(tmp_path / 'epoch_1.pth')
    torch.save({'state_dict': {'w': torch.ones(2)},
                'meta': {'experiment_name': 'pare_tiny_20260101_101010'}}, src)
    out = _publish_tool().publish(src, str(tmp_path / 'zoo'), date='20260102')
    assert osp.dirname(out) == str(tmp_path / 'zoo')
    assert osp.basename(out).startswith('pare_tiny_20260102-')
