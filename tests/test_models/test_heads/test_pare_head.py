import os.path as osp

import numpy as np
import pytest
import torch

from mmhpse.models.heads import (LocallyConnectedLinear, PAREC5Head, PAREHead,
                                 part_attention_pool)
from mmhpse.models.utils import load_smpl_mean_params
from mmhpse.utils.geometry import rot6d_to_rotmat

from helpers.fixtures import SMPL_MEAN_PARAMS as REAL_MEAN  # noqa: E402
needs_real_mean = pytest.mark.skipif(
    not osp.isfile(REAL_MEAN), reason=f'real fixture {REAL_MEAN} is absent (fresh clone)')


def _zero_final_layers(head):
    with torch.no_grad():
        for layer in (head.pose_regressor, head.shape_regressor, head.cam_regressor):
            layer.weight.zero_()
            layer.bias.zero_()


def test_original_head_shapes_deconv_path():
    torch.manual_seed(0)
    head = PAREHead(in_channels=16, num_filters=(8, 8, 8), kernels=(4, 4, 4), num_smpl_features=4)
    head.init_weights()
    out = head((torch.randn(2, 16, 4, 3), ))
    # three stride-2 deconvs: 4x3 -> 32x24 (7x7 -> 56x56 for a 224 crop)
    assert out['pred_segm_mask'].shape == (2, 25, 32, 24)
    assert out['part_attention'].shape == (2, 24, 32, 24)
    assert out['pred_pose'].shape == (2, 24, 3, 3)
    assert out['pred_pose6d'].shape == (2, 24, 6)
    assert out['pred_betas'].shape == (2, 10)
    assert out['pred_cam'].shape == (2, 3)
    torch.testing.assert_close(out['part_attention'].sum(dim=(2, 3)), torch.ones(2, 24))
    # the attention is the softmax of the part channels, i.e. background (channel 0) excluded
    ref = torch.softmax(out['pred_segm_mask'][:, 1:].flatten(2), -1).reshape(2, 24, 32, 24)
    torch.testing.assert_close(out['part_attention'], ref)
    r = out['pred_pose']
    torch.testing.assert_close(r @ r.transpose(-1, -2), torch.eye(3).expand(2, 24, 3, 3),
                               atol=1e-5, rtol=0)


def test_resnet_c5_7x7_to_56x56():
    head = PAREHead(in_channels=8, num_filters=(4, 4, 4), num_smpl_features=2)
    out = head(torch.randn(1, 8, 7, 7))
    assert out['pred_segm_mask'].shape[-2:] == (56, 56)


def test_c5_head_structure_and_shapes():
    head = PAREC5Head(in_channels=32)
    convs = [m for m in head.part_branch if isinstance(m, torch.nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size, c.stride) for c in convs] == [(128, (3, 3), (1, 1))] * 2
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in head.smpl_branch) == 2
    assert head.part_final.out_channels == 24 and head.part_final.kernel_size == (1, 1)
    assert head.smpl_final.out_channels == 64
    assert head.shape_regressor.in_features == 24 * 64
    assert head.cam_regressor.in_features == 24 * 64
    assert head.pose_regressor.weight.shape == (24, 6, 128)
    out = head([torch.randn(3, 32, 8, 6)])
    assert out['pred_segm_mask'].shape == (3, 24, 8, 6)  # no deconvs, no background
    assert out['part_attention'].shape == (3, 24, 8, 6)
    torch.testing.assert_close(out['part_attention'].sum(dim=(2, 3)), torch.ones(3, 24))
    assert out['pred_pose'].shape == (3, 24, 3, 3)


@pytest.mark.parametrize('path', [None, pytest.param(REAL_MEAN, marks=needs_real_mean)])
@pytest.mark.parametrize('cls', [PAREHead, PAREC5Head])
def test_zeroed_final_layers_return_mean_params(cls, path):
    kwargs = dict(in_channels=8, num_filters=(4, 4), kernels=(3, 3), num_smpl_features=4,
                  smpl_mean_params=path)
    if cls is PAREHead:
        kwargs['branch'] = 'conv'
    head = cls(**kwargs).eval()
    _zero_final_layers(head)
    out = head(torch.randn(2, 8, 6, 5))
    mean = load_smpl_mean_params(path)
    expected_rot = rot6d_to_rotmat(mean['pose'].reshape(24, 6)).expand(2, 24, 3, 3)
    torch.testing.assert_close(out['pred_pose'], expected_rot)
    torch.testing.assert_close(out['pred_betas'], mean['shape'].expand(2, 10))
    torch.testing.assert_close(out['pred_cam'], mean['cam'].expand(2, 3))


@needs_real_mean
def test_real_mean_params_file():
    mean = load_smpl_mean_params(REAL_MEAN)
    raw = np.load(REAL_MEAN)
    np.testing.assert_allclose(mean['pose'].numpy(), raw['pose'])
    np.testing.assert_allclose(mean['cam'].numpy(), raw['cam'])
    # every joint's 6-D mean is (close to) two orthonormal columns of a rotation
    cols = mean['pose'].reshape(24, 3, 2)
    np.testing.assert_allclose(cols.norm(dim=1).numpy(), np.ones((24, 2)), atol=1e-3)


def test_mean_params_bad_file(tmp_path):
    path = str(tmp_path / 'bad.npz')
    np.savez(path, pose=np.zeros(144), shape=np.zeros(10))
    with pytest.raises(KeyError, match=r'bad\.npz: key "cam" is missing'):
        load_smpl_mean_params(path)
    np.savez(path, pose=np.zeros(140), shape=np.zeros(10), cam=np.zeros(3))
    with pytest.raises(ValueError, match=r'bad\.npz: key "pose" has 140 values, expected 144'):
        load_smpl_mean_params(path)
    cam = np.zeros(3)
    cam[2] = np.nan
    np.savez(path, pose=np.zeros(144), shape=np.zeros(10), cam=cam)
    with pytest.raises(ValueError, match='key "cam" is not finite at index 2'):
        load_smpl_mean_params(path)


def test_part_attention_pool_matches_loops():
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(2, 5, 3, 4))
    logits = rng.normal(size=(2, 6, 3, 4))
    pooled, att = part_attention_pool(torch.from_numpy(feats), torch.from_numpy(logits))
    ref = np.zeros((2, 6, 5))
    for b in range(2):
        for j in range(6):
            e = np.exp(logits[b, j] - logits[b, j].max())
            a = e / e.sum()
            np.testing.assert_allclose(att[b, j].numpy(), a, rtol=1e-12)
            for c in range(5):
                ref[b, j, c] = (a * feats[b, c]).sum()
    np.testing.assert_allclose(pooled.numpy(), ref, rtol=1e-10)
    with pytest.raises(ValueError, match='different spatial sizes'):
        part_attention_pool(torch.zeros(1, 2, 3, 3), torch.zeros(1, 4, 3, 4))


def test_locally_connected_is_one_linear_per_joint():
    torch.manual_seed(0)
    layer = LocallyConnectedLinear(4, 7, 6)
    with torch.no_grad():
        layer.bias.normal_()
    x = torch.randn(3, 4, 7)
    out = layer(x)
    for j in range(4):
        torch.testing.assert_close(out[:, j], x[:, j] @ layer.weight[j].T + layer.bias[j])


def test_bad_branch():
    with pytest.raises(ValueError, match='branch must be "deconv" or "conv"'):
        PAREHead(branch='fc')
