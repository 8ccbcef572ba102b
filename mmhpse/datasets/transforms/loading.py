"""Image loading with a bounded, logged skip of unusable images and boxes."""
import logging
from collections import Counter, deque
from typing import Optional, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmengine.logging import print_log

from mmhpse.registry import TRANSFORMS

#: Process-level record of skipped samples (each dataloader worker is its own process).
_BAD_IMAGES = {'count': 0, 'paths': deque(maxlen=5), 'reasons': Counter(), 'last': None}

_JPEG_SOI, _JPEG_EOI = b'\xff\xd8', b'\xff\xd9'
_PNG_MAGIC, _PNG_IEND = b'\x89PNG\r\n\x1a\n', b'IEND\xaeB`\x82'
_PADDING = b'\x00\r\n\t '  # bytes some writers append after the end marker


def get_bad_image_count() -> int:
    """Number of samples that :class:`LoadHumanImage` skipped in this process."""
    return _BAD_IMAGES['count']


def get_bad_image_reasons() -> dict:
    """``{reason: count}`` of the samples skipped in this process (reasons as
    :data:`LoadHumanImage.REASONS`)."""
    return dict(_BAD_IMAGES['reasons'])


def last_bad_image() -> Optional[Tuple[str, str]]:
    """``(path, message)`` of the last sample skipped in this process, or None."""
    return _BAD_IMAGES['last']


def reset_bad_image_count() -> None:
    """Forget the skipped samples counted so far in this process."""
    _BAD_IMAGES['count'] = 0
    _BAD_IMAGES['paths'].clear()
    _BAD_IMAGES['reasons'].clear()
    _BAD_IMAGES['last'] = None


def truncation_problem(head: bytes, tail: bytes) -> Optional[str]:
    """Why an encoded JPEG / PNG is cut short (its end marker is missing), or None.

    libjpeg decodes a JPEG truncated anywhere in its scan data, fills the rest with grey and only
    prints a warning that names no file; the missing end-of-image marker is what gives it away.
    Other formats are not checked.

    Args:
        head (bytes): The first (at least 8) bytes of the file.
        tail (bytes): Its last bytes, up to and including the end marker and any padding.
    """
    if head[:2] == _JPEG_SOI:
        if not tail.rstrip(_PADDING).endswith(_JPEG_EOI):
            return 'truncated JPEG: no end-of-image marker (FFD9) at the end of the file'
    elif head[:8] == _PNG_MAGIC:
        if not tail.rstrip(_PADDING).endswith(_PNG_IEND):
            return 'truncated PNG: no IEND chunk at the end of the file'
    return None


def _file_ends(path: str, size: int = 4096) -> Tuple[bytes, bytes]:
    """First 8 and last ``size`` bytes of a local file (more when the tail is all padding)."""
    with open(path, 'rb') as f:
        head = f.read(8)
        end = f.seek(0, 2)
        while True:
            f.seek(max(0, end - size))
            tail = f.read(size)
            if tail.rstrip(_PADDING) or size >= end:
                return head, tail
            size *= 16


