"""A tiny PARE estimator (narrow ResNet-18, 64x48 crops, surrogate SMPL) end to end."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper

from mmhpse.registry import MODELS
from mmhpse.structures import HumanDataSample
from mmhpse.utils import register_all_modules
from mmhpse.utils.geometry import rot6d_to_rotmat

register_all_modules()
H, W = 64, 48


LOSSES = dict(
    loss_keypoints3d=dict(type='Keypoint3DLoss', loss_weight=1.),
    loss_smpl_joints=dict(type='Keypoint3DLoss', loss_weight=1.),
    loss_keypoints2d=dict(type='KeypointLoss', loss_weight=0.1),
    loss_smpl_pose=dict(type='SMPLPoseLoss', loss_weight=1.),
    loss_smpl_betas=dict(type='SMPLBetasLoss', loss_weight=1.),
    loss_camera=dict(type='CameraPriorLoss', loss_weight=1.))


def _cfg(body_dir, head='PAREC5Head', backbone=None, **kwargs):
    head_cfg = dict(type=head, in_channels=64,
                    smpl_mean_params=osp.join(body_dir, 'smpl_mean_params.npz'),
                    camera=dict(type='WeakPerspectiveCamera', focal_length=5000.), **LOSSES)
    if head == 'PAREC5Head':
        head_cfg.update(num_filters=(16, 16), num_smpl_features=8)
    else:
        head_cfg.update(hidden_dim=32)
    cfg = dict(
        type='ImageMeshEstimator',
        data_preprocessor=dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
        backbone=dict(type='mmpretrain.ResNet', depth=18, base_channels=8, stem_channels=8,
                      out_indices=(3, ), **(backbone or {})),
        head=head_cfg,
        body_model=dict(type='SMPL', model_path=osp.join(body_dir, 'smpl'),
                        joint_regressor_extra=osp.join(body_dir, 'J_regressor_extra.npy')),
        img_res=(H, W))
    cfg.update(kwargs)
    return cfg


def _batch(model, n=4, seed=0, has_smpl=(1, 0, 1, 1), has_kp3d=(1, 1, 0, 1)):
    """Images + samples whose GT comes from the surrogate SMPL with random pose/shape/camera."""
    g = torch.Generator().manual_seed(seed)
    pose = torch.randn(n, 24, 3, generator=g) * 0.2
    betas = torch.randn(n, 10, generator=g) * 0.5
    with torch.no_grad():
        smpl = model.head.body_model(global_orient=pose[:, 0], body_pose=pose[:, 1:].flatten(1),
                                     betas=betas)
    joints, mask = smpl['joints'], smpl.get('joints_mask', torch.ones(49))
    transl = torch.tensor([0., 0.2, 40.]).expand(n, 3)
    uv = joints[..., :2] / (joints[..., 2:] + transl[:, None, 2:]) * 5000 + torch.tensor(
        [W / 2, H / 2])
    samples = []
    for i in range(n):
        s = HumanDataSample(metainfo=dict(img_shape=(H, W), sample_idx=i, convention='smpl_49'))
        s.gt_keypoints2d = torch.cat([uv[i], mask.float()[:, None]], -1)
        s.gt_keypoints3d = torch.cat([joints[i] + transl[i], mask.float()[:, None]], -1)
        s.gt_pose = pose[i] * has_smpl[i]
        s.gt_betas = betas[i] * has_smpl[i]
        s.has_smpl = torch.tensor(bool(has_smpl[i]))
        s.has_keypoints3d = torch.tensor(bool(has_kp3d[i]))
        samples.append(s)
    imgs = [torch.randint(0, 256, (3, H, W), generator=g, dtype=torch.uint8) for _ in range(n)]
    return dict(inputs=imgs, data_samples=samples)


@pytest.fixture
def model(surrogate_body_model_dir):
    torch.manual_seed(0)
    return MODELS.build(_cfg(surrogate_body_model_dir))


def test_loss_keys_finite_and_masked(model):
    data = model.data_preprocessor(_batch(model), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {'loss_keypoints3d', 'loss_smpl_joints', 'loss_keypoints2d',
                           'loss_smpl_pose', 'loss_smpl_betas', 'loss_camera'}
    assert all(torch.isfinite(v) and v.dim() == 0 for v in losses.values())
    # no SMPL and no 3D anywhere: those losses are exactly zero, not NaN
    data = model.data_preprocessor(_batch(model, has_smpl=(0, ) * 4, has_kp3d=(0, ) * 4), True)
    for s in data['data_samples']:
        s.gt_pose = torch.full((24, 3), float('nan'))  # garbage where has_smpl is False
    losses = model.loss(data['inputs'], data['data_samples'])
    for key in ('loss_keypoints3d', 'loss_smpl_joints', 'loss_smpl_pose', 'loss_smpl_betas'):
        assert losses[key].item() == 0, key
    assert losses['loss_keypoints2d'].item() > 0


def test_predict_fields_and_projection(model):
    model.eval()
    data = model.data_preprocessor(_batch(model, n=2), training=False)
    with torch.no_grad():
        out = model.predict(data['inputs'], data['data_samples'])
    body = model.head.body_model
    nv = body(global_orient=torch.zeros(1, 3), body_pose=torch.zeros(1, 69),
              betas=torch.zeros(1, 10))['vertices'].shape[1]
    for s in out:
        assert s.pred_pose.shape == (24, 3, 3) and s.pred_betas.shape == (10, )
        assert s.pred_cam.shape == (3, ) and s.pred_vertices.shape == (nv, 3)
        assert s.pred_joints.shape == (49, 3) and s.pred_keypoints2d.shape == (49, 2)
        # independent pinhole: t = (tx, ty, 2 f / (max(H, W) s)), centre (W/2, H/2)
        s_, tx, ty = s.pred_cam.numpy().astype(np.float64)
        p = s.pred_joints.numpy().astype(np.float64) + [tx, ty, 2 * 5000 / (max(H, W) * s_)]
        uv = 5000 * p[:, :2] / p[:, 2:] + [W / 2, H / 2]
        np.testing.assert_allclose(s.pred_keypoints2d.numpy(), uv, rtol=1e-4, atol=1e-3)
        # the mesh is the body model's mesh for the predicted parameters
        ref = body(global_orient=s.pred_pose[None, :1], body_pose=s.pred_pose[None, 1:],
                   betas=s.pred_betas[None], pose2rot=False)
        torch.testing.assert_close(s.pred_vertices, ref['vertices'][0])
    tensors = model(data['inputs'], mode='tensor')
    assert tensors['part_attention'].shape[:2] == (2, 24)


def test_optimisation_reduces_loss(model):
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=3e-3))
    batch = _batch(model, seed=1)
    history = []
    for _ in range(15):
        log = model.train_step(batch, optim)
        history.append(float(log['loss'].detach()))
    assert history[-1] < 0.7 * history[0], history


def test_frozen_backbone(surrogate_body_model_dir):
    """The study's frozen backbone: mmpretrain ResNet's frozen_stages (all 4) and norm_eval."""
    model = MODELS.build(_cfg(surrogate_body_model_dir,
                              backbone=dict(frozen_stages=4, norm_eval=True)))
    model.train()
    bns = [m for m in model.backbone.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns) and model.head.training
    assert not any(p.requires_grad for p in model.backbone.parameters())
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    head_before = model.head.pose_regressor.weight.clone()
    optim = OptimWrapper(torch.optim.Adam([p for p in model.parameters() if p.requires_grad],
                                          lr=1e-3))
    model.train_step(_batch(model), optim)
    for k, v in model.backbone.state_dict().items():
        torch.testing.assert_close(v, before[k], msg=k)  # weights and BN statistics
    assert not torch.equal(model.head.pose_regressor.weight, head_before)  # the head learns


def test_hmr_head_in_estimator(surrogate_body_model_dir):
    model = MODELS.build(_cfg(surrogate_body_model_dir, head='HMRHead')).eval()
    with torch.no_grad():
        for layer in (model.head.decpose, model.head.decshape, model.head.deccam):
            layer.weight.zero_()
            layer.bias.zero_()
        data = model.data_preprocessor(_batch(model, n=2), training=False)
        out = model.predict(data['inputs'], data['data_samples'])
    mean = np.load(osp.join(surrogate_body_model_dir, 'smpl_mean_params.npz'))
    expected = rot6d_to_rotmat(torch.from_numpy(mean['pose']).float().reshape(24, 6))
    torch.testing.assert_close(out[0].pred_pose, expected)


def test_bad_inputs(model):
    data = model.data_preprocessor(_batch(model, n=2), training=True)
    for s in data['data_samples']:
        s.gt_keypoints2d = torch.zeros(17, 3)
    with pytest.raises(ValueError, match='gt_keypoints2d has 17 keypoints but the body model '
                       r'gives 49 joints \(smpl_49\)'):
        model.loss(data['inputs'], data['data_samples'])
    # a convention whose joints are not the body model's is refused by name, sample named
    for s in data['data_samples']:
        s.set_metainfo(dict(convention='coco_17'))
    with pytest.raises(ValueError, match=r"data sample 0 \(sample_idx=0, .*convention 'coco_17' "
                       r"but the body model gives 'smpl_49' joints"):
        model.loss(data['inputs'], data['data_samples'])
    with pytest.raises(ValueError, match=r'inputs have size \(32, 32\) but the estimator was '
                       r'configured with img_res=\(64, 48\)'):
        model(torch.zeros(1, 3, 32, 32), mode='tensor')
    with pytest.raises(ValueError, match='mode must be'):
        model(torch.zeros(1, 3, H, W), mode='bogus')
