"""tools/train.py on an mmpose-scope config: a tiny top-down heatmap model on a COCO-format file."""
import json
import os
import os.path as osp

import numpy as np

from helpers.tool_runner import run_tool

CONFIG = """
default_scope = 'mmpose'
codec = dict(type='MSRAHeatmap', input_size=(64, 64), heatmap_size=(16, 16), sigma=2)
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=18, stem_channels=8, base_channels=8),
    head=dict(type='HeatmapHead', in_channels=64, out_channels=17,
              deconv_out_channels=(16, 16, 16), deconv_kernel_sizes=(4, 4, 4),
              loss=dict(type='KeypointMSELoss', use_target_weight=True),
              decoder=codec),
    test_cfg=dict(flip_test=False))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='CocoDataset', data_root={root!r}, data_mode='topdown',
                 ann_file='person_keypoints.json', data_prefix=dict(img='images/'),
                 pipeline=train_pipeline))
train_cfg = dict(by_epoch=False, max_iters=2)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
default_hooks = dict(
    timer=dict(type='IterTimerHook'), logger=dict(type='LoggerHook', interval=1),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False))
log_processor = dict(by_epoch=False, window_size=1)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='PoseLocalVisualizer', vis_backends=vis_backends)
"""


def _write_coco(root, num_images=3, seed=0):
    """A COCO keypoints file with one person per image, keypoints inside the box."""
    import cv2
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    images, annotations = [], []
    for i in range(num_images):
        name = f'{i:06d}.jpg'
        cv2.imwrite(osp.join(root, 'images', name),
                    rng.integers(0, 255, (96, 128, 3), dtype=np.uint8))
        x, y, w, h = 30.0, 10.0, 48.0, 70.0
        kps = np.stack([rng.uniform(x, x + w, 17), rng.uniform(y, y + h, 17),
                        np.full(17, 2.0)], axis=1)
        images.append(dict(id=i + 1, file_name=name, width=128, height=96))
        annotations.append(dict(id=i + 1, image_id=i + 1, category_id=1, iscrowd=0,
                                bbox=[x, y, w, h], area=w * h, num_keypoints=17,
                                keypoints=kps.reshape(-1).round(2).tolist()))
    categories = [dict(id=1, name='person', supercategory='person',
                       keypoints=[f'k{j}' for j in range(17)], skeleton=[])]
    with open(osp.join(root, 'person_keypoints.json'), 'w') as f:
        json.dump(dict(images=images, annotations=annotations, categories=categories), f)


def test_tiny_topdown_pose_estimator_trains(tmp_path):
    root = str(tmp_path / 'coco')
    _write_coco(root)
    config = tmp_path / 'tiny_pose.py'
    config.write_text(CONFIG.format(root=root))
    work_dir = str(tmp_path / 'work')
    run_tool(['tools/train.py', str(config), '--work-dir', work_dir])
    import glob
    (scalars, ) = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    records = [json.loads(line) for line in open(scalars)]
    losses = [r['loss_kpt'] for r in records if 'loss_kpt' in r]
    assert len(losses) == 2 and all(np.isfinite(losses)) and all(v > 0 for v in losses)
    assert osp.exists(osp.join(work_dir, 'iter_2.pth'))
