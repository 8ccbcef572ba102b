"""Losses of 3DHPSE regressors (SPIN / PARE conventions), safe for samples without labels.

Reduction (all losses): the mean over every element of the batch, masked elements counting as
zeros (SPIN / mmhuman3d behaviour), times ``loss_weight``. Masked elements are replaced by zero
*before* weighting, so NaN or garbage in an absent label (``has_smpl = 0``, confidence 0) never
reaches the loss or its gradient.
"""
import torch
import torch.nn as nn
from smplx.lbs import batch_rodrigues

from mmhpse.conventions import get_root_indices
from mmhpse.registry import MODELS
from mmhpse.utils.geometry import rotmat_to_axis_angle

__all__ = [
    'KeypointLoss', 'Keypoint3DLoss', 'SMPLPoseLoss', 'SMPLBetasLoss', 'CameraPriorLoss',
    'masked_mean'
]


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


class _ElementwiseLoss(nn.Module):
    """Base of the L1 / MSE losses: ``loss_type`` (``'l1'`` or ``'mse'``) and ``loss_weight``."""

    def __init__(self, loss_type: str = 'l1', loss_weight: float = 1.0):
        super().__init__()
        self.loss_type = _check_type(loss_type)
        self.loss_weight = loss_weight


@MODELS.register_module()
class KeypointLoss(_ElementwiseLoss):
    """L1 / MSE keypoint loss weighted by a per-keypoint confidence.

    Used for 2D keypoints (crop pixels, or both sides normalised by the crop, see
    :mod:`mmhpse.models.utils.camera`).

    Args:
        loss_type (str): ``'l1'`` or ``'mse'``. Defaults to ``'l1'``.
        loss_weight (float): Defaults to 1.0.
    """

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

    Both skeletons are translated so that the mean of their root joints (by name, from
    :data:`mmhpse.conventions.ROOT_JOINTS` of the keypoints' convention) is at the origin; a
    sample whose GT root joints are not all valid is masked out.

    Args:
        loss_type (str): ``'l1'`` or ``'mse'``.
        loss_weight (float): Defaults to 1.0.
    """

    def forward(self, pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor,
                convention: str) -> torch.Tensor:
        """
        Args:
            pred (Tensor): ``(B, K, 3)``.
            target (Tensor): ``(B, K, 3)``.
            weight (Tensor): ``(B, K)``.
            convention (str): keypoint convention of both, e.g. ``'smpl_49'``.
        """
        root = get_root_indices(convention)
        root_ok = (weight[:, root] > 0).all(dim=1, keepdim=True)
        weight = weight * root_ok
        valid = weight[..., None] > 0
        target = torch.where(valid, target, torch.zeros_like(target))
        pred = pred - pred[:, root].mean(dim=1, keepdim=True)
        target = target - target[:, root].mean(dim=1, keepdim=True)
        return super().forward(pred, target, weight)


class _SMPLParamLoss(_ElementwiseLoss):
    """Loss on SMPL parameters of the samples with ``has_smpl`` (``loss_type``, ``loss_weight``).
    """

    def _masked(self, pred: torch.Tensor, target: torch.Tensor,
                has_smpl: torch.Tensor) -> torch.Tensor:
        weight = has_smpl.reshape((-1, ) + (1, ) * (pred.dim() - 1))
        return self.loss_weight * masked_mean(pred, target, weight, self.loss_type)


@MODELS.register_module()
class SMPLPoseLoss(_SMPLParamLoss):
    """Predicted SMPL pose vs the GT axis-angle pose of the samples with ``has_smpl``.

    Args:
        loss_type (str): ``'l1'`` or ``'mse'``. Defaults to ``'l1'``.
        loss_weight (float): Defaults to 1.0.
        representation (str): what is compared: ``'rotmat'`` (the GT turned into rotation
            matrices; SPIN / PARE) or ``'axis_angle'`` (the prediction turned into axis-angles
            with angles in ``[0, pi]``, the GT as given; Choi et al.). Defaults to ``'rotmat'``.
    """

    def __init__(self, loss_type: str = 'l1', loss_weight: float = 1.0,
                 representation: str = 'rotmat'):
        super().__init__(loss_type, loss_weight)
        if representation not in ('rotmat', 'axis_angle'):
            raise ValueError(f'representation must be "rotmat" or "axis_angle", got '
                             f'"{representation}"')
        self.representation = representation

    def forward(self, pred_rotmat: torch.Tensor, gt_pose: torch.Tensor,
                has_smpl: torch.Tensor) -> torch.Tensor:
        """
        Args:
            pred_rotmat (Tensor): ``(B, J, 3, 3)``.
            gt_pose (Tensor): ``(B, J, 3)`` axis-angle.
            has_smpl (Tensor): ``(B,)`` 0/1.
        """
        if self.representation == 'axis_angle':
            return self._masked(rotmat_to_axis_angle(pred_rotmat), gt_pose, has_smpl)
        gt_rotmat = batch_rodrigues(gt_pose.reshape(-1, 3)).reshape(pred_rotmat.shape)
        return self._masked(pred_rotmat, gt_rotmat, has_smpl)


@MODELS.register_module()
class SMPLBetasLoss(_SMPLParamLoss):
    """Predicted vs GT SMPL shape coefficients ``(B, 10)`` of the samples with ``has_smpl``
    ``(B,)`` (``loss_type``, ``loss_weight`` as :class:`KeypointLoss`)."""

    def forward(self, pred_betas: torch.Tensor, gt_betas: torch.Tensor,
                has_smpl: torch.Tensor) -> torch.Tensor:
        return self._masked(pred_betas, gt_betas, has_smpl)


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
