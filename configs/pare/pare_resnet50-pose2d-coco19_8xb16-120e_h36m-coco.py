# PARE fine-tuning (the paper's recipe) from 2D pose (SimpleBaseline, COCO 19 joints) from scratch (configs/pose2d/).
# The backbone file is written by tools/model_converters/extract_backbone.py (see the README of
# the pre-training); StrictPretrained fails at start unless every backbone weight loads.
_base_ = './pare_resnet50-scratch_8xb16-120e_h36m-coco.py'

model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True,  # replaces the random init of the base recipe
            type='StrictPretrained',
            checkpoint='checkpoints/backbones/simplebaseline_resnet50_coco19.pth',
            prefix='backbone.')))
