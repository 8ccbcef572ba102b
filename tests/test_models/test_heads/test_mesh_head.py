"""MeshRegressionHead: loss terms built from config, each against a brute-force reference."""
import os.path as osp

import numpy as np
import pytest
import torch

from mmhpse.models.heads import PAREC5Head
from mmhpse.structures import HumanDataSample

Rotation = pytest.importorskip('scipy.spatial.transform').Rotation
H, W, F = 64, 48, 5000.
ALL_LOSSES = dict(
    loss_keypoints3d=dict(type='Keypoint3DLoss', loss_weight=2.),
    loss_smpl_joints=dict(type='Keypoint3DLoss', loss_weight=3.),
    loss_keypoints2d=dict(type='KeypointLoss', loss_weight=0.5),
    loss_smpl_pose=dict(type='SMPLPoseLoss', loss_weight=5.),
    loss_smpl_betas=dict(type='SMPLBetasLoss', loss_weight=7.),
    loss_camera=dict(type='CameraPriorLoss', scale=10., loss_weight=11.))


def _head(body_dir, **kwargs):
    torch.manual_seed(0)
    cfg = dict(in_channels=8, num_filters=(8, 8), num_smpl_features=4,
               body_model=dict(type='SMPL', model_path=osp.join(body_dir, 'smpl'),
                               joint_regressor_extra=osp.join(body_dir, 'J_regressor_extra.npy')),
               img_size=(H, W))
    cfg.update(kwargs)
    return PAREC5Head(**cfg).eval()


def _samples(n=3, k=49, convention='smpl_49', seed=0):
    g = torch.Generator().manual_seed(seed)
    samples = []
    for i in range(n):
        s = HumanDataSample(metainfo=dict(sample_idx=i, convention=convention))
        conf = (torch.rand(k, 1, generator=g) > 0.3).float()
        s.gt_keypoints2d = torch.cat([torch.rand(k, 2, generator=g) * 40, conf], 1)
        s.gt_keypoints3d = torch.cat([torch.randn(k, 3, generator=g) * 0.3, conf], 1)
        s.gt_pose = torch.randn(24, 3, generator=g) * 0.3
        s.gt_betas = torch.randn(10, generator=g)
        s.has_smpl = torch.tensor(i != 1)
        s.has_keypoints3d = torch.tensor(i != 2)
        samples.append(s)
    return samples


def _np(t):
    return t.detach().double().numpy()


def _root_l1(pred, gt, conf, root):
    """Mean over B x K x 3 of conf * |root-centred pred - root-centred gt|, samples with an
    invalid GT root dropped (counted as zeros)."""
    total = 0.
    for b in range(pred.shape[0]):
        if not all(conf[b, r] > 0 for r in root):
            continue
        p = pred[b] - pred[b, root].mean(0)
        t = gt[b] - gt[b, root].mean(0)
        total += (conf[b][:, None] * np.abs(p - t)).sum()
    return total / pred.size


