"""Geometric augmentations of a person box and its annotations, before the crop.

Coordinate conventions (shared with :class:`HumanTopdownAffine`):

* 2D: image pixels, x right, y down, pixel centres at integers; a horizontal flip maps
  ``x -> W - 1 - x`` (as ``cv2.flip`` and mmpose's ``flip_keypoints``).
* 3D: camera frame, x right, y down, z forward (OpenCV); a flip maps ``x -> -x``.
* ``rotation`` is in degrees with mmpose's sign (``get_warp_matrix``): the crop box is turned by
  ``+rotation`` in image coordinates, so the image *content* turns by ``-rotation`` about the
  crop centre. The matching 3D rotation is ``Rz(-rotation)`` about the camera z axis; it is
  applied to ``keypoints3d`` and the SMPL global orientation.
"""
import math
from functools import lru_cache
from typing import List, Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmpose.structures.bbox import bbox_xywh2cs

from mmhpse.registry import TRANSFORMS
from mmhpse.utils.geometry import flip_smpl_pose


@lru_cache(maxsize=None)
def _flip_indices(convention: str) -> np.ndarray:
    """Cached left/right permutation of a keypoint convention (an int array)."""
    from mmhpse.conventions.keypoints import get_flip_indices
    return np.asarray(get_flip_indices(convention), dtype=np.int64)


def _check_before_crop(results: dict, name: str) -> None:
    if 'warp_mat' in results:
        raise RuntimeError(f'{name} must come before HumanTopdownAffine in the pipeline '
                           f'(sample_idx={results.get("sample_idx")}, '
                           f'img_path={results.get("img_path")})')


def rotation_matrix_z(degrees: float) -> np.ndarray:
    """The 3D rotation that matches a crop turned by ``degrees`` (content turns by ``-degrees``).

    Args:
        degrees (float): ``rotation`` as stored by :class:`HumanRandomBBoxTransform`.

    Returns:
        ndarray: ``(3, 3)`` rotation ``Rz(-degrees)`` about the camera z axis (x right, y down).
    """
    rad = math.radians(degrees)
    c, s = math.cos(rad), math.sin(rad)
    return np.array([[c, s, 0.], [-s, c, 0.], [0., 0., 1.]])


@TRANSFORMS.register_module()
class HumanGetBBoxCenterScale(BaseTransform):
    """``bbox_xywh (4,)`` -> ``center (2,)`` and ``scale (2,)`` (box width, height x padding).

    The scale is widened to the crop's aspect ratio later, by :class:`HumanTopdownAffine`.

    Args:
        padding (float): Factor on the box size. Defaults to 1.25.
    """

    def __init__(self, padding: float = 1.25) -> None:
        self.padding = padding

    def transform(self, results: dict) -> dict:
        results['center'], results['scale'] = bbox_xywh2cs(
            np.asarray(results['bbox_xywh'], dtype=np.float32), padding=self.padding)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(padding={self.padding})'


