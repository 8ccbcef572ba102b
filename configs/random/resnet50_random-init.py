# "Random" initialisation of the study (authors' code): every convolution N(0, 0.001) with zero
# bias, every BN weight 1 and bias 0 (also the last BN of each block: zero_init_residual off).
# No checkpoint. Inherit it after a 3DHPSE config, e.g.
# configs/pare/pare_resnet50-random_8xb16-120e_h36m-coco.py.
model = dict(
    backbone=dict(
        zero_init_residual=False,
        init_cfg=[
            dict(type='Normal', layer='Conv2d', mean=0., std=0.001, bias=0.),
            dict(type='Constant', layer=['_BatchNorm', 'GroupNorm'], val=1., bias=0.),
        ]))
