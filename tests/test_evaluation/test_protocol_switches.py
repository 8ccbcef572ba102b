"""One switch for the 3DPW GT gender reaches every evaluator (val and test), in the paper's
recipe, in the job configs the study dumps for it, and through ``--cfg-options``."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmhpse.engine.runner_setup import merge_common_args
from mmhpse.evaluation import apply_protocol_switches, pw3d_gt_genders
from mmhpse.registry import METRICS
from mmhpse.study.jobs import JobRunner
from mmhpse.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STUDY = osp.join(REPO, 'configs/studies/paper.py')
P2 = dict(subjects=['S9', 'S11'], cameras=['60457274'], frame_stride=64)
register_all_modules()


def _paper_finetune_config() -> str:
    return osp.join(REPO, Config.fromfile(STUDY).study.finetune.config)


def _resolved(path, cfg_options=None):
    """The config as tools/train.py / tools/test.py see it before building the Runner."""
    return merge_common_args(Config.fromfile(path), path, None, 'none', cfg_options)


def _built_gt_gender(cfg):
    """``gt_gender`` of every 3DPW MeshMetric, built from the config as the Runner builds it."""
    out = {}
    for name in ('val_evaluator', 'test_evaluator'):
        metric = METRICS.build(cfg[name].to_dict())
        if metric.dataset == '3dpw':
            out[name] = metric.gt_gender
    return out


def test_paper_recipe_is_neutral_in_every_evaluator():
    path = _paper_finetune_config()
    raw = Config.fromfile(path)
    assert raw.pw3d_gt_gender == 'neutral'
    # the evaluators leave the choice to the switch: nothing to get out of step
    assert pw3d_gt_genders(raw) == [('val_evaluator', None), ('test_evaluator', None)]
    cfg = _resolved(path)
    assert pw3d_gt_genders(cfg) == [('val_evaluator', 'neutral'), ('test_evaluator', 'neutral')]
    assert _built_gt_gender(cfg) == {'val_evaluator': False, 'test_evaluator': False}


def test_gendered_is_one_switch_away_and_reaches_both():
    cfg = _resolved(_paper_finetune_config(), {'pw3d_gt_gender': 'gendered'})
    assert _built_gt_gender(cfg) == {'val_evaluator': True, 'test_evaluator': True}
    # overriding one evaluator against the switch is an error naming both keys
    with pytest.raises(ValueError, match=r"test_evaluator.gt_gender=True contradicts the switch "
                       r"pw3d_gt_gender='neutral'"):
        _resolved(_paper_finetune_config(), {'test_evaluator.gt_gender': True})
    with pytest.raises(ValueError, match='pw3d_gt_gender must be one of'):
        _resolved(_paper_finetune_config(), {'pw3d_gt_gender': 'male'})


def test_study_job_configs_are_neutral_and_use_the_p2_frames(tmp_path):
    """The job configs the study writes (fine-tuning, then one test config per benchmark, as
    ``StudyRunner.finetune_and_test`` does) resolve to neutral GT in every 3DPW evaluator."""
    study = Config.fromfile(STUDY).study
    options = dict(study.finetune.get('cfg_options', {}))
    options.update({k: v.replace('{pct}', '10')
                    for k, v in study.finetune.fraction_cfg_options.items()})
    job = JobRunner.write_job_config(_paper_finetune_config(), str(tmp_path / 'ft'), options)
    cfg = _resolved(job)
    assert _built_gt_gender(cfg) == {'val_evaluator': False, 'test_evaluator': False}
    tests = {}
    for bench in study.benchmarks:
        path = JobRunner.write_job_config(job, str(tmp_path / bench.prefix),
                                          dict(bench.get('cfg_options', {})))
        tests[bench.prefix] = _resolved(path)
    assert _built_gt_gender(tests['3dpw']) == {'val_evaluator': False, 'test_evaluator': False}
    h36m = tests['h36m']
    assert h36m.test_evaluator.dataset == 'h36m_p2'
    assert h36m.test_dataloader.dataset.sample_filter == P2
    assert h36m.test_dataloader.dataset.ann_file.endswith('h36m_test_p2.npz')
    assert tests['mupots'].test_evaluator.dataset == 'mupots'


def test_h36m_p2_base_config_has_the_authors_frames():
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/h36m_p2.py'))
    assert cfg.h36m_p2_test.sample_filter == P2


def test_without_the_switch_a_3dpw_metric_does_not_guess():
    cfg = Config.fromfile(_paper_finetune_config())  # not resolved: the switch is not applied
    with pytest.raises(ValueError, match=r"MeshMetric\(3dpw\) needs gt_gender .*pw3d_gt_gender"):
        METRICS.build(cfg.val_evaluator.to_dict())
    # a config without the key keeps its evaluators' own values
    cfg = Config(dict(val_evaluator=dict(type='MeshMetric', gt_gender=True),
                      test_evaluator=[dict(type='MeshMetric', dataset='h36m_p2')]))
    apply_protocol_switches(cfg)
    assert pw3d_gt_genders(cfg) == [('val_evaluator', True)]
    cfg.pw3d_gt_gender = 'neutral'
    with pytest.raises(ValueError, match='val_evaluator.gt_gender=True contradicts'):
        apply_protocol_switches(cfg)
