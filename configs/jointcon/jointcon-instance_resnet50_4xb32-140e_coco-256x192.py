# JointCon ablation, instance level (the authors' JointContrastiveLoss, Rethinking
# lib/core/loss.py): for each joint type, SimCLR among that type's joints of the global batch
# (positive: the same joint of the same person in the other view; negatives: that joint of the
# other persons, in both views), averaged over the joint types. Data, views, pooling, projector,
# init and schedule as JointCon.
_base_ = './jointcon_resnet50_4xb32-140e_coco-256x192.py'

model = dict(head=dict(label='image', group='joint'))
