# The fine-tuning recipe of Choi et al. (ICLR 2023): PARE with the C5-level head on ResNet-50,
# 256x192 crops, total batch 128 (8 GPUs x 16), Adam 1e-4 for 120 epochs (x0.1 at epoch 90),
# Human3.6M (S1, S5-S8, every 5th frame) and COCO 2017 persons, both with NeuralAnnot SMPL
# pseudo-GT (configs/_base_/datasets/{h36m,coco_neuralannot}.py, written by
# tools/dataset_converters/), sampled 50/50; 3DPW test evaluated every 5 epochs. The
# mmhuman3d-prepared data (h36m_mmhuman3d.py without SMPL, coco_eft.py: COCO 2014 EFT) are the
# other dataset bases.
# This file is the random-init baseline (the authors' code: convs N(0, 0.001), BN (1, 0)); a
# pre-trained backbone replaces backbone.init_cfg (see *-in1k* and the study runner).
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/pare_resnet50.py',
    '../_base_/schedules/pare_adam_120e.py',
    '../_base_/datasets/hpse_pipelines.py',
    '../_base_/datasets/h36m.py',
    '../_base_/datasets/coco_neuralannot.py',
    '../_base_/datasets/pw3d.py',
]

model = dict(
    backbone=dict(
        zero_init_residual=False,  # BN (1, 0) everywhere, the last BN of each block included
        init_cfg=[
            dict(type='Normal', std=0.001, layer='Conv2d'),
            dict(type='Constant', val=1, bias=0, layer=['_BatchNorm', 'GroupNorm'])
        ]))

train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='MixedEpochSampler', shuffle=True),
    dataset=dict(
        type='MixedDataset',
        # GT keypoints laid out as the J_regressor joints of the head's body model (the authors'
        # name mapping: H36M / COCO pelvis, hips, spine, neck, head stand in for SMPL's). COCO's
        # pelvis / neck slots hold the mid-hips / mid-shoulders, valid where both parents are
        # (the authors' COCO 'Pelvis' and 'Neck'): 14 of SMPL's 24 joints from COCO's 17.
        datasets=[
            dict(_base_.h36m_train, pipeline=_base_.train_pipeline, convention='smpl_24_loose'),
            dict(_base_.coco_neuralannot_train, pipeline=_base_.train_pipeline,
                 convention='smpl_24_loose',
                 midpoint_joints=dict(pelvis_extra=('left_hip_extra', 'right_hip_extra'),
                                      neck_extra=('left_shoulder', 'right_shoulder'))),
        ],
        partition=[0.5, 0.5]))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_base_.pw3d_test, pipeline=_base_.test_pipeline))
test_dataloader = val_dataloader

# 3DPW GT meshes of every evaluator (val and test alike): 'neutral' as the authors' code
# (Rethinking data/base_dataset.py), 'gendered' as mmhuman3d (several mm apart; say which in
# results). One switch: tools/train.py and tools/test.py apply it to every 3DPW MeshMetric
# (mmhpse/evaluation/protocol_switches.py), e.g. --cfg-options pw3d_gt_gender=gendered.
pw3d_gt_gender = 'neutral'
val_evaluator = dict(
    type='MeshMetric',
    dataset='3dpw',
    body_model=dict(
        type='SMPL',
        model_path='data/body_models/smpl',
        joint_regressor_h36m='data/body_models/J_regressor_h36m.npy'))
test_evaluator = val_evaluator

default_hooks = dict(checkpoint=dict(save_best='3dpw/pa-mpjpe', rule='less'))
