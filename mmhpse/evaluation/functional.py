"""Batched MPJPE, PA-MPJPE (similarity Procrustes) and MPVPE.

All functions take numpy arrays (or anything ``np.asarray`` accepts, e.g. CPU tensors), compute in
float64 and return ``(per_sample, mean)`` in the unit of the input (the metric converts to mm).

``mean`` is the mean over all valid joints of all samples (as
``mmpose.evaluation.functional.keypoint_mpjpe``); ``per_sample`` is each sample's mean over its own
valid joints (``nan`` for a sample without any valid joint).
"""
from typing import Optional, Tuple

import numpy as np

_NEWTON_MAX_ITERS = 30
# Newton's polar iteration converges quadratically: once an update moves X by less than 1e-7, the
# new iterate is within ~1e-14 of the polar factor.
_NEWTON_TOL = 1e-7
_NEWTON_SCALED_ITERS = 4  # scaled steps first (fast from afar), then plain quadratic Newton
_NEWTON_MIN_ITERS = 3  # convergence is checked from this step on


def _check_points(pred, gt, mask,
                  names=('pred', 'gt')) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate shapes and values; return float64 arrays and a boolean mask (N, K)."""
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    if pred.ndim != 3 or pred.shape[-1] != 3 or pred.shape != gt.shape:
        raise ValueError(f'{names[0]} and {names[1]} must both have shape (N, K, 3), got '
                         f'{names[0]} {pred.shape} and {names[1]} {gt.shape}')
    for name, arr in zip(names, (pred, gt)):
        if not np.isfinite(arr).all():
            n, k = np.argwhere(~np.isfinite(arr).all(axis=-1))[0]
            raise ValueError(f'{name} holds a non-finite value at sample {n}, point {k}')
    if mask is None:
        mask = np.ones(pred.shape[:2], dtype=bool)
    else:
        mask = np.asarray(mask)
        if mask.shape != pred.shape[:2]:
            raise ValueError(f'mask must have shape (N, K) = {pred.shape[:2]}, got {mask.shape}')
        mask = mask.astype(bool)
    return pred, gt, mask


def _component_major(points: np.ndarray) -> np.ndarray:
    """(N, K, 3) -> contiguous (3, N, K): every coordinate is one contiguous (N, K) block."""
    return np.ascontiguousarray(points.transpose(2, 0, 1))


def _errors_cm(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> Tuple[np.ndarray, float]:
    """Per-sample and overall mean Euclidean error over the valid points (inputs (3, N, K))."""
    diff = pred - gt
    dist = np.sqrt(diff[0] * diff[0] + diff[1] * diff[1] + diff[2] * diff[2])  # (N, K)
    count = mask.sum(axis=1)
    total = np.where(mask, dist, 0.).sum(axis=1)
    with np.errstate(invalid='ignore', divide='ignore'):
        per_sample = total / count
    n_valid = count.sum()
    mean = float(total.sum() / n_valid) if n_valid > 0 else float('nan')
    return per_sample, mean


_TRANSPOSE = [0, 3, 6, 1, 4, 7, 2, 5, 8]


def _cofactor_det(x: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Cofactor matrices and determinants of 3x3 matrices in row-major components (9, N).

    The cofactor rows are ``cross(r1, r2)``, ``cross(r2, r0)``, ``cross(r0, r1)``, so that
    ``x^{-T} = cof / det``.
    """
    a, b, c, d, e, f, g, h, i = x
    cof = np.empty_like(x)
    np.subtract(e * i, f * h, out=cof[0])
    np.subtract(f * g, d * i, out=cof[1])
    np.subtract(d * h, e * g, out=cof[2])
    np.subtract(c * h, b * i, out=cof[3])
    np.subtract(a * i, c * g, out=cof[4])
    np.subtract(b * g, a * h, out=cof[5])
    np.subtract(b * f, c * e, out=cof[6])
    np.subtract(c * d, a * f, out=cof[7])
    np.subtract(a * e, b * d, out=cof[8])
    return cof, a * cof[0] + b * cof[1] + c * cof[2]


def _rotation_svd(cov: np.ndarray) -> np.ndarray:
    """Reflection-corrected Procrustes rotation ``R = V diag(1, 1, d) U^T`` from ``cov = U S V^T``.

    Args:
        cov (np.ndarray): Cross-covariances ``X1^T X2``, shape (n, 3, 3).

    Returns:
        np.ndarray: Rotations (n, 3, 3) with ``det R = +1``.
    """
    u, _, vt = np.linalg.svd(cov)
    v = vt.transpose(0, 2, 1).copy()
    d = np.where(np.linalg.det(u @ vt) < 0, -1., 1.)
    v[:, :, 2] *= d[:, None]
    return v @ u.transpose(0, 2, 1)


