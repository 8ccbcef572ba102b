# PARE on ResNet-50 with the original head of Kocabas et al. (ICCV 2021): per branch 3 stride-2
# deconvolutions (256 ch, kernel 4; C5 7x7 -> 56x56 for 224x224 crops), 24 parts + background,
# part attention, per-joint 6-D pose, regression from the mean parameters, perspective camera with
# focal length 5000 px. Loss weights follow mmhuman3d's PARE config (MSE, camera prior).
body_model_dir = 'data/body_models'
img_res = (224, 224)
model = dict(
    type='ImageMeshEstimator',
    data_preprocessor=dict(
        type='ImgDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='mmpretrain.ResNet', depth=50, out_indices=(3, )),
    head=dict(
        type='PAREHead',
        in_channels=2048,
        branch='deconv',
        num_filters=(256, 256, 256),
        kernels=(4, 4, 4),
        num_smpl_features=64,
        background=True,
        smpl_mean_params=f'{body_model_dir}/smpl_mean_params.npz'),
    body_model=dict(
        type='SMPL',
        model_path=f'{body_model_dir}/smpl',
        gender='neutral',
        joint_regressor_extra=f'{body_model_dir}/J_regressor_extra.npy'),
    loss_keypoints3d=dict(type='Keypoint3DLoss', loss_type='mse', loss_weight=300.),
    loss_keypoints2d=dict(type='KeypointLoss', loss_type='mse', loss_weight=150.),
    loss_smpl_pose=dict(type='SMPLPoseLoss', loss_type='mse', loss_weight=60.),
    loss_smpl_betas=dict(type='SMPLBetasLoss', loss_type='mse', loss_weight=0.06),
    loss_camera=dict(type='CameraPriorLoss', scale=10., loss_weight=1.),
    focal_length=5000.,
    img_res=img_res)
