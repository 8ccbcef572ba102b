"""DetCon's mask transforms: image and label map stay aligned; precomputed / on-the-fly masks."""
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

from mmengine.registry import DefaultScope
from mmpretrain.registry import TRANSFORMS

import mmhpse.selfsup.transforms.masks as masks

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def _labelled_image(h=60, w=80, seed=0):
    """A label map of 12 rectangles and an image whose blue channel is 20 * label."""
    rng = np.random.default_rng(seed)
    labels = np.zeros((h, w), np.int32)
    for k in range(1, 12):
        y, x = rng.integers(0, h - 10), rng.integers(0, w - 10)
        labels[y:y + rng.integers(5, 30), x:x + rng.integers(5, 40)] = k
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = 20 * labels
    img[..., 1] = rng.integers(0, 255)
    return img, labels


W, H = 80, 60


@pytest.fixture(autouse=True)
def mmpretrain_scope():
    """The transforms live in mmpretrain's registry, used from mmpretrain-scope configs."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


def _ramp():
    """Blue = 3 x, green = 3 y (linear: reproduced exactly by bilinear / bicubic resampling),
    label = x + W y (each pixel its own mask)."""
    y, x = np.mgrid[:H, :W]
    img = np.stack([3 * x, 3 * y, np.full_like(x, 50)], -1).astype(np.uint8)
    return img, (x + W * y).astype(np.int32)


def _assert_aligned(img, seg, border=2):
    """The source pixel of the label is the one the image was resampled around (< 0.7 px)."""
    sl = (slice(border, -border), slice(border, -border))
    u, v = img[..., 0][sl] / 3.0, img[..., 1][sl] / 3.0
    mx, my = seg[sl] % W, seg[sl] // W
    assert np.abs(u - mx).max() < 0.7 and np.abs(v - my).max() < 0.7


@pytest.mark.parametrize('seed', range(4))
@pytest.mark.parametrize('backend,interp', [('cv2', 'bilinear'), ('pillow', 'bicubic')])
def test_masked_crop_keeps_image_and_mask_aligned(seed, backend, interp):
    img, labels = _ramp()
    t = TRANSFORMS.build(dict(type='MaskedRandomResizedCrop', scale=(48, 64), backend=backend,
                              interpolation=interp, crop_ratio_range=(0.1, 1.0)))
    np.random.seed(seed)
    out = t(dict(img=img, gt_seg_map=labels))
    assert out['img'].shape == (48, 64, 3) and out['gt_seg_map'].shape == (48, 64)
    _assert_aligned(out['img'], out['gt_seg_map'])
    x0, y0, x1, y1 = out['crop_box'].astype(int)
    assert set(np.unique(out['gt_seg_map'])) <= set(np.unique(labels[y0:y1, x0:x1]))


def test_multiview_with_masks_and_flip():
    img, labels = _ramp()
    view = [dict(type='MaskedRandomResizedCrop', scale=32, crop_ratio_range=(0.2, 1.0)),
            dict(type='RandomFlip', prob=1.0)]
    t = TRANSFORMS.build(dict(type='MultiViewWithMasks', num_views=[1, 1],
                              transforms=[view, view]))
    out = t(dict(img=img, gt_seg_map=labels, img_path='x.png'))
    assert len(out['img']) == 2 and out['view_masks'].shape == (2, 32, 32)
    for v in range(2):  # mmcv's RandomFlip flips the mask with the image
        _assert_aligned(out['img'][v], out['view_masks'][v])
        assert out['view_masks'][v][5, 5] % W > out['view_masks'][v][5, 25] % W  # flipped
    assert 'gt_seg_map' not in out


def test_load_precomputed_and_fallback(tmp_path):
    img, labels = _labelled_image()
    img_root, mask_root = tmp_path / 'imgs', tmp_path / 'masks'
    (img_root / 'sub').mkdir(parents=True)
    cv2.imwrite(str(img_root / 'sub' / 'a.png'), img)
    masks.save_mask(masks.mask_path_for(str(img_root / 'sub' / 'a.png'), str(mask_root),
                                        str(img_root)), labels)
    assert (mask_root / 'sub' / 'a.png').exists()
    t = masks.LoadFelzenszwalbMask(mask_root=str(mask_root), img_root=str(img_root))
    out = t(dict(img=img, img_path=str(img_root / 'sub' / 'a.png')))
    np.testing.assert_array_equal(out['gt_seg_map'], labels)
    assert t.num_computed == 0
    out = t(dict(img=img, img_path=str(img_root / 'sub' / 'missing.png')))
    assert t.num_computed == 1 and out['gt_seg_map'].shape == labels.shape
    strict = masks.LoadFelzenszwalbMask(mask_root=str(mask_root), require_precomputed=True)
    with pytest.raises(FileNotFoundError, match='no precomputed mask'):
        strict(dict(img=img, img_path=str(img_root / 'sub' / 'missing.png'), sample_idx=3))
    bad = masks.LoadFelzenszwalbMask(mask_root=str(mask_root), img_root=str(img_root))
    with pytest.raises(ValueError, match=r'has shape \(60, 80\), image \(30, 40\)'):
        bad(dict(img=img[:30, :40], img_path=str(img_root / 'sub' / 'a.png'), sample_idx=0))


def test_id_modulo_merges_ids_as_deepminds_uint8_masks(tmp_path):
    """FIDELITY 2b: DeepMind stores mask ids as uint8, so ids 3 and 259 are one mask there."""
    img, _ = _labelled_image()
    labels = np.zeros(img.shape[:2], np.int32)
    labels[:, 20:40], labels[:, 40:60], labels[:, 60:] = 3, 259, 300
    path = str(tmp_path / 'a.png')
    masks.save_mask(masks.mask_path_for(path, str(tmp_path / 'm')), labels)
    ours = masks.LoadFelzenszwalbMask(mask_root=str(tmp_path / 'm'))(dict(img=img, img_path=path))
    np.testing.assert_array_equal(ours['gt_seg_map'], labels)
    theirs = masks.LoadFelzenszwalbMask(mask_root=str(tmp_path / 'm'), id_modulo=256)(
        dict(img=img, img_path=path))
    np.testing.assert_array_equal(theirs['gt_seg_map'], labels.astype(np.uint8))


def test_felzenszwalb_separates_flat_regions():
    img = np.zeros((40, 60, 3), np.uint8)
    img[:, 30:] = (200, 30, 90)
    labels = masks.felzenszwalb_mask(img, scale=100, sigma=0.5, min_size=20)
    assert len(np.unique(labels[:, :28])) == 1 and len(np.unique(labels[:, 32:])) == 1
    assert labels[0, 0] != labels[0, 59]


def test_precompute_tool(tmp_path):
    sys.path.insert(0, osp.join(REPO, 'tools', 'misc'))
    import precompute_felzenszwalb
    (tmp_path / 'imgs' / 'd').mkdir(parents=True)
    for i in range(3):
        cv2.imwrite(str(tmp_path / 'imgs' / 'd' / f'{i}.jpg'), _labelled_image(seed=i)[0])
    (tmp_path / 'imgs' / 'd' / 'broken.jpg').write_bytes(b'not an image')
    res = precompute_felzenszwalb.main([str(tmp_path / 'imgs'), str(tmp_path / 'masks'),
                                        '--min-size', '20'])
    assert res == dict(written=3, failed=1)
    m = cv2.imread(str(tmp_path / 'masks' / 'd' / '1.png'), cv2.IMREAD_UNCHANGED)
    assert m.dtype == np.uint16 and m.shape == (60, 80)
    res = precompute_felzenszwalb.main([str(tmp_path / 'imgs'), str(tmp_path / 'masks')])
    assert res['written'] == 0  # existing masks are kept
