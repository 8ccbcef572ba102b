import numpy as np
import pytest
from human_transform_utils import copy_results, make_results, pinhole
from mmpose.structures.bbox import get_warp_matrix
from scipy.spatial.transform import Rotation

from mmhpse.datasets.transforms import (HumanGetBBoxCenterScale, HumanRandomBBoxTransform,
                                        HumanRandomFlip, HumanTopdownAffine, rotation_matrix_z)

CROP = (192, 256)


def test_center_scale_from_bbox():
    results = HumanGetBBoxCenterScale(padding=1.25)(dict(bbox_xywh=np.array([10., 20., 30., 80.])))
    np.testing.assert_allclose(results['center'], [25., 60.])
    np.testing.assert_allclose(results['scale'], [37.5, 100.])
    assert results['center'].shape == (2, ) and results['scale'].shape == (2, )


def test_parameter_distribution():
    np.random.seed(0)
    transform = HumanRandomBBoxTransform(scale_factor=0.25, rotate_factor=30., rotate_prob=0.6)
    scales, rotations = [], []
    for _ in range(3000):
        out = transform(dict(scale=np.array([100., 100.], np.float32)))
        scales.append(out['scale'][0] / 100.)
        rotations.append(out['rotation'])
    scales, rotations = np.array(scales), np.array(rotations)
    assert scales.min() >= 0.75 - 1e-6 and scales.max() <= 1.25 + 1e-6
    # clip(N(0,1), -1, 1) puts ~15.9 % of the mass on each bound
    assert 0.12 < np.mean(scales > 1.25 - 1e-6) < 0.2
    assert np.abs(rotations).max() <= 60. + 1e-9
    assert 0.35 < np.mean(rotations == 0.) < 0.45  # rotated with probability 0.6
    assert np.mean(np.abs(rotations) > 59.999) > 0.01  # the +-2 sigma clip is reached
    never = HumanRandomBBoxTransform(rotate_prob=0.)
    assert all(never(dict(scale=np.ones(2)))['rotation'] == 0. for _ in range(50))


def _rotated_sample(seed, angle, flip=False):
    """Pipeline up to the crop with a forced rotation of ``angle`` degrees; the crop is centred
    on the camera's principal point (the image centre), where image rotation and rotation
    about the camera z axis coincide."""
    results, cam = make_results(seed=seed, width=400, height=300)
    results = HumanGetBBoxCenterScale()(results)
    results['center'] = np.asarray(cam['principal'], np.float32)
    if flip:
        results = HumanRandomFlip(prob=1.)(results)
    transform = HumanRandomBBoxTransform(scale_factor=0., rotate_prob=1.)
    transform._get_params = lambda: [1., angle]
    return transform(results), cam


@pytest.mark.parametrize('angle', [40., -25., 60.])
@pytest.mark.parametrize('flip', [False, True])
def test_rotated_3d_joints_project_onto_rotated_2d_joints(angle, flip):
    results, cam = _rotated_sample(seed=3, angle=angle, flip=flip)
    kps2d_before = results['keypoints2d'][:, :2].copy()
    out = HumanTopdownAffine(CROP)(results)
    assert out['rotation'] == angle
    # Project the rotated 3D joints and crop them WITHOUT rotation: this must be where the
    # rotated crop put the 2D joints.
    unrotated = get_warp_matrix(out['center'], out['scale'], 0., output_size=CROP)
    proj = pinhole(out['keypoints3d'][:, :3], cam['focal'], cam['principal'])
    expected = proj @ unrotated[:, :2].T + unrotated[:, 2]
    np.testing.assert_allclose(out['keypoints2d'][:, :2], expected, atol=5e-3)
    # the rotation did move the joints (the check above is not vacuous)
    plain = kps2d_before @ unrotated[:, :2].T + unrotated[:, 2]
    assert np.abs(plain - expected).max() > 5.


def test_global_orient_rotates_with_the_joints():
    angle = 35.
    before, _ = make_results(seed=4, width=400, height=300)
    out, _ = _rotated_sample(seed=4, angle=angle)
    rz = Rotation.from_euler('z', -angle, degrees=True).as_matrix()
    np.testing.assert_allclose(rz, rotation_matrix_z(angle), atol=1e-12)
    orient_before = Rotation.from_rotvec(before['smpl_global_orient']).as_matrix()
    orient_after = Rotation.from_rotvec(out['smpl_global_orient']).as_matrix()
    np.testing.assert_allclose(orient_after, rz @ orient_before, atol=1e-5)
    # A body whose points are R_orient @ template + t keeps that form after the rotation.
    template = np.random.default_rng(0).normal(size=(10, 3))
    body_before = template @ orient_before.T + before['keypoints3d'][0, :3]
    body_after = template @ orient_after.T + out['keypoints3d'][0, :3]
    np.testing.assert_allclose(body_after, body_before @ rz.T, atol=1e-4)
    np.testing.assert_allclose(out['keypoints3d'][:, :3], before['keypoints3d'][:, :3] @ rz.T,
                               atol=1e-5)
    np.testing.assert_array_equal(out['keypoints3d'][:, 3], before['keypoints3d'][:, 3])
    np.testing.assert_array_equal(out['smpl_body_pose'], before['smpl_body_pose'])


def test_no_rotation_leaves_3d_untouched():
    results, _ = make_results(seed=5)
    before = copy_results(results)
    out = HumanRandomBBoxTransform(rotate_prob=0.)(HumanGetBBoxCenterScale()(results))
    np.testing.assert_array_equal(out['keypoints3d'], before['keypoints3d'])
    np.testing.assert_array_equal(out['smpl_global_orient'], before['smpl_global_orient'])
