"""Losses of 3DHPSE regressors (SPIN / PARE conventions), safe for samples without labels.

Reduction (all losses): the mean over every element of the batch, masked elements counting as
zeros (SPIN / mmhuman3d behaviour), times ``loss_weight``. Masked elements are replaced by zero
*before* weighting, so NaN or garbage in an absent label (``has_smpl = 0``, confidence 0) never
reaches the loss or its gradient.
"""
from typing import Sequence

import torch
import torch.nn as nn

from mmhpse.registry import MODELS

__all__ = ['KeypointLoss', 'Keypoint3DLoss', 'SMPLPoseLoss', 'SMPLBetasLoss', 'CameraPriorLoss']


def _elementwise(pred: torch.Tensor, target: torch.Tensor, loss_type: str) -> torch.Tensor:
    diff = pred - target
    return diff.abs() if loss_type == 'l1' else diff * diff


def _check_type(loss_type: str) -> str:
    if loss_type not in ('l1', 'mse'):
        raise ValueError(f'loss_type must be "l1" or "mse", got "{loss_type}"')
    return loss_type


def masked_mean(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor,
                loss_type: str) -> torch.Tensor:
    """Mean of ``weight * |pred - target|`` (or squared) over all elements.

    Args:
        pred (Tensor): ``(B, ...)``.
        target (Tensor): same shape as ``pred``.
        weight (Tensor): broadcastable to ``pred`` (e.g. ``(B, K, 1)`` or ``(B, 1, 1)``);
            entries ``<= 0`` mask elements out (their target is ignored, even if NaN).

    Returns:
        Tensor: scalar.
    """
    weight = weight.to(pred.dtype).expand_as(pred)
    valid = weight > 0
    target = torch.where(valid, target, pred.detach())
    err = torch.where(valid, _elementwise(pred, target, loss_type), torch.zeros_like(pred))
    return (err * weight).mean()


@MODELS.register_module()
class KeypointLoss(nn.Module):
    """L1 / MSE keypoint loss weighted by a per-keypoint confidence.

    Used for 2D keypoints (both sides normalised by the crop, see
    :mod:`mmhpse.models.utils.camera`) and for SMPL joints.

    Args:
        loss_type (str): ``'l1'`` or ``'mse'``. Defaults to ``'l1'``.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, loss_type: str = 'l1', loss_weight: float = 1.0):
        super().__init__()
        self.loss_type = _check_type(loss_type)
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                weight: torch.Tensor) -> torch.Tensor:
        """
        Args:
            pred (Tensor): ``(B, K, D)``.
            target (Tensor): ``(B, K, D)``.
            weight (Tensor): ``(B, K)`` confidence (0 = absent).
        """
        return self.loss_weight * masked_mean(pred, target, weight[..., None], self.loss_type)


@MODELS.register_module()
class Keypoint3DLoss(KeypointLoss):
    """Root-centred 3D keypoint loss.

    Both skeletons are translated so that the mean of their ``root_indices`` joints is at the
    origin; a sample whose GT root joints are not all valid is masked out.

    Args:
        loss_type (str): ``'l1'`` or ``'mse'``.
        loss_weight (float): Defaults to 1.0.
        root_indices (sequence[int]): Joints whose mean is the root. Defaults to (27, 28):
            ``right_hip_extra`` and ``left_hip_extra`` of ``smpl_49`` (SPIN's pelvis).
    """

    def __init__(self, loss_type: str = 'l1', loss_weight: float = 1.0,
                 root_indices: Sequence[int] = (27, 28)):
        super().__init__(loss_type, loss_weight)
        self.root_indices = list(root_indices)

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                weight: torch.Tensor) -> torch.Tensor:
        """
        Args:
            pred (Tensor): ``(B, K, 3)``.
            target (Tensor): ``(B, K, 3)``.
            weight (Tensor): ``(B, K)``.
        """
        root_ok = (weight[:, self.root_indices] > 0).all(dim=1, keepdim=True)
        weight = weight * root_ok
        valid = weight[..., None] > 0
        target = torch.where(valid, target, torch.zeros_like(target))
        pred = pred - pred[:, self.root_indices].mean(dim=1, keepdim=True)
        target = target - target[:, self.root_indices].mean(dim=1, keepdim=True)
        return super().forward(pred, target, weight)


@MODELS.register_module()
class SMPLPoseLoss(nn.Module):
    """Loss between predicted and GT rotation matrices of the SMPL pose.

    Args:
        loss_type (str): ``'l1'`` or ``'mse'``. Defaults to ``'l1'``.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, loss_type: str = 'l1', loss_weight: float = 1.0):
        super().__init__()
        self.loss_type = _check_type(loss_type)
        self.loss_weight = loss_weight

    def forward(self, pred_rotmat: torch.Tensor, gt_rotmat: torch.Tensor,
                has_smpl: torch.Tensor) -> torch.Tensor:
        """
        Args:
            pred_rotmat (Tensor): ``(B, J, 3, 3)``.
            gt_rotmat (Tensor): ``(B, J, 3, 3)``.
            has_smpl (Tensor): ``(B,)`` 0/1.
        """
        w = has_smpl.reshape(-1, 1, 1, 1)
        return self.loss_weight * masked_mean(pred_rotmat, gt_rotmat, w, self.loss_type)


@MODELS.register_module()
class SMPLBetasLoss(SMPLPoseLoss):
    """Loss between predicted and GT SMPL shape coefficients (same arguments)."""

    def forward(self, pred_betas: torch.Tensor, gt_betas: torch.Tensor,
                has_smpl: torch.Tensor) -> torch.Tensor:
        """
        Args:
            pred_betas (Tensor): ``(B, 10)``.
            gt_betas (Tensor): ``(B, 10)``.
            has_smpl (Tensor): ``(B,)`` 0/1.
        """
        w = has_smpl.reshape(-1, 1)
        return self.loss_weight * masked_mean(pred_betas, gt_betas, w, self.loss_type)


@MODELS.register_module()
class CameraPriorLoss(nn.Module):
    """Keeps the weak-perspective scale positive: ``mean(exp(-scale * s)^2)`` (SPIN/mmhuman3d).

    Args:
        scale (float): Defaults to 10.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, scale: float = 10., loss_weight: float = 1.0):
        super().__init__()
        self.scale = scale
        self.loss_weight = loss_weight

    def forward(self, pred_cam: torch.Tensor) -> torch.Tensor:
        """
        Args:
            pred_cam (Tensor): ``(B, 3)`` as ``(s, tx, ty)``.
        """
        return self.loss_weight * torch.exp(-pred_cam[:, 0] * self.scale).pow(2).mean()
