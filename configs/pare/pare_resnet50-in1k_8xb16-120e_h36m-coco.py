# The paper's recipe with the ImageNet-1k classification baseline: torchvision's ResNet-50
# weights (the authors' code) as the backbone initialisation (their `fc.*` is left out).
_base_ = ['./pare_resnet50-scratch_8xb16-120e_h36m-coco.py']
model = dict(
    backbone=dict(
        init_cfg=dict(_delete_=True, type='Pretrained', checkpoint='torchvision://resnet50')))
