"""Cameras of 3DHPSE heads: weak-perspective ``(s, tx, ty)`` -> perspective translation, projection.

Normalisation rule (one rule for square and non-square crops)
-------------------------------------------------------------
A crop of ``H x W`` pixels (``img_size=(H, W)``) has its principal point at the crop centre
``c = (W / 2, H / 2)`` and one *normalising length* ``L`` shared by both axes,
``L = max(H, W)`` unless given (``norm_size``). Normalised image coordinates are::

    x_n = (u - W / 2) / (L / 2),    y_n = (v - H / 2) / (L / 2)

so a square crop maps to ``[-1, 1]^2`` and a 256x192 (H x W) crop to ``[-0.75, 0.75] x [-1, 1]``
(isotropic: one normalised unit is the same number of pixels on both axes, so distances are not
distorted). A weak-perspective camera ``(s, tx, ty)`` predicts ``x_n = s (X + tx)``,
``y_n = s (Y + ty)``. The perspective camera with focal length ``f`` (pixels) that agrees with it
for points at depth ``Z = 0`` of the body frame is the translation (SPIN's rule, with ``L`` in
place of the square crop side)::

    t = (tx, ty, 2 f / (L s))

Indeed ``u = f (X + tx) / t_z + W / 2 = (L / 2) s (X + tx) + W / 2``. For a square crop of side
``R`` this is exactly SPIN / PARE / mmhuman3d (``t_z = 2 f / (R s)``).

Cameras as modules (built from a head's ``camera`` config): :class:`WeakPerspectiveCamera` (the
rule above) and :class:`SigmoidDepthCamera` (Choi et al.: ``(t_x, t_y, gamma)`` with
``t_z = k sigmoid(gamma)``); both project with the principal point at the crop centre.
"""
from abc import ABCMeta, abstractmethod
from typing import Optional, Sequence, Tuple, Union

import torch
from torch import nn

from mmhpse.registry import MODELS

__all__ = [
    'crop_norm_size', 'weak_perspective_to_translation', 'perspective_projection',
    'pixels_to_normalized', 'normalized_to_pixels', 'CropCamera', 'WeakPerspectiveCamera',
    'SigmoidDepthCamera'
]


def _hw(img_size: Union[int, Sequence[int]]) -> Tuple[float, float]:
    if isinstance(img_size, (int, float)):
        return float(img_size), float(img_size)
    if len(img_size) != 2:
        raise ValueError(f'img_size must be an int or (H, W), got {img_size!r}')
    return float(img_size[0]), float(img_size[1])


def crop_norm_size(img_size: Union[int, Sequence[int]],
                   norm_size: Optional[float] = None) -> float:
    """The normalising length ``L`` of a crop (see the module docstring).

    Args:
        img_size (int | tuple[int, int]): Crop size, an int for a square crop or ``(H, W)``.
        norm_size (float, optional): Explicit ``L``; defaults to ``max(H, W)``.

    Returns:
        float: ``L`` in pixels.
    """
    h, w = _hw(img_size)
    if norm_size is None:
        return max(h, w)
    if norm_size <= 0:
        raise ValueError(f'norm_size must be positive, got {norm_size}')
    return float(norm_size)


def weak_perspective_to_translation(cam: torch.Tensor,
                                    focal_length: float = 5000.,
                                    img_size: Union[int, Sequence[int]] = 224,
                                    norm_size: Optional[float] = None,
                                    eps: float = 1e-9) -> torch.Tensor:
    """Weak-perspective camera to the translation of an equivalent perspective camera.

    Args:
        cam (Tensor): ``(B, 3)`` as ``(s, tx, ty)``.
        focal_length (float): Focal length in crop pixels. Defaults to 5000 (SPIN / PARE).
        img_size (int | tuple[int, int]): Crop size ``(H, W)`` or a square side.
        norm_size (float, optional): Normalising length ``L``; defaults to ``max(H, W)``.
        eps (float): Added to ``L * s`` to avoid a division by zero (as SPIN does).

    Returns:
        Tensor: ``(B, 3)`` translation ``(tx, ty, 2 f / (L s))`` in metres.
    """
    if cam.shape[-1] != 3:
        raise ValueError(f'cam must have shape (B, 3), got {tuple(cam.shape)}')
    length = crop_norm_size(img_size, norm_size)
    tz = 2 * focal_length / (length * cam[..., 0] + eps)
    return torch.stack([cam[..., 1], cam[..., 2], tz], dim=-1)


