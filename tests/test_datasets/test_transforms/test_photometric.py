import numpy as np
import pytest
from human_transform_utils import copy_results, make_results

from mmhpse.datasets.transforms import (ColorJitterScale, HumanGetBBoxCenterScale, PackHumanInputs,
                                        RandomOcclusion, HumanTopdownAffine, apply_color_scale)

CROPPED = np.eye(2, 3)  # a 'warp_mat' entry: the image is already the crop, scale it at once


def _image(seed=0, shape=(40, 30, 3), dtype=np.uint8):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, shape).astype(dtype)


def test_color_scale_matches_per_channel_reference():
    np.random.seed(1)
    jitter = ColorJitterScale(factor=0.2)
    for seed in range(20):
        img = _image(seed)
        out = jitter(dict(img=img.copy(), warp_mat=CROPPED))
        scale = out['color_scale']
        assert out['img'].dtype == np.uint8 and out['img'].shape == img.shape
        for c in range(3):  # brute-force reference, channel by channel, pixel by pixel
            ref = np.empty(img.shape[:2], np.uint8)
            for (i, j), v in np.ndenumerate(img[..., c]):
                ref[i, j] = min(255, max(0, int(np.rint(np.float32(v) * scale[c]))))
            np.testing.assert_array_equal(out['img'][..., c], ref)


def test_color_factor_bounds():
    np.random.seed(2)
    jitter = ColorJitterScale(factor=0.2)
    tiny = dict(img=np.zeros((2, 2, 3), np.uint8), warp_mat=CROPPED)
    scales = np.stack([jitter(dict(tiny))['color_scale'] for _ in range(2000)])
    assert scales.shape == (2000, 3)
    assert scales.min() >= 0.8 - 1e-6 and scales.max() <= 1.2 + 1e-6
    assert scales.min() < 0.81 and scales.max() > 1.19  # the whole range is used
    assert abs(np.corrcoef(scales[:, 0], scales[:, 1])[0, 1]) < 0.1  # independent channels
    # saturation: a white image never goes above 255, a scaled-down one goes below
    out = jitter(dict(img=np.full((4, 4, 3), 255, np.uint8), warp_mat=CROPPED))
    expected = np.minimum(255, np.rint(255 * out['color_scale']))
    np.testing.assert_array_equal(out['img'][0, 0], expected)


def test_color_scale_float_image_and_identity():
    img = _image(3, dtype=np.float32)
    out = ColorJitterScale(factor=0.2)(dict(img=img.copy(), warp_mat=CROPPED))
    np.testing.assert_allclose(out['img'], np.clip(img * out['color_scale'], 0, 255), rtol=1e-6)
    same = ColorJitterScale(factor=0.)(dict(img=_image(4), warp_mat=CROPPED))
    np.testing.assert_array_equal(same['img'], _image(4))
    with pytest.raises(ValueError, match='factor must be in'):
        ColorJitterScale(factor=1.5)


def test_scaling_before_the_crop_is_applied_to_the_crop():
    # values <= 176 do not saturate under two factors <= 1.2 (then scaling commutes with warping)
    image = np.random.default_rng(0).integers(0, 177, (240, 320, 3), dtype=np.uint8)
    results, _ = make_results(seed=3, image=image)
    results = HumanGetBBoxCenterScale()(results)
    results['rotation'] = 20.
    plain = HumanTopdownAffine((96, 128))(copy_results(results))['img']
    np.random.seed(5)
    jitter = ColorJitterScale(factor=0.2)
    pending = jitter(jitter(copy_results(results)))  # two draws compose
    assert pending['color_scale_pending']
    np.testing.assert_array_equal(pending['img'], results['img'])  # pixels untouched so far
    np.random.seed(5)
    first, second = jitter._get_scale(3), jitter._get_scale(3)
    np.testing.assert_allclose(pending['color_scale'], first * second, rtol=1e-6)
    with pytest.raises(RuntimeError, match='colour scaling of ColorJitterScale is still pending'):
        PackHumanInputs()(copy_results(pending))
    out = HumanTopdownAffine((96, 128))(pending)
    assert 'color_scale_pending' not in out
    np.testing.assert_array_equal(out['img'], apply_color_scale(plain, first * second))
    # the same, up to rounding, as scaling the whole source image before warping it
    eager = HumanTopdownAffine((96, 128))(
        dict(copy_results(results), img=apply_color_scale(results['img'], first * second)))
    assert np.abs(eager['img'].astype(int) - out['img'].astype(int)).max() <= 2


def test_occlusion_off_by_default():
    img = _image(5)
    out = RandomOcclusion()(dict(img=img.copy()))
    np.testing.assert_array_equal(out['img'], img)
    assert 'occlusion_box' not in out


@pytest.mark.parametrize('mode', ['noise', 'flat'])
def test_occlusion_paints_one_rectangle_inside(mode):
    np.random.seed(6)
    occlude = RandomOcclusion(prob=1., area_range=(0.05, 0.3), mode=mode)
    for seed in range(30):
        img = _image(seed, shape=(64, 48, 3))
        out = occlude(dict(img=img.copy()))
        x, y, w, h = out['occlusion_box']
        assert 0 <= x and x + w <= 48 and 0 <= y and y + h <= 64
        assert 0.04 * 64 * 48 <= w * h <= 0.32 * 64 * 48  # area range, up to rounding
        outside = np.ones((64, 48), bool)
        outside[y:y + h, x:x + w] = False
        np.testing.assert_array_equal(out['img'][outside], img[outside])
        patch = out['img'][y:y + h, x:x + w].reshape(-1, 3)
        if mode == 'flat':
            assert (patch == patch[0]).all()
        else:
            assert len(np.unique(patch, axis=0)) > 1


def test_occlusion_arguments():
    with pytest.raises(ValueError, match='mode must be one of'):
        RandomOcclusion(mode='blur')
    with pytest.raises(ValueError, match='area_range'):
        RandomOcclusion(area_range=(0.5, 0.1))
