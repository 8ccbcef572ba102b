"""JointCon: joint-level supervised contrastive pre-training (Choi et al., ICLR 2023).

Keypoints are in crop pixels, pixel ``i`` centred at coordinate ``i`` (OpenCV's ``warpAffine``,
mmpose's keypoints). A feature map of ``(H_f, W_f)`` cells over an ``(H_in, W_in)`` input has the
stride ``s = W_in / W_f`` (32 for ResNet C5).

Gaussian pooling (the paper's) follows the authors' joint heatmap (Rethinking:
``lib/utils/coord_utils.py`` ``generate_joint_heatmap`` and ``lib/models/model.py``
``forward_contrastive``): the peak cell of a joint at ``x`` is ``int(x / s + 0.5)`` (Python's
``int``: round half up, truncated towards zero below ``x = -s / 2``), so cell ``c`` is centred at
pixel ``c s``, the centre of the receptive field of ResNet cell ``c``. The Gaussian (``sigma``
cells) is truncated to the square window of half-width ``3 sigma`` around the peak, cut by the map
and normalised to sum 1 over what remains. A joint counts while its window overlaps the map,
joints outside the crop included.

Bilinear point sampling (an earlier variant) uses ``grid_sample(align_corners=False)``: cell ``c``
covers the pixels ``[c s, (c + 1) s)`` and a joint counts while it lies on the map.
"""
from typing import Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dist import get_rank
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

_RANK_STRIDE = 2**32  # rank offset of image ids, unique across the global batch


def _stride(keypoints: torch.Tensor, in_size, feat_size) -> torch.Tensor:
    """``(2,)`` pixels per cell in x and y."""
    return keypoints.new_tensor([in_size[1] / feat_size[1], in_size[0] / feat_size[0]])


def gaussian_peaks(keypoints: torch.Tensor, in_size, feat_size) -> torch.Tensor:
    """Peak cells of the joints' Gaussians, ``int(x / stride + 0.5)`` per axis.

    Args:
        keypoints (Tensor): ``(N, K, 2)`` (x, y) in crop pixels.
        in_size (tuple): input image ``(H_in, W_in)``.
        feat_size (tuple): feature map ``(H_f, W_f)``.

    Returns:
        Tensor: ``(N, K, 2)`` long (column, row); may lie outside the map.
    """
    return torch.trunc(keypoints / _stride(keypoints, in_size, feat_size) + 0.5).long()


def gaussian_on_map(keypoints: torch.Tensor, in_size, feat_size, sigma: float = 1.0,
                    authors_bounds: bool = False) -> torch.Tensor:
    """Whether the truncated Gaussian window (half-width ``3 sigma``) overlaps the map.

    Args:
        keypoints, in_size, feat_size: see :func:`gaussian_peaks`.
        sigma (float): Gaussian sigma in cells. Defaults to 1.
        authors_bounds (bool): Apply the authors' bounds check instead, which also passes a
            window that ends one cell left of / above the map (an empty heatmap, so a zero joint
            feature). Defaults to False.

    Returns:
        Tensor: ``(N, K)`` bool.
    """
    peaks = gaussian_peaks(keypoints, in_size, feat_size)
    last = peaks.new_tensor([feat_size[1] - 1, feat_size[0] - 1])
    radius = 3 * sigma
    low = -radius - 1 if authors_bounds else -radius
    return ((peaks >= low) & (peaks <= last + radius)).all(-1)


def gaussian_pool(feats: torch.Tensor, keypoints: torch.Tensor, in_size,
                  sigma: float = 1.0) -> torch.Tensor:
    """Gaussian-weighted average of a feature map around each joint's peak cell.

    The weight of cell ``(i, j)`` is ``exp(-((j - px)^2 + (i - py)^2) / (2 sigma^2))`` inside
    the window ``|j - px|, |i - py| <= 3 sigma`` around the peak ``(px, py)``
    (:func:`gaussian_peaks`) and 0 outside it, normalised to sum 1 over the map. Joints whose
    window misses the map (:func:`gaussian_on_map`) get zeros.

    Args:
        feats (Tensor): ``(N, C, H, W)`` feature maps.
        keypoints (Tensor): ``(N, K, 2)`` joints in crop pixels of an ``in_size`` input.
        in_size (tuple): input image ``(H_in, W_in)``.
        sigma (float): Gaussian sigma in feature cells. Defaults to 1.

    Returns:
        Tensor: ``(N, K, C)`` pooled joint features.
    """
    n, c, h, w = feats.shape
    peaks = gaussian_peaks(keypoints, in_size, (h, w)).to(feats.dtype)
    dx = torch.arange(w, dtype=feats.dtype, device=feats.device) - peaks[..., 0, None]  # N,K,W
    dy = torch.arange(h, dtype=feats.dtype, device=feats.device) - peaks[..., 1, None]  # N,K,H
    radius = 3 * sigma
    gx = torch.exp(-dx**2 / (2 * sigma**2)) * (dx.abs() <= radius)
    gy = torch.exp(-dy**2 / (2 * sigma**2)) * (dy.abs() <= radius)
    weights = gy[..., :, None] * gx[..., None, :]  # (N, K, H, W), separable
    weights = weights / weights.sum((-2, -1), keepdim=True).clamp(min=1e-30)
    return torch.bmm(weights.flatten(2), feats.flatten(2).transpose(1, 2))


