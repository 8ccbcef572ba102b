"""PARE's HRNet-W32 path: mmpretrain HRNet -> MultiScaleFuseNeck -> PAREHead (conv branches)."""
import pytest
import torch

from mmhpse.models.heads import MultiScaleFuseNeck, PAREHead


def test_fuse_neck_interpolation_matches_functional():
    feats = [torch.randn(1, c, 16 // 2**i, 12 // 2**i) for i, c in enumerate((2, 3, 4, 5))]
    neck = MultiScaleFuseNeck(in_channels=(2, 3, 4, 5), use_conv=False)
    (out, ) = neck(feats)
    assert out.shape == (1, 14, 16, 12)
    torch.testing.assert_close(out[:, :2], feats[0])
    up = torch.nn.functional.interpolate(feats[3], size=(16, 12), mode='bilinear',
                                         align_corners=True)
    torch.testing.assert_close(out[:, 9:], up)


def test_fuse_neck_conv_layout():
    neck = MultiScaleFuseNeck(in_channels=(2, 3, 4, 5), use_conv=True)
    convs = {i: [m for m in getattr(neck, f'upsample_stage_{i}') if isinstance(m, torch.nn.Conv2d)]
             for i in (2, 3, 4)}
    assert {i: len(c) for i, c in convs.items()} == {2: 1, 3: 2, 4: 3}
    with pytest.raises(ValueError, match='expected 4 feature maps'):
        neck([torch.zeros(1, 2, 4, 4)])
    with pytest.raises(ValueError, match='input sizes must halve'):
        neck([torch.zeros(1, 2, 8, 8), torch.zeros(1, 3, 4, 4), torch.zeros(1, 4, 2, 2),
              torch.zeros(1, 5, 2, 2)])


def test_hrnet_w32_pare_shapes():
    from mmpretrain.models import HRNet
    backbone = HRNet(arch='w32')
    backbone.eval()  # (mmpretrain's HRNet.train returns None: no chaining)
    neck = MultiScaleFuseNeck(in_channels=(32, 64, 128, 256)).eval()
    head = PAREHead(in_channels=480, branch='conv', num_filters=(128, 128), kernels=(3, 3)).eval()
    with torch.no_grad():
        feats = backbone(torch.randn(1, 3, 64, 64))
        assert [tuple(f.shape[1:]) for f in feats] == [(32, 16, 16), (64, 8, 8), (128, 4, 4),
                                                       (256, 2, 2)]
        fused = neck(feats)
        assert fused[0].shape == (1, 480, 16, 16)
        out = head(fused)
    assert out['pred_segm_mask'].shape == (1, 25, 16, 16)
    assert out['pred_pose'].shape == (1, 24, 3, 3)
    assert out['pred_betas'].shape == (1, 10) and out['pred_cam'].shape == (1, 3)
