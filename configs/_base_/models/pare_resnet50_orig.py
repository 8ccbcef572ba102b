# PARE on ResNet-50 with the original head of Kocabas et al. (ICCV 2021): per branch 3 stride-2
# deconvolutions (256 ch, kernel 4; C5 7x7 -> 56x56 for 224x224 crops), 24 parts + background,
# part attention, per-joint 6-D pose, regression from the mean parameters, weak-perspective camera
# read as a perspective one with focal length 5000 px, SPIN's 49 joints (root: mean of the LSP
# hips), 2D keypoints compared in normalised crop coordinates, pose loss on rotation matrices.
# Loss weights follow mmhuman3d's PARE mixed-data config (MSE, camera prior, no SMPL-joint term;
# its COCO stage sets the 2D weight to 300). Preprocessing and backbone are those of
# ./pare_resnet50.py.
_base_ = ['./pare_resnet50.py']
img_res = (224, 224)
model = dict(
    head=dict(
        _delete_=True,
        type='PAREHead',
        in_channels=2048,
        branch='deconv',
        num_filters=(256, 256, 256),
        kernels=(4, 4, 4),
        num_smpl_features=64,
        background=True,
        smpl_mean_params='data/body_models/smpl_mean_params.npz',
        add_mean_params=True,
        camera=dict(type='WeakPerspectiveCamera', focal_length=5000.),
        normalize_keypoints2d=True,
        loss_keypoints3d=dict(type='Keypoint3DLoss', loss_type='mse', loss_weight=300.),
        loss_keypoints2d=dict(type='KeypointLoss', loss_type='mse', loss_weight=150.),
        loss_smpl_pose=dict(
            type='SMPLPoseLoss', loss_type='mse', loss_weight=60., representation='rotmat'),
        loss_smpl_betas=dict(type='SMPLBetasLoss', loss_type='mse', loss_weight=0.06),
        loss_camera=dict(type='CameraPriorLoss', scale=10., loss_weight=1.)),
    body_model=dict(
        joints_convention='smpl_49',
        joint_regressor_extra='data/body_models/J_regressor_extra.npy'),
    img_res=img_res)
