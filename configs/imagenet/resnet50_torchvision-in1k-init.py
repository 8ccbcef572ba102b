# ImageNet-classification initialisation: torchvision's ResNet-50 (IMAGENET1K_V1,
# resnet50-0676ba61.pth, what `pretrained=True` loaded in the authors' code) from a LOCAL file;
# nothing is downloaded at run time. The file is torchvision's plain state dict (no prefix, with
# `fc.`): prefix=None lets StrictPretrained locate the backbone, drop `fc.` and fail on any missing
# weight. An mmpretrain ImageNet ResNet-50 (`backbone.` prefix) works as well with
# prefix='backbone.'. Use it as a base next to a 3DHPSE config and merge the variable into the
# backbone (see configs/imagenet/benchmarks/pare_resnet50-imagenet_8xb16-120e_h36m-coco.py):
#     model = dict(backbone=_base_.imagenet_init_backbone)
imagenet_checkpoint = 'checkpoints/resnet50_torchvision.pth'
imagenet_init_backbone = dict(
    init_cfg=dict(_delete_=True, type='StrictPretrained', checkpoint=imagenet_checkpoint,
                  prefix=None))
