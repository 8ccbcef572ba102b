# 2D-pose pre-training (Choi et al., ICLR 2023): SimpleBaseline ResNet-50 trained FROM SCRATCH on
# COCO train2017 person boxes with 19 joints = COCO-17 + pelvis (mid-hips) + neck (mid-shoulders),
# a midpoint joint being visible only when both parents are. 256x192 input, heatmaps 64x48 with
# sigma 2, MSE weighted by visibility (x0.5 as the authors' JointsMSELoss), 3 deconvs (256 ch, k4,
# s2) + 1x1 conv; Adam 1e-3, x0.1 at epochs 90 and 120, 140 epochs, batch 128 (4 GPUs x 32). As in
# the authors' code: the JointCon augmentation (no shift, no half-body;
# configs/_base_/datasets/jointcon_views.py) and their init (convs and deconvs N(0, 0.001),
# BN (1, 0)). The backbone then seeds PARE. Row by row against the authors' code: docs/fidelity.md.
# Validation: PCK@0.05 of the bbox size on the 19 joints of GT boxes (COCO's OKS AP is defined
# for 17 joints only).
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py',
    '../_base_/datasets/jointcon_views.py',
    '../random/resnet50_random-init.py',
]

custom_imports = dict(imports=['mmhpse.selfsup'], allow_failed_imports=False)

num_joints = 19
# COCO-19: pelvis = mid-hips, neck = mid-shoulders (joint names of mmhpse.conventions 'coco_17')
midpoints = [('left_hip_extra', 'right_hip_extra'), ('left_shoulder', 'right_shoulder')]

train_cfg = dict(max_epochs=140, val_interval=10)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=140, milestones=[90, 120], gamma=0.1, by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=128)
default_hooks = dict(checkpoint=dict(save_best='PCK', rule='greater', max_keep_ckpts=3))

codec = dict(type='MSRAHeatmap', input_size=(192, 256), heatmap_size=(48, 64), sigma=2)
model = dict(
    # from scratch with the authors' init (mmpose's HeatmapHead already draws its deconvs and
    # 1x1 conv from N(0, 0.001) with BN (1, 0))
    backbone=dict(type='ResNet', depth=50, zero_init_residual=False,
                  init_cfg=_base_.random_init_backbone.init_cfg),
    head=dict(
        type='HeatmapHead',
        in_channels=2048,
        out_channels=num_joints,
        deconv_out_channels=(256, 256, 256),
        deconv_kernel_sizes=(4, 4, 4),
        loss=dict(type='KeypointMSELoss', use_target_weight=True, loss_weight=0.5),
        decoder=codec))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='mmpretrain.AddMidpointJoints', pairs=midpoints),
    *_base_.jointcon_view_pipeline,  # flip, clipped scale / rotation, 256x192 crop, colour
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='mmpretrain.AddMidpointJoints', pairs=midpoints),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')  # packs the extended flip_indices with the sample
]
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(bbox_file=None, pipeline=val_pipeline))  # GT boxes: the metric needs GT joints
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='PCKAccuracy', thr=0.05, norm_item='bbox')
test_evaluator = val_evaluator