def perspective_projection(points: torch.Tensor,
                           transl: torch.Tensor,
                           focal_length: Union[float, torch.Tensor],
                           center: Union[Sequence[float], torch.Tensor],
                           rotation: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Pinhole projection of camera-aligned points (no distortion).

    Args:
        points (Tensor): ``(B, N, 3)`` points in the body frame.
        transl (Tensor): ``(B, 3)`` translation added to the points (camera frame = body frame
            rotated by ``rotation`` then translated).
        focal_length (float | Tensor): Scalar, ``(B,)`` or ``(B, 2)`` (``fx, fy``) in pixels.
        center (sequence | Tensor): Principal point ``(cx, cy)``: ``(2,)`` or ``(B, 2)`` pixels.
        rotation (Tensor, optional): ``(B, 3, 3)`` camera rotation; identity when None.

    Returns:
        Tensor: ``(B, N, 2)`` pixel coordinates ``(u, v)``.
    """
    if points.dim() != 3 or points.shape[-1] != 3:
        raise ValueError(f'points must have shape (B, N, 3), got {tuple(points.shape)}')
    if transl.shape != (points.shape[0], 3):
        raise ValueError(f'transl must have shape ({points.shape[0]}, 3), got '
                         f'{tuple(transl.shape)}')
    if rotation is not None:
        points = points @ rotation.transpose(1, 2)
    cam_points = points + transl[:, None, :]
    xy = cam_points[..., :2] / cam_points[..., 2:3]
    focal = torch.as_tensor(focal_length, dtype=points.dtype, device=points.device)
    if focal.dim() == 1:  # (B,) -> (B, 1, 1)
        focal = focal[:, None, None]
    elif focal.dim() == 2:  # (B, 2) -> (B, 1, 2)
        focal = focal[:, None, :]
    ctr = torch.as_tensor(center, dtype=points.dtype, device=points.device)
    ctr = ctr.reshape(-1, 1, 2)
    return xy * focal + ctr


def pixels_to_normalized(keypoints: torch.Tensor,
                         img_size: Union[int, Sequence[int]],
                         norm_size: Optional[float] = None) -> torch.Tensor:
    """Crop pixels to normalised image coordinates (module docstring rule).

    Args:
        keypoints (Tensor): ``(..., 2)`` or more channels; only the first two are mapped, the
            rest (e.g. confidence) are kept.
        img_size (int | tuple[int, int]): Crop size ``(H, W)``.
        norm_size (float, optional): Normalising length ``L``; defaults to ``max(H, W)``.

    Returns:
        Tensor: same shape as ``keypoints``.
    """
    h, w = _hw(img_size)
    half = crop_norm_size(img_size, norm_size) / 2
    xy = keypoints[..., :2]
    ctr = xy.new_tensor([w / 2, h / 2])
    return torch.cat([(xy - ctr) / half, keypoints[..., 2:]], dim=-1)


def normalized_to_pixels(keypoints: torch.Tensor,
                         img_size: Union[int, Sequence[int]],
                         norm_size: Optional[float] = None) -> torch.Tensor:
    """Inverse of :func:`pixels_to_normalized`."""
    h, w = _hw(img_size)
    half = crop_norm_size(img_size, norm_size) / 2
    xy = keypoints[..., :2]
    ctr = xy.new_tensor([w / 2, h / 2])
    return torch.cat([xy * half + ctr, keypoints[..., 2:]], dim=-1)


class CropCamera(nn.Module, metaclass=ABCMeta):
    """Perspective camera of a person crop: principal point at the crop centre, focal length in
    crop pixels. Subclasses turn a head's camera output into the body's translation.

    Args:
        focal_length (float): Focal length in crop pixels. Defaults to 5000 (SPIN / PARE).
        norm_size (float, optional): Normalising length ``L`` of the crop (module docstring);
            ``max(H, W)`` when None.
    """

    def __init__(self, focal_length: float = 5000., norm_size: Optional[float] = None):
        super().__init__()
        self.focal_length = float(focal_length)
        self.norm_size = norm_size

    @abstractmethod
    def translation(self, pred_cam: torch.Tensor,
                    img_size: Union[int, Sequence[int]]) -> torch.Tensor:
        """``(B, 3)`` body translation in the camera frame (metres) of a ``(B, 3)`` output."""

    def project(self, points: torch.Tensor, transl: torch.Tensor,
                img_size: Union[int, Sequence[int]]) -> torch.Tensor:
        """Crop pixels ``(B, N, 2)`` of body-frame points ``(B, N, 3)`` moved by ``transl``."""
        h, w = _hw(img_size)
        return perspective_projection(points, transl, self.focal_length, (w / 2., h / 2.))

    def normalize(self, keypoints: torch.Tensor,
                  img_size: Union[int, Sequence[int]]) -> torch.Tensor:
        """Crop pixels to normalised coordinates (:func:`pixels_to_normalized`)."""
        return pixels_to_normalized(keypoints, img_size, self.norm_size)

    def extra_repr(self) -> str:
        return f'focal_length={self.focal_length}, norm_size={self.norm_size}'


@MODELS.register_module()
class WeakPerspectiveCamera(CropCamera):
    """Weak-perspective output ``(s, tx, ty)`` read as the translation ``(tx, ty, 2 f / (L s))``
    (SPIN / PARE, :func:`weak_perspective_to_translation`). Same arguments as
    :class:`CropCamera`."""

    def translation(self, pred_cam: torch.Tensor,
                    img_size: Union[int, Sequence[int]]) -> torch.Tensor:
        return weak_perspective_to_translation(pred_cam, self.focal_length, img_size,
                                               self.norm_size)


@MODELS.register_module()
class SigmoidDepthCamera(CropCamera):
    """Output ``(t_x, t_y, gamma)`` read as the translation ``(t_x, t_y, k * sigmoid(gamma))``
    (Choi et al.'s code, after Moon et al.'s I2L-MeshNet / Pose2Pose), with
    ``k = sqrt(f_x f_y d^2 / (H W))``: the depth at which a body of extent ``d`` metres fills a
    crop of ``H x W`` pixels (k = 56.4 m for f = 5000 px, d = 2.5 m, 256 x 192).

    Args:
        focal_length (float): Focal length in crop pixels. Defaults to 5000.
        body_extent (float): ``d`` in metres (the authors' ``camera_3d_size``). Defaults to 2.5.
        norm_size (float, optional): see :class:`CropCamera` (2D keypoint normalisation only).
    """

    def __init__(self, focal_length: float = 5000., body_extent: float = 2.5,
                 norm_size: Optional[float] = None):
        super().__init__(focal_length, norm_size)
        self.body_extent = float(body_extent)

    def depth_scale(self, img_size: Union[int, Sequence[int]]) -> float:
        """``k`` (metres) for a crop of ``img_size``."""
        h, w = _hw(img_size)
        return (self.focal_length**2 * self.body_extent**2 / (h * w))**0.5

    def translation(self, pred_cam: torch.Tensor,
                    img_size: Union[int, Sequence[int]]) -> torch.Tensor:
        if pred_cam.shape[-1] != 3:
            raise ValueError(f'pred_cam must have shape (B, 3), got {tuple(pred_cam.shape)}')
        tz = self.depth_scale(img_size) * torch.sigmoid(pred_cam[..., 2])
        return torch.stack([pred_cam[..., 0], pred_cam[..., 1], tz], dim=-1)

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, body_extent={self.body_extent}'
