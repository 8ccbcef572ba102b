"""MeshMetric end to end on data samples with the surrogate body model."""
import logging
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger

from mmhpse.conventions import H36M_TO_LSP14, convert_kps, get_keypoint_names
from mmhpse.evaluation.functional import mpvpe
from mmhpse.evaluation.metrics import MeshMetric
from mmhpse.models.body_models import SMPL
from mmhpse.structures import HumanDataSample
from test_evaluation.procrustes_reference import protocol_errors

GENDERS = ['male', 'female', 'neutral', 'female', 'male', 'male']


@pytest.fixture(scope='module')
def scene(surrogate_body_model_dir):
    """GT SMPL parameters, gendered and neutral GT meshes, and a perturbed prediction."""
    rng = np.random.default_rng(0)
    n = len(GENDERS)
    pose = rng.normal(scale=0.3, size=(n, 24, 3)).astype(np.float32)
    betas = rng.normal(scale=0.5, size=(n, 10)).astype(np.float32)
    models = {g: SMPL(osp.join(surrogate_body_model_dir, 'smpl'), gender=g)
              for g in ('neutral', 'male', 'female')}

    def mesh(gender, p, b):
        with torch.no_grad():
            return models[gender](global_orient=torch.from_numpy(p[:, 0]),
                                  body_pose=torch.from_numpy(p[:, 1:].reshape(-1, 69)),
                                  betas=torch.from_numpy(b))['vertices'].numpy()

    gendered = np.concatenate(
        [mesh(g, pose[i:i + 1], betas[i:i + 1]) for i, g in enumerate(GENDERS)])
    neutral = mesh('neutral', pose, betas)
    pred = mesh('neutral', pose + rng.normal(scale=0.1, size=pose.shape).astype(np.float32),
                betas + rng.normal(scale=0.3, size=betas.shape).astype(np.float32))
    h36m_reg = np.load(osp.join(surrogate_body_model_dir, 'J_regressor_h36m.npy'))
    return dict(dir=surrogate_body_model_dir, pose=pose, betas=betas, gendered=gendered,
                neutral=neutral, pred=pred, h36m_reg=h36m_reg.astype(np.float64))


def _body_cfg(d):
    return dict(type='SMPL', model_path=osp.join(d, 'smpl'))


def _samples(scene, pred_vertices, keypoints3d=None, convention='smpl_49'):
    out = []
    for i, gender in enumerate(GENDERS):
        s = HumanDataSample(metainfo=dict(sample_idx=i, gender=gender, img_path=f'img_{i}.jpg',
                                          convention=convention))
        s.gt_pose = torch.from_numpy(scene['pose'][i])
        s.gt_betas = torch.from_numpy(scene['betas'][i])
        s.has_smpl = torch.tensor(True)
        s.pred_vertices = torch.as_tensor(pred_vertices[i], dtype=torch.float32)
        if keypoints3d is not None:
            s.gt_keypoints3d = torch.as_tensor(keypoints3d[i], dtype=torch.float32)
            s.has_keypoints3d = torch.tensor(True)
        out.append(s)
    return out


def _evaluate(metric, samples):
    """Through mmengine's Evaluator, as a validation loop does (two batches)."""
    evaluator = Evaluator(metric)
    evaluator.process(data_samples=samples[:4])
    evaluator.process(data_samples=samples[4:])
    return evaluator.evaluate(len(samples))