def _rotation_polar(cov_t: np.ndarray) -> np.ndarray:
    """Procrustes rotations from transposed cross-covariances, component-major.

    For ``det(cov) > 0`` the rotation is the orthogonal polar factor of ``cov^T``, computed with the
    scaled Newton iteration ``X <- (g X + X^{-T} / g) / 2`` on 9 contiguous component vectors.
    Samples with ``det(cov) <= 0`` (a reflection must be corrected), near-singular ones and any
    that do not converge go to the batched SVD, so the result is the SVD solution in every case.

    Args:
        cov_t (np.ndarray): ``cov^T`` in row-major components, shape (9, N).

    Returns:
        np.ndarray: Rotations in row-major components, shape (9, N).
    """
    n = cov_t.shape[1]
    rot = np.empty_like(cov_t)
    norm = np.sqrt((cov_t * cov_t).sum(axis=0))
    x = cov_t / np.where(norm > 0, norm, 1.)
    cof, det = _cofactor_det(x)  # det is scale free here: ||x||_F = 1
    fallback = ~(det > 1e-9)
    idx = np.flatnonzero(~fallback)
    if idx.size < n:
        x, cof, det = x[:, idx], cof[:, idx], det[idx]
    for it in range(_NEWTON_MAX_ITERS):
        # X <- (g X + X^{-T} / g) / 2 with X^{-T} = cof / det and the Frobenius scaling
        # g = sqrt(||X^{-1}|| / ||X||); past a few steps g ~ 1 and plain Newton is kept
        if it < _NEWTON_SCALED_ITERS:
            gamma = np.sqrt(np.sqrt((cof * cof).sum(axis=0) / (x * x).sum(axis=0)) / np.abs(det))
            x_new = (0.5 * gamma) * x + (0.5 / (gamma * det)) * cof
        else:
            x_new = 0.5 * x + (0.5 / det) * cof
        if it < _NEWTON_MIN_ITERS - 1:  # no sample converges this early: skip the check
            x = x_new
            cof, det = _cofactor_det(x)
            continue
        done = np.abs(x_new - x).max(axis=0) < _NEWTON_TOL
        x = x_new
        if done.all():
            rot[:, idx] = x
            idx = idx[:0]
            break
        if 2 * done.sum() > done.size:  # keep iterating only the rest (converged ones would
            rot[:, idx[done]] = x[:, done]  # merely stay at their fixed point)
            idx, x = idx[~done], x[:, ~done]
        cof, det = _cofactor_det(x)
    fallback[idx] = True  # did not converge
    if fallback.any():
        cov = cov_t[_TRANSPOSE][:, fallback].T.reshape(-1, 3, 3)
        rot[:, fallback] = _rotation_svd(cov).reshape(-1, 9).T
    return rot


def _procrustes_cm(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray):
    """Similarity alignment on component-major points (3, N, K); returns aligned and transform."""
    n = pred.shape[1]
    full = bool(mask.all())
    if full:
        count = np.full(n, float(mask.shape[1]))
        mu_pred, mu_gt = pred.mean(axis=-1), gt.mean(axis=-1)  # (3, N)
        x1 = pred - mu_pred[..., None]
        x2 = gt - mu_gt[..., None]
    else:
        w = mask.astype(np.float64)
        count = w.sum(axis=1)
        safe = np.where(count > 0, count, 1.)
        mu_pred, mu_gt = (pred * w).sum(axis=-1) / safe, (gt * w).sum(axis=-1) / safe
        x1 = (pred - mu_pred[..., None]) * w
        x2 = (gt - mu_gt[..., None]) * w
    var1 = np.einsum('ink,ink->n', x1, x1)
    cov_t = np.einsum('ink,jnk->ijn', x2, x1).reshape(9, n)  # cov^T[i, j] = sum_k x2_i x1_j
    rot = _rotation_polar(cov_t)
    trace = (rot * cov_t).sum(axis=0)  # trace(R cov) = sum_ij R_ij cov_ji
    scale = np.where(var1 > 0, trace / np.where(var1 > 0, var1, 1.), 0.)
    empty = count == 0
    if empty.any():
        scale[empty] = 1.
        rot[:, empty] = np.eye(3).reshape(9, 1)
        mu_gt[:, empty] = mu_pred[:, empty] = 0.
    r = rot.reshape(3, 3, n)
    centred = x1 if full else pred - mu_pred[..., None]
    # (N, 3, 3) @ (N, 3, K): one small matrix product per sample, back to (3, N, K)
    aligned = np.matmul((r * scale).transpose(2, 0, 1), centred.transpose(1, 0, 2))
    aligned = aligned.transpose(1, 0, 2) + mu_gt[..., None]
    trans = (mu_gt - scale * np.einsum('ijn,jn->in', r, mu_pred)).T
    return aligned, (scale, r.transpose(2, 0, 1), trans)


