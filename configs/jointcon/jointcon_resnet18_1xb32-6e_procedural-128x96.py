# JointCon on the quickstart's procedural humans (CPU-sized): ResNet-18, 128x96 views, 6 epochs.
# The data is written by the quickstart study's prepare steps (configs/studies/quickstart.py):
# data/procedural/train.npz (HumanData) exported to COCO keypoints as train_coco.json.
_base_ = './jointcon_resnet50_4xb32-140e_coco-256x192.py'

input_size = (96, 128)  # (w, h)
model = dict(
    backbone=dict(depth=18, norm_cfg=dict(type='BN')),
    neck=dict(in_channels=512, hid_channels=512, out_channels=128))

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
        data_root='data/procedural/',
        ann_file='train_coco.json',
        data_prefix=dict(img=''),
        pipeline=train_pipeline))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[5], gamma=0.1)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=6)
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=4),
    checkpoint=dict(type='CheckpointHook', interval=2, max_keep_ckpts=1))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
