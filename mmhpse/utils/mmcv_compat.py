"""Fix of mmcv 2.1.0's ``adjust_hue`` under numpy 2 (installed by ``import mmhpse``).

mmcv computes the hue shift as ``np.uint8(hue_factor * 255)``, relying on numpy 1 wrapping a
negative value modulo 256. numpy 2 raises ``OverflowError: Python integer -14 out of bounds for
uint8`` instead, so mmpretrain's ``ColorJitter`` with ``hue > 0`` (MoCo v2, SimCLR, BYOL, SwAV,
DenseCL, DetCon recipes) fails on about half of the images. The replacement below is mmcv's
function with the shift computed as ``int(hue_factor * 255) % 256`` (numpy 1's result).
"""
import cv2
import mmcv
import mmcv.image
import mmcv.image.photometric as photometric
import numpy as np
from PIL import Image


def adjust_hue(img: np.ndarray, hue_factor: float, backend=None) -> np.ndarray:
    """mmcv's ``adjust_hue`` (same arguments and checks) with a numpy-2-safe hue shift."""
    if backend is None:
        backend = photometric.imread_backend
    if backend not in ['cv2', 'pillow']:
        raise ValueError(f'backend: {backend} is not supported.'
                         f"Supported backends are 'cv2', 'pillow'")
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f'hue_factor:{hue_factor} is not in [-0.5, 0.5].')
    if not (isinstance(img, np.ndarray) and (img.ndim in {2, 3})):
        raise TypeError('img should be ndarray with dim=[2 or 3].')
    shift = np.uint8(int(hue_factor * 255) % 256)
    if backend == 'pillow':
        assert img.dtype == np.uint8, 'Pillow backend only support uint8 type'
        pil_image = Image.fromarray(img[..., ::-1], mode='RGB')
        h, s, v = pil_image.convert('HSV').split()
        np_h = np.array(h, dtype=np.uint8)
        with np.errstate(over='ignore'):
            np_h += shift  # uint8 addition wraps around the hue circle
        pil_image = Image.merge('HSV', (Image.fromarray(np_h, 'L'), s, v)).convert('RGB')
        return np.array(pil_image, dtype=img.dtype)[..., ::-1]
    dtype = img.dtype
    hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL)
    h, s, v = cv2.split(hsv)
    h = h.astype(np.uint8)
    with np.errstate(over='ignore'):
        h += shift
    return cv2.cvtColor(cv2.merge([h, s, v]), cv2.COLOR_HSV2BGR_FULL).astype(dtype)


def install() -> None:
    """Replace ``mmcv.adjust_hue`` everywhere mmcv exposes it (idempotent)."""
    for module in (mmcv, mmcv.image, photometric):
        module.adjust_hue = adjust_hue


install()
