import os.path as osp
import pickle

import numpy as np
import pytest
import torch

from mmhpse.models.body_models.surrogate import (EXTRA_FLIP_PERM, H36M_FLIP_PERM,
                                                 build_surrogate_smpl)
from mmhpse.utils.geometry import SMPL_FLIP_PERM, SMPL_PARENTS, rot6d_to_rotmat

smplx = pytest.importorskip('smplx')
MIRROR = np.array([-1., 1., 1.])
from helpers.fixtures import SMPL_MEAN_PARAMS as REAL_MEAN_PARAMS  # noqa: E402


def _load(folder, gender='NEUTRAL'):
    with open(osp.join(folder, 'smpl', f'SMPL_{gender}.pkl'), 'rb') as f:
        return pickle.load(f)


def _descendants(j):
    out = {j}
    for k in range(24):  # parents come before children in SMPL's order
        if SMPL_PARENTS[k] in out:
            out.add(k)
    return sorted(out)


def test_files_and_official_layout(surrogate_body_model_dir):
    d = surrogate_body_model_dir
    m = _load(d)
    v = m['v_template']
    nv = len(v)
    assert 500 < nv < 800  # about the requested 600
    assert m['shapedirs'].shape == (nv, 3, 10)
    assert m['posedirs'].shape == (nv, 3, 207)
    assert m['J_regressor'].shape == (24, nv) and hasattr(m['J_regressor'], 'tocsc')
    assert m['weights'].shape == (nv, 24)
    assert m['f'].shape[1] == 3 and m['f'].max() == nv - 1 and m['f'].min() == 0
    parents = m['kintree_table'][0].copy()
    assert parents[0] == 4294967295
    parents[0] = -1
    assert tuple(parents) == SMPL_PARENTS
    assert not any('chumpy' in type(x).__module__ for x in m.values())
    assert np.load(osp.join(d, 'J_regressor_h36m.npy')).shape == (17, nv)
    assert np.load(osp.join(d, 'J_regressor_extra.npy')).shape == (9, nv)
    # convex combinations: rows non-negative, summing to one, sparse
    for reg in (m['J_regressor'].toarray(), np.load(osp.join(d, 'J_regressor_h36m.npy')),
                np.load(osp.join(d, 'J_regressor_extra.npy')), m['weights']):
        assert reg.min() >= 0
        np.testing.assert_allclose(reg.sum(1), 1, atol=1e-12)
    assert (m['J_regressor'].toarray() > 0).sum(1).max() <= 64


def test_rest_skeleton_is_humanoid(surrogate_body_model_dir):
    m = _load(surrogate_body_model_dir)
    j = m['J_regressor'] @ m['v_template']
    np.testing.assert_allclose(j, m['J'])
    # y up, left side at +x, face towards +z
    assert j[15, 1] > j[12, 1] > j[9, 1] > j[0, 1] > j[4, 1] > j[7, 1]
    assert j[1, 0] > 0 > j[2, 0] and j[16, 0] > 0.1 > -0.1 > j[17, 0]
    assert j[20, 0] > j[18, 0] > j[16, 0]  # T-pose arms
    nose = m['v_template'][m['joint_vertex_ids']['nose']]
    assert nose[2] > j[15, 2] + 0.05 and abs(nose[0]) < 1e-12
    height = np.ptp(m['v_template'][:, 1])
    assert 1.5 < height < 2.0


def test_mirror_symmetry(surrogate_body_model_dir):
    d = surrogate_body_model_dir
    m = _load(d)
    v, sym = m['v_template'], m['vert_sym_idxs']
    perm = list(SMPL_FLIP_PERM)
    np.testing.assert_array_equal(sym[sym], np.arange(len(v)))
    np.testing.assert_allclose(v[sym] * MIRROR, v, atol=1e-12)  # the template maps onto itself
    np.testing.assert_allclose(m['weights'][sym][:, perm], m['weights'], atol=1e-12)
    np.testing.assert_allclose(m['shapedirs'][sym] * MIRROR[:, None], m['shapedirs'], atol=1e-12)
    jr = m['J_regressor'].toarray()
    np.testing.assert_allclose(jr[perm][:, sym], jr, atol=1e-12)
    for name, flip in (('h36m', H36M_FLIP_PERM), ('extra', EXTRA_FLIP_PERM)):
        reg = np.load(osp.join(d, f'J_regressor_{name}.npy'))
        np.testing.assert_allclose(reg[list(flip)][:, sym], reg, atol=1e-12)
    # faces: the mirrored face set (winding reversed) is the face set
    canon = lambda f: {tuple(np.roll(t, -int(np.argmin(t)))) for t in f.tolist()}  # noqa: E731
    f = m['f'].astype(np.int64)
    assert canon(sym[f][:, [0, 2, 1]]) == canon(f)
    ids = m['joint_vertex_ids']
    for left, right in (('leye', 'reye'), ('LHeel', 'RHeel'), ('lthumb', 'rthumb')):
        assert sym[ids[left]] == ids[right]


