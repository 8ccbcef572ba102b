# Original PARE on HRNet-W32 (the published PARE / mmhuman3d model): the four HRNet outputs are
# upsampled with [bilinear x2, 3x3 conv, BN, ReLU] steps to 1/4 resolution and concatenated
# (32 + 64 + 128 + 256 = 480 channels, 56x56 for 224x224 crops); the head's branches are
# 2 x [3x3 conv 128, BN, ReLU] (no deconvolutions), 24 parts + background.
_base_ = ['./pare_resnet50_orig.py']
model = dict(
    backbone=dict(_delete_=True, type='mmpretrain.HRNet', arch='w32'),
    neck=dict(type='MultiScaleFuseNeck', in_channels=(32, 64, 128, 256), use_conv=True),
    head=dict(in_channels=480, branch='conv', num_filters=(128, 128), kernels=(3, 3)))
