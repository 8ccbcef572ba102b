"""Felzenszwalb masks for DetCon and the two-view pipeline that moves image and mask together.

All transforms here are registered in mmpretrain's ``TRANSFORMS`` (DetCon configs are in the
mmpretrain scope). The label map travels under ``gt_seg_map`` (``(H, W)`` int32, ids ``>= 0``),
the key mmcv's ``RandomFlip`` already flips with the image; colour transforms leave it alone.
A typical view pipeline::

    [dict(type='MaskedRandomResizedCrop', scale=224), dict(type='RandomFlip', prob=0.5),
     dict(type='ColorJitter', ...), ...]

wrapped in ``MultiViewWithMasks``, which stores ``view_masks (num_views, H, W)`` for
``PackInputs(algorithm_keys=['view_masks'])``.
"""
import copy
import os
import os.path as osp
from typing import Optional

import cv2
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.datasets.transforms import MultiView, RandomResizedCrop
from mmpretrain.registry import TRANSFORMS

# DetCon's choice of Felzenszwalb-Huttenlocher parameters (scale and minimum component size 1000).
FH_DEFAULTS = dict(scale=1000.0, sigma=0.8, min_size=1000)


def felzenszwalb_mask(img_bgr: np.ndarray, scale: float = 1000.0, sigma: float = 0.8,
                      min_size: int = 1000) -> np.ndarray:
    """Felzenszwalb-Huttenlocher segmentation (scikit-image) of a BGR uint8 image.

    Returns:
        ndarray: ``(H, W)`` int32 label map with ids ``0 .. K-1``.
    """
    from skimage.segmentation import felzenszwalb
    rgb = np.ascontiguousarray(img_bgr[..., ::-1]) if img_bgr.ndim == 3 else img_bgr
    labels = felzenszwalb(rgb, scale=scale, sigma=sigma, min_size=min_size)
    return labels.astype(np.int32)


def mask_path_for(img_path: str, mask_root: str, img_root: Optional[str] = None,
                  suffix: str = '.png') -> str:
    """Where the precomputed mask of ``img_path`` lives (same relative path, ``suffix``)."""
    rel = osp.relpath(img_path, img_root) if img_root else osp.basename(img_path)
    return osp.join(mask_root, osp.splitext(rel)[0] + suffix)


def save_mask(path: str, labels: np.ndarray) -> None:
    """Write a label map as a 16-bit PNG (ids must be < 65536)."""
    if labels.max(initial=0) >= 2**16 or labels.min(initial=0) < 0:
        raise ValueError(f'{path}: mask ids must be in [0, 65535], got '
                         f'[{labels.min()}, {labels.max()}]')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    if not cv2.imwrite(path, labels.astype(np.uint16)):
        raise IOError(f'could not write {path}')


@TRANSFORMS.register_module()
class LoadFelzenszwalbMask(BaseTransform):
    """Put the Felzenszwalb label map of ``img`` in ``gt_seg_map``.

    Reads the PNG precomputed by ``tools/misc/precompute_felzenszwalb.py`` when ``mask_root`` is
    set and the file exists; computes it on the fly otherwise (slow: ~0.1-1 s per image).

    Args:
        mask_root (str, optional): Folder of precomputed masks. Defaults to None.
        img_root (str, optional): Image folder that ``img_path`` is made relative to, to find the
            mask (the layout of the precompute tool). Defaults to None (file name only).
        suffix (str): Mask file suffix. Defaults to ``'.png'``.
        require_precomputed (bool): Raise instead of computing when the file is missing.
        scale, sigma, min_size: Felzenszwalb parameters of the on-the-fly fallback.
        id_modulo (int, optional): Reduce the ids modulo this number. DeepMind stores its masks
            as uint8 (``generate_fh_masks_for_imagenet.py``), i.e. ``id_modulo=256``: segments
            whose ids differ by 256 merge. Defaults to None (ids kept, 16-bit PNGs).
    """

    def __init__(self, mask_root: Optional[str] = None, img_root: Optional[str] = None,
                 suffix: str = '.png', require_precomputed: bool = False,
                 scale: float = FH_DEFAULTS['scale'], sigma: float = FH_DEFAULTS['sigma'],
                 min_size: int = FH_DEFAULTS['min_size'],
                 id_modulo: Optional[int] = None) -> None:
        self.mask_root = mask_root
        self.img_root = img_root
        self.suffix = suffix
        self.require_precomputed = require_precomputed
        self.fh = dict(scale=scale, sigma=sigma, min_size=min_size)
        self.id_modulo = id_modulo
        self.num_computed = 0

    def transform(self, results: dict) -> dict:
        img = results['img']
        labels = None
        if self.mask_root is not None:
            path = mask_path_for(results['img_path'], self.mask_root, self.img_root, self.suffix)
            if osp.isfile(path):
                labels = cv2.imread(path, cv2.IMREAD_UNCHANGED)
                if labels is None or labels.shape != img.shape[:2]:
                    raise ValueError(
                        f'mask {path} of {results["img_path"]} (sample '
                        f'{results.get("sample_idx")}) has shape '
                        f'{None if labels is None else labels.shape}, image {img.shape[:2]}')
                labels = labels.astype(np.int32)
            elif self.require_precomputed:
                raise FileNotFoundError(f'no precomputed mask {path} for {results["img_path"]} '
                                        f'(sample {results.get("sample_idx")})')
        if labels is None:
            labels = felzenszwalb_mask(img, **self.fh)
            self.num_computed += 1
        if self.id_modulo is not None:
            labels = labels % self.id_modulo
        results['gt_seg_map'] = labels
        return results


@TRANSFORMS.register_module()
class MaskedRandomResizedCrop(RandomResizedCrop):
    """mmpretrain's ``RandomResizedCrop`` applied with the same box to ``gt_seg_map``.

    The image is resized with ``interpolation``; the label map with nearest neighbour (the source
    pixel whose centre is nearest to each output pixel centre).
    """

    def transform(self, results: dict) -> dict:
        img = results['img']
        top, left, h, w = self.rand_crop_params(img)
        out_h, out_w = self.scale
        results['img'] = mmcv.imresize(img[top:top + h, left:left + w], (out_w, out_h),
                                       interpolation=self.interpolation, backend=self.backend)
        results['img_shape'] = results['img'].shape[:2]
        if results.get('gt_seg_map') is not None:
            seg = results['gt_seg_map']
            rows = top + np.minimum((np.arange(out_h) + 0.5) * h / out_h, h - 1).astype(int)
            cols = left + np.minimum((np.arange(out_w) + 0.5) * w / out_w, w - 1).astype(int)
            results['gt_seg_map'] = seg[rows[:, None], cols[None, :]]
        results['crop_box'] = np.array([left, top, left + w, top + h], dtype=np.float32)
        return results


@TRANSFORMS.register_module()
class MultiViewWithMasks(MultiView):
    """mmpretrain's ``MultiView`` that also keeps each view's label map.

    Adds ``view_masks``: ``(num_views, H, W)`` int32 (all views must share one size).
    """

    def transform(self, results: dict) -> dict:
        imgs, masks = [], []
        for trans in self.transforms:
            out = trans(copy.deepcopy(results))
            imgs.append(out['img'])
            masks.append(out['gt_seg_map'])
            if masks[-1].shape != out['img'].shape[:2]:
                raise ValueError(f'{results.get("img_path")}: a view pipeline left mask '
                                 f'{masks[-1].shape} and image {out["img"].shape[:2]} unaligned')
        results['img'] = imgs
        results['view_masks'] = np.stack(masks).astype(np.int32)
        results.pop('gt_seg_map', None)
        return results
