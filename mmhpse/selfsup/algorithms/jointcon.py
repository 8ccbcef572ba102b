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
from mmengine.dist import get_rank
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

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


@MODELS.register_module()
class JointCon(BaseSelfSupervisor):
    """JointCon: supervised contrastive learning of C5 joint features across two views.

    The algorithm is wiring: the backbone's last map is pooled at each joint valid in both views,
    the ``neck`` projects the joint features and the ``head`` turns them into the loss, given the
    labels ``'joint'`` (joint type), ``'instance'`` (one id per (image, joint)) and ``'image'``
    (one id per image), ids unique across ranks. Data samples carry
    ``view_keypoints (2, K, 2)`` (crop pixels) and ``view_keypoints_visible (2, K)`` (see
    :class:`mmhpse.selfsup.transforms.TwoViewPose`).

    Args:
        backbone (dict): backbone config; its last output is the C5 map.
        neck (dict): projector of the ``(M, C)`` joint features (the paper's: mmpretrain
            ``MoCoV2Neck`` 2048 -> 2048 -> 128 with ``with_avg_pool=False``).
        head (dict): loss head (``SupConHead``; ``label='joint'`` is the paper's loss).
        pool (str): ``'gaussian'`` (weighted pooling) or ``'bilinear'`` (point sampling).
        sigma (float): Gaussian sigma in feature cells. Defaults to 1.
        image_neck, image_head (dict, optional): an image-level term on the C5 map (e.g.
            ``MoCoV2Neck`` with average pooling + ``SupConHead(label='image')``: SimCLR), added to
            the joint loss as ``loss_image``. Both or neither. Defaults to None.
        data_preprocessor, init_cfg: see :class:`BaseSelfSupervisor`.
    """

    def __init__(self, backbone: dict, neck: dict, head: dict, pool: str = 'gaussian',
                 sigma: float = 1.0, image_neck: Optional[dict] = None,
                 image_head: Optional[dict] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone=backbone, neck=neck, head=head,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if pool not in ('gaussian', 'bilinear'):
            raise ValueError(f"JointCon: pool must be 'gaussian' or 'bilinear', got {pool!r}")
        if (image_neck is None) != (image_head is None):
            raise ValueError('JointCon: give both image_neck and image_head, or neither')
        self.pool, self.sigma = pool, sigma
        self.image_neck = MODELS.build(image_neck) if image_neck is not None else None
        self.image_head = MODELS.build(image_head) if image_head is not None else None

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
        image = img_idx.repeat(2) + get_rank() * _RANK_STRIDE
        labels = dict(joint=joint_idx.repeat(2), image=image,
                      instance=image * num_joints + joint_idx.repeat(2))
        losses = dict(loss_jointcon=self.head.loss(self.neck([emb])[0], labels),
                      num_joints=emb.new_tensor(float(img_idx.numel())))
        if self.image_head is not None:
            image = torch.arange(b, device=feats.device).repeat(2) + get_rank() * _RANK_STRIDE
            losses['loss_image'] = self.image_head.loss(self.image_neck([feats])[0],
                                                        dict(image=image))
        return losses
