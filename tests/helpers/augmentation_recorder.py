"""A test hook (imported through ``custom_imports``) that records, per epoch, the random
augmentation each training sample received (flip, rotation, scale of the crop) into
``work_dir/augmentations.json``."""
import json
import os.path as osp

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class AugmentationRecorder(Hook):

    def __init__(self):
        self.seen = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        for sample in data_batch['data_samples']:
            meta = sample.metainfo
            self.seen.setdefault(str(runner.epoch), []).append(
                [int(meta['sample_idx']), bool(meta['flip']), round(float(meta['rotation']), 6),
                 [round(float(s), 6) for s in meta['scale']]])

    def after_train(self, runner):
        with open(osp.join(runner.work_dir, 'augmentations.json'), 'w') as f:
            json.dump(self.seen, f)
