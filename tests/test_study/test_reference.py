"""The mean-pose reference row on hand-made files, against a brute-force recomputation (scipy's
chordal rotation mean, the SMPL forward, the H36M regressor and per-sample Procrustes)."""
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from scipy.spatial.transform import Rotation

from mmhpse.study.reference import mean_pose_metrics, mean_smpl_params

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(__file__)), 'test_evaluation'))
from procrustes_reference import protocol_errors  # noqa: E402

H36M_TO_LSP14 = [6, 5, 4, 1, 2, 3, 16, 15, 14, 11, 12, 13, 8, 10]  # PAPER.md, 3DPW protocol


def _humandata(path, pose, betas, has_smpl=None):
    num = len(pose)
    data = dict(image_path=np.array([f'{i}.jpg' for i in range(num)]),
                bbox_xywh=np.tile([0., 0., 10., 20., 1.], (num, 1)).astype(np.float32),
                smpl=dict(global_orient=pose[:, 0].astype(np.float32),
                          body_pose=pose[:, 1:].astype(np.float32),
                          betas=betas.astype(np.float32)),
                meta=dict(gender=np.array(['neutral'] * num)))
    if has_smpl is not None:
        data['has_smpl'] = np.asarray(has_smpl, dtype=np.float32)
    np.savez(path, **data)


def test_mean_smpl_params_is_the_chordal_mean_of_labelled_samples():
    rng = np.random.default_rng(0)
    pose = rng.normal(0, 0.6, (7, 24, 3))
    betas = rng.normal(0, 1, (7, 10))
    samples = [dict(smpl_global_orient=p[0], smpl_body_pose=p[1:], smpl_betas=b, has_smpl=True)
               for p, b in zip(pose, betas)]
    samples.append(dict(smpl_global_orient=np.ones(3), smpl_body_pose=np.ones((23, 3)),
                        smpl_betas=np.full(10, 9.), has_smpl=False))  # not counted
    rotmats, mean_betas, count = mean_smpl_params(samples)
    assert count == 7
    np.testing.assert_allclose(mean_betas, betas.mean(0), atol=1e-12)
    for j in range(24):
        expected = Rotation.from_rotvec(pose[:, j]).mean().as_matrix()
        np.testing.assert_allclose(rotmats[j], expected, atol=1e-9)
    with pytest.raises(ValueError, match='the training set has no sample with SMPL labels'):
        mean_smpl_params(samples[-1:])


def test_mean_pose_metrics_match_a_brute_force_evaluation(tmp_path, surrogate_body_model_dir):
    rng = np.random.default_rng(1)
    bm = surrogate_body_model_dir
    train_pose = rng.normal(0, 0.4, (6, 24, 3))
    train_pose[:, 0] += [np.pi, 0., 0.]  # upright in the camera frame, like the real data
    train_betas = rng.normal(0, 1, (6, 10))
    train_pose[5], train_betas[5] = 2.5, 5.  # an unlabelled sample: must not count
    test_pose = rng.normal(0, 0.4, (4, 24, 3))
    test_pose[:, 0] += [np.pi, 0., 0.]
    test_betas = rng.normal(0, 1, (4, 10))
    _humandata(str(tmp_path / 'train.npz'), train_pose, train_betas, [1, 1, 1, 1, 1, 0])
    _humandata(str(tmp_path / 'test.npz'), test_pose, test_betas)
    body_model = dict(type='SMPL', model_path=osp.join(bm, 'smpl'),
                      joint_regressor_h36m=osp.join(bm, 'J_regressor_h36m.npy'))
    dataset = dict(type='HumanImageDataset', data_root=str(tmp_path), data_prefix=dict(img=''),
                   pipeline=[dict(type='LoadHumanImage')])
    cfg = Config(dict(
        train_dataloader=dict(dataset=dict(dataset, ann_file='train.npz')),
        test_dataloader=dict(dataset=dict(dataset, ann_file='test.npz', test_mode=True)),
        test_evaluator=dict(type='MeshMetric', dataset='3dpw', prefix='proc', gt_gender=False,
                            body_model=body_model)))
    metrics = mean_pose_metrics(cfg, {'proc': cfg})

    # brute force: scipy's chordal mean, SMPL meshes, H36M regressor, LSP-14, pelvis-centred
    from mmhpse.models.body_models.smpl import SMPL
    mean_aa = np.stack([Rotation.from_rotvec(train_pose[:5, j]).mean().as_rotvec()
                        for j in range(24)])
    smpl = SMPL(osp.join(bm, 'smpl'), gender='neutral')
    reg = np.load(osp.join(bm, 'J_regressor_h36m.npy'))

    def mesh(pose, betas):
        with torch.no_grad():
            out = smpl(torch.tensor(pose[:, 0], dtype=torch.float32),
                       torch.tensor(pose[:, 1:].reshape(-1, 69), dtype=torch.float32),
                       torch.tensor(betas, dtype=torch.float32))
        return out['vertices'].double().numpy()

    gt_v = mesh(test_pose, test_betas)
    pred_v = mesh(np.repeat(mean_aa[None], 4, 0), np.repeat(train_betas[:5].mean(0)[None], 4, 0))
    gt_j = np.einsum('jv,bvc->bjc', reg, gt_v)
    pred_j = np.einsum('jv,bvc->bjc', reg, pred_v)
    mpjpe, pa_mpjpe = protocol_errors(pred_j, gt_j, root=0, joints=H36M_TO_LSP14)
    pve = np.mean([np.linalg.norm((pred_v[i] - pred_j[i, 0]) - (gt_v[i] - gt_j[i, 0]), axis=1)
                   .mean() for i in range(4)])
    assert metrics['num_train_samples'] == 5
    assert metrics['proc/mpjpe'] == pytest.approx(1000 * mpjpe, rel=1e-4)
    assert metrics['proc/pa-mpjpe'] == pytest.approx(1000 * pa_mpjpe, rel=1e-4)
    assert metrics['proc/pve'] == pytest.approx(1000 * pve, rel=1e-4)
    assert metrics['proc/mpjpe'] > 10  # a real error, not a degenerate zero
