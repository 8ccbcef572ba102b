import os.path as osp
import pickle
import shutil
import sys
import types

import numpy as np
import pytest
import torch

from mmhpse.models.body_models.smpl import SMPL, SMPL_49_JOINT_MAP
from mmhpse.models.body_models.smpl_io import load_smpl_file
from mmhpse.registry import MODELS
from mmhpse.utils.geometry import SMPL_FLIP_PERM, flip_smpl_pose

pytest.importorskip('smplx')
Rotation = pytest.importorskip('scipy.spatial.transform').Rotation
MIRROR = torch.tensor([-1., 1., 1.])
# positions of the 49 joints that come from J_regressor_extra (SPIN's 45..53)
EXTRA_POSITIONS = [i for i, k in enumerate(SMPL_49_JOINT_MAP) if k >= 45]


def _pickle_of(folder, gender='NEUTRAL'):
    with open(osp.join(folder, 'smpl', f'SMPL_{gender}.pkl'), 'rb') as f:
        return pickle.load(f)


@pytest.fixture(scope='module')
def body(surrogate_body_model_dir):
    return MODELS.build(dict(type='SMPL', model_path=surrogate_body_model_dir))


def _random_pose(b, seed, scale=0.4):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, 24, 3, generator=g) * scale, torch.randn(b, 10, generator=g)


def test_zero_pose_gives_template_and_named_joints(body, surrogate_body_model_dir):
    raw = _pickle_of(surrogate_body_model_dir)
    out = body(torch.zeros(2, 3), torch.zeros(2, 69), torch.zeros(2, 10))
    assert out['vertices'].shape == (2, len(raw['v_template']), 3)
    assert out['joints'].shape == (2, 49, 3)
    np.testing.assert_allclose(out['vertices'][1].numpy(), raw['v_template'], atol=1e-6)
    assert out['joints_mask'].tolist() == [1.] * 49


def test_smpl_49_entries_follow_spin_order(body, surrogate_body_model_dir):
    raw = _pickle_of(surrogate_body_model_dir)
    extra = np.load(osp.join(surrogate_body_model_dir, 'J_regressor_extra.npy'))
    pose, betas = _random_pose(3, seed=0)
    out = body(pose[:, 0], pose[:, 1:], betas)
    v = out['vertices'].double().numpy()
    j49, j24 = out['joints'].double().numpy(), out['smpl_joints'].double().numpy()
    ids = raw['joint_vertex_ids']
    checks = {
        8: j24[:, 0],  # OP MidHip = pelvis
        2: j24[:, 17], 25: j24[:, 8], 36: j24[:, 20],  # OP RShoulder, Right Ankle, Left Wrist
        0: v[:, ids['nose']], 15: v[:, ids['reye']], 21: v[:, ids['LHeel']],  # vertex joints
        27: np.einsum('v,bvc->bc', extra[0], v),  # Right Hip (extra regressor)
        38: np.einsum('v,bvc->bc', extra[3], v),  # Top of Head (LSP)
        43: np.einsum('v,bvc->bc', extra[8], v),  # Head (H36M)
    }
    for idx, ref in checks.items():
        np.testing.assert_allclose(j49[:, idx], ref, atol=1e-5, err_msg=f'joint {idx}')


def test_regress_matches_regressors(body, surrogate_body_model_dir):
    h36m = np.load(osp.join(surrogate_body_model_dir, 'J_regressor_h36m.npy'))
    jreg = _pickle_of(surrogate_body_model_dir)['J_regressor'].toarray()
    pose, betas = _random_pose(2, seed=1)
    v = body(pose[:, 0], pose[:, 1:], betas)['vertices']
    vd = v.double().numpy()
    np.testing.assert_allclose(body.regress(v, 'h36m_17').numpy(), h36m @ vd, atol=1e-5)
    np.testing.assert_allclose(body.regress(v, 'smpl_24').numpy(), jreg @ vd, atol=1e-5)
    j49 = body.regress(v, 'smpl_49')
    np.testing.assert_allclose(j49[:, 8].numpy(), (jreg @ vd)[:, 0], atol=1e-5)
    with pytest.raises(KeyError, match='smpl_24, h36m_17, smpl_49'):
        body.regress(v, 'coco_17')


