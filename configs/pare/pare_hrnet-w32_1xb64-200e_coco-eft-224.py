# Original PARE recipe (Kocabas et al. 2021, as mmhuman3d's hrnet_w32_conv_pare_coco.py),
# stage 1 of 2: HRNet-W32 (COCO 2D-pose weights) + PARE head on 224x224 crops of COCO with EFT
# pseudo-GT, Adam 2e-4 (constant), 200 epochs, batch 64. Stage 2 is
# pare_hrnet-w32_1xb32-50e_mixed-224.py. Differences from mmhuman3d: no part-segmentation loss
# (needs rendered part masks), and RandomOcclusion rectangles instead of Pascal VOC occluders.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/pare_hrnet_w32.py',
    '../_base_/datasets/hpse_pipelines.py',
    '../_base_/datasets/coco_eft.py',
    '../_base_/datasets/pw3d.py',
]

# mmpose's top-down HRNet-W32 (COCO 256x192); its backbone.* names equal mmpretrain's HRNet
hrnet_coco = ('https://download.openmmlab.com/mmpose/top_down/hrnet/'
              'hrnet_w32_coco_256x192-c78dce93_20200708.pth')
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=hrnet_coco, prefix='backbone.')),
    head=dict(loss_keypoints2d=dict(loss_weight=300.)))

crop = (224, 224)
train_pipeline = [
    dict(t, input_size=crop) if t['type'] == 'HumanTopdownAffine' else t
    for t in _base_.train_pipeline
]
train_pipeline.insert(-1, dict(type='RandomOcclusion', prob=0.5, mode='random'))
test_pipeline = [
    dict(t, input_size=crop) if t['type'] == 'HumanTopdownAffine' else t
    for t in _base_.test_pipeline
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_base_.coco_eft_train, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_base_.pw3d_test, pipeline=test_pipeline))
test_dataloader = val_dataloader
# mmhuman3d's PARE protocol: gendered 3DPW GT meshes, in every evaluator (one switch, see
# mmhpse/evaluation/protocol_switches.py)
pw3d_gt_gender = 'gendered'
val_evaluator = dict(
    type='MeshMetric',
    dataset='3dpw',
    body_model=dict(
        type='SMPL',
        model_path='data/body_models/smpl',
        joint_regressor_h36m='data/body_models/J_regressor_h36m.npy'))
test_evaluator = val_evaluator

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-4))
param_scheduler = []
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(base_batch_size=64, enable=False)
default_hooks = dict(
    checkpoint=dict(interval=10, max_keep_ckpts=3, save_best='3dpw/pa-mpjpe', rule='less'))
