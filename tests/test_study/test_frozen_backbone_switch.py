"""The study's ``frozen_backbone`` switch becomes mmpretrain ResNet's own freezing keys."""
import types

from mmengine.config import Config

from mmhpse.study.runner import StudyRunner


def _edit(frozen):
    runner = StudyRunner.__new__(StudyRunner)  # only the fine-tune edit is exercised here
    runner.study = types.SimpleNamespace(frozen_backbone=frozen)
    runner.backbones = {}
    job = types.SimpleNamespace(pretraining=types.SimpleNamespace(name='scratch'), seed=3)
    cfg = Config(dict(model=dict(backbone=dict(type='mmpretrain.ResNet', depth=50))))
    runner._finetune_edit(job)(cfg)
    return cfg


def test_frozen_backbone_maps_to_resnet_frozen_stages_and_norm_eval():
    cfg = _edit(True)
    assert cfg.model.backbone.frozen_stages == 4 and cfg.model.backbone.norm_eval is True
    assert cfg.randomness.seed == 3
    assert 'frozen_stages' not in _edit(False).model.backbone
