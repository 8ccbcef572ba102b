# "Random" initialisation of the study (authors' code): every convolution N(0, 0.001) with zero
# bias, every BN weight 1 and bias 0 -- also the last BN of each residual block, so mmpretrain's
# zero_init_residual is turned off. No checkpoint. Use it as a base next to a 3DHPSE config and
# merge the variable into the backbone (as benchmarks/pare_resnet50-random_*.py does):
#     model = dict(backbone=_base_.random_init_backbone)
random_init_backbone = dict(
    zero_init_residual=False,
    init_cfg=[
        dict(type='Normal', layer='Conv2d', mean=0., std=0.001, bias=0.),
        dict(type='Constant', layer=['_BatchNorm', 'GroupNorm'], val=1., bias=0.),
    ])
