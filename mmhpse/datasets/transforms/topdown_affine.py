"""The crop: one affine warp of the image (centre, scale, rotation and a pending flip)."""
from typing import Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.structures.bbox import get_udp_warp_matrix, get_warp_matrix

from mmhpse.registry import TRANSFORMS

from .photometric import apply_color_scale


def fix_aspect_ratio(scale: np.ndarray, aspect_ratio: float) -> np.ndarray:
    """Widen ``scale = (w, h)`` to ``w / h == aspect_ratio`` without shrinking either side.

    Args:
        scale (ndarray): ``(2,)`` box width and height.
        aspect_ratio (float): Target width / height.

    Returns:
        ndarray: ``(2,)`` float32.
    """
    w, h = float(scale[0]), float(scale[1])
    if w > h * aspect_ratio:
        return np.array([w, w / aspect_ratio], dtype=np.float32)
    return np.array([h * aspect_ratio, h], dtype=np.float32)


def _compose_flip(mat: np.ndarray, width: int) -> np.ndarray:
    """``mat @ F`` for the horizontal flip ``F: x -> width - 1 - x`` (2x3 affine matrices)."""
    out = mat.copy()
    out[:, 2] += out[:, 0] * (width - 1)
    out[:, 0] = -out[:, 0]
    return out


@TRANSFORMS.register_module()
class HumanTopdownAffine(BaseTransform):
    """Crop the person to ``input_size`` with a single ``cv2.warpAffine``.

    The 2x3 matrix combines ``center``, ``scale`` (widened to the crop's aspect ratio),
    ``rotation`` (mmpose's ``get_warp_matrix``) and, when :class:`HumanRandomFlip` left one pending,
    the horizontal flip of the source image. ``keypoints2d`` are mapped with the same matrix
    (confidence kept; joints that leave the crop keep their coordinates). A colour scaling left
    pending by :class:`ColorJitterScale` is applied to the crop.

    Required keys: ``img``, ``center``, ``scale``; optional ``rotation``, ``keypoints2d``,
    ``img_flip_pending``, ``flip``, ``color_scale_pending`` + ``color_scale``. Modified keys:
    ``img``, ``img_shape``, ``scale``, ``keypoints2d``. Added keys: ``rotation``,
    ``input_size``, ``flip`` (False unless set), ``warp_mat (2, 3)`` mapping the pixels of the
    image as loaded (unflipped) to the crop.

    Args:
        input_size (tuple[int, int]): Crop ``(W, H)``, e.g. ``(192, 256)`` or ``(224, 224)``.
        use_udp (bool): Use mmpose's unbiased data processing matrix. Defaults to False.
    """

    def __init__(self, input_size: Sequence[int], use_udp: bool = False) -> None:
        if len(input_size) != 2 or min(input_size) <= 0:
            raise ValueError(f'input_size must be (W, H) with positive sizes, got {input_size}')
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.use_udp = use_udp

    def transform(self, results: dict) -> dict:
        w, h = self.input_size
        img = results['img']
        center = np.asarray(results['center'], dtype=np.float32)
        scale = fix_aspect_ratio(results['scale'], w / h)
        rotation = float(results.get('rotation', 0.))
        if self.use_udp:
            mat = get_udp_warp_matrix(center, scale, rotation, output_size=(w, h))
        else:
            mat = get_warp_matrix(center, scale, rotation, output_size=(w, h))

        # Annotations are in the (possibly flipped) frame that ``mat`` maps; the pixels of
        # ``img`` are flipped once more when a flip is pending; the stored matrix maps the image
        # as loaded, i.e. it includes the flip whenever ``results['flip']`` is set.
        img_w = img.shape[1]
        pixel_mat = _compose_flip(mat, img_w) if results.pop('img_flip_pending', False) else mat
        src_mat = _compose_flip(mat, img_w) if results.get('flip', False) else mat
        crop = cv2.warpAffine(img, pixel_mat, (w, h), flags=cv2.INTER_LINEAR)
        if results.pop('color_scale_pending', False):
            crop = apply_color_scale(crop, results['color_scale'])
        results['img'] = crop

        if 'keypoints2d' in results:
            kps = np.array(results['keypoints2d'], dtype=np.float32)
            kps[:, :2] = kps[:, :2] @ mat[:, :2].T + mat[:, 2]
            results['keypoints2d'] = kps

        results['img_shape'] = (h, w)
        results['input_size'] = (w, h)
        results['center'] = center
        results['scale'] = scale
        results['rotation'] = rotation
        results['warp_mat'] = src_mat
        results.setdefault('flip', False)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(input_size={self.input_size}, '
                f'use_udp={self.use_udp})')