def test_deterministic_per_seed():
    a = build_surrogate_smpl(300, seed=3)
    b = build_surrogate_smpl(300, seed=3)
    c = build_surrogate_smpl(300, seed=4)
    for key in ('v_template', 'shapedirs', 'posedirs', 'weights'):
        np.testing.assert_array_equal(a['model'][key], b['model'][key])
    np.testing.assert_array_equal(a['J_regressor_h36m'], b['J_regressor_h36m'])
    assert np.abs(a['model']['v_template'] - c['model']['v_template']).max() > 1e-3


def test_smplx_loads_surrogate_and_zero_pose_is_template(surrogate_body_model_dir):
    m = _load(surrogate_body_model_dir)
    body = smplx.SMPL(model_path=osp.join(surrogate_body_model_dir, 'smpl'), gender='neutral',
                      vertex_ids=m['joint_vertex_ids'])
    with torch.no_grad():
        out = body(betas=torch.zeros(1, 10), body_pose=torch.zeros(1, 69),
                   global_orient=torch.zeros(1, 3))
    np.testing.assert_allclose(out.vertices[0].numpy(), m['v_template'], atol=1e-6)
    np.testing.assert_allclose(out.joints[0, :24].numpy(), m['J'], atol=1e-6)
    # betas change the shape smoothly and symmetrically
    with torch.no_grad():
        shaped = body(betas=torch.tensor([[1., 0, 0, 0, 0, 0, 0, 0, 0, 0]]),
                      body_pose=torch.zeros(1, 69), global_orient=torch.zeros(1, 3)).vertices[0]
    assert 0.01 < (shaped.numpy() - m['v_template']).__abs__().max() < 0.1


@pytest.mark.parametrize('joint', [1, 4, 9, 16, 18, 15])
def test_rotating_a_joint_moves_only_its_skinned_subtree(surrogate_body_model_dir, joint):
    m = _load(surrogate_body_model_dir)
    body = smplx.SMPL(model_path=osp.join(surrogate_body_model_dir, 'smpl'),
                      vertex_ids=m['joint_vertex_ids'])
    pose = torch.zeros(1, 69)
    pose[0, 3 * (joint - 1):3 * joint] = torch.tensor([0.4, -0.5, 0.3])
    zero = dict(betas=torch.zeros(1, 10), global_orient=torch.zeros(1, 3))
    with torch.no_grad():
        diff = body(body_pose=pose, **zero).vertices - body(body_pose=torch.zeros(1, 69),
                                                            **zero).vertices
    moved = diff[0].norm(dim=-1).numpy() > 1e-6
    skinned = m['weights'][:, _descendants(joint)].sum(1) > 0
    assert not np.any(moved & ~skinned)
    assert np.all(moved[m['weights'][:, joint] > 0.5])
    assert moved.sum() < len(moved)


def test_gendered_files_differ(surrogate_body_model_dir):
    neutral = _load(surrogate_body_model_dir)['v_template']
    male = _load(surrogate_body_model_dir, 'MALE')['v_template']
    female = _load(surrogate_body_model_dir, 'FEMALE')['v_template']
    assert np.abs(male - neutral).max() > 0.02 and np.abs(female - neutral).max() > 0.02
    assert np.ptp(male[:, 1]) > np.ptp(neutral[:, 1]) > np.ptp(female[:, 1])


