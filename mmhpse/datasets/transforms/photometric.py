"""Pixel-value augmentations: per-channel colour scaling and synthetic occlusion."""
import math
from typing import Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmhpse.registry import TRANSFORMS


_LEVELS = np.arange(256, dtype=np.float32)[:, None]  # (256, 1)


def apply_color_scale(img: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``clip(img * scale, 0, 255)`` per channel.

    Args:
        img (ndarray): ``(H, W, C)`` or ``(H, W)``, uint8 (one ``cv2.LUT``, values rounded to the
            nearest integer) or float (scaled in float).
        scale (ndarray): ``(C,)`` factors.

    Returns:
        ndarray: A new image of the same shape and dtype.
    """
    if img.dtype == np.uint8:
        table = np.clip(np.rint(_LEVELS * scale), 0, 255).astype(np.uint8)
        return cv2.LUT(img, table.reshape(256, 1, len(scale)))
    return np.clip(img * scale, 0, 255).astype(img.dtype, copy=False)


@TRANSFORMS.register_module()
class ColorJitterScale(BaseTransform):
    """Multiply each colour channel by its own factor drawn from ``U[1 - factor, 1 + factor]``.

    The result is clipped to ``[0, 255]`` (SPIN / PARE colour noise), see
    :func:`apply_color_scale`. The factors are stored in ``results['color_scale'] (C,)``.

    Before the crop (no ``warp_mat`` in the results yet) the scaling is deferred: it is recorded
    in ``color_scale_pending`` and :class:`HumanTopdownAffine` applies it to the crop, which has far
    fewer pixels than the source image (the per-channel scaling commutes with the bilinear warp
    up to rounding and saturation). After the crop it is applied at once.
    ``PackHumanInputs`` refuses a sample whose scaling is still pending.

    Args:
        factor (float): Half-width of the factor range, in ``[0, 1]``. Defaults to 0.2.
    """

    def __init__(self, factor: float = 0.2) -> None:
        if not 0. <= factor <= 1.:
            raise ValueError(f'factor must be in [0, 1], got {factor}')
        self.factor = factor

    @cache_randomness
    def _get_scale(self, channels: int) -> np.ndarray:
        return np.random.uniform(1. - self.factor, 1. + self.factor, channels).astype(np.float32)

    def transform(self, results: dict) -> dict:
        img = results['img']
        scale = self._get_scale(img.shape[2] if img.ndim == 3 else 1)
        if 'warp_mat' in results:
            results['img'] = apply_color_scale(img, scale)
            results['color_scale'] = scale
        elif results.get('color_scale_pending', False):
            results['color_scale'] = results['color_scale'] * scale
        else:
            results['color_scale'] = scale
            results['color_scale_pending'] = True
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(factor={self.factor})'


@TRANSFORMS.register_module()
class RandomOcclusion(BaseTransform):
    """Paint a random rectangle of noise or of one flat colour over the image (off by default).

    The rectangle's area is a fraction ``U[area_range]`` of the image and its aspect ratio
    (height / width) is log-uniform in ``aspect_range``; it lies wholly inside the image.
    Annotations are left unchanged. The image is written in place (it belongs to the pipeline:
    ``LoadHumanImage`` or ``HumanTopdownAffine`` made it). Applied boxes are stored as
    ``results['occlusion_box'] = (x, y, w, h)``.

    Args:
        prob (float): Probability of an occlusion. Defaults to 0 (off).
        area_range (tuple[float, float]): Fraction of the image area. Defaults to (0.02, 0.2).
        aspect_range (tuple[float, float]): Height / width range. Defaults to (0.3, 3.3).
        mode (str): ``'noise'`` (uniform random pixels), ``'flat'`` (one random colour) or
            ``'random'`` (either, 50/50). Defaults to ``'noise'``.
    """

    MODES = ('noise', 'flat', 'random')

    def __init__(self,
                 prob: float = 0.,
                 area_range: Tuple[float, float] = (0.02, 0.2),
                 aspect_range: Tuple[float, float] = (0.3, 3.3),
                 mode: str = 'noise') -> None:
        if not 0. <= prob <= 1.:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        if not 0. < area_range[0] <= area_range[1] <= 1.:
            raise ValueError(f'area_range must satisfy 0 < min <= max <= 1, got {area_range}')
        if not 0. < aspect_range[0] <= aspect_range[1]:
            raise ValueError(f'aspect_range must satisfy 0 < min <= max, got {aspect_range}')
        if mode not in self.MODES:
            raise ValueError(f'mode must be one of {self.MODES}, got "{mode}"')
        self.prob = prob
        self.area_range = tuple(area_range)
        self.aspect_range = tuple(aspect_range)
        self.mode = mode

    @cache_randomness
    def _get_box(self, height: int, width: int) -> Tuple[int, int, int, int]:
        area = np.random.uniform(*self.area_range) * height * width
        aspect = math.exp(np.random.uniform(*np.log(self.aspect_range)))
        box_h = min(max(int(round(math.sqrt(area * aspect))), 1), height)
        box_w = min(max(int(round(math.sqrt(area / aspect))), 1), width)
        y = np.random.randint(0, height - box_h + 1)
        x = np.random.randint(0, width - box_w + 1)
        return int(x), int(y), box_w, box_h

    def transform(self, results: dict) -> dict:
        if self.prob == 0. or np.random.rand() >= self.prob:
            return results
        img = results['img']
        x, y, w, h = self._get_box(*img.shape[:2])
        mode = self.mode
        if mode == 'random':
            mode = 'noise' if np.random.rand() < 0.5 else 'flat'
        shape = (h, w) + img.shape[2:] if mode == 'noise' else img.shape[2:]
        fill = np.random.randint(0, 256, size=shape)
        img[y:y + h, x:x + w] = fill.astype(img.dtype)
        results['occlusion_box'] = (x, y, w, h)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, area_range={self.area_range}, '
                f'aspect_range={self.aspect_range}, mode={self.mode})')