def test_flipped_pose_gives_mirrored_mesh(body):
    pose, betas = _random_pose(3, seed=2, scale=0.6)
    out = body(pose[:, 0], pose[:, 1:], betas)
    flipped = flip_smpl_pose(pose)
    out_f = body(flipped[:, 0], flipped[:, 1:], betas)
    sym = torch.from_numpy(body.vertex_sym_idxs)
    torch.testing.assert_close(out_f['vertices'], out['vertices'][:, sym] * MIRROR, atol=1e-5,
                               rtol=0)
    torch.testing.assert_close(out_f['smpl_joints'],
                               out['smpl_joints'][:, list(SMPL_FLIP_PERM)] * MIRROR, atol=1e-5,
                               rtol=0)
    # and the mesh really changed (the pose is not symmetric)
    assert (out_f['vertices'] - out['vertices']).abs().max() > 0.05


def test_rotmat_input_and_transl(body):
    pose, betas = _random_pose(2, seed=3)
    ref = body(pose[:, 0], pose[:, 1:].reshape(2, 69), betas)
    # rotation matrices of scipy (independent of smplx's Rodrigues used for axis-angle input)
    rot = torch.from_numpy(Rotation.from_rotvec(pose.reshape(-1, 3).double().numpy())
                           .as_matrix()).float().reshape(2, 24, 3, 3)
    out = body(rot[:, :1], rot[:, 1:], betas, pose2rot=False)
    torch.testing.assert_close(out['vertices'], ref['vertices'], atol=1e-5, rtol=0)
    t = torch.tensor([[0.1, -0.2, 3.0], [1.0, 0.0, 0.5]])
    moved = body(pose[:, 0], pose[:, 1:], betas, transl=t)
    torch.testing.assert_close(moved['vertices'], ref['vertices'] + t[:, None], atol=1e-5, rtol=0)
    torch.testing.assert_close(moved['joints'], ref['joints'] + t[:, None], atol=1e-5, rtol=0)


def test_gender_switch(surrogate_body_model_dir):
    args = (torch.zeros(1, 3), torch.zeros(1, 69), torch.zeros(1, 10))
    verts = {g: SMPL(surrogate_body_model_dir, gender=g)(*args)['vertices'] for g in
             ('neutral', 'male', 'female')}
    assert (verts['male'] - verts['neutral']).abs().max() > 0.02
    assert (verts['female'] - verts['neutral']).abs().max() > 0.02
    male_file = osp.join(surrogate_body_model_dir, 'smpl', 'SMPL_MALE.pkl')
    torch.testing.assert_close(SMPL(male_file)(*args)['vertices'], verts['male'])
    with pytest.raises(ValueError, match='gender must be one of'):
        SMPL(surrogate_body_model_dir, gender='kid')


def test_missing_regressors_are_masked(surrogate_body_model_dir, tmp_path):
    shutil.copy(osp.join(surrogate_body_model_dir, 'smpl', 'SMPL_NEUTRAL.pkl'), tmp_path)
    body = SMPL(str(tmp_path))
    out = body(torch.zeros(1, 3), torch.zeros(1, 69), torch.zeros(1, 10))
    mask = out['joints_mask']
    assert mask[EXTRA_POSITIONS].sum() == 0 and mask.sum() == 49 - len(EXTRA_POSITIONS) == 40
    assert out['joints'][0, EXTRA_POSITIONS].abs().max() == 0
    with pytest.raises(FileNotFoundError, match='J_regressor_h36m'):
        body.regress(out['vertices'], 'h36m_17')
    # an explicit regressor path is used
    body = SMPL(str(tmp_path), joint_regressor_h36m=osp.join(surrogate_body_model_dir,
                                                             'J_regressor_h36m.npy'))
    assert body.regress(out['vertices'], 'h36m_17').shape == (1, 17, 3)


