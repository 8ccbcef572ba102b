# The quickstart's fine-tuning (CPU-sized): the 128x96 procedural config's PARE (the paper's C5
# head) on a randomly initialised half-width ResNet-18 (stem / base channels 32) whose last stage is
# dilated instead of strided (C5 at stride 16: 256 x 4 x 3, so that the part attention has 12 cells
# to choose from rather than 2 x 2), 64x48 crops, 5 epochs. The quickstart study
# (configs/studies/quickstart.py) writes the data and chains its pre-trained backbones into this
# config; alone:
#   python tools/misc/make_procedural_dataset.py --out data/quickstart/train.npz \
#       --num-samples 1000 --img-size 128 --seed 0
#   python tools/misc/make_procedural_dataset.py --out data/quickstart/test.npz \
#       --num-samples 250 --img-size 128 --seed 1
#   python tools/train.py configs/pare/pare_resnet18-w32-scratch_1xb16-5e_procedural-64x48.py
# The generator writes a surrogate body model to data/body_models/ when none is there.
_base_ = ['./pare_resnet18-scratch_1xb16-24e_procedural-128x96.py']

img_res = (64, 48)  # (H, W)
width = 32  # stem / base channels of the ResNet-18 (64 in the released ResNets)
# No rotation or flip: with a few epochs the augmentations cost more than they add (measured on
# the quickstart's data; the procedural poses and cameras already vary).
train_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='HumanGetBBoxCenterScale', padding=1.25),
    dict(type='HumanRandomBBoxTransform', scale_factor=0.25, rotate_factor=30, rotate_prob=0.),
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
    # the pre-trained ResNet-18s of the quickstart (2D pose, JointCon) have the same widths
    backbone=dict(stem_channels=width, base_channels=width, strides=(1, 2, 2, 1),
                  dilations=(1, 1, 1, 2)),
    head=dict(in_channels=width * 8),
    img_res=img_res)

# batch 16: twice the updates of batch 32 for the same images (measured better per CPU second)
train_dataloader = dict(num_workers=1, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=50, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[4], gamma=0.1)]
train_cfg = dict(max_epochs=5, val_interval=2)
default_hooks = dict(
    logger=dict(interval=10),
    # the last checkpoint only: the study reports the last epoch (see test_set_selection)
    checkpoint=dict(interval=5, save_best=None))
