"""mmhuman3d PARE checkpoint -> mmhpse: names from mmhuman3d's PareHead / PoseHighResolutionNet
(hrnet_w32_conv_pare configs: 2 conv layers of 128, 25 part channels, 64 SMPL channels), shapes
synthesised, strict loading, and equal outputs of the converted head and mmhuman3d's forward."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from mmhpse.models.heads import MultiScaleFuseNeck, PAREHead

from helpers.tool_runner import REPO, load_tool

conv = load_tool('tools/model_converters/mmhuman3d_pare_to_mmhpse.py')


def _bn(prefix, c):
    return {f'{prefix}.weight': (c, ), f'{prefix}.bias': (c, ), f'{prefix}.running_mean': (c, ),
            f'{prefix}.running_var': (c, ), f'{prefix}.num_batches_tracked': ()}


def mmhuman3d_head_shapes(cin=480, f=128, j=24, s=64):
    """Parameter/buffer names and shapes of mmhuman3d's PareHead (hrnet_w32-conv, 2 layers)."""
    shapes = {}
    for branch, final_out, final_name in (('keypoint_deconv_layers', j + 1, 'keypoint_final_layer'),
                                          ('smpl_deconv_layers', s, 'smpl_final_layer')):
        shapes[f'head.{branch}.0.weight'] = (f, cin, 3, 3)
        shapes.update(_bn(f'head.{branch}.1', f))
        shapes[f'head.{branch}.3.weight'] = (f, f, 3, 3)
        shapes.update(_bn(f'head.{branch}.4', f))
        shapes[f'head.{final_name}.weight'] = (final_out, f, 1, 1)
        shapes[f'head.{final_name}.bias'] = (final_out, )
    shapes.update({
        'head.temperature': (),
        'head.init_pose': (1, j * 6),
        'head.init_shape': (1, 10),
        'head.init_cam': (1, 3),
        'head.shape_mlp.weight': (10, j * s),
        'head.shape_mlp.bias': (10, ),
        'head.cam_mlp.weight': (3, j * s),
        'head.cam_mlp.bias': (3, ),
        'head.pose_mlp.weight': (1, 6, f, j, 1, 1),
    })
    return shapes


def mmhuman3d_hrnet_extra_shapes():
    """mmhuman3d HRNet keys that mmpretrain's HRNet lacks: the heatmap layer, the upsampling."""
    shapes = {'backbone.final_layer.weight': (24, 32, 1, 1), 'backbone.final_layer.bias': (24, )}
    for stage, c in ((2, 64), (3, 128), (4, 256)):
        for i in range(stage - 1):  # [Upsample, conv, BN, ReLU] per step
            shapes[f'backbone.upsample_stage_{stage}.{4 * i + 1}.weight'] = (c, c, 3, 3)
            shapes.update(_bn(f'backbone.upsample_stage_{stage}.{4 * i + 2}', c))
    return shapes


def _random(shapes, seed=0):
    g = torch.Generator().manual_seed(seed)
    out = {}
    for k, shp in shapes.items():
        if k.endswith('num_batches_tracked'):
            out[k] = torch.tensor(7)
        elif k.endswith('running_var'):
            out[k] = torch.rand(shp, generator=g) + 0.5
        else:
            out[k] = torch.randn(shp, generator=g) * 0.1
    return out


class _Target(torch.nn.Module):

    def __init__(self, backbone=None):
        super().__init__()
        if backbone is not None:
            self.backbone = backbone
            self.neck = MultiScaleFuseNeck(in_channels=(32, 64, 128, 256))
        self.head = PAREHead(in_channels=480, branch='conv', num_filters=(128, 128),
                             kernels=(3, 3), background=True)


def test_full_hrnet_checkpoint_loads_strictly():
    from mmpretrain.models import HRNet
    target = _Target(HRNet(arch='w32'))
    backbone = {f'backbone.{k}': v.shape for k, v in target.backbone.state_dict().items()}
    src = _random({**backbone, **mmhuman3d_hrnet_extra_shapes(), **mmhuman3d_head_shapes()})
    src['body_model_train.v_template'] = torch.zeros(6890, 3)
    src['body_model_test.J_regressor'] = torch.zeros(24, 6890)
    converted = conv.convert_state_dict(src)
    target.load_state_dict(converted, strict=True)
    torch.testing.assert_close(target.neck.upsample_stage_4[9].weight,
                               src['backbone.upsample_stage_4.9.weight'])
    torch.testing.assert_close(target.backbone.stage4[2].branches[3][3].conv2.weight,
                               src['backbone.stage4.2.branches.3.3.conv2.weight'])


