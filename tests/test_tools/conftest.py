import os.path as osp

import numpy as np
import pytest


def _write_images(root, num_per_class=4, size=32, seed=0):
    """A two-class image folder in mmpretrain's CustomDataset layout (class folder per label)."""
    import cv2
    rng = np.random.default_rng(seed)
    for label, name in enumerate(['dark', 'bright']):
        folder = osp.join(root, name)
        import os
        os.makedirs(folder, exist_ok=True)
        for i in range(num_per_class):
            base = 60 + 120 * label
            img = np.clip(rng.normal(base, 30, (size, size, 3)), 0, 255).astype(np.uint8)
            cv2.imwrite(osp.join(folder, f'{i:03d}.png'), img)


TINY_CLS_CONFIG = """
default_scope = 'mmpretrain'
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=18, stem_channels=8, base_channels=8, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=2, in_channels=64,
              loss=dict(type='CrossEntropyLoss')))
data_preprocessor = dict(num_classes=2, mean=[127.5] * 3, std=[64.0] * 3, to_rgb=True)
train_dataloader = dict(
    batch_size=2, num_workers=0,
    dataset=dict(type='CustomDataset', data_root={data_root!r},
                 pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]),
    sampler=dict(type='DefaultSampler', shuffle=True, seed=0))
train_cfg = dict(by_epoch=False, max_iters=4)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
    sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='gloo'))
log_processor = dict(by_epoch=False, window_size=1)
randomness = dict(seed=0, deterministic=True)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
"""


@pytest.fixture
def tiny_cls_config(tmp_path):
    """Path of a tiny mmpretrain-scope classifier config training on generated images."""
    data_root = str(tmp_path / 'images')
    _write_images(data_root)
    path = tmp_path / 'tiny_cls.py'
    path.write_text(TINY_CLS_CONFIG.format(data_root=data_root))
    return str(path)
