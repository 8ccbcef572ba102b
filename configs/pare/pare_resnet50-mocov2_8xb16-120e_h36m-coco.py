# PARE fine-tuning (the paper's recipe) from MoCo v2 on ImageNet-1k (configs/mocov2/, or the released MoCo v2 800-epoch checkpoint).
# The backbone file is written by tools/model_converters/extract_backbone.py (see the README of
# the pre-training); StrictPretrained fails at start unless every backbone weight loads.
_base_ = './pare_resnet50-scratch_8xb16-120e_h36m-coco.py'

model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True,  # replaces the random init of the base recipe
            type='StrictPretrained',
            checkpoint='checkpoints/backbones/mocov2_resnet50_in1k.pth',
            prefix='backbone.')))
