"""JointCon: joint-level supervised contrastive pre-training (Choi et al., ICLR 2023).

Coordinate convention (shared by both pooling modes): keypoints are in crop pixels where pixel
``i`` has its centre at coordinate ``i`` (the convention of OpenCV's ``warpAffine`` and mmpose's
keypoints). Feature cell ``c`` of a map with stride ``s = W_in / W_feat`` covers the pixels
``[c s, (c + 1) s)``, so a joint at ``x`` has the continuous cell coordinate
``u = (x + 0.5) / s - 0.5`` (cell centres at integers), lies inside the feature map iff
``0 <= (x + 0.5) / s < W_feat``, and its cell is ``floor((x + 0.5) / s)``. Bilinear sampling
uses ``grid_sample(align_corners=False)``, whose normalised coordinate ``(2x + 1) / W_in - 1``
is exactly this convention.
"""
from typing import Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, get_rank, get_world_size
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.models.selfsup.simclr import GatherLayer
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from .supcon import supcon_loss

_RANK_STRIDE = 2**32  # rank offset of instance / image ids, unique across the global batch


def keypoints_to_cells(keypoints: torch.Tensor, in_size, feat_size) -> tuple:
    """Continuous cell coordinates and inside-map flags of crop-pixel keypoints.

    Args:
        keypoints (Tensor): ``(N, K, 2)`` (x, y) in crop pixels.
        in_size (tuple): input image ``(H_in, W_in)``.
        feat_size (tuple): feature map ``(H_feat, W_feat)``.

    Returns:
        tuple: ``cells (N, K, 2)`` = ``(x + 0.5) / stride`` (cell ``c`` spans ``[c, c + 1)``) and
        ``inside (N, K)`` bool.
    """
    stride = keypoints.new_tensor([in_size[1] / feat_size[1], in_size[0] / feat_size[0]])
    cells = (keypoints + 0.5) / stride
    upper = keypoints.new_tensor([feat_size[1], feat_size[0]])
    inside = ((cells >= 0) & (cells < upper)).all(-1)
    return cells, inside


def gaussian_pool(feats: torch.Tensor, keypoints: torch.Tensor, in_size,
                  sigma: float = 1.0) -> torch.Tensor:
    """Gaussian-weighted average of a feature map around each joint's cell.

    The weight of cell ``(i, j)`` is ``exp(-((j - cx)^2 + (i - cy)^2) / (2 sigma^2))`` with
    ``(cx, cy)`` the integer cell that contains the joint (clamped to the map), normalised to
    sum 1 over the map.

    Args:
        feats (Tensor): ``(N, C, H, W)`` feature maps.
        keypoints (Tensor): ``(N, K, 2)`` joints in crop pixels of an ``in_size`` input.
        in_size (tuple): input image ``(H_in, W_in)``.
        sigma (float): Gaussian sigma in feature cells. Defaults to 1.

    Returns:
        Tensor: ``(N, K, C)`` pooled joint features.
    """
    n, c, h, w = feats.shape
    cells, _ = keypoints_to_cells(keypoints, in_size, (h, w))
    cx = cells[..., 0].floor().clamp(0, w - 1)[..., None, None]
    cy = cells[..., 1].floor().clamp(0, h - 1)[..., None, None]
    ys = torch.arange(h, dtype=feats.dtype, device=feats.device)[:, None]
    xs = torch.arange(w, dtype=feats.dtype, device=feats.device)[None, :]
    weights = torch.exp(-((xs - cx)**2 + (ys - cy)**2) / (2 * sigma**2))  # (N, K, H, W)
    weights = weights / weights.sum((-2, -1), keepdim=True)
    return torch.bmm(weights.flatten(2), feats.flatten(2).transpose(1, 2))


def bilinear_sample(feats: torch.Tensor, keypoints: torch.Tensor, in_size) -> torch.Tensor:
    """Bilinear point sampling of a feature map at each joint (zeros padding outside).

    Args:
        feats (Tensor): ``(N, C, H, W)`` feature maps.
        keypoints (Tensor): ``(N, K, 2)`` joints in crop pixels of an ``in_size`` input.
        in_size (tuple): input image ``(H_in, W_in)``.

    Returns:
        Tensor: ``(N, K, C)`` sampled joint features.
    """
    size = keypoints.new_tensor([in_size[1], in_size[0]])
    grid = (2 * keypoints + 1) / size - 1
    out = F.grid_sample(feats, grid[:, :, None, :], mode='bilinear', align_corners=False)
    return out[..., 0].transpose(1, 2)