def _mmhuman3d_head_forward(sd, x):
    """mmhuman3d PareHead.forward (part_segm attention, no mean addition), BN in eval mode."""

    def branch(name, y):
        for conv_i, bn_i in ((0, 1), (3, 4)):
            y = F.conv2d(y, sd[f'head.{name}.{conv_i}.weight'], padding=1)
            p = f'head.{name}.{bn_i}'
            y = F.batch_norm(y, sd[p + '.running_mean'], sd[p + '.running_var'],
                             sd[p + '.weight'], sd[p + '.bias'], training=False)
            y = F.relu(y)
        return y

    b = x.shape[0]
    heat = F.conv2d(branch('keypoint_deconv_layers', x), sd['head.keypoint_final_layer.weight'],
                    sd['head.keypoint_final_layer.bias'])[:, 1:]
    smpl = branch('smpl_deconv_layers', x)
    cam_shape = F.conv2d(smpl, sd['head.smpl_final_layer.weight'], sd['head.smpl_final_layer.bias'])
    att = F.softmax(heat.flatten(2), -1)  # (B, J, HW)
    pose_feat = (att @ smpl.flatten(2).transpose(1, 2)).transpose(1, 2)  # (B, C, J)
    cs_feat = (att @ cam_shape.flatten(2).transpose(1, 2)).transpose(1, 2).flatten(1)
    # LocallyConnected2d: out[b, o, j] = sum_c x[b, c, j] * w[0, o, c, j, 0, 0]
    w = sd['head.pose_mlp.weight'][0, :, :, :, 0, 0]
    pose = torch.einsum('bcj,ocj->bjo', pose_feat, w)
    shape = F.linear(cs_feat, sd['head.shape_mlp.weight'], sd['head.shape_mlp.bias'])
    cam = F.linear(cs_feat, sd['head.cam_mlp.weight'], sd['head.cam_mlp.bias'])
    return pose.reshape(b, 24, 6), shape, cam


def test_converted_head_reproduces_mmhuman3d_outputs():
    src = _random(mmhuman3d_head_shapes(), seed=3)
    target = _Target()
    target.load_state_dict(conv.convert_state_dict(src), strict=True)
    target.eval()
    x = torch.randn(2, 480, 6, 5)
    pose6d, shape, cam = _mmhuman3d_head_forward(src, x)
    with torch.no_grad():
        out = target.head(x)
    torch.testing.assert_close(out['pred_pose6d'], pose6d, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out['pred_betas'], shape, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out['pred_cam'], cam, atol=1e-5, rtol=1e-5)


def test_unknown_and_bad_keys():
    src = _random(mmhuman3d_head_shapes())
    src['head.mystery.weight'] = torch.zeros(3)
    with pytest.raises(KeyError, match='not covered by the name map'):
        conv.convert_state_dict(src)
    src = _random(mmhuman3d_head_shapes())
    src['head.pose_mlp.weight'] = torch.zeros(6, 128, 24)
    with pytest.raises(ValueError, match='head.pose_mlp.weight: expected a'):
        conv.convert_state_dict(src)
    src = _random(mmhuman3d_head_shapes())
    del src['head.init_cam']
    with pytest.raises(KeyError, match='head.init_cam'):
        conv.convert_state_dict(src)


def test_converted_checkpoint_loads_strictly_into_the_config_model(surrogate_body_model_dir):
    """The whole estimator of pare_hrnet_w32.py (head with body model, camera and losses): its
    state dict is exactly the converted keys (the SMPL buffers are not part of it)."""
    from mmengine.config import Config

    from mmhpse.registry import MODELS
    from mmhpse.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'models', 'pare_hrnet_w32.py')).model
    cfg.body_model.model_path = osp.join(surrogate_body_model_dir, 'smpl')
    cfg.body_model.joint_regressor_extra = osp.join(surrogate_body_model_dir,
                                                    'J_regressor_extra.npy')
    cfg.head.smpl_mean_params = osp.join(surrogate_body_model_dir, 'smpl_mean_params.npz')
    model = MODELS.build(cfg)
    backbone = {f'backbone.{k}': v.shape for k, v in model.backbone.state_dict().items()}
    src = _random({**backbone, **mmhuman3d_hrnet_extra_shapes(), **mmhuman3d_head_shapes()})
    src['body_model_train.v_template'] = torch.zeros(6890, 3)
    converted = conv.convert_state_dict(src)
    assert not [k for k in model.state_dict() if 'body_model' in k]
    model.load_state_dict(converted, strict=True)
    torch.testing.assert_close(model.head.part_final.weight,
                               src['head.keypoint_final_layer.weight'])
