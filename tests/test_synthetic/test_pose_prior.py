"""Pose priors of the procedural humans: limits, correlation (low dimension), determinism."""
import numpy as np
import pytest

from mmhpse.synthetic.pose_prior import (NUM_PRIMITIVES, pose_limits, primitive_basis,
                                         sample_body_pose)


def _residual(pose, k):
    """RMS (radians) of ``pose (N, 23, 3)`` left outside its top ``k`` principal components."""
    x = pose.reshape(len(pose), -1)
    x = x - x.mean(0)
    vt = np.linalg.svd(x, full_matrices=False)[2][:k]
    return float(np.sqrt(((x - x @ vt.T @ vt)**2).mean()))


def test_primitive_poses_respect_the_limits_and_are_low_dimensional():
    pose = sample_body_pose(np.random.default_rng(0), 3000, 'primitives')
    assert pose.shape == (3000, 23, 3)
    lo, hi = pose_limits()
    assert np.all(pose >= lo[1:] - 1e-12) and np.all(pose <= hi[1:] + 1e-12)
    # joints move together: outside NUM_PRIMITIVES directions only the small per-angle noise
    # (0.02 rad) and the clipping at the joint limits are left, unlike the uniform prior whose
    # 69 angles are independent
    assert _residual(pose, NUM_PRIMITIVES) < 0.05
    uniform = sample_body_pose(np.random.default_rng(0), 3000, 'uniform')
    assert _residual(uniform, NUM_PRIMITIVES) > 0.15
    # every primitive moves the body (none is empty) and the knees bend over a wide range
    rest, basis = primitive_basis()
    assert basis.shape == (NUM_PRIMITIVES, 24, 3) and np.all(np.abs(basis).sum((1, 2)) > 0.2)
    assert np.ptp(pose[:, 3, 0]) > 1.5  # left knee (SMPL joint 4)


def test_mirrored_primitives_move_the_right_side_like_the_left():
    _, basis = primitive_basis()
    # primitives 1 and 2 raise the left / right arm: mirrored joint values (shoulder, collar)
    np.testing.assert_allclose(basis[2, 17], basis[1, 16] * [1, -1, -1])
    np.testing.assert_allclose(basis[2, 14], basis[1, 13] * [1, -1, -1])
    assert basis[1, 16, 2] > 0 and basis[2, 17, 2] < 0  # left arm up: +z, its mirror: -z


def test_pose_priors_are_deterministic_and_checked():
    a = sample_body_pose(np.random.default_rng(4), 50, 'primitives')
    np.testing.assert_array_equal(a, sample_body_pose(np.random.default_rng(4), 50,
                                                      'primitives'))
    assert not np.array_equal(a, sample_body_pose(np.random.default_rng(5), 50, 'primitives'))
    with pytest.raises(KeyError, match=r"unknown pose prior 'gaussian'; known: \['primitives', "
                       r"'uniform'\]"):
        sample_body_pose(np.random.default_rng(0), 1, 'gaussian')
