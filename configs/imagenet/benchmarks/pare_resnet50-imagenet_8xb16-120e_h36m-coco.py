# PARE fine-tuning (the paper's recipe) from ImageNet classification: torchvision's ResNet-50
# read from checkpoints/resnet50_torchvision.pth (see ../README.md; nothing downloads at run
# time); the run fails at start unless every backbone weight loads.
_base_ = ['../../pare/pare_resnet50-scratch_8xb16-120e_h36m-coco.py',
          '../resnet50_torchvision-in1k-init.py']

model = dict(backbone=_base_.imagenet_init_backbone)
