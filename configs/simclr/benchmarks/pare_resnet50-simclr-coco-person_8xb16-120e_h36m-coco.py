# The paper's PARE fine-tuning from SimCLR on COCO person crops.
# The backbone is what tools/model_converters/extract_backbone.py writes from a run of
# configs/simclr/simclr_resnet50_16xb256-coslr-200e_coco-person.py.
# StrictPretrained fails at start unless every backbone weight loads.
_base_ = '../../pare/pare_resnet50-scratch_8xb16-120e_h36m-coco.py'

model = dict(backbone=dict(init_cfg=dict(
    _delete_=True,  # replaces the random init of the base recipe
    type='StrictPretrained', prefix='backbone.',
    checkpoint='checkpoints/backbones/simclr_resnet50_coco-person.pth')))
