# Pipelines of the 3DHPSE datasets (transforms in mmhpse/datasets/transforms/). Dataset dicts of
# the files beside this one carry no pipeline; a top-level config inherits this file once and
# sets it, e.g.
#   _base_ = ['../_base_/datasets/hpse_pipelines.py', '../_base_/datasets/h36m.py', ...]
#   train_dataloader = dict(dataset=dict(_base_.h36m_train, pipeline=_base_.train_pipeline))
# Crops are 256x192 (H x W; HumanTopdownAffine takes (W, H)), boxes padded x1.25. Augmentation of
# the paper: scale +-0.25, rotation 30 deg x N clipped with p 0.6, colour +-0.2, flip p 0.5.
hpse_input_size = (192, 256)
train_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='HumanGetBBoxCenterScale', padding=1.25),
    dict(type='HumanRandomFlip', prob=0.5),
    dict(type='HumanRandomBBoxTransform', scale_factor=0.25, rotate_factor=30, rotate_prob=0.6),
    dict(type='ColorJitterScale', factor=0.2),
    dict(type='HumanTopdownAffine', input_size=hpse_input_size),
    dict(type='PackHumanInputs'),
]
test_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='HumanGetBBoxCenterScale', padding=1.25),
    dict(type='HumanTopdownAffine', input_size=hpse_input_size),
    dict(type='PackHumanInputs'),
]