def test_every_term_matches_a_brute_force_formula(surrogate_body_model_dir):
    head = _head(surrogate_body_model_dir, **ALL_LOSSES)
    feats = torch.randn(3, 8, 4, 3, generator=torch.Generator().manual_seed(1))
    samples = _samples()
    with torch.no_grad():
        losses = head.loss((feats, ), samples)
        out = head(feats)
    assert set(losses) == {f'loss_{n}' for n in ('keypoints3d', 'smpl_joints', 'keypoints2d',
                                                 'smpl_pose', 'smpl_betas', 'camera')}
    body = head.body_model
    with torch.no_grad():
        mesh = body(out['pred_pose'][:, :1], out['pred_pose'][:, 1:], out['pred_betas'],
                    pose2rot=False)
    joints, cam = _np(mesh['joints']), _np(out['pred_cam'])
    gt2d = np.stack([_np(s.gt_keypoints2d) for s in samples])
    gt3d = np.stack([_np(s.gt_keypoints3d) for s in samples])
    has_smpl = np.array([float(s.has_smpl) for s in samples])
    has3d = np.array([float(s.has_keypoints3d) for s in samples])
    # 2D: pinhole with t = (tx, ty, 2 f / (L s)), L = max(H, W), centre (W/2, H/2), then both
    # sides normalised by (u - W/2) / (L/2)
    half = max(H, W) / 2
    total = 0.
    for b in range(3):
        t = np.array([cam[b, 1], cam[b, 2], 2 * F / (max(H, W) * cam[b, 0])])
        for j in range(49):
            x, y, z = joints[b, j] + t
            uv = np.array([F * x / z + W / 2, F * y / z + H / 2])
            err = np.abs((uv - [W / 2, H / 2]) / half - (gt2d[b, j, :2] - [W / 2, H / 2]) / half)
            total += gt2d[b, j, 2] * err.sum()
    assert losses['loss_keypoints2d'].item() == pytest.approx(0.5 * total / (3 * 49 * 2), rel=1e-4)
    # 3D: SPIN's root is the mean of joints 27 and 28 of smpl_49
    ref3d = _root_l1(joints, gt3d[..., :3], gt3d[..., 3] * has3d[:, None], [27, 28])
    assert losses['loss_keypoints3d'].item() == pytest.approx(2 * ref3d, rel=1e-4)
    # SMPL joints: the body model posed with the GT parameters
    gt_pose = np.stack([_np(s.gt_pose) for s in samples])
    gt_betas = np.stack([_np(s.gt_betas) for s in samples])
    with torch.no_grad():
        gt_joints = _np(body(torch.tensor(gt_pose[:, 0]).float(),
                             torch.tensor(gt_pose[:, 1:]).float(),
                             torch.tensor(gt_betas).float())['joints'])
    ref = _root_l1(joints, gt_joints, np.ones((3, 49)) * has_smpl[:, None], [27, 28])
    assert losses['loss_smpl_joints'].item() == pytest.approx(3 * ref, rel=1e-4)
    # pose: rotation matrices of the GT axis-angles (scipy)
    gt_rot = Rotation.from_rotvec(gt_pose.reshape(-1, 3)).as_matrix().reshape(3, 24, 3, 3)
    ref = sum(has_smpl[b] * np.abs(_np(out['pred_pose'])[b] - gt_rot[b]).sum() for b in range(3))
    assert losses['loss_smpl_pose'].item() == pytest.approx(5 * ref / (3 * 24 * 9), rel=1e-4)
    ref = sum(has_smpl[b] * np.abs(_np(out['pred_betas'])[b] - gt_betas[b]).sum() for b in range(3))
    assert losses['loss_smpl_betas'].item() == pytest.approx(7 * ref / 30, rel=1e-4)
    ref = np.mean(np.exp(-10 * cam[:, 0])**2)
    assert losses['loss_camera'].item() == pytest.approx(11 * ref, rel=1e-4)


def test_only_configured_terms_run(surrogate_body_model_dir):
    head = _head(surrogate_body_model_dir, loss_smpl_betas=dict(type='SMPLBetasLoss'))
    samples = _samples()
    for s in samples:  # a 2D-only dataset: no GT keypoints, no convention needed
        del s.gt_keypoints2d, s.gt_keypoints3d
        s.set_metainfo(dict(convention=None))
    losses = head.loss(torch.randn(3, 8, 4, 3), samples)
    assert list(losses) == ['loss_smpl_betas']
    assert not list(_head(surrogate_body_model_dir).loss(torch.randn(3, 8, 4, 3), samples))


def test_predict_and_clear_errors(surrogate_body_model_dir):
    head = _head(surrogate_body_model_dir, loss_keypoints2d=dict(type='KeypointLoss'))
    out = head.predict(torch.randn(2, 8, 4, 3))
    assert len(out) == 2 and out[0].pred_keypoints2d.shape == (49, 2)
    assert out[0].pred_transl.shape == (3, )
    samples = _samples(n=2)
    samples[1].set_metainfo(dict(convention=None))
    with pytest.raises(ValueError, match=r"data sample 1 \(sample_idx=1, .*convention None but "
                       r"the body model gives 'smpl_49' joints"):
        head.loss(torch.randn(2, 8, 4, 3), samples)
    with pytest.raises(ValueError, match='PAREC5Head has no body_model'):
        PAREC5Head(in_channels=8, num_filters=(8, 8), img_size=(H, W)).predict(
            torch.randn(1, 8, 4, 3))
    no_size = _head(surrogate_body_model_dir, img_size=None)
    with pytest.raises(ValueError, match='PAREC5Head has no img_size'):
        no_size.predict(torch.randn(1, 8, 4, 3))


def test_camera_prior_needs_a_weak_perspective_camera(surrogate_body_model_dir):
    with pytest.raises(ValueError, match='loss_camera keeps a weak-perspective scale positive, '
                       'but the camera is SigmoidDepthCamera'):
        _head(surrogate_body_model_dir, camera=dict(type='SigmoidDepthCamera'),
              loss_camera=dict(type='CameraPriorLoss'))
