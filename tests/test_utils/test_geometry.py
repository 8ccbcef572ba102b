import numpy as np
import pytest
import torch

from mmhpse.conventions import KEYPOINTS
from mmhpse.utils.geometry import (SMPL_FLIP_PERM, SMPL_PARENTS, _rotmat_to_quaternion,
                                   flip_smpl_pose, rot6d_to_rotmat, rotmat_to_axis_angle,
                                   rotmat_to_rot6d)

Rotation = pytest.importorskip('scipy.spatial.transform').Rotation


def _random_axis_angle(n, seed=0, max_angle=np.pi):
    rng = np.random.default_rng(seed)
    axis = rng.normal(size=(n, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    angle = rng.uniform(0, max_angle, size=(n, 1))
    return axis * angle


def _rotmat(aa):
    """scipy's axis-angle -> matrix of a ``(..., 3)`` tensor (the reference here)."""
    mats = Rotation.from_rotvec(aa.detach().reshape(-1, 3).numpy()).as_matrix()
    return torch.from_numpy(mats).reshape(aa.shape + (3, )).to(aa.dtype)


def test_rotmat_to_axis_angle_matches_scipy_and_round_trips():
    aa = _random_axis_angle(300, seed=1)
    # near-pi angles (hardest case for trace-based formulas) and near-zero ones
    aa[:50] *= (np.pi - 1e-5) / np.linalg.norm(aa[:50], axis=1, keepdims=True)
    aa[50:60] *= 1e-7
    mats = Rotation.from_rotvec(aa).as_matrix()
    out = rotmat_to_axis_angle(torch.from_numpy(mats)).numpy()
    ref = Rotation.from_matrix(mats).as_rotvec()
    # near pi, r and -r' describe almost the same rotation; compare the rotations.
    np.testing.assert_allclose(Rotation.from_rotvec(out).as_matrix(), mats, atol=1e-9)
    np.testing.assert_allclose(out[50:], ref[50:], atol=1e-9)
    assert np.all(np.linalg.norm(out, axis=1) <= np.pi + 1e-9)


def test_rotmat_to_quaternion_matches_scipy():
    mats = Rotation.from_rotvec(_random_axis_angle(100, seed=2)).as_matrix()
    q = _rotmat_to_quaternion(torch.from_numpy(mats)).numpy()
    ref = Rotation.from_matrix(mats).as_quat()[:, [3, 0, 1, 2]]  # scipy is (x, y, z, w)
    ref *= np.sign(ref[:, :1])
    np.testing.assert_allclose(q, ref, atol=1e-12)


def test_rot6d_round_trip_and_gram_schmidt():
    mats = torch.from_numpy(Rotation.from_rotvec(_random_axis_angle(50, seed=3)).as_matrix())
    r6 = rotmat_to_rot6d(mats)
    assert r6.shape == (50, 6)
    # layout: (3, 2) row-major, i.e. r6[..., 2*i + j] == R[i, j] for j in {0, 1}
    for i in range(3):
        for j in range(2):
            torch.testing.assert_close(r6[:, 2 * i + j], mats[:, i, j])
    torch.testing.assert_close(rot6d_to_rotmat(r6), mats)
    # arbitrary 6 numbers give a proper rotation whose first column is a1 normalised
    x = torch.randn(2, 7, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    rot = rot6d_to_rotmat(x)
    eye = torch.eye(3, dtype=torch.float64).expand(2, 7, 3, 3)
    torch.testing.assert_close(rot.transpose(-1, -2) @ rot, eye)
    torch.testing.assert_close(torch.linalg.det(rot), torch.ones(2, 7, dtype=torch.float64))
    a1 = x.reshape(2, 7, 3, 2)[..., 0]
    torch.testing.assert_close(rot[..., 0], a1 / a1.norm(dim=-1, keepdim=True))
    # the second column lies in the plane of a1, a2
    a2 = x.reshape(2, 7, 3, 2)[..., 1]
    normal = torch.cross(a1, a2, dim=-1)
    torch.testing.assert_close((rot[..., 1] * normal).sum(-1),
                               torch.zeros(2, 7, dtype=torch.float64))


def test_rotmat_to_axis_angle_gradient():
    """The axis-angle pose loss back-propagates through it (scipy's numpy version cannot)."""
    aa = torch.from_numpy(_random_axis_angle(4, seed=5, max_angle=3.))
    mats = _rotmat(aa).requires_grad_(True)
    assert torch.autograd.gradcheck(rotmat_to_axis_angle, (mats, ))
    eye = torch.eye(3, dtype=torch.float64)[None].requires_grad_(True)
    rotmat_to_axis_angle(eye).sum().backward()  # zero angle: finite gradient
    assert torch.isfinite(eye.grad).all()


def test_flip_permutation_matches_smpl_tree():
    perm = np.array(SMPL_FLIP_PERM)
    # the literal permutation of SMPL's left/right joints (from the names of smpl_24)
    assert SMPL_FLIP_PERM == (0, 2, 1, 3, 5, 4, 6, 8, 7, 9, 11, 10, 12, 14, 13, 15, 17, 16, 19, 18,
                              21, 20, 23, 22)
    swap = {'left': 'right', 'right': 'left'}
    names = KEYPOINTS['smpl_24']
    for j in range(24):
        mirrored = '_'.join(swap.get(t, t) for t in names[j].split('_'))
        assert names[perm[j]] == mirrored
    assert sorted(perm) == list(range(24))
    np.testing.assert_array_equal(perm[perm], np.arange(24))  # an involution
    # parents of mirrored joints are the mirrored parents
    for j in range(1, 24):
        assert SMPL_PARENTS[perm[j]] == perm[SMPL_PARENTS[j]]


def test_flip_smpl_pose_is_reflection_conjugate():
    aa = torch.from_numpy(_random_axis_angle(2 * 24, seed=4)).reshape(2, 24, 3)
    flipped = flip_smpl_pose(aa)
    s = torch.diag(torch.tensor([-1., 1., 1.], dtype=torch.float64))
    expected = s @ _rotmat(aa) @ s
    torch.testing.assert_close(_rotmat(flipped), expected[:, list(SMPL_FLIP_PERM)])
    # flat (B, 72) input, numpy input, and involution
    torch.testing.assert_close(flip_smpl_pose(aa.reshape(2, 72)), flipped.reshape(2, 72))
    np.testing.assert_allclose(flip_smpl_pose(aa.numpy()), flipped.numpy())
    torch.testing.assert_close(flip_smpl_pose(flipped), aa)
    with pytest.raises(ValueError, match=r'\(\.\.\., 24, 3\)'):
        flip_smpl_pose(torch.zeros(2, 23, 3))


def test_shape_errors():
    with pytest.raises(ValueError, match='rotmat'):
        rotmat_to_axis_angle(torch.zeros(3, 3, 2))
    with pytest.raises(ValueError, match='rot6d'):
        rot6d_to_rotmat(torch.zeros(3, 5))
    with pytest.raises(ValueError, match='rotmat'):
        rotmat_to_rot6d(torch.zeros(3, 3, 2))