def test_clear_errors(surrogate_body_model_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match=r'SMPL_FEMALE\.pkl.*smpl/SMPL_FEMALE\.pkl'):
        SMPL(str(tmp_path), gender='female')
    data = _pickle_of(surrogate_body_model_dir)
    data['posedirs'] = data['posedirs'][:, :, :200]
    bad = tmp_path / 'bad.pkl'
    with open(bad, 'wb') as f:
        pickle.dump(data, f)
    with pytest.raises(ValueError, match=r'bad\.pkl: key posedirs must have shape'):
        SMPL(str(bad))
    np.save(tmp_path / 'wrong_h36m.npy', np.zeros((17, 5)))
    with pytest.raises(ValueError, match=r'wrong_h36m\.npy: h36m regressor must have shape'):
        SMPL(surrogate_body_model_dir, joint_regressor_h36m=str(tmp_path / 'wrong_h36m.npy'))


class _FakeCh:
    """Mimics chumpy.ch.Ch pickling: default object reduction with a state dict holding 'x'."""

    def __init__(self, x):
        self.x = x
        self._dirty_vars = set()
        self._itr = None

    def __getstate__(self):
        return dict(self.__dict__)


class _FakeExpr(_FakeCh):

    def __init__(self, a):
        self.a = a


def _pickle_with_fake_chumpy(data, path, protocol=2):
    """Pickle ``data`` with classes living in a fake ``chumpy.ch`` module that exists only here."""
    chumpy = types.ModuleType('chumpy')
    ch = types.ModuleType('chumpy.ch')
    fake_ch = type('Ch', (_FakeCh, ), {'__module__': 'chumpy.ch'})
    fake_expr = type('add', (_FakeExpr, ), {'__module__': 'chumpy.ch'})
    ch.Ch, ch.add, chumpy.ch = fake_ch, fake_expr, ch
    sys.modules['chumpy'], sys.modules['chumpy.ch'] = chumpy, ch
    try:
        data = {k: (fake_expr(v[0]) if isinstance(v, tuple) else
                    fake_ch(v) if isinstance(v, np.ndarray) and k != 'f' else v)
                for k, v in data.items()}
        with open(path, 'wb') as f:
            pickle.dump(data, f, protocol=protocol)
    finally:
        del sys.modules['chumpy'], sys.modules['chumpy.ch']


@pytest.mark.parametrize('protocol', [0, 1, 2])
def test_chumpy_pickle_loads_as_numpy(surrogate_body_model_dir, tmp_path, protocol):
    # Python-2 era files: protocol 0/1 rebuild the chumpy objects through copyreg._reconstructor
    data = _pickle_of(surrogate_body_model_dir)
    path = str(tmp_path / 'SMPL_NEUTRAL.pkl')
    _pickle_with_fake_chumpy(data, path, protocol)
    assert b'chumpy.ch' in open(path, 'rb').read()
    assert 'chumpy' not in sys.modules
    loaded = load_smpl_file(path)
    assert 'chumpy' not in sys.modules
    for key in ('v_template', 'shapedirs', 'posedirs', 'weights'):
        assert type(loaded[key]) is np.ndarray, key
        np.testing.assert_array_equal(loaded[key], data[key])
    np.testing.assert_array_equal(loaded['J_regressor'].toarray(), data['J_regressor'].toarray())
    out = SMPL(str(tmp_path))(torch.zeros(1, 3), torch.zeros(1, 69), torch.zeros(1, 10))
    np.testing.assert_allclose(out['vertices'][0].numpy(), data['v_template'], atol=1e-6)
    # a chumpy expression (no stored value) is refused with the key named
    _pickle_with_fake_chumpy(dict(data, shapedirs=(data['shapedirs'], )), path)
    with pytest.raises(ValueError, match=r"key 'shapedirs' holds a chumpy chumpy\.ch\.add"):
        load_smpl_file(path)