class _Records(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_3dpw_perfect_prediction_is_zero_with_gendered_gt(scene):
    metric = MeshMetric(dataset='3dpw', body_model=_body_cfg(scene['dir']), gt_gender='gendered')
    res = _evaluate(metric, _samples(scene, scene['gendered']))
    assert set(res) == {'3dpw/mpjpe', '3dpw/pa-mpjpe', '3dpw/pve'}
    assert max(res.values()) < 1e-3


def test_3dpw_against_brute_force_protocol(scene):
    reg, pred, gt = scene['h36m_reg'], scene['pred'].astype(np.float64), scene['gendered']
    pred_j = np.einsum('jv,nvc->njc', reg, pred)
    gt_j = np.einsum('jv,nvc->njc', reg, gt.astype(np.float64))
    ref_mpjpe, ref_pa = protocol_errors(pred_j, gt_j, 0, list(H36M_TO_LSP14))
    ref_pve = np.mean([
        np.linalg.norm((pred[i] - pred_j[i, 0]) - (gt[i] - gt_j[i, 0]), axis=1).mean()
        for i in range(len(gt))
    ])
    metric = MeshMetric(dataset='3dpw', body_model=_body_cfg(scene['dir']), gt_gender='gendered')
    res = _evaluate(metric, _samples(scene, scene['pred']))
    assert res['3dpw/mpjpe'] > 10.  # a real error, in mm
    assert res['3dpw/mpjpe'] == pytest.approx(ref_mpjpe * 1000., abs=1e-3)
    assert res['3dpw/pa-mpjpe'] == pytest.approx(ref_pa * 1000., abs=1e-3)
    assert res['3dpw/pve'] == pytest.approx(ref_pve * 1000., abs=1e-3)


def test_translated_prediction_after_pelvis_centring(scene):
    shift = np.random.default_rng(1).normal(size=(len(GENDERS), 1, 3)).astype(np.float32)
    moved = scene['gendered'] + shift
    # honest copy: without centring the vertex error is exactly the translation ...
    per, _ = mpvpe(moved.astype(np.float64), scene['gendered'].astype(np.float64))
    np.testing.assert_allclose(per, np.linalg.norm(shift[:, 0], axis=1), rtol=1e-5)
    # ... and the protocol's pelvis centring removes it
    metric = MeshMetric(dataset='3dpw', body_model=_body_cfg(scene['dir']), gt_gender='gendered')
    res = _evaluate(metric, _samples(scene, moved))
    assert max(res.values()) < 1e-3


def test_gendered_switch_changes_gt_and_log_says_which(scene):
    logger = MMLogger.get_current_instance()
    handler = _Records()
    logger.addHandler(handler)
    try:
        gendered = _evaluate(
            MeshMetric(dataset='3dpw', body_model=_body_cfg(scene['dir']), gt_gender='gendered'),
            _samples(scene, scene['gendered']))
        neutral = _evaluate(
            MeshMetric(dataset='3dpw', body_model=_body_cfg(scene['dir']), gt_gender='neutral'),
            _samples(scene, scene['gendered']))
        neutral_perfect = _evaluate(
            MeshMetric(dataset='3dpw', body_model=_body_cfg(scene['dir']), gt_gender='neutral'),
            _samples(scene, scene['neutral']))
    finally:
        logger.removeHandler(handler)
    assert gendered['3dpw/pve'] < 1e-3 and neutral_perfect['3dpw/pve'] < 1e-3
    assert neutral['3dpw/pve'] > 1.  # the male/female samples now differ from their GT
    log = '\n'.join(handler.messages)
    assert "GT meshes from the gendered (per-sample GT gender) SMPL model (gt_gender='gendered')" \
        in log
    assert "GT meshes from the neutral SMPL model (gt_gender='neutral')" in log


def test_prediction_from_parameters_equals_prediction_from_vertices(scene):
    from smplx.lbs import batch_rodrigues
    samples = _samples(scene, scene['neutral'])
    for i, s in enumerate(samples):
        del s.pred_vertices
        s.pred_pose = batch_rodrigues(torch.from_numpy(scene['pose'][i]).reshape(-1, 3))
        s.pred_betas = torch.from_numpy(scene['betas'][i])
    metric = MeshMetric(dataset='3dpw', body_model=_body_cfg(scene['dir']), gt_gender='neutral')
    assert max(_evaluate(metric, samples).values()) < 1e-3


def _h36m_keypoints(scene, vertices):
    """smpl_49 GT joints (with confidence) holding the H36M-regressed joints of ``vertices``."""
    j17 = np.einsum('jv,nvc->njc', scene['h36m_reg'], vertices.astype(np.float64))
    j17 = np.concatenate([j17, np.ones(j17.shape[:2] + (1, ))], axis=-1)
    kps, _ = convert_kps(j17, 'h36m_17', 'smpl_49')
    return kps


def test_h36m_keypoint_protocol(scene):
    names = get_keypoint_names('smpl_49')
    kps = _h36m_keypoints(scene, scene['gendered'])
    metric = MeshMetric(dataset='h36m_p2', body_model=_body_cfg(scene['dir']))
    res = _evaluate(metric, _samples(scene, scene['gendered'], kps))
    assert set(res) == {'h36m/mpjpe', 'h36m/pa-mpjpe'}  # no GT mesh: no pve
    assert max(res.values()) < 1e-3
    pred_j = np.einsum('jv,nvc->njc', scene['h36m_reg'], scene['pred'].astype(np.float64))
    gt_j = np.einsum('jv,nvc->njc', scene['h36m_reg'], scene['gendered'].astype(np.float64))
    ref_mpjpe, ref_pa = protocol_errors(pred_j, gt_j, 0, list(H36M_TO_LSP14))
    # SPIN's files hold the H36M head top in 'head_extra' and leave 'headtop' empty: all 14
    # joints are still evaluated; with a valid 'headtop', 'head_extra' (H36M joint 9) is unused
    spin = kps.copy()
    spin[:, names.index('head_extra')] = spin[:, names.index('headtop')]
    spin[:, names.index('headtop')] = 0.
    garbage = kps.copy()
    garbage[:, names.index('head_extra'), :3] = 7.
    for gt_kps in (spin, garbage):
        res = _evaluate(MeshMetric(dataset='h36m_p2', body_model=_body_cfg(scene['dir'])),
                        _samples(scene, scene['pred'], gt_kps))
        assert res['h36m/mpjpe'] == pytest.approx(ref_mpjpe * 1000., abs=1e-3)
        assert res['h36m/pa-mpjpe'] == pytest.approx(ref_pa * 1000., abs=1e-3)
    # a GT joint without confidence is left out, even with garbage coordinates
    masked = kps.copy()
    masked[2, names.index('left_wrist')] = [5., 5., 5., 0.]
    valid = np.ones((len(GENDERS), 17), bool)
    valid[2, 13] = False  # H36M left wrist
    ref_mpjpe, ref_pa = protocol_errors(pred_j, gt_j, 0, list(H36M_TO_LSP14), valid)
    res = _evaluate(MeshMetric(dataset='h36m_p1', body_model=_body_cfg(scene['dir'])),
                    _samples(scene, scene['pred'], masked))
    assert res['h36m_p1/mpjpe'] == pytest.approx(ref_mpjpe * 1000., abs=1e-3)
    assert res['h36m_p1/pa-mpjpe'] == pytest.approx(ref_pa * 1000., abs=1e-3)


def test_h36m_without_gt_pelvis_names_the_sample(scene):
    kps = _h36m_keypoints(scene, scene['gendered'])
    kps[3, get_keypoint_names('smpl_49').index('pelvis_extra'), 3] = 0.
    metric = MeshMetric(dataset='h36m_p2', body_model=_body_cfg(scene['dir']))
    with pytest.raises(ValueError, match=r'sample_idx=3 img_path=img_3.jpg: "gt_keypoints3d" '
                       r'has no valid pelvis \(pelvis_extra\)'):
        _evaluate(metric, _samples(scene, scene['gendered'], kps))


def test_bad_samples_are_named(scene):
    samples = _samples(scene, scene['gendered'])
    samples[1].set_metainfo(dict(gender='x'))
    metric = MeshMetric(dataset='3dpw', body_model=_body_cfg(scene['dir']), gt_gender=True)
    with pytest.raises(ValueError, match=r'sample_idx=1 img_path=img_1.jpg: "gender" is \'x\''):
        _evaluate(metric, samples)
    samples = _samples(scene, scene['gendered'])
    samples[4].has_smpl = torch.tensor(False)
    with pytest.raises(ValueError, match='sample_idx=4 .*has_smpl is False'):
        _evaluate(MeshMetric(dataset='3dpw', body_model=_body_cfg(scene['dir']),
                             gt_gender='neutral'), samples)
    with pytest.raises(KeyError, match="unknown dataset 'pw3d'; known: "):
        MeshMetric(dataset='pw3d', body_model=_body_cfg(scene['dir']))


def test_keypoint_convention_comes_from_the_samples(scene):
    """The same GT joints stored in two conventions give the same errors; a sample without
    its convention is named."""
    kps = _h36m_keypoints(scene, scene['gendered'])
    as_h36m, _ = convert_kps(kps, 'smpl_49', 'h36m_17')
    ref = _evaluate(MeshMetric(dataset='h36m_p2', body_model=_body_cfg(scene['dir'])),
                    _samples(scene, scene['pred'], kps))
    res = _evaluate(MeshMetric(dataset='h36m_p2', body_model=_body_cfg(scene['dir'])),
                    _samples(scene, scene['pred'], as_h36m, convention='h36m_17'))
    assert res['h36m/mpjpe'] > 10.
    assert res == pytest.approx(ref, abs=1e-9)
    samples = _samples(scene, scene['pred'], kps)
    samples[2] = samples[2].clone()
    samples[2].set_metainfo(dict(convention='smpl_24'))  # 24 joints: the 49 stored do not fit
    with pytest.raises(ValueError, match=r'sample_idx=2 .*"gt_keypoints3d" of shape \(49, 4\) '
                       r"is not \(K, 4\) in convention 'smpl_24'"):
        _evaluate(MeshMetric(dataset='h36m_p2', body_model=_body_cfg(scene['dir'])), samples)
    samples = _samples(scene, scene['pred'], kps)
    del samples[0].convention
    with pytest.raises(KeyError, match='sample_idx=0 .*no metainfo "convention"'):
        _evaluate(MeshMetric(dataset='h36m_p2', body_model=_body_cfg(scene['dir'])), samples)


def test_gendered_gt_of_a_file_without_genders_fails_at_start(scene, tmp_path):
    """The loop hands the dataset's metainfo over before the first batch: a file without
    genders stops a gendered 3DPW protocol there, naming the file and the key."""
    from mmhpse.datasets import HumanImageDataset
    path = str(tmp_path / 'pw3d_test.npz')
    n = 3
    np.savez(path, imgname=np.array(['a.jpg', 'b.jpg', 'c.jpg']), center=np.full((n, 2), 50.),
             scale=np.ones(n), part=np.zeros((n, 24, 3)), pose=np.zeros((n, 72)),
             shape=np.zeros((n, 10)))
    meta = HumanImageDataset(ann_file=path).metainfo
    evaluator = Evaluator(MeshMetric(dataset='3dpw', body_model=_body_cfg(scene['dir']),
                                     gt_gender='gendered'))
    with pytest.raises(ValueError, match=r'gendered GT meshes: .*pw3d_test.npz has no per-sample '
                       r'gender \(HumanData key "meta.gender", SPIN key "gender"\)'):
        evaluator.dataset_meta = meta
    Evaluator(MeshMetric(dataset='3dpw', body_model=_body_cfg(scene['dir']),
                         gt_gender='neutral')).dataset_meta = meta  # neutral needs none
    with pytest.raises(ValueError, match=r'needs gt_gender .*pw3d_gt_gender'):
        MeshMetric(dataset='3dpw', body_model=_body_cfg(scene['dir']))
