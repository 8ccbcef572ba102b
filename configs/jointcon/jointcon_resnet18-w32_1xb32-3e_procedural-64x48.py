# JointCon on the quickstart's procedural humans (CPU-sized): a half-width ResNet-18 (stem / base
# channels 32) whose last stage is dilated instead of strided (C5 at stride 16: 256 x 4 x 3 for a
# 64x48 view, so that a joint's Gaussian covers a few cells rather than a 2 x 2 map), 3 epochs of
# the 2D-only pool (two views per image, about the compute of the 2D-pose pre-training's 6 epochs).
# The joints' peak cells follow the stride the algorithm reads from the map (16 here, 32 on C5).
# The data is written by the quickstart study's prepare steps (configs/studies/quickstart.py):
# data/quickstart/pool.npz (HumanData) exported to COCO keypoints as pool_coco.json.
_base_ = './jointcon_resnet50_4xb32-140e_coco-256x192.py'

width = 32
input_size = (48, 64)  # (w, h)
model = dict(
    backbone=dict(depth=18, stem_channels=width, base_channels=width, norm_cfg=dict(type='BN'),
                  strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2)),
    neck=dict(in_channels=width * 8, hid_channels=width * 8, out_channels=128))

view_pipeline = [
    dict(type='mmpose.RandomFlip', direction='horizontal', prob=0.5),
    dict(type='ClippedBBoxTransform', scale_factor=0.3, scale_clip=1.0, rotate_factor=40.,
         rotate_clip=2.0, rotate_prob=0.6),
    dict(type='mmpose.TopdownAffine', input_size=input_size),
    dict(type='RandomChannelScale', low=0.8, high=1.2),
]
train_pipeline = [
    dict(type='mmpose.LoadImage'),
    dict(type='mmpose.GetBBoxCenterScale', padding=1.25),
    dict(type='AddMidpointJoints'),  # COCO-19 pelvis and neck
    dict(type='TwoViewPose', transforms=view_pipeline, min_valid_joints=1),
    dict(type='PackInputs',
         algorithm_keys=['view_keypoints', 'view_keypoints_visible'],
         meta_keys=['img_path', 'id', 'sample_idx', 'view_affine', 'view_flip', 'input_size']),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    pin_memory=False,
    dataset=dict(
        data_root='data/quickstart/',
        ann_file='pool_coco.json',
        data_prefix=dict(img=''),
        pipeline=train_pipeline))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[2], gamma=0.1)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3)
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=3, max_keep_ckpts=1))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
