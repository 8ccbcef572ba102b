# 2D-pose pre-training on the quickstart's procedural humans (CPU-sized): SimpleBaseline on a
# half-width ResNet-18 (stem / base channels 32, last stage dilated: C5 at stride 16, as in the
# quickstart's fine-tuning) from scratch, 19 joints, 64x48 input, two deconvolutions to 16x12
# heatmaps (stride 4, as SimpleBaseline), 6 epochs of the 2D-only pool.
# Data: data/quickstart/{pool,test}_coco.json, written by
# the quickstart study's prepare steps (configs/studies/quickstart.py).
_base_ = './simplebaseline_resnet50_4xb32-140e_coco19-256x192.py'

width = 32
codec = dict(type='MSRAHeatmap', input_size=(48, 64), heatmap_size=(12, 16), sigma=1)
model = dict(
    backbone=dict(depth=18, stem_channels=width, base_channels=width, strides=(1, 2, 2, 1),
                  dilations=(1, 1, 1, 2)),
    head=dict(in_channels=width * 8, deconv_out_channels=(32, 32),
              deconv_kernel_sizes=(4, 4), decoder=codec),
    test_cfg=dict(flip_test=False))

# the fine-tuning's augmentation (no rotation, no half body), so both see the same crops
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='mmpretrain.AddMidpointJoints', pairs=_base_.midpoints),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', rotate_prob=0.),
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
data_root = 'data/quickstart/'
train_dataloader = dict(
    batch_size=32, num_workers=1, persistent_workers=True, pin_memory=False,
    dataset=dict(data_root=data_root, ann_file='pool_coco.json', data_prefix=dict(img=''),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=50, num_workers=1, persistent_workers=True, pin_memory=False,
    dataset=dict(data_root=data_root, ann_file='test_coco.json', data_prefix=dict(img=''),
                 bbox_file=None, pipeline=val_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=6, val_interval=6)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=6, milestones=[5], gamma=0.1, by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=6, save_best=None, max_keep_ckpts=1))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