def test_mean_params_format(surrogate_body_model_dir):
    ours = np.load(osp.join(surrogate_body_model_dir, 'smpl_mean_params.npz'))
    assert {k: ours[k].shape for k in ours.files} == {'pose': (144, ), 'shape': (10, ),
                                                      'cam': (3, )}
    rot = rot6d_to_rotmat(torch.from_numpy(ours['pose']).reshape(24, 6)).double()
    np.testing.assert_allclose(rotmat_to_rot6d_np(rot), ours['pose'].reshape(24, 6), atol=1e-6)
    np.testing.assert_allclose(rot[0].numpy(), np.diag([1., -1., -1.]), atol=1e-6)
    if not osp.isfile(REAL_MEAN_PARAMS):
        pytest.skip(f'real smpl_mean_params.npz fixture not found at {REAL_MEAN_PARAMS}')
    real = np.load(REAL_MEAN_PARAMS)
    assert sorted(real.files) == sorted(ours.files)
    for k in real.files:
        assert real[k].shape == ours[k].shape and real[k].dtype == ours[k].dtype
    np.testing.assert_allclose(ours['pose'][:6], real['pose'][:6], atol=1e-6)


def rotmat_to_rot6d_np(rot):
    return rot[..., :2].reshape(-1, 6).numpy()


def test_tool_writes_folder(tmp_path):
    import runpy
    import sys
    script = osp.join(osp.dirname(__file__), '../../../tools/misc/make_surrogate_smpl.py')
    argv = sys.argv
    sys.argv = [script, '--out-dir', str(tmp_path), '--num-vertices', '300', '--seed', '1']
    try:
        runpy.run_path(script, run_name='__main__')
    finally:
        sys.argv = argv
    for rel in ('smpl/SMPL_NEUTRAL.pkl', 'smpl/SMPL_MALE.pkl', 'smpl/SMPL_FEMALE.pkl',
                'J_regressor_h36m.npy', 'J_regressor_extra.npy', 'smpl_mean_params.npz'):
        assert osp.isfile(tmp_path / rel), rel
    ref = build_surrogate_smpl(300, seed=1)['model']['v_template']
    np.testing.assert_array_equal(_load(str(tmp_path))['v_template'], ref)


def test_regressor_rows_follow_named_conventions(surrogate_body_model_dir):
    """Rows of J_regressor_h36m / J_regressor_extra are the joints the keypoint conventions name
    (SPIN's files): where a name is shared with SMPL's 24 joints, the positions coincide."""
    from mmhpse.conventions.keypoints import KEYPOINTS
    d = surrogate_body_model_dir
    m = _load(d)
    joints = dict(zip(KEYPOINTS['smpl_24'], m['J']))
    h36m = dict(zip(KEYPOINTS['h36m_17'], np.load(osp.join(d, 'J_regressor_h36m.npy'))
                    @ m['v_template']))
    shared = set(joints) & set(h36m)
    assert len(shared) >= 10
    for name in shared:
        np.testing.assert_allclose(h36m[name], joints[name], atol=1e-9, err_msg=name)
    assert h36m['left_hip_extra'][0] > 0.05 > -0.05 > h36m['right_hip_extra'][0]
    assert h36m['headtop'][1] > h36m['head_extra'][1] > h36m['neck_extra'][1] > joints['pelvis'][1]
    spin = KEYPOINTS['smpl_49'][25:]
    extra_names = ['right_hip_extra', 'left_hip_extra', 'neck_extra', 'headtop', 'pelvis_extra',
                   'thorax_extra', 'spine_extra', 'jaw_extra', 'head_extra']
    assert set(extra_names) <= set(spin)
    extra = dict(zip(extra_names, np.load(osp.join(d, 'J_regressor_extra.npy')) @ m['v_template']))
    assert extra['right_hip_extra'][0] < -0.05 and extra['left_hip_extra'][0] > 0.05
    assert extra['headtop'][1] > extra['head_extra'][1] > extra['jaw_extra'][1]


def test_mesh_is_closed_and_outward(surrogate_body_model_dir):
    """Every part is a closed surface with consistent winding (each directed edge once, its
    reverse present) and outward normals (positive signed volume), so back-face culling keeps
    the visible side."""
    m = _load(surrogate_body_model_dir)
    f = m['f'].astype(np.int64)
    edges = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    directed = set(map(tuple, edges.tolist()))
    assert len(directed) == len(edges)
    assert all((b, a) in directed for a, b in directed)
    v = m['v_template']
    for part in np.unique(m['vertex_part']):
        sel = np.isin(f, np.nonzero(m['vertex_part'] == part)[0]).all(1)
        tri = v[f[sel]] - v[f[sel]].reshape(-1, 3).mean(0)
        volume = np.einsum('ij,ij->i', tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6
        assert volume > 0, f'part of joint {part}'
