# CPU smoke fine-tuning with the paper's full augmentation (flip, rotation, scale, colour): the
# paper's PARE (C5 head) on a randomly initialised ResNet-18, 128x96 crops of procedural humans
# rendered from the (surrogate) SMPL body model, evaluated on the procedural test split (3DPW
# protocol, neutral GT). The tests' tiny training / resume / chain runs narrow it further. Data (the
# quickstart's, configs/_base_/datasets/procedural.py):
#   python tools/misc/make_procedural_dataset.py --out data/quickstart/train.npz \
#       --num-samples 1000 --img-size 128 --seed 0
#   python tools/misc/make_procedural_dataset.py --out data/quickstart/test.npz \
#       --num-samples 250 --img-size 128 --seed 1
#   python tools/train.py configs/pare/pare_resnet18-scratch_1xb16-24e_procedural-128x96.py
# The generator writes a surrogate body model to data/body_models/ when none is there. The
# quickstart itself runs the smaller pare_resnet18-w32-scratch_1xb16-5e_procedural-64x48.py.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/pare_resnet50.py',
    '../_base_/datasets/procedural.py',
]

img_res = (128, 96)  # (H, W)
body_model_dir = 'data/body_models'
train_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='HumanGetBBoxCenterScale', padding=1.25),
    dict(type='HumanRandomFlip', prob=0.5),
    dict(type='HumanRandomBBoxTransform', scale_factor=0.25, rotate_factor=30, rotate_prob=0.6),
    dict(type='ColorJitterScale', factor=0.2),
    dict(type='HumanTopdownAffine', input_size=(img_res[1], img_res[0])),
    dict(type='PackHumanInputs'),
]
test_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='HumanGetBBoxCenterScale', padding=1.25),
    dict(type='HumanTopdownAffine', input_size=(img_res[1], img_res[0])),
    dict(type='PackHumanInputs'),
]

model = dict(
    # full-width ResNet-18 (C5: 512 x 4 x 3): the widths of the released ResNet-18s, so that
    # pre-trained ResNet-18 backbones (2D pose, JointCon) chain into it
    backbone=dict(depth=18),
    head=dict(
        in_channels=512,
        num_filters=(64, 64),
        num_smpl_features=32,
        # shape is barely visible at 128x96: a smaller shape weight than the paper's (1) makes
        # the few CPU epochs count; every other term is the paper's
        loss_smpl_betas=dict(loss_weight=0.1)),
    body_model=dict(model_path=f'{body_model_dir}/smpl'),
    img_res=img_res)

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    # GT keypoints in the layout of the body model's SMPL joints (smpl_49 files -> smpl_24_loose)
    dataset=dict(_base_.procedural_train, pipeline=train_pipeline, convention='smpl_24_loose'))
val_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_base_.procedural_test, pipeline=test_pipeline))
test_dataloader = val_dataloader
pw3d_gt_gender = 'neutral'  # procedural GT is neutral (one switch for val and test)
val_evaluator = dict(
    type='MeshMetric',
    dataset='3dpw',
    prefix='procedural',
    body_model=dict(
        type='SMPL',
        model_path=f'{body_model_dir}/smpl',
        joint_regressor_h36m=f'{body_model_dir}/J_regressor_h36m.npy'))
test_evaluator = val_evaluator

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-3))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[20], gamma=0.1)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=24, val_interval=4)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(interval=4, max_keep_ckpts=1, save_best='procedural/pa-mpjpe', rule='less'))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
