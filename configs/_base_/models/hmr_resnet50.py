# HMR / SPIN regressor on ResNet-50: global average pooled C5 -> 3 iterations of
# [fc 1024, dropout, fc 1024, dropout] -> deltas of (pose, shape, camera) from the mean. Camera,
# losses and weights are those of ./pare_resnet50.py.
_base_ = ['./pare_resnet50.py']
model = dict(
    head=dict(
        _delete_=True,
        type='HMRHead',
        in_channels=2048,
        hidden_dim=1024,
        num_iters=3,
        smpl_mean_params='data/body_models/smpl_mean_params.npz',
        camera=dict(type='WeakPerspectiveCamera', focal_length=5000.),
        loss_keypoints3d=dict(type='Keypoint3DLoss', loss_type='l1', loss_weight=1.0),
        loss_smpl_joints=dict(type='Keypoint3DLoss', loss_type='l1', loss_weight=1.0),
        loss_keypoints2d=dict(type='KeypointLoss', loss_type='l1', loss_weight=0.1),
        loss_smpl_pose=dict(type='SMPLPoseLoss', loss_type='l1', loss_weight=1.0),
        loss_smpl_betas=dict(type='SMPLBetasLoss', loss_type='l1', loss_weight=1.0)))