def batched_procrustes(pred, gt, mask=None, return_transform: bool = False):
    """Align each ``pred[i]`` to ``gt[i]`` with the least-squares similarity transform.

    The transform (scale ``s``, rotation ``R`` with ``det R = +1``, translation ``t``) minimises
    ``sum_k mask[i, k] * ||s R pred[i, k] + t - gt[i, k]||^2`` (Umeyama; the solution of SPIN's and
    mmpose's ``compute_similarity_transform``, reflection-corrected), vectorised over samples. It is
    applied to every point of ``pred[i]``, masked or not.

    Args:
        pred (array): Points to align, shape (N, K, 3).
        gt (array): Target points, shape (N, K, 3).
        mask (array, optional): Valid points used to fit the transform, bool (N, K).
            Defaults to all points.
        return_transform (bool): Also return ``(scale (N,), rotation (N, 3, 3),
            translation (N, 3))`` with ``aligned = s * pred @ R.T + t``.

    Returns:
        np.ndarray: The aligned ``pred``, shape (N, K, 3) float64, and the transform if asked.
        A sample whose valid ``pred`` points all coincide gets scale 0 (all points on the
        centroid of its valid ``gt`` points); one without valid points is returned unchanged.
    """
    pred, gt, mask = _check_points(pred, gt, mask)
    aligned, transform = _procrustes_cm(_component_major(pred), _component_major(gt), mask)
    aligned = aligned.transpose(1, 2, 0)
    if return_transform:
        return aligned, transform
    return aligned


def mpjpe(pred, gt, mask=None) -> Tuple[np.ndarray, float]:
    """Mean per-joint position error without alignment.

    Args:
        pred (array): Predicted joints (N, K, 3).
        gt (array): Ground-truth joints (N, K, 3).
        mask (array, optional): Valid joints, bool (N, K). Defaults to all.

    Returns:
        tuple: ``per_sample`` (N,) float64 and ``mean`` (float), in the input unit.
    """
    pred, gt, mask = _check_points(pred, gt, mask)
    return _errors_cm(_component_major(pred), _component_major(gt), mask)


def pa_mpjpe(pred, gt, mask=None) -> Tuple[np.ndarray, float]:
    """MPJPE after per-sample similarity Procrustes alignment (fit on the valid joints).

    Same arguments and return value as :func:`mpjpe`.
    """
    pred, gt, mask = _check_points(pred, gt, mask)
    gt = _component_major(gt)
    aligned, _ = _procrustes_cm(_component_major(pred), gt, mask)
    return _errors_cm(aligned, gt, mask)


def mpvpe(pred_vertices, gt_vertices, mask=None) -> Tuple[np.ndarray, float]:
    """Mean per-vertex position error, no alignment (centre the meshes before if the protocol asks).

    Args:
        pred_vertices (array): Predicted mesh vertices (N, V, 3).
        gt_vertices (array): Ground-truth mesh vertices (N, V, 3).
        mask (array, optional): Valid vertices, bool (N, V). Defaults to all.

    Returns:
        tuple: ``per_sample`` (N,) float64 and ``mean`` (float), in the input unit.
    """
    pred, gt, mask = _check_points(pred_vertices, gt_vertices, mask,
                                   names=('pred_vertices', 'gt_vertices'))
    return _errors_cm(_component_major(pred), _component_major(gt), mask)


def pelvis_centred(points, root: int, root_points: Optional[np.ndarray] = None) -> np.ndarray:
    """Subtract a root point from every point of each sample.

    Args:
        points (array): Points (N, P, 3).
        root (int): Index of the root in ``root_points``.
        root_points (array, optional): Where the root is taken from (N, J, 3), e.g. regressed
            joints when centring vertices. Defaults to ``points``.

    Returns:
        np.ndarray: Centred points (N, P, 3) float64.
    """
    points = np.asarray(points, dtype=np.float64)
    src = points if root_points is None else np.asarray(root_points, dtype=np.float64)
    return points - src[:, root:root + 1]
