# DetCon-B (Hénaff et al., ICCV 2021) on ImageNet-1k: BYOL-style online / target ResNet-50,
# Felzenszwalb masks reduced to the C5 grid, 16 masks drawn per view, mask-pooled C5 features,
# projector 2048-4096-256 and predictor, NCE with tau = 0.1 across the global batch, target EMA
# 0.996 -> 1 (cosine). BYOL's views (mmpretrain's recipe). Optimiser and schedule of DeepMind's
# detcon_b_config.py / utils/schedules.py: LARS, lr 0.2 per 256 images (3.2 at batch 4096),
# weight decay 1.5e-6, linear warmup for epochs // 100 epochs, then cosine to 0 per iteration.
# 200 epochs; DeepMind's released checkpoints train 1000 (detcon-b_..._coslr-1000e_in1k.py).
# Masks: precompute them once (tools/misc/precompute_felzenszwalb.py data/imagenet/train
# data/imagenet/fh_masks/train); images without a precomputed mask are segmented on the fly.
_base_ = [
    'mmpretrain::_base_/schedules/imagenet_lars_coslr_200e.py',
    'mmpretrain::_base_/default_runtime.py',
]

custom_imports = dict(imports=['mmhpse.selfsup'], allow_failed_imports=False)

data_root = 'data/imagenet/'
mask_loader = dict(type='LoadFelzenszwalbMask', mask_root=data_root + 'fh_masks/train',
                   img_root=data_root + 'train', scale=1000, sigma=0.8, min_size=1000)

model = dict(
    type='DetCon',
    base_momentum=0.004,  # target decay 0.996 in the usual convention
    num_samples=16,
    temperature=0.1,
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='ResNet', depth=50, out_indices=(3, ), norm_cfg=dict(type='SyncBN'),
        zero_init_residual=False),
    neck=dict(
        type='NonLinearNeck', in_channels=2048, hid_channels=4096, out_channels=256,
        num_layers=2, with_bias=True, with_last_bn=False, with_avg_pool=False),
    predictor=dict(
        type='NonLinearNeck', in_channels=256, hid_channels=4096, out_channels=256,
        num_layers=2, with_bias=True, with_last_bn=False, with_avg_pool=False))

color_aug = [
    dict(type='RandomApply',
         transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2,
                          hue=0.1)],
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
]
view_pipeline1 = [
    dict(type='MaskedRandomResizedCrop', scale=224, interpolation='bicubic', backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    *color_aug,
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=1.),
    dict(type='Solarize', thr=128, prob=0.),
]
view_pipeline2 = [
    dict(type='MaskedRandomResizedCrop', scale=224, interpolation='bicubic', backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    *color_aug,
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.1),
    dict(type='Solarize', thr=128, prob=0.2),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    mask_loader,
    dict(type='MultiViewWithMasks', num_views=[1, 1],
         transforms=[view_pipeline1, view_pipeline2]),
    dict(type='PackInputs', algorithm_keys=['view_masks']),
]
train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ImageNet', data_root=data_root, split='train', pipeline=train_pipeline))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='LARS', lr=3.2, momentum=0.9, weight_decay=1.5e-6),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lars_exclude=True),
            'bias': dict(decay_mult=0, lars_exclude=True),
            'downsample.1': dict(decay_mult=0, lars_exclude=True),
        }))

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=198, by_epoch=True, begin=2, end=200,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200)

default_hooks = dict(checkpoint=dict(max_keep_ckpts=3))
auto_scale_lr = dict(base_batch_size=4096)
