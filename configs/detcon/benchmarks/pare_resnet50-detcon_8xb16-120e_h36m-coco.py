# The paper's PARE fine-tuning from DetCon-B on ImageNet-1k.
# The backbone is what tools/model_converters/extract_backbone.py writes from a run of
# configs/detcon/detcon-b_resnet50_16xb256-coslr-1000e_in1k.py
# or from the method's release (see ../README.md).
# StrictPretrained fails at start unless every backbone weight loads.
_base_ = '../../pare/pare_resnet50-scratch_8xb16-120e_h36m-coco.py'

model = dict(backbone=dict(init_cfg=dict(
    _delete_=True,  # replaces the random init of the base recipe
    type='StrictPretrained', prefix='backbone.',
    checkpoint='checkpoints/backbones/detcon-b_resnet50_1000e_in1k.pth')))
