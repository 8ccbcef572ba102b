"""The study's "mean pose" reference row: the training set's mean SMPL pose and shape, predicted
for every test image and scored with the benchmark's own evaluator.

A row that does no better than this has learned nothing from the images. The mean of rotations is
the chordal L2 mean per joint (mean rotation matrix projected back onto SO(3)); the shape is the
mean of the betas. Only samples with SMPL labels (``has_smpl``) count; the training set is the
fine-tuning set of the label fraction (its ``indices_file``).
"""
import copy
from typing import Dict, Iterable, Tuple

import numpy as np

__all__ = ['mean_smpl_params', 'evaluate_constant_prediction', 'mean_pose_metrics']


def _strip_pipelines(cfg):
    """A copy of a dataset config with every ``pipeline`` emptied (annotations only)."""
    cfg = copy.deepcopy(cfg)

    def walk(node):
        if isinstance(node, dict):
            if 'pipeline' in node:
                node['pipeline'] = []
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    walk(cfg)
    return cfg


def _samples(dataset_cfg) -> Iterable[dict]:
    """The annotation dicts of a dataset config (built with empty pipelines)."""
    from mmhpse.registry import DATASETS
    from mmhpse.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    dataset = DATASETS.build(_strip_pipelines(dataset_cfg))
    for i in range(len(dataset)):
        yield dataset[i]


def _axis_angle_to_matrix(aa: np.ndarray) -> np.ndarray:
    from scipy.spatial.transform import Rotation
    return Rotation.from_rotvec(aa.reshape(-1, 3)).as_matrix().reshape(aa.shape[:-1] + (3, 3))


def _project_to_rotation(mats: np.ndarray) -> np.ndarray:
    """Nearest rotation (Frobenius) of each ``(..., 3, 3)`` matrix."""
    u, _, vt = np.linalg.svd(mats)
    det = np.sign(np.linalg.det(u @ vt))
    d = np.ones(mats.shape[:-1])
    d[..., -1] = det
    return (u * d[..., None, :]) @ vt


def mean_smpl_params(samples: Iterable[dict], source: str = 'the training set'
                     ) -> Tuple[np.ndarray, np.ndarray, int]:
    """Chordal mean pose and mean shape of the samples that have SMPL labels.

    Args:
        samples: dicts with ``smpl_global_orient (3,)``, ``smpl_body_pose (23, 3)``,
            ``smpl_betas (10,)`` and optionally ``has_smpl``.
        source (str): named in the error when no sample has SMPL labels.

    Returns:
        tuple: rotation matrices ``(24, 3, 3)``, betas ``(10,)`` and the number of samples used.
    """
    rot_sum, beta_sum, count = np.zeros((24, 3, 3)), np.zeros(10), 0
    for s in samples:
        if not bool(s.get('has_smpl', 'smpl_body_pose' in s)) or 'smpl_body_pose' not in s:
            continue
        pose = np.concatenate([np.reshape(s['smpl_global_orient'], (1, 3)),
                               np.reshape(s['smpl_body_pose'], (23, 3))]).astype(np.float64)
        rot_sum += _axis_angle_to_matrix(pose)
        beta_sum += np.reshape(s['smpl_betas'], (10, ))
        count += 1
    if count == 0:
        raise ValueError(f'mean pose: {source} has no sample with SMPL labels')
    return _project_to_rotation(rot_sum / count), beta_sum / count, count


def _packed(s: dict, rotmats, betas):
    """A test sample as the evaluator receives it from a model: the annotation dict packed by
    :class:`PackHumanInputs` (no image is read; a one-pixel placeholder stands in) with the
    constant prediction ``rotmats (24, 3, 3)``, ``betas (10,)`` (tensors)."""
    from mmhpse.datasets.transforms import PackHumanInputs
    sample = PackHumanInputs()(dict(s, img=np.zeros((1, 1, 3), np.uint8)))['data_samples']
    sample.pred_pose, sample.pred_betas = rotmats, betas
    return sample


def evaluate_constant_prediction(rotmats: np.ndarray, betas: np.ndarray, test_samples,
                                 evaluator_cfg: dict, batch_size: int = 256) -> Dict[str, float]:
    """Score one prediction (``rotmats (24, 3, 3)``, ``betas (10,)``) for every test sample
    with the evaluator config of a benchmark (e.g. ``MeshMetric``).

    Returns:
        dict: the evaluator's metrics with its prefix, e.g. ``{'3dpw/mpjpe': ...}``.
    """
    from mmengine.evaluator import Evaluator

    from mmhpse.registry import METRICS
    from mmhpse.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfgs = evaluator_cfg if isinstance(evaluator_cfg, (list, tuple)) else [evaluator_cfg]
    evaluator = Evaluator([METRICS.build(copy.deepcopy(c)) for c in cfgs])
    import torch
    rotmats, betas = torch.from_numpy(rotmats).float(), torch.from_numpy(betas).float()
    batch, count = [], 0
    for s in test_samples:
        batch.append(_packed(s, rotmats, betas))
        if len(batch) == batch_size:
            evaluator.process(batch)
            count, batch = count + len(batch), []
    if batch:
        evaluator.process(batch)
        count += len(batch)
    return {k: float(v) for k, v in evaluator.evaluate(count).items()}


def mean_pose_metrics(job_cfg, benchmark_cfgs: Dict[str, object]) -> Dict[str, float]:
    """The mean-pose row of a fine-tuning job config.

    Args:
        job_cfg (Config): the fine-tuning job config (its ``train_dataloader.dataset`` is the
            training set of the label fraction).
        benchmark_cfgs (dict): prefix -> the job's test config of that benchmark (its
            ``test_dataloader.dataset`` and ``test_evaluator``).

    Returns:
        dict: metrics of every benchmark (``'<prefix>/mpjpe'``, ...) and
        ``'num_train_samples'``.
    """
    rotmats, betas, count = mean_smpl_params(_samples(job_cfg.train_dataloader.dataset),
                                             f'{job_cfg.filename} train_dataloader.dataset')
    metrics = {'num_train_samples': float(count)}
    from mmhpse.evaluation.protocol_switches import apply_protocol_switches
    for prefix, cfg in benchmark_cfgs.items():
        apply_protocol_switches(cfg)  # as tools/test.py does, e.g. pw3d_gt_gender
        metrics.update(evaluate_constant_prediction(
            rotmats, betas, _samples(cfg.test_dataloader.dataset), cfg.test_evaluator))
    return metrics
