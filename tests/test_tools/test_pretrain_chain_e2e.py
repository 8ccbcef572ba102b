"""End to end: a DetCon pre-training run -> extract_backbone.py -> StrictPretrained in the
procedural PARE config: every backbone weight of the fine-tuning model is the pre-trained one."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from helpers.tool_runner import REPO, run_tool

import mmhpse.models  # noqa: F401
from mmhpse.engine.runner_setup import add_safe_checkpoint_hook
from mmhpse.models.backbones import IncompleteCheckpointError
from mmhpse.registry import MODELS
from mmhpse.utils.checkpoint import load_external_checkpoint


def _images(root, n=8):
    rng = np.random.default_rng(0)
    os.makedirs(osp.join(root, 'a'))
    for i in range(n):
        img = np.zeros((80, 96, 3), np.uint8)
        for _ in range(3):
            y, x = rng.integers(0, 60), rng.integers(0, 70)
            img[y:y + 30, x:x + 30] = rng.integers(0, 255, 3)
        cv2.imwrite(osp.join(root, 'a', f'{i}.png'), img)


def test_detcon_to_pare_chain(tmp_path, surrogate_body_model_dir):
    _images(str(tmp_path / 'imgs'))
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/detcon/detcon-b_resnet50_16xb256-coslr-200e_in1k.py'))
    cfg.model.backbone.update(depth=18, norm_cfg=dict(type='BN'))  # full-width ResNet-18
    cfg.model.neck.update(in_channels=512, hid_channels=64, out_channels=32)
    cfg.model.predictor.update(in_channels=32, hid_channels=64, out_channels=32)
    pipeline = cfg.train_dataloader.dataset.pipeline
    pipeline[1].mask_root = None  # masks on the fly
    for view in pipeline[2].transforms:
        view[0].scale = 64
    cfg.train_dataloader = dict(
        batch_size=4, num_workers=0, persistent_workers=False, drop_last=True,
        sampler=dict(type='DefaultSampler', shuffle=True), collate_fn=dict(type='default_collate'),
        dataset=dict(type='CustomDataset', data_root=str(tmp_path / 'imgs'), pipeline=pipeline))
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=2, by_epoch=False)
    cfg.default_hooks.pop('visualization', None)
    cfg.work_dir = str(tmp_path / 'detcon')
    add_safe_checkpoint_hook(cfg)  # what tools/train.py does
    Runner.from_cfg(cfg).train()
    ckpt = osp.join(cfg.work_dir, 'iter_2.pth')
    assert osp.exists(ckpt)

    out = str(tmp_path / 'detcon_backbone.pth')
    proc = run_tool(['tools/model_converters/extract_backbone.py', ckpt, out, '--depth', '18'])
    assert "backbone prefix: 'backbone.' (ResNet-18); other backbones under " \
           "['target_net.module.0.']" in proc.stdout
    assert 'matched: 100/100 (100.0 %)' in proc.stdout

    pare = Config.fromfile(osp.join(
        REPO, 'configs/pare/pare_resnet18-scratch_1xb16-24e_procedural-128x96.py'))
    bm = surrogate_body_model_dir
    pare.model.head.smpl_mean_params = osp.join(bm, 'smpl_mean_params.npz')
    pare.model.body_model.update(model_path=osp.join(bm, 'smpl'),
                                 joint_regressor_extra=osp.join(bm, 'J_regressor_extra.npy'))
    if 'joint_regressor_h36m' in pare.model.body_model:
        pare.model.body_model.joint_regressor_h36m = osp.join(bm, 'J_regressor_h36m.npy')
    pare.model.backbone.init_cfg = dict(type='StrictPretrained', checkpoint=out,
                                        prefix='backbone.')
    source = load_external_checkpoint(ckpt)['state_dict']
    with DefaultScope.overwrite_default_scope('mmhpse'):
        model = MODELS.build(pare.model)
        model.init_weights()
        own = model.backbone.state_dict()
        assert len(own) == 120  # ResNet-18: 100 weights and BN statistics + 20 counters
        for k, v in own.items():
            if not k.endswith('num_batches_tracked'):
                assert torch.equal(v, source['backbone.' + k]), k

        # a checkpoint of another depth fails at start, listing what is missing
        r50 = str(tmp_path / 'r50.pth')
        import torchvision
        torch.save({'state_dict': {'backbone.' + k: v for k, v in
                                   torchvision.models.resnet50().state_dict().items()}}, r50)
        pare.model.backbone.init_cfg.checkpoint = r50
        model = MODELS.build(pare.model)
        with pytest.raises(IncompleteCheckpointError, match='shape mismatches'):
            model.init_weights()
