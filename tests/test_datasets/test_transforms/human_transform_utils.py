"""Synthetic samples for the 3DHPSE transform tests: a pinhole camera sees random 3D joints."""
import numpy as np

from mmhpse.conventions.keypoints import get_keypoint_num

CONVENTION = 'smpl_49'


def pinhole(points3d, focal, principal):
    """Project ``(K, 3)`` camera-frame points (x right, y down, z forward) to ``(K, 2)`` pixels."""
    points3d = np.asarray(points3d, dtype=np.float64)
    return focal * points3d[:, :2] / points3d[:, 2:3] + np.asarray(principal, dtype=np.float64)


def make_results(seed=0, width=320, height=240, focal=400., principal=None, image=None,
                 convention=CONVENTION):
    """A results dict as a dataset hands it to the pipeline (before ``LoadHumanImage``'s output).

    The 3D joints lie about 5 m in front of a camera with ``focal`` and ``principal`` point
    (default: the image centre); ``keypoints2d`` are their exact projections, the box is their
    extent. Returns ``(results, camera)`` with ``camera = dict(focal=..., principal=...)``.
    """
    rng = np.random.default_rng(seed)
    num = get_keypoint_num(convention)
    if principal is None:
        principal = ((width - 1) / 2., (height - 1) / 2.)
    joints = rng.uniform([-0.4, -0.7, -0.3], [0.4, 0.7, 0.3], (num, 3)) + [0.1, 0.05, 5.0]
    kp2d = pinhole(joints, focal, principal)
    x0, y0 = kp2d.min(0)
    x1, y1 = kp2d.max(0)
    if image is None:
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    results = dict(
        img=image,
        img_shape=image.shape[:2],
        ori_shape=image.shape[:2],
        img_path='synthetic.png',
        bbox_xywh=np.array([x0, y0, x1 - x0, y1 - y0], dtype=np.float32),
        keypoints2d=np.concatenate([kp2d, rng.uniform(0.2, 1, (num, 1))], 1).astype(np.float32),
        keypoints3d=np.concatenate([joints, rng.uniform(0.2, 1, (num, 1))], 1).astype(np.float32),
        smpl_global_orient=rng.normal(0, 0.8, 3).astype(np.float32),
        smpl_body_pose=rng.normal(0, 0.3, (23, 3)).astype(np.float32),
        smpl_betas=rng.normal(0, 1, 10).astype(np.float32),
        has_smpl=True,
        gender='neutral',
        sample_idx=seed,
        dataset_name='synthetic',
        keypoints_convention=convention)
    return results, dict(focal=focal, principal=principal)


def copy_results(results):
    """A copy whose arrays do not share memory with ``results``."""
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in results.items()}
