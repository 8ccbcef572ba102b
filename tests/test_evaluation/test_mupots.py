"""MuPoTS-3D: 3DPCK / AUC (all and matched people) against a brute-force reading of the official
MATLAB evaluation, written out below with its own 1-based joint tables, loops over sequences,
frames, people and joints; and the export in the official script's layout."""
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from scipy.io import loadmat

from mmhpse.conventions import convert_kps, get_keypoint_names
from mmhpse.evaluation.metrics import MeshMetric
from mmhpse.structures import HumanDataSample
from test_evaluation.procrustes_reference import protocol_errors

# --- the official tables, 1-based, in MuPoTS joint order (head_top, neck, r_sho, r_elb, r_wri,
# l_sho, l_elb, l_wri, r_hip, r_knee, r_ank, l_hip, l_knee, l_ank, pelvis, spine, head)
O1 = [2, 16, 2, 3, 4, 2, 6, 7, 15, 9, 10, 15, 12, 13, 15, 15, 2]  # parent of each joint
SAFE_TRAVERSAL = [15, 16, 2, 1, 17, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
MATCHING_JOINTS = list(range(2, 15))  # 2:14
PCK_GROUP_JOINTS = [1, 2, 3, 6, 4, 7, 5, 8, 9, 12, 10, 13, 11, 14]  # head .. ankle groups
ROOT = 15


def _norm(v):
    return sum(c * c for c in v) ** 0.5


def reference(people, matched_only):
    """Mean over sequences of the per-sequence 3DPCK and AUC, as the MATLAB code computes."""
    pcks, aucs = [], []
    for seq in sorted({p['seq'] for p in people}):
        errors = []  # one list of 17 errors per considered person
        for frame in sorted({p['frame'] for p in people if p['seq'] == seq}):
            gts = sorted([p for p in people if p['seq'] == seq and p['frame'] == frame],
                         key=lambda p: p['order'])
            preds = gts  # one prediction per annotated person (its box), same order
            taken = [False] * len(preds)
            for gt in gts:
                best, best_score = -1, 0
                for j, pred in enumerate(preds):
                    if taken[j]:
                        continue
                    score = 0
                    for joint in MATCHING_JOINTS:
                        px, py = pred['pred2d'][joint - 1]
                        gx, gy = gt['gt2d'][joint - 1]
                        visible = not (px == 0 and py == 0)
                        if visible and abs(px - gx) < 40 and abs(py - gy) < 40:
                            score += 1
                    if score > best_score:
                        best, best_score = j, score
                if best < 0:
                    if not matched_only:
                        errors.append([float('inf')] * 17)
                    continue
                taken[best] = True
                p3 = [[c - r for c, r in zip(preds[best]['pred3d'][k], preds[best]['pred3d'][
                    ROOT - 1])] for k in range(17)]
                g3 = [[c - r for c, r in zip(gt['gt3d'][k], gt['gt3d'][ROOT - 1])]
                      for k in range(17)]
                mapped = [list(v) for v in p3]
                for idx in SAFE_TRAVERSAL[1:]:
                    par = O1[idx - 1]
                    gt_len = _norm([a - b for a, b in zip(g3[idx - 1], g3[par - 1])])
                    bone = [a - b for a, b in zip(p3[idx - 1], p3[par - 1])]
                    scale = gt_len / _norm(bone)
                    mapped[idx - 1] = [m + b * scale for m, b in zip(mapped[par - 1], bone)]
                errors.append([_norm([a - b for a, b in zip(mapped[k], g3[k])])
                               for k in range(17)])
        if not errors:
            continue
        total = len(errors) * len(PCK_GROUP_JOINTS)
        hits = sum(1 for e in errors for j in PCK_GROUP_JOINTS if e[j - 1] < 150)
        pcks.append(100. * hits / total)
        curve = [sum(1 for e in errors for j in PCK_GROUP_JOINTS if e[j - 1] < t) / total
                 for t in range(0, 151, 5)]
        aucs.append(100. * sum(curve) / len(curve))
    return sum(pcks) / len(pcks), sum(aucs) / len(aucs)


def _people(seed=0):
    """Sequences 1, 2, 5 with 1-3 people per frame; predictions near their GT (mm / px), some
    far off in 2D (unmatched, or taken by a neighbour)."""
    rng = np.random.default_rng(seed)
    people, order = [], 0
    for seq in (1, 2, 5):
        for frame in range(4):
            for k in range(int(rng.integers(1, 4))):
                gt3d = rng.normal(scale=250., size=(17, 3)) + [0., 0., 4000.]
                pred3d = gt3d + rng.normal(scale=90., size=(17, 3)) + rng.normal(
                    scale=500., size=3)
                gt2d = rng.uniform(-60, 60, size=(17, 2)) + [300. * k + 200., 500.]
                pred2d = gt2d + rng.normal(scale=12., size=(17, 2))
                kind = rng.random()
                if kind < 0.15:
                    pred2d += 2000.  # nowhere: this person's prediction matches nobody
                elif kind < 0.3:
                    pred2d += [300., 0.]  # over the next person
                people.append(dict(seq=seq, frame=frame * 3, order=order, gt3d=gt3d,
                                   pred3d=pred3d, gt2d=gt2d, pred2d=pred2d))
                order += 1
    rng.shuffle(people)  # batches come in any order
    return people


@pytest.fixture(scope='module')
def body_dir(surrogate_body_model_dir, tmp_path_factory):
    """The surrogate body model plus an MPI-INF-3DHP regressor picking vertices 0..16."""
    folder = tmp_path_factory.mktemp('mupots_body') / 'body_models'
    shutil.copytree(surrogate_body_model_dir, folder)
    num_vertices = np.load(osp.join(surrogate_body_model_dir, 'J_regressor_h36m.npy')).shape[1]
    reg = np.zeros((19, num_vertices))  # 19 rows: only the first 17 are used
    reg[np.arange(19), np.arange(19)] = 1.
    np.save(folder / 'J_regressor_mi_smpl.npy', reg)
    return str(folder), num_vertices


def _samples(people, num_vertices):
    """HumanDataSamples as the test pipeline makes them: smpl_49 keypoints, 2D in crop pixels
    of each sample's own affine crop, predicted vertices whose regressed joints are pred3d."""
    rng = np.random.default_rng(1)
    out = []
    for p in people:
        angle, scale = rng.uniform(-0.3, 0.3), rng.uniform(0.2, 0.5)
        rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        warp = np.concatenate([rot, rng.uniform(-100, 100, (2, 1))], axis=1)  # image -> crop

        def crop(points):
            return points @ warp[:, :2].T + warp[:, 2]

        gt2d = np.concatenate([crop(p['gt2d']), np.ones((17, 1))], axis=1)
        pred2d = crop(p['pred2d'])
        gt3d = np.concatenate([p['gt3d'] / 1000., np.ones((17, 1))], axis=1)
        kps2d, _ = convert_kps(gt2d, 'mpi_inf_3dhp_17', 'smpl_49')
        kps3d, _ = convert_kps(gt3d, 'mpi_inf_3dhp_17', 'smpl_49')
        pred49, mask = convert_kps(pred2d, 'mpi_inf_3dhp_17', 'smpl_49')
        pred49[mask == 0] = rng.uniform(0, 200, size=(int((mask == 0).sum()), 2))  # ignored
        verts = rng.normal(size=(num_vertices, 3))
        verts[:17] = p['pred3d'] / 1000.
        s = HumanDataSample(metainfo=dict(
            sample_idx=p['order'], convention='smpl_49', warp_mat=warp, flip=False,
            img_path=f'data/mupots/MultiPersonTestSet/TS{p["seq"]}/img_{p["frame"]:06d}.jpg'))
        s.gt_keypoints2d = torch.as_tensor(kps2d, dtype=torch.float32)
        s.gt_keypoints3d = torch.as_tensor(kps3d, dtype=torch.float32)
        s.has_keypoints3d = torch.tensor(True)
        s.pred_keypoints2d = torch.as_tensor(pred49, dtype=torch.float32)
        s.pred_vertices = torch.as_tensor(verts, dtype=torch.float32)
        out.append(s)
    return out


def _evaluate(metric, samples):
    evaluator = Evaluator(metric)
    for i in range(0, len(samples), 5):
        evaluator.process(data_samples=samples[i:i + 5])
    return evaluator.evaluate(len(samples))


def test_3dpck_and_auc_against_the_official_procedure(body_dir, tmp_path):
    people = _people()
    folder, num_vertices = body_dir
    metric = MeshMetric(dataset='mupots', body_model=dict(type='SMPL', model_path=osp.join(
        folder, 'smpl')), export_dir=str(tmp_path / 'export'))
    res = _evaluate(metric, _samples(people, num_vertices))
    ref_all, ref_auc_all = reference(people, matched_only=False)
    ref_matched, ref_auc_matched = reference(people, matched_only=True)
    assert 10. < ref_all < ref_matched < 95.  # neither trivial nor equal: some are unmatched
    assert res['mupots/3dpck'] == pytest.approx(ref_all, abs=1e-6)
    assert res['mupots/auc'] == pytest.approx(ref_auc_all, abs=1e-6)
    assert res['mupots/3dpck-matched'] == pytest.approx(ref_matched, abs=1e-6)
    assert res['mupots/auc-matched'] == pytest.approx(ref_auc_matched, abs=1e-6)
    # MPJPE / PA-MPJPE beside them: each sample's own prediction, pelvis-centred, 17 joints
    pred = np.stack([p['pred3d'] for p in people]) / 1000.
    gt = np.stack([p['gt3d'] for p in people]) / 1000.
    ref_mpjpe, ref_pa = protocol_errors(pred, gt, 14, list(range(17)))
    assert res['mupots/mpjpe'] == pytest.approx(ref_mpjpe * 1000., abs=1e-3)
    assert res['mupots/pa-mpjpe'] == pytest.approx(ref_pa * 1000., abs=1e-3)

    # the export: one field per frame, TS<seq>_img_<frame>, people in annotation order
    two = loadmat(str(tmp_path / 'export' / 'preds_2d_kpt_mupots.mat'))
    three = loadmat(str(tmp_path / 'export' / 'preds_3d_kpt_mupots.mat'))
    frames = {(p['seq'], p['frame']) for p in people}
    assert {k for k in two if not k.startswith('__')} == \
        {f'TS{s}_img_{f:06d}' for s, f in frames}
    for s, f in frames:
        mine = sorted([p for p in people if (p['seq'], p['frame']) == (s, f)],
                      key=lambda p: p['order'])
        name = f'TS{s}_img_{f:06d}'
        root = np.stack([p['pred3d'][14] for p in mine])[:, None]
        np.testing.assert_allclose(three[name], np.stack([p['pred3d'] for p in mine]) - root,
                                   atol=1e-3)
        np.testing.assert_allclose(two[name], np.stack([p['pred2d'] for p in mine]), atol=1e-3)


def test_a_sample_without_sequence_id_is_named(body_dir):
    folder, num_vertices = body_dir
    samples = _samples(_people()[:4], num_vertices)
    samples[2].set_metainfo(dict(img_path='images/000123.jpg'))
    metric = MeshMetric(dataset='mupots', body_model=dict(type='SMPL', model_path=osp.join(
        folder, 'smpl')))
    metric.dataset_meta = dict(ann_file='data/mupots3d_test.npz')
    with pytest.raises(ValueError, match=r'img_path=images/000123.jpg: MuPoTS 3DPCK needs the '
                       r'sequence .* key "image_path" .*data/mupots3d_test.npz'):
        _evaluate(metric, samples)
    samples = _samples(_people()[:4], num_vertices)
    del samples[1].pred_keypoints2d
    with pytest.raises(KeyError, match='has no "pred_keypoints2d"'):
        _evaluate(MeshMetric(dataset='mupots', body_model=dict(
            type='SMPL', model_path=osp.join(folder, 'smpl'))), samples)


def test_mupots_needs_a_regressor(surrogate_body_model_dir):
    with pytest.raises(FileNotFoundError, match='J_regressor_mi_smpl.npy'):
        MeshMetric(dataset='mupots', body_model=dict(
            type='SMPL', model_path=osp.join(surrogate_body_model_dir, 'smpl')))


def test_joint_tables_match_the_named_ones():
    """The metric names its joints; the official 1-based tables above say the same."""
    from mmhpse.evaluation import mupots
    names = get_keypoint_names('mpi_inf_3dhp_17')
    assert {names[j - 1]: names[O1[j - 1] - 1] for j in range(1, 18) if j != ROOT} == \
        mupots.PARENTS
    assert [names[j - 1] for j in SAFE_TRAVERSAL[1:]] == list(mupots.TRAVERSAL)
    assert sorted(names[j - 1] for j in PCK_GROUP_JOINTS) == sorted(mupots.SCORED)
    assert [names[j - 1] for j in MATCHING_JOINTS] == list(mupots.MATCHING)
    assert names[ROOT - 1] == mupots.ROOT
