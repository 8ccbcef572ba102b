# DetCon-B on ImageNet-1k for 1000 epochs, the length of DeepMind's released checkpoints (and the
# one the study pre-trains, configs/studies/paper.py): the 200-epoch recipe with a 10-epoch warmup
# (epochs // 100) and the cosine over the remaining 990 epochs.
_base_ = './detcon-b_resnet50_16xb256-coslr-200e_in1k.py'

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=10,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=990, by_epoch=True, begin=10, end=1000,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1000)
