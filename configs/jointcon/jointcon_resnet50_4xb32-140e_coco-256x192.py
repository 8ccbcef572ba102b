# JointCon (Choi et al., ICLR 2023): joint-level supervised contrastive pre-training of a
# ResNet-50 on COCO train2017 person crops, 19 joints (COCO-17 + pelvis + neck), from scratch.
# mmpretrain scope; JointCon and its two-view transforms come from mmhpse via custom_imports.
_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['mmhpse.selfsup'], allow_failed_imports=False)

input_size = (192, 256)  # (w, h) of each view
data_root = 'data/coco/'

model = dict(
    type='JointCon',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),  # mmpose.LoadImage gives BGR
    backbone=dict(
        type='ResNet',
        depth=50,
        out_indices=(3, ),  # C5: 2048 x 8 x 6 for 256x192
        norm_cfg=dict(type='SyncBN'),  # BN statistics over the global batch of 128
        zero_init_residual=False),
    # projector Linear 2048 -> 2048, ReLU, Linear 2048 -> 128 (no BN) of the pooled joint features
    neck=dict(type='MoCoV2Neck', in_channels=2048, hid_channels=2048, out_channels=128,
              with_avg_pool=False),
    # SupCon over the 2M joint embeddings, label = joint type (ablation: label='instance')
    head=dict(type='SupConHead', temperature=0.07, label='joint'),
    pool='gaussian',  # or 'bilinear' (the earlier point-sampling variant)
    sigma=1.0)

view_pipeline = [
    dict(type='mmpose.RandomFlip', direction='horizontal', prob=0.5),
    # scale 1 + 0.3 clip(N, -1, 1); rotation 40 clip(N, -2, 2) degrees with p 0.6
    dict(type='ClippedBBoxTransform', scale_factor=0.3, scale_clip=1.0, rotate_factor=40.,
         rotate_clip=2.0, rotate_prob=0.6),
    dict(type='mmpose.TopdownAffine', input_size=input_size),
    dict(type='RandomChannelScale', low=0.8, high=1.2),
]
train_pipeline = [
    dict(type='mmpose.LoadImage'),
    dict(type='mmpose.GetBBoxCenterScale', padding=1.25),
    dict(type='AddMidpointJoints', pairs=[(11, 12), (5, 6)]),  # pelvis, neck (COCO-19)
    dict(type='TwoViewPose', transforms=view_pipeline, min_valid_joints=1, max_redraws=10),
    dict(type='PackInputs',
         algorithm_keys=['view_keypoints', 'view_keypoints_visible'],
         meta_keys=['img_path', 'id', 'sample_idx', 'view_affine', 'view_flip', 'input_size']),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='mmpose.CocoDataset',
        data_root=data_root,
        data_mode='topdown',
        ann_file='annotations/person_keypoints_train2017.json',
        data_prefix=dict(img='train2017/'),
        pipeline=train_pipeline))

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[90, 120], gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=140)
auto_scale_lr = dict(base_batch_size=128)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))
