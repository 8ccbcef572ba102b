"""Independent per-sample references for the metric tests (plain numpy, one sample at a time)."""
import numpy as np


def umeyama_align(src, dst):
    """Least-squares similarity transform of ``src (K, 3)`` onto ``dst (K, 3)`` (Umeyama 1991)."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    u, sig, vt = np.linalg.svd(a.T @ b)
    corr = np.diag([1., 1., np.sign(np.linalg.det(vt.T @ u.T))])
    rot = vt.T @ corr @ u.T
    scale = np.trace(np.diag(sig) @ corr) / (a**2).sum()
    return scale * src @ rot.T + (mu_d - scale * rot @ mu_s)


def protocol_errors(pred_joints, gt_joints, root, joints, valid=None):
    """Root-centred MPJPE and PA-MPJPE (input unit) over all valid joints, sample by sample."""
    errs, pa_errs = [], []
    for i in range(len(gt_joints)):
        p = pred_joints[i][joints] - pred_joints[i][root]
        g = gt_joints[i][joints] - gt_joints[i][root]
        keep = np.ones(len(joints), bool) if valid is None else valid[i][joints]
        p, g = p[keep], g[keep]
        errs.extend(np.linalg.norm(p - g, axis=1))
        pa_errs.extend(np.linalg.norm(umeyama_align(p, g) - g, axis=1))
    return float(np.mean(errs)), float(np.mean(pa_errs))
