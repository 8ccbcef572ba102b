"""PARE heads: part attention regressors of SMPL parameters.

* :class:`PAREHead` follows the original PARE (Kocabas et al., ICCV 2021) as a behaviour reference:
  two branches on the backbone feature map (a 2D *part* branch and an *SMPL* branch), each made
  of stride-2 deconvolutions (ResNet path, C5 7x7 -> 56x56 for a 224 input) or stride-1 3x3
  convolutions (HRNet path); the part branch ends in ``1 + num_joints`` logits (background first,
  part segmentation), the SMPL branch in ``num_smpl_features`` channels. The spatial softmax of
  each part map pools, per joint, the SMPL-branch features (-> per-joint linear 6-D pose) and the
  ``num_smpl_features`` final features (-> shape and camera linear layers on the 24 concatenated
  vectors). Predictions are added to the mean parameters of ``smpl_mean_params.npz``
  (``add_mean_params``).
* :class:`PAREC5Head` is the head of Choi et al. (ICLR 2023): the same regressor directly on C5,
  each branch 2 x [3x3 conv 128, BN, ReLU] then 1x1, 24 attention maps (no background); their
  code regresses raw values (``add_mean_params=False``, ``pose_bias=False`` in the paper's
  config).

Both derive from :class:`~.mesh_head.MeshRegressionHead` (body model, camera, losses).
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmhpse.registry import MODELS
from mmhpse.utils.geometry import rot6d_to_rotmat
from .mesh_head import Feats, MeshRegressionHead

__all__ = ['PAREHead', 'PAREC5Head', 'LocallyConnectedLinear', 'part_attention_pool']


class LocallyConnectedLinear(nn.Module):
    """One independent linear map per joint (PARE's locally connected pose layer).

    Args:
        num_joints (int): Number of joints ``J``.
        in_features (int): ``C``.
        out_features (int): ``D``.

        bias (bool): Whether each joint's map has a bias. Defaults to True.

    Shapes:
        input ``(B, J, C)`` -> output ``(B, J, D)``; ``weight (J, D, C)``, ``bias (J, D)``.
    """

    def __init__(self, num_joints: int, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_joints, out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(num_joints, out_features)) if bias else None
        # Xavier-uniform with gain 0.01 per joint (SPIN's init of its final regression layers).
        bound = 0.01 * (6.0 / (in_features + out_features))**0.5
        nn.init.uniform_(self.weight, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.einsum('bjc,jdc->bjd', x, self.weight)
        return out if self.bias is None else out + self.bias


def part_attention_pool(features: torch.Tensor,
                        attention_logits: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Pool features with the spatial softmax of each attention map.

    Args:
        features (Tensor): ``(B, C, H, W)``.
        attention_logits (Tensor): ``(B, J, H, W)``.

    Returns:
        tuple: pooled ``(B, J, C)`` and attention ``(B, J, H, W)`` (sums to 1 over ``H, W``).
    """
    b, j, h, w = attention_logits.shape
    if features.shape[-2:] != (h, w):
        raise ValueError(f'features {tuple(features.shape)} and attention '
                         f'{tuple(attention_logits.shape)} have different spatial sizes')
    attention = F.softmax(attention_logits.reshape(b, j, h * w), dim=-1)
    pooled = attention @ features.reshape(b, features.shape[1], h * w).transpose(1, 2)
    return pooled, attention.reshape(b, j, h, w)


def _branch(in_channels: int, num_filters: Sequence[int], kernels: Sequence[int],
            upsample: bool) -> nn.Sequential:
    """``len(num_filters)`` x [(de)conv, BN, ReLU]: stride-2 deconvs or stride-1 convs."""
    if len(num_filters) != len(kernels):
        raise ValueError(f'num_filters {tuple(num_filters)} and kernels {tuple(kernels)} '
                         'must have the same length')
    layers = []
    for planes, k in zip(num_filters, kernels):
        if upsample:
            # output = 2 * input for k in (2, 3, 4) with these paddings
            pad, out_pad = {4: (1, 0), 3: (1, 1), 2: (0, 0)}[k]
            layers.append(nn.ConvTranspose2d(in_channels, planes, k, stride=2, padding=pad,
                                             output_padding=out_pad, bias=False))
        else:
            layers.append(nn.Conv2d(in_channels, planes, k, stride=1, padding=k // 2, bias=False))
        layers += [nn.BatchNorm2d(planes), nn.ReLU(inplace=True)]
        in_channels = planes
    return nn.Sequential(*layers)


@MODELS.register_module()
class PAREHead(MeshRegressionHead):
    """Part attention regressor (original PARE layout).

    Args:
        in_channels (int): Channels of the input feature map (2048 for ResNet-50 C5, 480 for the
            fused HRNet-W32 maps).
        num_joints (int): Number of SMPL joints (pose parameters). Defaults to 24.
        branch (str): ``'deconv'`` (stride-2 transposed convs, ResNet path) or ``'conv'``
            (stride-1 convs, HRNet path and the C5 head).
        num_filters (sequence[int]): Channels of each branch layer. Defaults to (256, 256, 256).
        kernels (sequence[int]): Kernel of each branch layer. Defaults to (4, 4, 4).
        num_smpl_features (int): Channels of the SMPL branch's final 1x1 conv. Defaults to 64.
        background (bool): Whether the part branch also predicts a background map (channel 0 of
            ``pred_segm_mask``), as PARE's part segmentation. Defaults to True.
        smpl_mean_params (str, optional): Path of ``smpl_mean_params.npz``.
        add_mean_params (bool): Add the regressed values to the mean parameters (PARE). False:
            raw 6-D pose, shape and camera (Choi et al.). Defaults to True.
        pose_bias (bool): Whether the per-joint pose layer has a bias (PARE's LocallyConnected2d
            in Choi et al.'s code has none). Defaults to True.
        init_cfg (dict | list[dict], optional): Defaults to N(0, 0.001) convs, BN (1, 0).
        **kwargs: Body model, camera, crop size and losses of :class:`MeshRegressionHead`.

    Forward input: a tuple/list of maps (the last one, ``(B, in_channels, H, W)``, is used) or a
    tensor. Output dict: ``pred_pose (B, J, 3, 3)``, ``pred_betas (B, 10)``, ``pred_cam (B, 3)``,
    ``pred_pose6d (B, J, 6)``, ``pred_segm_mask`` logits ``(B, J [+1], H', W')`` and
    ``part_attention (B, J, H', W')`` (softmax over space).
    """

    def __init__(self,
                 in_channels: int = 2048,
                 num_joints: int = 24,
                 branch: str = 'deconv',
                 num_filters: Sequence[int] = (256, 256, 256),
                 kernels: Sequence[int] = (4, 4, 4),
                 num_smpl_features: int = 64,
                 background: bool = True,
                 smpl_mean_params: Optional[str] = None,
                 add_mean_params: bool = True,
                 pose_bias: bool = True,
                 init_cfg: Optional[Union[dict, list]] = (
                     dict(type='Normal', std=0.001, layer=['Conv2d', 'ConvTranspose2d']),
                     dict(type='Constant', val=1, bias=0, layer='BatchNorm2d')),
                 **kwargs):
        super().__init__(
            init_cfg=list(init_cfg) if isinstance(init_cfg, tuple) else init_cfg, **kwargs)
        if branch not in ('deconv', 'conv'):
            raise ValueError(f'branch must be "deconv" or "conv", got "{branch}"')
        self.num_joints = num_joints
        self.background = background
        self.add_mean_params = add_mean_params
        upsample = branch == 'deconv'
        self.part_branch = _branch(in_channels, num_filters, kernels, upsample)
        self.smpl_branch = _branch(in_channels, num_filters, kernels, upsample)
        self.part_final = nn.Conv2d(num_filters[-1], num_joints + int(background), 1)
        self.smpl_final = nn.Conv2d(num_filters[-1], num_smpl_features, 1)
        self.pose_regressor = LocallyConnectedLinear(num_joints, num_filters[-1], 6, pose_bias)
        self.shape_regressor = nn.Linear(num_joints * num_smpl_features, 10)
        self.cam_regressor = nn.Linear(num_joints * num_smpl_features, 3)
        self._small_init(self.shape_regressor, self.cam_regressor)
        self._register_mean_params(smpl_mean_params, num_joints)

    def forward(self, feats: Feats) -> Dict[str, torch.Tensor]:
        x = self._last_map(feats)
        b = x.shape[0]
        segm = self.part_final(self.part_branch(x))
        parts = segm[:, 1:] if self.background else segm
        smpl_feats = self.smpl_branch(x)
        local_feats = self.smpl_final(smpl_feats)
        pose_feats, attention = part_attention_pool(smpl_feats, parts)  # (B, J, C)
        shape_feats, _ = part_attention_pool(local_feats, parts)  # (B, J, 64)
        # channel-major (C, J) order as PARE, so checkpoints of the original layout map 1:1
        shape_feats = shape_feats.transpose(1, 2).flatten(1)
        pose6d = self.pose_regressor(pose_feats)
        betas = self.shape_regressor(shape_feats)
        cam = self.cam_regressor(shape_feats)
        if self.add_mean_params:
            pose6d = pose6d + self.init_pose.reshape(1, self.num_joints, 6)
            betas = betas + self.init_shape
            cam = cam + self.init_cam
        return dict(
            pred_pose=rot6d_to_rotmat(pose6d).reshape(b, self.num_joints, 3, 3),
            pred_pose6d=pose6d,
            pred_betas=betas,
            pred_cam=cam,
            pred_segm_mask=segm,
            part_attention=attention)


@MODELS.register_module()
class PAREC5Head(PAREHead):
    """The PARE head of Choi et al. 2023 on C5: 2 x [3x3 conv 128, BN, ReLU] per branch, then 1x1.

    Same arguments as :class:`PAREHead` with the paper's defaults (``branch='conv'``,
    ``num_filters=(128, 128)``, ``kernels=(3, 3)``, ``background=False``).
    """

    def __init__(self,
                 in_channels: int = 2048,
                 num_joints: int = 24,
                 num_filters: Sequence[int] = (128, 128),
                 kernels: Sequence[int] = (3, 3),
                 num_smpl_features: int = 64,
                 background: bool = False,
                 smpl_mean_params: Optional[str] = None,
                 add_mean_params: bool = True,
                 **kwargs):
        super().__init__(
            in_channels=in_channels,
            num_joints=num_joints,
            branch='conv',
            num_filters=num_filters,
            kernels=kernels,
            num_smpl_features=num_smpl_features,
            background=background,
            smpl_mean_params=smpl_mean_params,
            add_mean_params=add_mean_params,
            **kwargs)
