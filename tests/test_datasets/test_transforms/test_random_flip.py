import numpy as np
import pytest
from human_transform_utils import CONVENTION, copy_results, make_results, pinhole
from scipy.spatial.transform import Rotation

from mmhpse.conventions.keypoints import get_flip_indices, get_keypoint_names
from mmhpse.datasets.transforms import HumanGetBBoxCenterScale, HumanRandomFlip, HumanTopdownAffine

KEYS = ('keypoints2d', 'keypoints3d', 'smpl_global_orient', 'smpl_body_pose', 'center',
        'bbox_xywh')


def _flipped(results, **kwargs):
    return HumanRandomFlip(prob=1., **kwargs)(copy_results(results))


def test_flip_twice_is_identity_on_annotations():
    results, _ = make_results(seed=1)
    results = HumanGetBBoxCenterScale()(results)
    once = _flipped(results)
    twice = HumanRandomFlip(prob=1.)(copy_results(once))
    assert once['flip'] and not twice['flip']
    assert once['img_flip_pending'] and not twice['img_flip_pending']
    for key in KEYS:
        assert not np.allclose(once[key], results[key]), key
        np.testing.assert_allclose(twice[key], results[key], atol=1e-5, err_msg=key)


def test_flip_twice_is_identity_on_pixels():
    results, _ = make_results(seed=2)
    eager = HumanRandomFlip(prob=1., lazy_image=False)
    once = eager(copy_results(results))
    assert np.array_equal(once['img'], results['img'][:, ::-1])
    assert np.array_equal(eager(once)['img'], results['img'])

    # Lazy: a pending flip reaches the pixels through the crop's warp. With mmpose's matrix a
    # box centred at (W/2, H/2) of the image's size is the identity crop.
    base = dict(results, center=np.array([160., 120.], np.float32),
                scale=np.array([320., 240.], np.float32))
    crop = HumanTopdownAffine((320, 240))
    np.testing.assert_array_equal(crop(copy_results(base))['img'], results['img'])
    lazy_once = crop(HumanRandomFlip(prob=1.)(copy_results(base)))['img']
    eager_once = crop(HumanRandomFlip(prob=1., lazy_image=False)(copy_results(base)))['img']
    np.testing.assert_array_equal(lazy_once, eager_once)
    lazy_twice = crop(HumanRandomFlip(prob=1.)(HumanRandomFlip(prob=1.)(copy_results(base))))['img']
    np.testing.assert_array_equal(lazy_twice, results['img'])


def test_lazy_and_eager_flip_give_the_same_crop():
    results, _ = make_results(seed=3)
    results = HumanGetBBoxCenterScale()(results)
    results['rotation'] = 17.
    crop = HumanTopdownAffine((96, 128))
    lazy = crop(HumanRandomFlip(prob=1.)(copy_results(results)))
    eager = crop(HumanRandomFlip(prob=1., lazy_image=False)(copy_results(results)))
    np.testing.assert_allclose(lazy['keypoints2d'], eager['keypoints2d'], atol=1e-4)
    np.testing.assert_allclose(lazy['warp_mat'], eager['warp_mat'], atol=1e-6)
    # cv2 quantises sub-pixel positions to 1/32 px, mirrored positions round differently.
    diff = np.abs(lazy['img'].astype(int) - eager['img'].astype(int))
    assert diff.max() <= 12 and diff.mean() < 1.5


def test_flip_against_per_joint_reference():
    results, _ = make_results(seed=4)
    out = _flipped(results)
    width = results['img'].shape[1]
    names = get_keypoint_names(CONVENTION)
    for i, name in enumerate(names):
        mirror = name.replace('left', 'LEFT').replace('right', 'left').replace('LEFT', 'right')
        j = names.index(mirror)
        x, y, c = results['keypoints2d'][j]
        np.testing.assert_allclose(out['keypoints2d'][i], [width - 1 - x, y, c], atol=1e-4)
        x, y, z, c = results['keypoints3d'][j]
        np.testing.assert_allclose(out['keypoints3d'][i], [-x, y, z, c], atol=1e-6)
    x, y, w, h = results['bbox_xywh']
    np.testing.assert_allclose(out['bbox_xywh'], [width - 1 - x - w, y, w, h], atol=1e-4)


def test_flipped_3d_joints_project_onto_flipped_2d_joints():
    # Mirroring x -> -x in 3D is the image flip when the principal point is the image centre.
    results, cam = make_results(seed=5, width=300, height=200)
    out = _flipped(results)
    proj = pinhole(out['keypoints3d'][:, :3], cam['focal'], cam['principal'])
    np.testing.assert_allclose(proj, out['keypoints2d'][:, :2], atol=1e-3)


def test_flipped_global_orient_is_the_mirrored_rotation():
    results, _ = make_results(seed=6)
    out = _flipped(results)
    mirror = np.diag([-1., 1., 1.])
    rot = Rotation.from_rotvec(results['smpl_global_orient']).as_matrix()
    new = Rotation.from_rotvec(out['smpl_global_orient']).as_matrix()
    np.testing.assert_allclose(new, mirror @ rot @ mirror, atol=1e-5)
    # Body joint 0 is SMPL joint 1 (left hip); the mirrored pose has it at the right hip.
    lhip = results['smpl_body_pose'][0]
    np.testing.assert_allclose(out['smpl_body_pose'][1], lhip * [1, -1, -1], atol=1e-6)


def test_flip_probability_and_no_flip():
    results, _ = make_results(seed=7)
    out = HumanRandomFlip(prob=0.)(copy_results(results))
    assert out['flip'] is False and 'img_flip_pending' not in out
    np.testing.assert_array_equal(out['keypoints2d'], results['keypoints2d'])
    np.random.seed(0)
    flip = HumanRandomFlip(prob=0.5)
    rate = np.mean([flip(copy_results(results))['flip'] for _ in range(400)])
    assert 0.4 < rate < 0.6


def test_flip_convention_from_argument_and_errors():
    results, _ = make_results(seed=8)
    del results['keypoints_convention']
    with pytest.raises(KeyError, match='HumanRandomFlip needs a keypoint convention'):
        HumanRandomFlip(prob=1.)(copy_results(results))
    out = HumanRandomFlip(prob=1., convention=CONVENTION)(copy_results(results))
    flip = get_flip_indices(CONVENTION)
    np.testing.assert_allclose(out['keypoints3d'][:, 1], results['keypoints3d'][flip, 1])
    with pytest.raises(KeyError):
        HumanRandomFlip(convention='no_such_convention')
    cropped = HumanTopdownAffine((64, 64))(HumanGetBBoxCenterScale()(copy_results(results)))
    with pytest.raises(RuntimeError, match='HumanRandomFlip must come before HumanTopdownAffine'):
        HumanRandomFlip(prob=1., convention=CONVENTION)(cropped)
