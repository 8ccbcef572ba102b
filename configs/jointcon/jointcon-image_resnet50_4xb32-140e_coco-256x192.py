# JointCon ablation, image level (the authors' branch exp_simclr): mmpretrain's SimCLR (NT-Xent,
# tau 0.07, the two views of a person are the only positives) on the global-average-pooled C5
# map through a Linear 2048 -> 2048, ReLU, Linear 2048 -> 128 projector; no joint loss. Data,
# views, backbone init and schedule as JointCon, so that only the level of the contrast changes
# (the branch's yml also sets the projector output to 2048 and the Adam lr to 0.3:
# model.neck.out_channels=2048, optim_wrapper.optimizer.lr=0.3). The branch leaves this projector
# at PyTorch's default init, as here.
_base_ = './jointcon_resnet50_4xb32-140e_coco-256x192.py'

model = dict(
    _delete_=True,
    type='SimCLR',
    data_preprocessor=_base_.model.data_preprocessor,
    backbone=_base_.model.backbone,
    neck=dict(type='MoCoV2Neck', in_channels=2048, hid_channels=2048, out_channels=128,
              with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.07))
