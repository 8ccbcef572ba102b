"""Config-level switches of evaluation protocols that every evaluator of a run follows.

An mmengine config holds ``val_evaluator`` and ``test_evaluator`` as two separate dicts (even
after ``test_evaluator = val_evaluator``), so an override of one (``--cfg-options`` or a study's
``cfg_options``) silently leaves the other as it was. A protocol choice that must be the same in
both is therefore one top-level key, applied to every matching evaluator by
:func:`apply_protocol_switches` (called by ``tools/train.py`` / ``tools/test.py`` through
:func:`mmhpse.engine.runner_setup.merge_common_args`, after the overrides):

- ``pw3d_gt_gender``: ``'neutral'`` (GT meshes of the neutral SMPL model, the authors' code) or
  ``'gendered'`` (each sample's GT gender, mmhuman3d) for every ``MeshMetric(dataset='3dpw')``.

An evaluator that sets its own value keeps it when it agrees with the switch; a disagreement is
an error naming both keys, never a silent choice.
"""
from typing import Iterator, List, Tuple

__all__ = ['PW3D_GT_GENDER', 'GT_GENDER_CHOICES', 'apply_protocol_switches',
           'pw3d_gt_genders', 'gt_gender_flag']

PW3D_GT_GENDER = 'pw3d_gt_gender'
GT_GENDER_CHOICES = {'neutral': False, 'gendered': True}
EVALUATORS = ('val_evaluator', 'test_evaluator')


def gt_gender_flag(value, where: str):
    """``True`` (gendered) / ``False`` (neutral) / ``None`` (unset) from a bool or a name."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value in GT_GENDER_CHOICES:
        return GT_GENDER_CHOICES[value]
    raise ValueError(f'{where} must be one of {sorted(GT_GENDER_CHOICES)} (or a bool), '
                     f'got {value!r}')


def _metric_cfgs(cfg) -> Iterator[Tuple[str, dict]]:
    """``(config key, metric dict)`` of every metric of the run's evaluators."""
    for name in EVALUATORS:
        evaluator = cfg.get(name, None)
        if not evaluator:
            continue
        if isinstance(evaluator, dict) and 'metrics' in evaluator:  # dict(type='Evaluator', ..)
            metrics, prefix = evaluator['metrics'], f'{name}.metrics'
        else:
            metrics, prefix = evaluator, name
        if isinstance(metrics, dict):
            yield prefix, metrics
        else:
            for i, metric in enumerate(metrics):
                yield f'{prefix}.{i}', metric


def _is_pw3d_mesh_metric(metric: dict) -> bool:
    return str(metric.get('type', '')).split('.')[-1] == 'MeshMetric' and \
        metric.get('dataset', '3dpw') == '3dpw'


def apply_protocol_switches(cfg) -> None:
    """Apply the top-level protocol switches of ``cfg`` (an mmengine Config) in place."""
    if cfg.get(PW3D_GT_GENDER, None) is None:
        return
    value = cfg[PW3D_GT_GENDER]
    if value not in GT_GENDER_CHOICES:
        raise ValueError(f'{PW3D_GT_GENDER} must be one of {sorted(GT_GENDER_CHOICES)}, '
                         f'got {value!r}')
    flag = GT_GENDER_CHOICES[value]
    for key, metric in _metric_cfgs(cfg):
        if not _is_pw3d_mesh_metric(metric):
            continue
        own = gt_gender_flag(metric.get('gt_gender', None), f'{key}.gt_gender')
        if own is not None and own != flag:
            raise ValueError(
                f'{key}.gt_gender={metric.get("gt_gender")!r} contradicts the switch '
                f'{PW3D_GT_GENDER}={value!r}; set only {PW3D_GT_GENDER} (it reaches every 3DPW '
                'evaluator) or make them agree')
        metric['gt_gender'] = value


def pw3d_gt_genders(cfg) -> List[Tuple[str, object]]:
    """``(config key, gt_gender)`` of every 3DPW ``MeshMetric`` of ``cfg`` as it stands."""
    return [(key, metric.get('gt_gender', None)) for key, metric in _metric_cfgs(cfg)
            if _is_pw3d_mesh_metric(metric)]