@TRANSFORMS.register_module()
class HumanRandomFlip(BaseTransform):
    """Random horizontal flip of the image and all annotations.

    Flipped: ``keypoints2d (K, 3)`` (x -> W-1-x, left/right swapped), ``keypoints3d (K, 4)``
    (x -> -x, swapped), ``smpl_global_orient (3,)`` + ``smpl_body_pose (23, 3)``
    (:func:`mmhpse.utils.geometry.flip_smpl_pose`), ``center`` and ``bbox_xywh``. Sets
    ``flip`` (toggled, so flipping twice gives back ``flip=False``).

    The image pixels are not copied here by default (``lazy_image=True``): the flip is recorded
    in ``img_flip_pending`` and folded into the single ``cv2.warpAffine`` of
    :class:`HumanTopdownAffine`. ``PackHumanInputs`` refuses a sample whose flip is still pending.

    Args:
        prob (float): Flip probability. Defaults to 0.5.
        convention (str, optional): Keypoint convention for the left/right permutation; when
            None, ``results['keypoints_convention']`` is used.
        lazy_image (bool): Defer the pixel flip to :class:`HumanTopdownAffine`. Defaults to True.
    """

    def __init__(self,
                 prob: float = 0.5,
                 convention: Optional[str] = None,
                 lazy_image: bool = True) -> None:
        if not 0. <= prob <= 1.:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob
        self.convention = convention
        self.lazy_image = lazy_image
        if convention is not None:
            _flip_indices(convention)  # fail at build time on an unknown name

    @cache_randomness
    def _do_flip(self) -> bool:
        return np.random.rand() < self.prob

    def _get_flip_indices(self, results: dict) -> np.ndarray:
        convention = self.convention or results.get('keypoints_convention')
        if convention is None:
            raise KeyError('HumanRandomFlip needs a keypoint convention: pass convention=... or '
                           'put "keypoints_convention" in the results (sample_idx='
                           f'{results.get("sample_idx")}, img_path={results.get("img_path")})')
        return _flip_indices(convention)

    def transform(self, results: dict) -> dict:
        _check_before_crop(results, 'HumanRandomFlip')
        if not self._do_flip():
            results.setdefault('flip', False)
            return results
        width = results['img'].shape[1]
        if self.lazy_image:
            results['img_flip_pending'] = not results.get('img_flip_pending', False)
        else:
            results['img'] = cv2.flip(results['img'], 1)
        results['flip'] = not results.get('flip', False)

        if 'keypoints2d' in results or 'keypoints3d' in results:
            idx = self._get_flip_indices(results)
            if 'keypoints2d' in results:
                kps = results['keypoints2d'][idx]  # fancy indexing copies
                kps[:, 0] = (width - 1) - kps[:, 0]
                results['keypoints2d'] = kps
            if 'keypoints3d' in results:
                kps = results['keypoints3d'][idx]
                kps[:, 0] = -kps[:, 0]
                results['keypoints3d'] = kps
        if 'smpl_global_orient' in results and 'smpl_body_pose' in results:
            pose = np.concatenate([
                np.reshape(results['smpl_global_orient'], (1, 3)),
                np.reshape(results['smpl_body_pose'], (23, 3))
            ])
            pose = flip_smpl_pose(pose)
            results['smpl_global_orient'] = pose[0]
            results['smpl_body_pose'] = pose[1:]
        if 'center' in results:
            center = np.array(results['center'], dtype=np.float32)
            center[0] = (width - 1) - center[0]
            results['center'] = center
        if 'bbox_xywh' in results:
            bbox = np.array(results['bbox_xywh'], dtype=np.float32)
            bbox[0] = (width - 1) - (bbox[0] + bbox[2])
            results['bbox_xywh'] = bbox
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, convention={self.convention}, '
                f'lazy_image={self.lazy_image})')


@TRANSFORMS.register_module()
class HumanRandomBBoxTransform(BaseTransform):
    """Random scale and rotation of the crop box (SPIN / PARE recipe).

    ``scale *= 1 + scale_factor * clip(N(0, 1), -1, 1)``; with probability ``rotate_prob``,
    ``rotation += rotate_factor * clip(N(0, 1), -2, 2)`` degrees, else 0. The rotation also
    turns ``keypoints3d`` and ``smpl_global_orient`` by :func:`rotation_matrix_z`, so that the
    3D annotations stay consistent with the rotated crop. (SPIN's code zeroes the rotation with
    probability 0.6, i.e. ``rotate_prob=0.4``; PAPER.md states 0.6.)

    Args:
        scale_factor (float): Defaults to 0.25.
        rotate_factor (float): Degrees. Defaults to 30.
        rotate_prob (float): Probability of a rotation. Defaults to 0.6.
    """

    def __init__(self,
                 scale_factor: float = 0.25,
                 rotate_factor: float = 30.,
                 rotate_prob: float = 0.6) -> None:
        if not 0. <= rotate_prob <= 1.:
            raise ValueError(f'rotate_prob must be in [0, 1], got {rotate_prob}')
        self.scale_factor = scale_factor
        self.rotate_factor = rotate_factor
        self.rotate_prob = rotate_prob

    @cache_randomness
    def _get_params(self) -> List[float]:
        normal = np.random.randn(2)
        scale = 1. + self.scale_factor * min(max(normal[0], -1.), 1.)
        if np.random.rand() < self.rotate_prob:
            rotation = self.rotate_factor * min(max(normal[1], -2.), 2.)
        else:
            rotation = 0.
        return [float(scale), float(rotation)]

    def transform(self, results: dict) -> dict:
        _check_before_crop(results, 'HumanRandomBBoxTransform')
        scale, rotation = self._get_params()
        results['scale'] = results['scale'] * np.float32(scale)
        results['rotation'] = results.get('rotation', 0.) + rotation
        if rotation != 0.:
            rot = rotation_matrix_z(rotation)
            if 'keypoints3d' in results:
                kps = results['keypoints3d'].copy()
                kps[:, :3] = kps[:, :3] @ rot.T.astype(kps.dtype)
                results['keypoints3d'] = kps
            if 'smpl_global_orient' in results:
                orient = np.asarray(results['smpl_global_orient'])
                mat = cv2.Rodrigues(orient.astype(np.float64).reshape(3, 1))[0]
                new = cv2.Rodrigues(rot @ mat)[0].reshape(3)
                results['smpl_global_orient'] = new.astype(orient.dtype)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale_factor={self.scale_factor}, '
                f'rotate_factor={self.rotate_factor}, rotate_prob={self.rotate_prob})')
