"""mmcv's adjust_hue works under numpy 2 for negative hue factors, with numpy 1's semantics."""
import cv2
import numpy as np
import pytest

import mmhpse  # noqa: F401  (installs the fix)


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
@pytest.mark.parametrize('factor', [-0.3, -0.056, 0.0, 0.2])
def test_adjust_hue_shifts_hue_modulo_256(backend, factor):
    import mmcv
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (8, 9, 3), dtype=np.uint8)
    out = mmcv.adjust_hue(img, factor, backend=backend)
    if backend == 'cv2':
        # reference: hue channel of OpenCV's full-range HSV shifted by trunc(255 f) mod 256
        hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL).astype(np.int64)
        hsv[..., 0] = (hsv[..., 0] + int(factor * 255)) % 256
        ref = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR_FULL)
        np.testing.assert_array_equal(out, ref)
    else:
        from PIL import Image
        h, s, v = Image.fromarray(img[..., ::-1], 'RGB').convert('HSV').split()
        hh = (np.array(h, np.int64) + int(factor * 255)) % 256
        ref = Image.merge('HSV', (Image.fromarray(hh.astype(np.uint8), 'L'), s, v)).convert('RGB')
        np.testing.assert_array_equal(out, np.array(ref)[..., ::-1])
    assert out.shape == img.shape and out.dtype == np.uint8


def test_mmpretrain_color_jitter_with_hue_runs():
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import TRANSFORMS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        t = TRANSFORMS.build(dict(type='ColorJitter', brightness=0.4, contrast=0.4,
                                  saturation=0.2, hue=0.1, backend='pillow'))
    img = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    for _ in range(20):  # about half of the draws have a negative hue factor
        assert t(dict(img=img.copy()))['img'].shape == img.shape