def gather_rows(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``(n_r, ...)`` tensors of all ranks (``n_r`` may differ); the local rows keep
    their gradient (mmpretrain's ``GatherLayer``), remote rows are constants."""
    if get_world_size() == 1:
        return x
    sizes = [int(s) for s in all_gather(torch.tensor([x.shape[0]], device=x.device))]
    pad = max(sizes) - x.shape[0]
    if pad:
        x = torch.cat([x, x.new_zeros((pad, ) + tuple(x.shape[1:]))])
    parts = GatherLayer.apply(x) if x.requires_grad else all_gather(x)
    return torch.cat([p[:s] for p, s in zip(parts, sizes)])


def _mlp(in_channels: int, hid_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(in_channels, hid_channels), nn.ReLU(inplace=True),
        nn.Linear(hid_channels, out_channels))


@MODELS.register_module()
class JointCon(BaseSelfSupervisor):
    """JointCon: supervised contrastive learning of C5 joint features across two views.

    Data samples carry ``view_keypoints (2, K, 2)`` (crop pixels) and
    ``view_keypoints_visible (2, K)`` (see :class:`mmhpse.datasets.transforms.TwoViewPose`).

    Args:
        backbone (dict): backbone config; its last output is the C5 map.
        in_channels / hid_channels / out_channels (int): projector widths (2048 / 2048 / 128).
        pool (str): ``'gaussian'`` (weighted pooling) or ``'bilinear'`` (point sampling).
        sigma (float): Gaussian sigma in feature cells. Defaults to 1.
        temperature (float): SupCon temperature. Defaults to 0.07.
        loss_mode (str): ``'supcon'`` (label = joint type) or ``'instance'`` (label = joint of one
            person; the positive is the same joint in the other view).
        image_loss_weight (float): weight of an image-level SimCLR term on average-pooled C5
            (own projector, same widths, same temperature). 0 (default) builds nothing.
        data_preprocessor, init_cfg: see :class:`BaseSelfSupervisor`.

    Under DDP, embeddings and labels are gathered from all ranks (local part with gradient), so
    every rank computes the loss over the global batch; like mmpretrain's SimCLR, gradients
    reach each rank only through its own embeddings and are averaged by DDP.
    """

    def __init__(self, backbone: dict, in_channels: int = 2048, hid_channels: int = 2048,
                 out_channels: int = 128, pool: str = 'gaussian', sigma: float = 1.0,
                 temperature: float = 0.07, loss_mode: str = 'supcon',
                 image_loss_weight: float = 0., data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None, **kwargs):
        super().__init__(backbone=backbone, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg, **kwargs)
        if pool not in ('gaussian', 'bilinear'):
            raise ValueError(f"JointCon: pool must be 'gaussian' or 'bilinear', got {pool!r}")
        if loss_mode not in ('supcon', 'instance'):
            raise ValueError(
                f"JointCon: loss_mode must be 'supcon' or 'instance', got {loss_mode!r}")
        self.pool, self.sigma, self.temperature = pool, sigma, temperature
        self.loss_mode, self.image_loss_weight = loss_mode, image_loss_weight
        self.projector = _mlp(in_channels, hid_channels, out_channels)
        self.image_projector = (
            _mlp(in_channels, hid_channels, out_channels) if image_loss_weight > 0 else None)

    def joint_features(self, feats: torch.Tensor, keypoints: torch.Tensor, in_size) -> torch.Tensor:
        """``(N, C, H, W)`` maps + ``(N, K, 2)`` joints -> ``(N, K, C)`` joint features."""
        if self.pool == 'gaussian':
            return gaussian_pool(feats, keypoints, in_size, self.sigma)
        return bilinear_sample(feats, keypoints, in_size)

    @staticmethod
    def _stack_field(data_samples: List[DataSample], key: str, device) -> torch.Tensor:
        values = []
        for i, sample in enumerate(data_samples):
            if key not in sample:
                raise KeyError(f'JointCon: data sample {i} ({sample.get("img_path", "?")}) has '
                               f'no {key!r}; pack it with PackInputs(algorithm_keys=...)')
            values.append(torch.as_tensor(np.asarray(sample.get(key)), dtype=torch.float32))
        return torch.stack(values).to(device)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Args: inputs: two ``(B, 3, H, W)`` views; data_samples: ``B`` samples.
        Returns: ``loss_jointcon`` (+ ``loss_image``) and ``num_joints`` (local M)."""
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError('JointCon expects inputs = [view1, view2] (B, 3, H, W) tensors')
        b, in_size = inputs[0].shape[0], tuple(inputs[0].shape[-2:])
        feats = self.backbone(torch.cat(inputs))[-1]  # (2B, C, Hf, Wf)
        kpts = self._stack_field(data_samples, 'view_keypoints', feats.device)  # (B, 2, K, 2)
        vis = self._stack_field(data_samples, 'view_keypoints_visible', feats.device) > 0
        num_joints = kpts.shape[2]
        kpts = kpts.transpose(0, 1).flatten(0, 1)  # (2B, K, 2), view-major like feats
        _, inside = keypoints_to_cells(kpts, in_size, feats.shape[-2:])
        valid = vis.transpose(0, 1).flatten(0, 1) & inside
        valid = valid[:b] & valid[b:]  # (B, K): valid in both views
        img_idx, joint_idx = valid.nonzero(as_tuple=True)

        joint_feats = self.joint_features(feats, kpts, in_size)  # (2B, K, C)
        emb = torch.cat([joint_feats[img_idx, joint_idx], joint_feats[b + img_idx, joint_idx]])
        emb = F.normalize(self.projector(emb), dim=1)  # (2M, D)
        if self.loss_mode == 'supcon':
            labels = joint_idx.repeat(2)
        else:
            labels = (img_idx * num_joints + joint_idx).repeat(2) + get_rank() * _RANK_STRIDE
        losses = dict(
            loss_jointcon=supcon_loss(gather_rows(emb), gather_rows(labels), self.temperature),
            num_joints=emb.new_tensor(float(img_idx.numel())))

        if self.image_projector is not None:
            pooled = self.image_projector(feats.mean((2, 3)))
            img_emb = F.normalize(pooled, dim=1)  # (2B, D)
            img_labels = torch.arange(b, device=feats.device).repeat(2) + get_rank() * _RANK_STRIDE
            losses['loss_image'] = self.image_loss_weight * supcon_loss(
                gather_rows(img_emb), gather_rows(img_labels), self.temperature)
        return losses
