import numpy as np
import pytest
import torch

from mmhpse.conventions import KEYPOINTS, get_root_indices
from mmhpse.models.losses import (CameraPriorLoss, Keypoint3DLoss, KeypointLoss, SMPLBetasLoss,
                                  SMPLPoseLoss)
from mmhpse.registry import MODELS

Rotation = pytest.importorskip('scipy.spatial.transform').Rotation


def _ref_keypoint_loss(pred, target, conf, kind):
    """Per-element loop: mean over B * K * D of conf * err (absent elements count as zero)."""
    total = 0.
    b, k, d = pred.shape
    for i in range(b):
        for j in range(k):
            for c in range(d):
                if conf[i, j] > 0:
                    e = pred[i, j, c] - target[i, j, c]
                    total += conf[i, j] * (abs(e) if kind == 'l1' else e * e)
    return total / (b * k * d)


@pytest.mark.parametrize('kind', ['l1', 'mse'])
def test_keypoint_loss_matches_loop(kind):
    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=(3, 5, 2)), rng.normal(size=(3, 5, 2))
    conf = rng.uniform(size=(3, 5)) * (rng.uniform(size=(3, 5)) > 0.3)
    loss = KeypointLoss(kind, loss_weight=0.1)(
        torch.from_numpy(pred), torch.from_numpy(target), torch.from_numpy(conf))
    assert loss.item() == pytest.approx(0.1 * _ref_keypoint_loss(pred, target, conf, kind))


def test_absent_labels_give_zero_not_nan():
    pred = torch.randn(2, 4, 3, requires_grad=True)
    target = torch.full((2, 4, 3), float('nan'))
    loss = KeypointLoss('l1')(pred, target, torch.zeros(2, 4))
    loss.backward()
    assert loss.item() == 0 and torch.isfinite(pred.grad).all() and (pred.grad == 0).all()

    rot = torch.randn(2, 24, 3, 3, requires_grad=True)
    gt_pose = torch.randn(2, 24, 3, dtype=torch.float64)
    gt_pose[1] = float('nan')  # sample 1 has no SMPL: its content is garbage
    gt_rot = torch.from_numpy(Rotation.from_rotvec(gt_pose[0].numpy()).as_matrix()).float()
    has_smpl = torch.tensor([1., 0.])
    loss = SMPLPoseLoss('l1')(rot, gt_pose.float(), has_smpl)
    loss.backward()
    expected = (rot[0] - gt_rot).abs().sum() / rot.numel()
    assert torch.isfinite(loss) and loss.item() == pytest.approx(expected.item(), rel=1e-6)
    assert torch.isfinite(rot.grad).all() and (rot.grad[1] == 0).all()

    betas = torch.randn(2, 10, requires_grad=True)
    gt = torch.randn(2, 10)
    gt[0] = float('nan')
    loss = SMPLBetasLoss('mse', loss_weight=2.)(betas, gt, torch.tensor([0., 1.]))
    loss.backward()
    assert loss.item() == pytest.approx(2 * ((betas[1] - gt[1])**2).sum().item() / 20, rel=1e-6)
    assert torch.isfinite(betas.grad).all()

    kp3d = torch.randn(2, 49, 3, requires_grad=True)
    loss = Keypoint3DLoss()(kp3d, torch.full((2, 49, 3), float('nan')), torch.zeros(2, 49),
                            'smpl_49')
    loss.backward()
    assert loss.item() == 0 and torch.isfinite(kp3d.grad).all()


@pytest.mark.parametrize('convention,root', [('smpl_49', [27, 28]), ('smpl_24', [0]),
                                              ('h36m_17', [0])])
def test_keypoint3d_is_root_centred(convention, root):
    k = len(KEYPOINTS[convention])
    rng = np.random.default_rng(1)
    pred = torch.from_numpy(rng.normal(size=(2, k, 3)))
    target = torch.from_numpy(rng.normal(size=(2, k, 3)))
    conf = torch.ones(2, k)
    loss_fn = Keypoint3DLoss('l1')
    base = loss_fn(pred, target, conf, convention)
    shifted = loss_fn(pred + torch.tensor([1., -2., 5.]), target - torch.tensor([0., 3., 1.]), conf,
                      convention)
    torch.testing.assert_close(base, shifted)
    # explicit reference: centre both on the mean of the root joints (literal indices here)
    p = pred - pred[:, root].mean(1, keepdim=True)
    t = target - target[:, root].mean(1, keepdim=True)
    torch.testing.assert_close(base, (p - t).abs().mean())
    # a sample whose GT root is not valid contributes nothing
    conf[1, root[-1]] = 0
    only_first = loss_fn(pred, target, conf, convention)
    torch.testing.assert_close(only_first, (p[0] - t[0]).abs().sum() / p.numel())


def test_root_joints_by_name():
    names = KEYPOINTS['smpl_49']
    assert [names[i] for i in get_root_indices('smpl_49')] == ['right_hip_extra',
                                                               'left_hip_extra']
    assert [KEYPOINTS['smpl_24'][i] for i in get_root_indices('smpl_24')] == ['pelvis']
    with pytest.raises(KeyError, match="Convention 'human_data' has no root joint defined"):
        Keypoint3DLoss()(torch.zeros(1, 190, 3), torch.zeros(1, 190, 3), torch.ones(1, 190),
                         'human_data')


def test_camera_prior():
    cam = torch.tensor([[0.5, 0.1, 0.], [-0.2, 0., 0.3]])
    loss = CameraPriorLoss(scale=10., loss_weight=3.)(cam)
    expected = 3. * (np.exp(-5.)**2 + np.exp(2.)**2) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_registered_and_bad_type():
    loss = MODELS.build(dict(type='KeypointLoss', loss_type='mse', loss_weight=2.))
    assert isinstance(loss, KeypointLoss) and loss.loss_weight == 2.
    with pytest.raises(ValueError, match='loss_type must be "l1" or "mse", got "huber"'):
        KeypointLoss('huber')


def test_pose_loss_representation_switch():
    with pytest.raises(ValueError, match='representation must be "rotmat" or "axis_angle"'):
        SMPLPoseLoss(representation='quat')
    # identical rotations give zero in both representations; a quarter turn about z gives
    # |pi/2| on one axis-angle component
    eye = torch.eye(3).expand(1, 24, 3, 3)
    aa = torch.zeros(1, 24, 3)
    for rep in ('rotmat', 'axis_angle'):
        assert SMPLPoseLoss(representation=rep)(eye, aa, torch.ones(1)).item() == 0
    gt = aa.clone()
    gt[0, 5, 2] = np.pi / 2
    loss = SMPLPoseLoss(representation='axis_angle')(eye, gt, torch.ones(1))
    assert loss.item() == pytest.approx(np.pi / 2 / 72, rel=1e-6)
