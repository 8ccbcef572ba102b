"""Fusion of HRNet's multi-resolution outputs into one map (PARE's HRNet path).

Kept beside the heads because PARE's HRNet variant is the only user; registered in ``MODELS``
so configs use it as the estimator's ``neck``.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmhpse.registry import MODELS

__all__ = ['MultiScaleFuseNeck']


@MODELS.register_module()
class MultiScaleFuseNeck(BaseModule):
    """Upsample every branch to the resolution of the first one and concatenate.

    Branch ``i`` (``i >= 1``, half the resolution of branch ``i - 1``) is brought up by ``i``
    steps of x2: with ``use_conv=True`` each step is [bilinear x2 (align_corners), 3x3 conv,
    BN, ReLU] (modules ``upsample_stage_{i + 1}``, PARE's ``use_conv`` HRNet); otherwise one
    bilinear interpolation to the first branch's size.

    Args:
        in_channels (sequence[int]): Channels per branch, e.g. (32, 64, 128, 256) for HRNet-W32.
        use_conv (bool): Learned upsampling (see above). Defaults to True.
        init_cfg (dict | list[dict], optional): Initialisation config.

    Shapes:
        input: tuple of ``(B, C_i, H / 2^i, W / 2^i)``; output: a 1-tuple with
        ``(B, sum(C_i), H, W)``.
    """

    def __init__(self, in_channels: Sequence[int] = (32, 64, 128, 256), use_conv: bool = True,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = tuple(in_channels)
        self.use_conv = use_conv
        if use_conv:
            for i, ch in enumerate(self.in_channels[1:], start=1):
                layers: List[nn.Module] = []
                for _ in range(i):
                    layers += [
                        nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True),
                        nn.Conv2d(ch, ch, 3, padding=1, bias=False),
                        nn.BatchNorm2d(ch),
                        nn.ReLU(inplace=True)
                    ]
                self.add_module(f'upsample_stage_{i + 1}', nn.Sequential(*layers))

    @property
    def out_channels(self) -> int:
        return sum(self.in_channels)

    def forward(self, feats: Sequence[torch.Tensor]) -> Tuple[torch.Tensor]:
        if len(feats) != len(self.in_channels):
            raise ValueError(f'expected {len(self.in_channels)} feature maps, got {len(feats)}')
        size = feats[0].shape[-2:]
        outs = [feats[0]]
        for i, x in enumerate(feats[1:], start=1):
            if self.use_conv:
                x = getattr(self, f'upsample_stage_{i + 1}')(x)
                if x.shape[-2:] != size:
                    raise ValueError(f'branch {i} upsampled to {tuple(x.shape[-2:])}, expected '
                                     f'{tuple(size)}: input sizes must halve per branch')
            else:
                x = F.interpolate(x, size=size, mode='bilinear', align_corners=True)
            outs.append(x)
        return (torch.cat(outs, dim=1), )
