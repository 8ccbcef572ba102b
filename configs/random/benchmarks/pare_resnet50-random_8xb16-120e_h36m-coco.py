# PARE fine-tuning (the paper's recipe) from the study's random initialisation: convs
# N(0, 0.001), BN (1, 0) including the last BN of each block (zero_init_residual off), no
# checkpoint.
_base_ = ['../../pare/pare_resnet50-scratch_8xb16-120e_h36m-coco.py',
          '../resnet50_random-init.py']

model = dict(backbone=_base_.random_init_backbone)
