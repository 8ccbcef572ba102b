"""Batched MPJPE / PA-MPJPE / MPVPE against per-sample references and known geometry."""
import numpy as np
import pytest

from mmhpse.evaluation.functional import (_rotation_polar, _rotation_svd, batched_procrustes,
                                          mpjpe, mpvpe, pa_mpjpe, pelvis_centred)
from test_evaluation.procrustes_reference import umeyama_align


def _random_rotations(rng, n):
    q, r = np.linalg.qr(rng.normal(size=(n, 3, 3)))
    q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]
    q[np.linalg.det(q) < 0, :, 0] *= -1
    return q


def _poses(rng, n, k=14):
    """Human-sized joint sets in metres and noisy predictions (realistic PA-MPJPE range)."""
    gt = rng.normal(scale=0.3, size=(n, k, 3))
    pred = gt + rng.normal(scale=0.05, size=(n, k, 3))
    return pred, gt


@pytest.fixture(scope='module')
def keypoint_mpjpe():
    mod = pytest.importorskip('mmpose.evaluation.functional',
                              reason='mmpose (the per-sample reference) is not installed')
    return mod.keypoint_mpjpe


@pytest.mark.parametrize('kind', ['realistic', 'random'])
def test_pa_mpjpe_matches_mmpose_per_sample(keypoint_mpjpe, kind):
    rng = np.random.default_rng(0)
    pred, gt = _poses(rng, 300)
    if kind == 'random':  # unrelated point sets: about half the fits need the reflection fix
        pred = rng.normal(scale=0.3, size=gt.shape)
    pred_mm, gt_mm = pred * 1000., gt * 1000.
    ones = np.ones(gt.shape[:2], dtype=bool)
    per, mean = pa_mpjpe(pred_mm, gt_mm)
    ref = np.array([
        keypoint_mpjpe(pred_mm[i:i + 1], gt_mm[i:i + 1], ones[i:i + 1], alignment='procrustes')
        for i in range(len(gt))
    ])
    np.testing.assert_allclose(per, ref, rtol=0, atol=1e-6)
    assert abs(mean - keypoint_mpjpe(pred_mm, gt_mm, ones, alignment='procrustes')) < 1e-6
    per, mean = mpjpe(pred_mm, gt_mm)
    ref = [keypoint_mpjpe(pred_mm[i:i + 1], gt_mm[i:i + 1], ones[i:i + 1]) for i in range(len(gt))]
    np.testing.assert_allclose(per, ref, rtol=0, atol=1e-6)
    assert abs(mean - keypoint_mpjpe(pred_mm, gt_mm, ones)) < 1e-6


def test_procrustes_matches_reference_on_hard_cases():
    rng = np.random.default_rng(1)
    pred, gt = _poses(rng, 200)
    pred[:50] = rng.normal(size=(50, 14, 3))  # reflections
    gt[50:100, :, 2] *= 1e-4  # nearly planar targets
    pred[100:150] = pred[100:150, :1] + np.linspace(0, 1, 14)[:, None] * rng.normal(
        size=(50, 1, 3))  # collinear predictions: rank-1 cross-covariance
    aligned = batched_procrustes(pred, gt)
    ref = np.stack([umeyama_align(p, g) for p, g in zip(pred, gt)])
    np.testing.assert_allclose(aligned, ref, rtol=0, atol=1e-9)


def test_polar_rotation_equals_svd_rotation():
    rng = np.random.default_rng(2)
    cov = rng.normal(size=(500, 3, 3))
    cov[:10] = _random_rotations(rng, 10) * 1e3  # scale must not matter
    ref = _rotation_svd(cov)
    rot = _rotation_polar(cov.transpose(0, 2, 1).reshape(-1, 9).T).T.reshape(-1, 3, 3)
    np.testing.assert_allclose(rot, ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(rot), 1., atol=1e-12)


def test_similarity_copy_has_zero_pa_mpjpe_and_transform_is_recovered():
    rng = np.random.default_rng(3)
    n = 64
    gt = rng.normal(scale=0.3, size=(n, 14, 3))
    rot = _random_rotations(rng, n)
    scale = rng.uniform(0.5, 2.0, size=n)
    trans = rng.normal(size=(n, 3))
    pred = scale[:, None, None] * gt @ rot.transpose(0, 2, 1) + trans[:, None]
    per, mean = pa_mpjpe(pred, gt)
    assert np.abs(per).max() < 1e-12 and mean < 1e-12
    assert mpjpe(pred, gt)[1] > 0.1  # the copy is far away before alignment
    aligned, (s, r, t) = batched_procrustes(pred, gt, return_transform=True)
    np.testing.assert_allclose(aligned, gt, atol=1e-12)
    np.testing.assert_allclose(s, 1. / scale, rtol=1e-12)
    np.testing.assert_allclose(r, rot.transpose(0, 2, 1), atol=1e-12)
    np.testing.assert_allclose(s[:, None, None] * pred @ r.transpose(0, 2, 1) + t[:, None], gt,
                               atol=1e-12)