@TRANSFORMS.register_module()
class LoadHumanImage(BaseTransform):
    """Read ``results['img_path']`` into ``results['img']`` (uint8 ``(H, W, 3)``).

    A sample that cannot give a correct crop is a counted, logged skip: the transform logs a
    warning naming the path, ``sample_idx`` and the reason, and returns ``None``, so that
    mmengine's ``BaseDataset`` draws another index (training mode; at test time
    :class:`~mmhpse.datasets.HumanImageDataset` raises an error naming the file and the sample).
    Reasons (keys of :func:`get_bad_image_reasons`):

    - ``'unreadable'``: missing file or undecodable data;
    - ``'truncated'``: a JPEG / PNG whose end marker is missing (file cut short);
    - ``'image smaller than box'``: the box is more than ``max_box_to_image`` times the image
      width or height (e.g. a 1x1 px image, or a thumbnail under full-size annotations);
    - ``'box centre outside image'``: the centre of ``bbox_xywh`` lies outside the image;
    - ``'box mostly outside image'``: less than ``min_box_inside`` of the box area is inside.

    The box checks run when ``results`` holds ``bbox_xywh (4,)`` (pixels of the loaded image).
    The count is per process (per dataloader worker; with non-persistent workers it restarts
    each epoch). Once more than ``max_bad_images`` samples have been skipped in the process, a
    ``RuntimeError`` stops the run. No placeholder image is ever produced.

    Required keys: ``img_path``; optional ``bbox_xywh``. Added keys: ``img``,
    ``img_shape (H, W)``, ``ori_shape (H, W)``.

    Args:
        to_rgb (bool): Convert OpenCV's BGR to RGB here. Defaults to False (keep BGR and let the
            model's ``ImgDataPreprocessor(bgr_to_rgb=True)`` swap channels on the batch, as
            mmpose configs do).
        max_bad_images (int): Skipped samples tolerated per process. Defaults to 100.
        min_box_inside (float): Least fraction of the box area inside the image. Defaults to
            0.25.
        max_box_to_image (float): Largest ratio of box width (height) to image width (height).
            Defaults to 4.
        check_truncation (bool): Refuse JPEG / PNG files without their end marker. Defaults to
            True.
        backend_args (dict, optional): mmengine file backend arguments (e.g. remote storage).
            Defaults to None: a plain read of a local path.
    """

    REASONS = ('unreadable', 'truncated', 'image smaller than box', 'box centre outside image',
               'box mostly outside image')

    def __init__(self,
                 to_rgb: bool = False,
                 max_bad_images: int = 100,
                 min_box_inside: float = 0.25,
                 max_box_to_image: float = 4.,
                 check_truncation: bool = True,
                 backend_args: Optional[dict] = None) -> None:
        if max_bad_images < 0:
            raise ValueError(f'max_bad_images must be >= 0, got {max_bad_images}')
        if not 0. <= min_box_inside <= 1.:
            raise ValueError(f'min_box_inside must be in [0, 1], got {min_box_inside}')
        if max_box_to_image <= 0.:
            raise ValueError(f'max_box_to_image must be > 0, got {max_box_to_image}')
        self.to_rgb = to_rgb
        self.max_bad_images = max_bad_images
        self.min_box_inside = min_box_inside
        self.max_box_to_image = max_box_to_image
        self.check_truncation = check_truncation
        self.backend_args = backend_args

    def _read(self, path: str) -> Tuple[Optional[np.ndarray], str, str]:
        """``(BGR image or None, reason, detail)`` of the file at ``path``."""
        try:
            if self.backend_args is None:
                data = None
                if self.check_truncation:
                    problem = truncation_problem(*_file_ends(path))
            else:
                data = fileio.get(path, backend_args=self.backend_args)
                if self.check_truncation:
                    problem = truncation_problem(data[:8], data)
        except (OSError, ValueError) as err:
            why = getattr(err, 'strerror', None) or err
            return None, 'unreadable', f'cannot read image ({why})'
        if self.check_truncation and problem is not None:
            return None, 'truncated', problem
        try:
            if data is None:
                img = cv2.imread(path, cv2.IMREAD_COLOR)
            else:
                img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        except (cv2.error, ValueError):
            img = None
        if img is None:
            return None, 'unreadable', 'cannot read image (missing, or not a decodable image)'
        return img, '', ''

    def _box_problem(self, bbox, height: int, width: int) -> Tuple[str, str]:
        """``(reason, detail)`` when the box cannot give a crop of this image, else ``('', '')``."""
        x, y, w, h = (float(v) for v in np.asarray(bbox).reshape(-1)[:4])
        box = f'box (x, y, w, h) = ({x:.1f}, {y:.1f}, {w:.1f}, {h:.1f})'
        if w > self.max_box_to_image * width or h > self.max_box_to_image * height:
            return 'image smaller than box', (
                f'the {width}x{height} px image is far smaller than its {box} (more than '
                f'{self.max_box_to_image:g}x the image width or height)')
        cx, cy = x + w / 2, y + h / 2
        if not (0. <= cx <= width and 0. <= cy <= height):
            return 'box centre outside image', (
                f'the centre ({cx:.1f}, {cy:.1f}) of the {box} is outside the {width}x{height} '
                'px image')
        inside_w = max(0., min(x + w, width) - max(x, 0.))
        inside_h = max(0., min(y + h, height) - max(y, 0.))
        inside = inside_w * inside_h / (w * h) if w > 0 and h > 0 else 0.
        if inside < self.min_box_inside:
            return 'box mostly outside image', (
                f'only {inside:.0%} of the {box} lies inside the {width}x{height} px image '
                f'(min_box_inside={self.min_box_inside:g})')
        return '', ''

    def _skip(self, results: dict, reason: str, detail: str) -> None:
        path = results['img_path']
        _BAD_IMAGES['count'] += 1
        _BAD_IMAGES['paths'].append(path)
        _BAD_IMAGES['reasons'][reason] += 1
        _BAD_IMAGES['last'] = (path, detail)
        count = _BAD_IMAGES['count']
        if count > self.max_bad_images:
            raise RuntimeError(
                f'LoadHumanImage: {count} bad images in this process exceed '
                f'max_bad_images={self.max_bad_images} (by reason: '
                f'{dict(_BAD_IMAGES["reasons"])}); last paths: {list(_BAD_IMAGES["paths"])}; '
                f'last: "{path}": {detail}')
        print_log(
            f'LoadHumanImage: skipped image "{path}" (sample_idx={results.get("sample_idx")}): '
            f'{detail} ({count}/{self.max_bad_images} bad images in this process)',
            logger='current',
            level=logging.WARNING)

    def transform(self, results: dict) -> Optional[dict]:
        img, reason, detail = self._read(results['img_path'])
        if img is None:
            self._skip(results, reason, detail)
            return None
        if 'bbox_xywh' in results:
            reason, detail = self._box_problem(results['bbox_xywh'], *img.shape[:2])
            if reason:
                self._skip(results, reason, detail)
                return None
        if self.to_rgb:
            img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(to_rgb={self.to_rgb}, '
                f'max_bad_images={self.max_bad_images}, min_box_inside={self.min_box_inside}, '
                f'max_box_to_image={self.max_box_to_image}, '
                f'check_truncation={self.check_truncation}, backend_args={self.backend_args})')
