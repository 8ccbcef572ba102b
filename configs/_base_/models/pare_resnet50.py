# PARE on ResNet-50 with the C5-level head of Choi et al. (ICLR 2023): no deconvolutions, each
# branch 2 x [3x3 conv 128, BN, ReLU] -> 1x1 (24 part-attention maps / 64 SMPL channels).
# The head owns the body model (model.body_model is handed to it), the camera and the losses.
# Losses (L1) and weights of the paper: 3D joints 1, SMPL joints 1, 2D joints 0.1, pose 1,
# shape 1. Crops are 256x192 (H x W); the perspective camera uses focal length 5000 px and the
# normalising length max(H, W) = 256 (see mmhpse/models/utils/camera.py).
body_model_dir = 'data/body_models'
img_res = (256, 192)
model = dict(
    type='ImageMeshEstimator',
    data_preprocessor=dict(
        type='ImgDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='mmpretrain.ResNet', depth=50, out_indices=(3, )),
    head=dict(
        type='PAREC5Head',
        in_channels=2048,
        num_filters=(128, 128),
        num_smpl_features=64,
        smpl_mean_params=f'{body_model_dir}/smpl_mean_params.npz',
        camera=dict(type='WeakPerspectiveCamera', focal_length=5000.),
        loss_keypoints3d=dict(type='Keypoint3DLoss', loss_type='l1', loss_weight=1.0),
        loss_smpl_joints=dict(type='Keypoint3DLoss', loss_type='l1', loss_weight=1.0),
        loss_keypoints2d=dict(type='KeypointLoss', loss_type='l1', loss_weight=0.1),
        loss_smpl_pose=dict(type='SMPLPoseLoss', loss_type='l1', loss_weight=1.0),
        loss_smpl_betas=dict(type='SMPLBetasLoss', loss_type='l1', loss_weight=1.0)),
    body_model=dict(
        type='SMPL',
        model_path=f'{body_model_dir}/smpl',
        gender='neutral',
        joint_regressor_extra=f'{body_model_dir}/J_regressor_extra.npy'),
    img_res=img_res)
