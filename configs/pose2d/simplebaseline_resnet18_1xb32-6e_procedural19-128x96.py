# 2D-pose pre-training on the quickstart's procedural humans (CPU-sized): SimpleBaseline ResNet-18
# from scratch, 19 joints, 128x96 input, 32x24 heatmaps, 6 epochs. Data: data/procedural/
# {train,test}_coco.json, written by the quickstart study's prepare steps
# (configs/studies/quickstart.py).
_base_ = './simplebaseline_resnet50_4xb32-140e_coco19-256x192.py'

codec = dict(type='MSRAHeatmap', input_size=(96, 128), heatmap_size=(24, 32), sigma=1)
model = dict(
    backbone=dict(depth=18),
    head=dict(in_channels=512, deconv_out_channels=(64, 64, 64), deconv_kernel_sizes=(4, 4, 4),
              decoder=codec),
    test_cfg=dict(flip_test=False))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='mmpretrain.AddMidpointJoints', pairs=_base_.midpoints),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='mmpretrain.AddMidpointJoints', pairs=_base_.midpoints),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
data_root = 'data/procedural/'
train_dataloader = dict(
    batch_size=32, num_workers=1, persistent_workers=True, pin_memory=False,
    dataset=dict(data_root=data_root, ann_file='train_coco.json', data_prefix=dict(img=''),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32, num_workers=1, persistent_workers=True, pin_memory=False,
    dataset=dict(data_root=data_root, ann_file='test_coco.json', data_prefix=dict(img=''),
                 bbox_file=None, pipeline=val_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=6, val_interval=3)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=6, milestones=[5], gamma=0.1, by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(
    logger=dict(interval=4),
    checkpoint=dict(interval=2, save_best=None, max_keep_ckpts=1))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
