# HMR / SPIN regressor on ResNet-50 as the authors' HMRHead (Rethinking lib/models/module.py):
# global average pooled C5 -> 3 iterations of [fc 1024, dropout, fc 1024, dropout] -> deltas of
# (pose, shape, camera) from the mean parameters; the camera output is read as in the paper's
# PARE (t_z = k * sigmoid(gamma)). Body model, losses and weights are those of
# ./pare_resnet50.py; every linear layer is initialised N(0, 0.01) as the authors' init_weights.
_base_ = ['./pare_resnet50.py']
model = dict(
    head=dict(
        _delete_=True,
        type='HMRHead',
        in_channels=2048,
        hidden_dim=1024,
        num_iters=3,
        smpl_mean_params='data/body_models/smpl_mean_params.npz',
        camera=dict(type='SigmoidDepthCamera', focal_length=5000., body_extent=2.5),
        normalize_keypoints2d=False,
        gt_betas_limit=3.,
        loss_keypoints3d=dict(type='Keypoint3DLoss', loss_type='l1', loss_weight=1.0),
        loss_smpl_joints=dict(type='Keypoint3DLoss', loss_type='l1', loss_weight=1.0),
        loss_keypoints2d=dict(type='KeypointLoss', loss_type='l1', loss_weight=0.1),
        loss_smpl_pose=dict(
            type='SMPLPoseLoss', loss_type='l1', loss_weight=1.0, representation='axis_angle'),
        loss_smpl_betas=dict(type='SMPLBetasLoss', loss_type='l1', loss_weight=1.0),
        init_cfg=dict(type='Normal', std=0.01, bias=0., layer='Linear')))
