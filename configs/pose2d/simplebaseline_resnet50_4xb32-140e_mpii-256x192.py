# 2D-pose pre-training, MPII variant: SimpleBaseline ResNet-50 from scratch on MPII's 16 joints
# (MPII annotates pelvis and neck itself), same input (256x192), heatmaps, loss, augmentation,
# init and schedule as the COCO-19 recipe: Adam 1e-3, x0.1 at epochs 90 and 120, 140 epochs,
# batch 128.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/mpii/td-hm_res50_8xb64-210e_mpii-256x256.py',
    '../_base_/datasets/jointcon_views.py',
    '../random/resnet50_random-init.py',
]

custom_imports = dict(imports=['mmhpse.selfsup'], allow_failed_imports=False)

train_cfg = dict(max_epochs=140, val_interval=10)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=140, milestones=[90, 120], gamma=0.1, by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=128)

codec = dict(type='MSRAHeatmap', input_size=(192, 256), heatmap_size=(48, 64), sigma=2)
model = dict(
    backbone=dict(type='ResNet', depth=50, zero_init_residual=False,
                  init_cfg=_base_.random_init_backbone.init_cfg),  # from scratch, authors' init
    head=dict(out_channels=16, decoder=codec,
              loss=dict(type='KeypointMSELoss', use_target_weight=True, loss_weight=0.5)))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    *_base_.jointcon_view_pipeline,  # flip, clipped scale / rotation, 256x192 crop, colour
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
