# JointCon on the quickstart's procedural humans (CPU-sized): a half-width ResNet-18 (stem / base
# channels 32; C5: 256 x 3 x 2), 96x64 views, 4 epochs of the 2D-only pool (two views per image,
# so about the compute of the 2D-pose pre-training's 8 epochs). The data is written by the
# quickstart study's prepare steps (configs/studies/quickstart.py): data/quickstart/pool.npz
# (HumanData) exported to COCO keypoints as pool_coco.json.
_base_ = './jointcon_resnet50_4xb32-140e_coco-256x192.py'

width = 32
input_size = (64, 96)  # (w, h)
model = dict(
    backbone=dict(depth=18, stem_channels=width, base_channels=width, norm_cfg=dict(type='BN')),
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
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[3], gamma=0.1)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=4)
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=4, max_keep_ckpts=1))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
