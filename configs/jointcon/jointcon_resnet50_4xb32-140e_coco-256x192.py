# JointCon (Choi et al., ICLR 2023): joint-level supervised contrastive pre-training of a
# ResNet-50 on COCO train2017 person crops, 19 joints (COCO-17 + pelvis + neck), from scratch with
# the authors' init (convs N(0, 0.001), BN (1, 0); projector Linear N(0, 0.01)). mmpretrain scope;
# JointCon and its two-view transforms come from mmhpse via custom_imports. The recipe row by row
# against the authors' code: docs/fidelity.md.
_base_ = [
    'mmpretrain::_base_/default_runtime.py',
    '../_base_/datasets/jointcon_views.py',
    '../random/resnet50_random-init.py',
]

custom_imports = dict(imports=['mmhpse.selfsup'], allow_failed_imports=False)

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
        zero_init_residual=False,
        init_cfg=_base_.random_init_backbone.init_cfg),
    # projector Linear 2048 -> 2048, ReLU, Linear 2048 -> 128 (no BN) of the pooled joint features
    neck=dict(type='MoCoV2Neck', in_channels=2048, hid_channels=2048, out_channels=128,
              with_avg_pool=False, init_cfg=dict(type='Normal', layer='Linear', std=0.01, bias=0.)),
    # SupCon over the 2M joint embeddings, label = joint type
    head=dict(type='SupConHead', temperature=0.07, label='joint'),
    pool='gaussian',  # Gaussian (sigma 1 cell) pooling around round(x / 32); or 'bilinear'
    sigma=1.0)

view_pipeline = _base_.jointcon_view_pipeline
train_pipeline = [
    dict(type='mmpose.LoadImage'),
    dict(type='mmpose.GetBBoxCenterScale', padding=1.25),
    dict(type='AddMidpointJoints'),  # COCO-19: pelvis = mid-hips, neck = mid-shoulders
    dict(type='TwoViewPose', transforms=view_pipeline, min_valid_joints=1),
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