def test_mirrored_copy_is_not_aligned_by_a_reflection():
    rng = np.random.default_rng(4)
    gt = rng.normal(scale=0.3, size=(8, 14, 3))
    mirrored = gt * np.array([-1., 1., 1.])
    aligned, (_, r, _) = batched_procrustes(mirrored, gt, return_transform=True)
    np.testing.assert_allclose(np.linalg.det(r), 1., atol=1e-12)
    assert pa_mpjpe(mirrored, gt)[0].min() > 1e-3


def test_mpvpe_of_translated_copy_is_translation_norm_and_zero_after_centring():
    rng = np.random.default_rng(5)
    verts = rng.normal(scale=0.3, size=(6, 500, 3))
    trans = rng.normal(size=(6, 1, 3))
    moved = verts + trans
    per, mean = mpvpe(moved, verts)
    np.testing.assert_allclose(per, np.linalg.norm(trans[:, 0], axis=1), rtol=1e-12)
    assert mean == pytest.approx(np.linalg.norm(trans[:, 0], axis=1).mean(), rel=1e-12)
    # each mesh centred on its own root point (here vertex 7): the translation disappears
    per_c, _ = mpvpe(pelvis_centred(moved, 7), pelvis_centred(verts, 7))
    assert np.abs(per_c).max() < 1e-12


def test_masks_against_brute_force():
    rng = np.random.default_rng(6)
    pred, gt = _poses(rng, 40)
    mask = rng.random(gt.shape[:2]) > 0.3
    mask[:, :3] = True
    mask[5] = False  # a sample without any valid joint
    pred_bad = pred.copy()
    pred_bad[~mask] = 1e3  # masked-out joints must not influence anything
    per, mean = mpjpe(pred_bad, gt, mask)
    errs = [np.linalg.norm(pred[i][mask[i]] - gt[i][mask[i]], axis=1) for i in range(40)]
    ref = [e.mean() if len(e) else np.nan for e in errs]
    np.testing.assert_allclose(per, ref, rtol=1e-12)
    assert mean == pytest.approx(np.concatenate(errs).mean(), rel=1e-12)

    per, mean = pa_mpjpe(pred_bad, gt, mask)
    errs = []
    for i in range(40):
        if mask[i].any():
            fit = umeyama_align(pred[i][mask[i]], gt[i][mask[i]])
            errs.append(np.linalg.norm(fit - gt[i][mask[i]], axis=1))
        else:
            errs.append(np.zeros(0))
    ref = [e.mean() if len(e) else np.nan for e in errs]
    np.testing.assert_allclose(per, ref, rtol=0, atol=1e-12)
    assert np.isnan(per[5])
    assert mean == pytest.approx(np.concatenate(errs).mean(), rel=1e-12)


def test_degenerate_prediction_collapses_to_gt_centroid():
    gt = np.random.default_rng(7).normal(size=(1, 14, 3))
    pred = np.ones((1, 14, 3))
    aligned = batched_procrustes(pred, gt)
    np.testing.assert_allclose(aligned[0], np.broadcast_to(gt[0].mean(0), (14, 3)), atol=1e-12)


def test_bad_input_names_the_problem():
    gt = np.zeros((4, 14, 3))
    with pytest.raises(ValueError, match=r'pred \(4, 13, 3\) and gt \(4, 14, 3\)'):
        mpjpe(np.zeros((4, 13, 3)), gt)
    pred = np.zeros((4, 14, 3))
    pred[2, 5, 1] = np.nan
    with pytest.raises(ValueError, match='pred holds a non-finite value at sample 2, point 5'):
        pa_mpjpe(pred, gt)
    with pytest.raises(ValueError, match=r'mask must have shape \(N, K\) = \(4, 14\)'):
        pa_mpjpe(gt, gt, mask=np.ones((4, 13), bool))
    with pytest.raises(ValueError, match='gt_vertices holds a non-finite value at sample 0'):
        mpvpe(gt, np.full((4, 14, 3), np.inf))
