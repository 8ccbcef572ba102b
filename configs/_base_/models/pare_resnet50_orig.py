# PARE on ResNet-50 with the original head of Kocabas et al. (ICCV 2021): per branch 3 stride-2
# deconvolutions (256 ch, kernel 4; C5 7x7 -> 56x56 for 224x224 crops), 24 parts + background,
# part attention, per-joint 6-D pose, regression from the mean parameters, perspective camera with
# focal length 5000 px. Loss weights follow mmhuman3d's PARE config (MSE, camera prior, no
# SMPL-joint term). Preprocessing, backbone and body model are those of ./pare_resnet50.py.
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
        camera=dict(type='WeakPerspectiveCamera', focal_length=5000.),
        loss_keypoints3d=dict(type='Keypoint3DLoss', loss_type='mse', loss_weight=300.),
        loss_keypoints2d=dict(type='KeypointLoss', loss_type='mse', loss_weight=150.),
        loss_smpl_pose=dict(type='SMPLPoseLoss', loss_type='mse', loss_weight=60.),
        loss_smpl_betas=dict(type='SMPLBetasLoss', loss_type='mse', loss_weight=0.06),
        loss_camera=dict(type='CameraPriorLoss', scale=10., loss_weight=1.)),
    img_res=img_res)
