import math

import numpy as np
import pytest
from human_transform_utils import make_results

from mmhpse.conventions.keypoints import get_flip_indices
from mmhpse.datasets.transforms import (HumanGetBBoxCenterScale, HumanRandomFlip,
                                        HumanTopdownAffine, fix_aspect_ratio)

CROP = (192, 256)


def _blob_image(height, width, point, sigma=2.0):
    """A float32 image, zero but for a Gaussian blob centred at ``point`` (x, y)."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    blob = np.exp(-((xs - point[0])**2 + (ys - point[1])**2) / (2 * sigma**2)) * 255
    return np.repeat(blob[..., None], 3, axis=2).astype(np.float32)


def _centroid(img):
    weight = img[..., 0].astype(np.float64)
    ys, xs = np.mgrid[0:img.shape[0], 0:img.shape[1]]
    return np.array([(weight * xs).sum(), (weight * ys).sum()]) / weight.sum()


def _reference_crop_coords(points, center, scale, rotation, out_size):
    """Crop pixels of original pixels, from the geometry: turn by -rotation about the box
    centre, scale the (aspect-fixed) box width to the crop width, centre at out_size / 2."""
    w_out, h_out = out_size
    box_w = max(scale[0], scale[1] * w_out / h_out)
    rad = math.radians(-rotation)
    rot = np.array([[math.cos(rad), -math.sin(rad)], [math.sin(rad), math.cos(rad)]])
    return (points - center) @ rot.T * (w_out / box_w) + [w_out / 2, h_out / 2]


@pytest.mark.parametrize('rotation', [0., 25., -50.])
@pytest.mark.parametrize('flip', [False, True])
def test_keypoints_land_on_the_warped_dot(rotation, flip):
    flip_idx = get_flip_indices('smpl_49')
    for joint in (0, 5, 31, 40):
        results, _ = make_results(seed=joint, width=360, height=300)
        dot = results['keypoints2d'][joint, :2]
        results['img'] = _blob_image(300, 360, dot)
        results = HumanGetBBoxCenterScale()(results)
        results['rotation'] = rotation
        if flip:
            results = HumanRandomFlip(prob=1.)(results)
        out = HumanTopdownAffine(CROP)(results)
        assert out['img'].shape == (CROP[1], CROP[0], 3)
        where = flip_idx[joint] if flip else joint
        found = _centroid(out['img'])
        np.testing.assert_allclose(found, out['keypoints2d'][where, :2], atol=0.05)
        # warp_mat maps the image as loaded (before any flip) to the crop.
        mapped = out['warp_mat'] @ np.append(dot, 1.)
        np.testing.assert_allclose(mapped, found, atol=0.05)


def test_keypoints_match_the_geometric_reference_inside_and_outside():
    results, _ = make_results(seed=11)
    results = HumanGetBBoxCenterScale()(results)
    results['rotation'] = 33.
    far = np.array([[-500., 900., 0.7], [2000., -40., 0.]], np.float32)
    results['keypoints2d'] = np.concatenate([results['keypoints2d'], far])
    before = results['keypoints2d'].copy()
    center, scale = results['center'].copy(), results['scale'].copy()
    out = HumanTopdownAffine(CROP)(results)
    ref = _reference_crop_coords(before[:, :2].astype(np.float64), center, scale, 33., CROP)
    np.testing.assert_allclose(out['keypoints2d'][:, :2], ref, atol=2e-3)
    np.testing.assert_array_equal(out['keypoints2d'][:, 2], before[:, 2])  # conf kept
    assert (out['keypoints2d'][-2:, :2].max(1) > 256).all()  # outside, values kept
    assert out['keypoints2d'].dtype == np.float32


def test_outputs_and_meta():
    results, _ = make_results(seed=12)
    results = HumanGetBBoxCenterScale(padding=1.25)(results)
    bbox = results['bbox_xywh']
    kps_in, kps_saved = results['keypoints2d'], results['keypoints2d'].copy()
    out = HumanTopdownAffine(CROP)(results)
    assert out['img_shape'] == (256, 192) and out['input_size'] == (192, 256)
    assert out['img'].dtype == np.uint8
    assert out['rotation'] == 0.
    assert out['warp_mat'].shape == (2, 3)
    np.testing.assert_allclose(out['center'], bbox[:2] + bbox[2:] / 2, atol=1e-4)
    np.testing.assert_allclose(out['scale'][0] / out['scale'][1], 192 / 256, rtol=1e-6)
    assert (out['scale'] >= bbox[2:] * 1.25 - 1e-3).all()
    # The crop does not modify the input arrays in place.
    assert out['keypoints2d'] is not kps_in
    np.testing.assert_array_equal(kps_in, kps_saved)


def test_fix_aspect_ratio_brute_force():
    for w, h in [(100., 100.), (300., 100.), (50., 400.), (75., 100.)]:
        out = fix_aspect_ratio(np.array([w, h]), 0.75)
        assert out[0] / out[1] == pytest.approx(0.75)
        assert out[0] >= w - 1e-4 and out[1] >= h - 1e-4
        assert out[0] == pytest.approx(w) or out[1] == pytest.approx(h)


def test_bad_input_size():
    with pytest.raises(ValueError, match=r'input_size must be \(W, H\)'):
        HumanTopdownAffine((192, ))
