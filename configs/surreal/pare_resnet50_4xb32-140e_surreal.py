# Synthetic pre-training (Choi et al., ICLR 2023): full 3DHPSE training of PARE on a ResNet-50 from
# scratch on SURREAL train (GT SMPL, 2D and 3D joints, frames every 10th: see README.md for the
# converter), 140 epochs, batch 128 (4 GPUs x 32), Adam 1e-4, x0.1 at epochs 90 and 120. Only the
# backbone is kept: tools/model_converters/extract_backbone.py hands it to the PARE fine-tuning.
_base_ = [
    '../_base_/models/pare_resnet50.py', '../_base_/default_runtime.py',
    '../random/resnet50_random-init.py'
]

# from scratch with the authors' init (convs N(0, 0.001), BN (1, 0))
model = dict(backbone=_base_.random_init_backbone)

data_root = 'data/surreal/'
input_size = (192, 256)  # (W, H)

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[90, 120], gamma=0.1)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=140)
val_cfg = val_dataloader = val_evaluator = None
test_cfg = test_dataloader = test_evaluator = None
auto_scale_lr = dict(base_batch_size=128, enable=False)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))

train_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='HumanGetBBoxCenterScale', padding=1.25),
    dict(type='HumanRandomFlip', prob=0.5),
    dict(type='HumanRandomBBoxTransform', scale_factor=0.25, rotate_factor=30., rotate_prob=0.6),
    dict(type='HumanTopdownAffine', input_size=input_size),
    dict(type='ColorJitterScale', factor=0.2),
    dict(type='PackHumanInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='HumanImageDataset',
        data_root=data_root,
        ann_file='surreal_train.npz',
        data_prefix=dict(img=''),
        dataset_name='surreal',
        convention='smpl_24',  # the body model's joints (SURREAL stores SMPL's 24)
        pipeline=train_pipeline))
