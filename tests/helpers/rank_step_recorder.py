"""A test hook (imported by tests' configs through ``custom_imports``) that records, per rank,
every training step and a checksum of the parameters at the end."""
import json
import os.path as osp

import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RankStepRecorder(Hook):

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        with open(osp.join(runner.work_dir, f'rank{get_rank()}_steps.txt'), 'a') as f:
            f.write(f'{runner.iter + 1} {get_world_size()}\n')

    def after_train(self, runner):
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        total = sum(float(p.detach().double().sum()) for p in model.parameters())
        with open(osp.join(runner.work_dir, f'rank{get_rank()}_params.json'), 'w') as f:
            json.dump({'param_sum': total}, f)
