"""Image loading with a bounded, logged skip of unreadable images."""
import logging
from collections import deque
from typing import Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmengine.logging import print_log

from mmhpse.registry import TRANSFORMS

#: Process-level record of unreadable images (each dataloader worker is its own process).
_BAD_IMAGES = {'count': 0, 'paths': deque(maxlen=5)}


def get_bad_image_count() -> int:
    """Number of images that :class:`LoadHumanImage` failed to read in this process."""
    return _BAD_IMAGES['count']


def reset_bad_image_count() -> None:
    """Forget the unreadable images counted so far in this process."""
    _BAD_IMAGES['count'] = 0
    _BAD_IMAGES['paths'].clear()


@TRANSFORMS.register_module()
class LoadHumanImage(BaseTransform):
    """Read ``results['img_path']`` into ``results['img']`` (uint8 ``(H, W, 3)``).

    A missing or undecodable image is a counted, logged skip: the transform logs a warning that
    names the path and ``sample_idx`` and returns ``None``, so that mmengine's ``BaseDataset``
    draws another index (training mode). The count is per process (per dataloader worker; with
    non-persistent workers it restarts each epoch). Once more than ``max_bad_images`` images
    have failed in the process, a ``RuntimeError`` stops the run. No placeholder image is ever
    produced.

    Required keys: ``img_path``. Added keys: ``img``, ``img_shape (H, W)``, ``ori_shape (H, W)``.

    Args:
        to_rgb (bool): Convert OpenCV's BGR to RGB here. Defaults to False (keep BGR and let the
            model's ``ImgDataPreprocessor(bgr_to_rgb=True)`` swap channels on the batch, as
            mmpose configs do).
        max_bad_images (int): Unreadable images tolerated per process. Defaults to 100.
        backend_args (dict, optional): mmengine file backend arguments (e.g. remote storage).
            Defaults to None: a plain ``cv2.imread`` of a local path.
    """

    def __init__(self,
                 to_rgb: bool = False,
                 max_bad_images: int = 100,
                 backend_args: Optional[dict] = None) -> None:
        if max_bad_images < 0:
            raise ValueError(f'max_bad_images must be >= 0, got {max_bad_images}')
        self.to_rgb = to_rgb
        self.max_bad_images = max_bad_images
        self.backend_args = backend_args

    def _read(self, path: str) -> Optional[np.ndarray]:
        """Decode the image at ``path`` (BGR) or return None when that fails."""
        try:
            if self.backend_args is None:
                return cv2.imread(path, cv2.IMREAD_COLOR)
            buf = np.frombuffer(fileio.get(path, backend_args=self.backend_args), np.uint8)
            return cv2.imdecode(buf, cv2.IMREAD_COLOR)
        except (OSError, cv2.error, ValueError):
            return None

    def transform(self, results: dict) -> Optional[dict]:
        path = results['img_path']
        img = self._read(path)
        if img is None:
            _BAD_IMAGES['count'] += 1
            _BAD_IMAGES['paths'].append(path)
            count = _BAD_IMAGES['count']
            if count > self.max_bad_images:
                raise RuntimeError(
                    f'LoadHumanImage: {count} unreadable images in this process exceed '
                    f'max_bad_images={self.max_bad_images}; last paths: '
                    f'{list(_BAD_IMAGES["paths"])}')
            print_log(
                f'LoadHumanImage: cannot read image "{path}" (sample_idx='
                f'{results.get("sample_idx")}); the sample is skipped '
                f'({count}/{self.max_bad_images} unreadable images in this process)',
                logger='current',
                level=logging.WARNING)
            return None
        if self.to_rgb:
            img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(to_rgb={self.to_rgb}, '
                f'max_bad_images={self.max_bad_images}, backend_args={self.backend_args})')