def inside_map(keypoints: torch.Tensor, in_size, feat_size) -> torch.Tensor:
    """Whether each joint lies on the map, cell ``c`` covering pixels ``[c s, (c + 1) s)``.

    Returns:
        Tensor: ``(N, K)`` bool.
    """
    cells = (keypoints + 0.5) / _stride(keypoints, in_size, feat_size)
    upper = keypoints.new_tensor([feat_size[1], feat_size[0]])
    return ((cells >= 0) & (cells < upper)).all(-1)


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


@MODELS.register_module()
class JointCon(BaseSelfSupervisor):
    """JointCon: supervised contrastive learning of C5 joint features across two views.

    The algorithm is wiring: the backbone's last map is pooled at each joint that is visible and
    on the map in both views, the ``neck`` projects the joint features and the ``head`` turns them
    into the loss, given the labels ``'joint'`` (joint type) and ``'image'`` (one id per person,
    unique across ranks) of each embedding. Data samples carry ``view_keypoints (2, K, 2)`` (crop
    pixels) and ``view_keypoints_visible (2, K)`` (see
    :class:`mmhpse.selfsup.transforms.TwoViewPose`).

    Args:
        backbone (dict): backbone config; its last output is the C5 map.
        neck (dict): projector of the ``(M, C)`` joint features (the paper's: mmpretrain
            ``MoCoV2Neck`` 2048 -> 2048 -> 128 with ``with_avg_pool=False``).
        head (dict): loss head: ``SupConHead(label='joint')`` is the paper's loss,
            ``SupConHead(label='image', group='joint')`` the instance-level ablation.
        pool (str): ``'gaussian'`` (the paper's pooling) or ``'bilinear'`` (point sampling).
        sigma (float): Gaussian sigma in feature cells. Defaults to 1.
        authors_bounds (bool): Gaussian pooling keeps the joints that pass the authors' bounds
            check (see :func:`gaussian_on_map`), those with an empty window included. Defaults to
            False (a joint counts while its window overlaps the map).
        data_preprocessor, init_cfg: see :class:`BaseSelfSupervisor`.
    """

    def __init__(self, backbone: dict, neck: dict, head: dict, pool: str = 'gaussian',
                 sigma: float = 1.0, authors_bounds: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone=backbone, neck=neck, head=head,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if pool not in ('gaussian', 'bilinear'):
            raise ValueError(f"JointCon: pool must be 'gaussian' or 'bilinear', got {pool!r}")
        self.pool, self.sigma, self.authors_bounds = pool, sigma, authors_bounds

    def joint_features(self, feats: torch.Tensor, keypoints: torch.Tensor, in_size) -> torch.Tensor:
        """``(N, C, H, W)`` maps + ``(N, K, 2)`` joints -> ``(N, K, C)`` joint features."""
        if self.pool == 'gaussian':
            return gaussian_pool(feats, keypoints, in_size, self.sigma)
        return bilinear_sample(feats, keypoints, in_size)

    def on_map(self, keypoints: torch.Tensor, in_size, feat_size) -> torch.Tensor:
        """``(N, K)`` bool: the joint reaches the map (Gaussian window, or point inside)."""
        if self.pool == 'gaussian':
            return gaussian_on_map(keypoints, in_size, feat_size, self.sigma, self.authors_bounds)
        return inside_map(keypoints, in_size, feat_size)

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
        Returns: ``loss_jointcon`` and ``num_joints`` (local M)."""
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError('JointCon expects inputs = [view1, view2] (B, 3, H, W) tensors')
        b, in_size = inputs[0].shape[0], tuple(inputs[0].shape[-2:])
        feats = self.backbone(torch.cat(inputs))[-1]  # (2B, C, Hf, Wf)
        kpts = self._stack_field(data_samples, 'view_keypoints', feats.device)  # (B, 2, K, 2)
        vis = self._stack_field(data_samples, 'view_keypoints_visible', feats.device) > 0
        kpts = kpts.transpose(0, 1).flatten(0, 1)  # (2B, K, 2), view-major like feats
        valid = vis.transpose(0, 1).flatten(0, 1) & self.on_map(kpts, in_size, feats.shape[-2:])
        valid = valid[:b] & valid[b:]  # (B, K): valid in both views
        img_idx, joint_idx = valid.nonzero(as_tuple=True)

        joint_feats = self.joint_features(feats, kpts, in_size)  # (2B, K, C)
        emb = torch.cat([joint_feats[img_idx, joint_idx], joint_feats[b + img_idx, joint_idx]])
        labels = dict(joint=joint_idx.repeat(2),
                      image=img_idx.repeat(2) + get_rank() * _RANK_STRIDE)
        return dict(loss_jointcon=self.head.loss(self.neck([emb])[0], labels),
                    num_joints=emb.new_tensor(float(img_idx.numel())))
