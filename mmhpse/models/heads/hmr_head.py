"""HMR iterative error feedback regressor (Kanazawa et al. 2018, as used by SPIN)."""
from typing import Dict, Optional, Union

import torch
import torch.nn as nn

from mmhpse.registry import MODELS
from mmhpse.utils.geometry import rot6d_to_rotmat
from .mesh_head import Feats, MeshRegressionHead

__all__ = ['HMRHead']


@MODELS.register_module()
class HMRHead(MeshRegressionHead):
    """Global-average-pooled features -> ``num_iters`` residual updates of (pose, shape, camera).

    Each iteration: ``[feat, pose6d, betas, cam]`` -> fc 1024 -> dropout -> fc 1024 -> dropout ->
    linear deltas added to the current estimate, starting from the mean parameters.

    Args:
        in_channels (int): Channels of the feature map (2048 for ResNet-50 C5).
        num_joints (int): SMPL joints. Defaults to 24.
        hidden_dim (int): Width of the two fc layers. Defaults to 1024.
        num_iters (int): Iterations. Defaults to 3.
        dropout (float): Dropout probability after each fc. Defaults to 0.5.
        smpl_mean_params (str, optional): Path of ``smpl_mean_params.npz``.
        init_cfg (dict | list[dict], optional): Initialisation config.
        **kwargs: Body model, camera, crop size and losses of :class:`MeshRegressionHead`.

    Forward input: tuple/list of maps (last used) or a tensor ``(B, C, H, W)`` / ``(B, C)``.
    Output dict: ``pred_pose (B, J, 3, 3)``, ``pred_pose6d (B, J, 6)``, ``pred_betas (B, 10)``,
    ``pred_cam (B, 3)``.
    """

    def __init__(self,
                 in_channels: int = 2048,
                 num_joints: int = 24,
                 hidden_dim: int = 1024,
                 num_iters: int = 3,
                 dropout: float = 0.5,
                 smpl_mean_params: Optional[str] = None,
                 init_cfg: Optional[Union[dict, list]] = None,
                 **kwargs):
        super().__init__(init_cfg=init_cfg, **kwargs)
        if num_iters < 1:
            raise ValueError(f'num_iters must be >= 1, got {num_iters}')
        self.num_joints = num_joints
        self.num_iters = num_iters
        npose = num_joints * 6
        self.fc1 = nn.Linear(in_channels + npose + 10 + 3, hidden_dim)
        self.drop1 = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden_dim, hidden_dim)
        self.drop2 = nn.Dropout(dropout)
        self.decpose = nn.Linear(hidden_dim, npose)
        self.decshape = nn.Linear(hidden_dim, 10)
        self.deccam = nn.Linear(hidden_dim, 3)
        self._small_init(self.decpose, self.decshape, self.deccam)
        self._register_mean_params(smpl_mean_params, num_joints)

    def forward(self, feats: Feats) -> Dict[str, torch.Tensor]:
        x = self._last_map(feats)
        if x.dim() == 4:
            x = x.mean(dim=(2, 3))
        b = x.shape[0]
        pose = self.init_pose.expand(b, -1)
        betas = self.init_shape.expand(b, -1)
        cam = self.init_cam.expand(b, -1)
        for _ in range(self.num_iters):
            h = self.drop1(self.fc1(torch.cat([x, pose, betas, cam], dim=1)))
            h = self.drop2(self.fc2(h))
            pose = pose + self.decpose(h)
            betas = betas + self.decshape(h)
            cam = cam + self.deccam(h)
        pose6d = pose.reshape(b, self.num_joints, 6)
        return dict(
            pred_pose=rot6d_to_rotmat(pose6d),
            pred_pose6d=pose6d,
            pred_betas=betas,
            pred_cam=cam)
