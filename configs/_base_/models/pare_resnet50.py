# PARE on ResNet-50 with the C5-level head of Choi et al. (ICLR 2023), as the authors' code
# (github hygenie1228/Rethinking, branch pretraining_hj; docs/fidelity.md "PARE heads, camera and
# fine-tuning losses"): no deconvolutions, each branch 2 x [3x3 conv 128, BN, ReLU] -> 1x1
# (24 part-attention maps / 64 SMPL channels); raw 6-D pose, shape and camera (no mean
# parameters); camera (t_x, t_y, gamma) with t_z = k * sigmoid(gamma), k = sqrt(f^2 2.5^2 / (H W));
# 3D joints = SMPL J_regressor on the mesh, root = SMPL pelvis, so the GT keypoints come in the
# 'smpl_24_loose' convention (set it on the training datasets). L1 losses: 3D joints 1, SMPL
# joints 1, 2D joints in crop pixels 0.1, pose on axis-angles 1, shape 1; GT shapes with any
# |beta| > 3 count as the mean shape. The head owns the body model (model.body_model is handed to
# it), the camera and the losses. Crops are 256x192 (H x W), focal length 5000 px.
# PARE's own choices are in ./pare_resnet50_orig.py.
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
        add_mean_params=False,
        pose_bias=False,
        camera=dict(type='SigmoidDepthCamera', focal_length=5000., body_extent=2.5),
        normalize_keypoints2d=False,
        gt_betas_limit=3.,
        loss_keypoints3d=dict(type='Keypoint3DLoss', loss_type='l1', loss_weight=1.0),
        loss_smpl_joints=dict(type='Keypoint3DLoss', loss_type='l1', loss_weight=1.0),
        loss_keypoints2d=dict(type='KeypointLoss', loss_type='l1', loss_weight=0.1),
        loss_smpl_pose=dict(
            type='SMPLPoseLoss', loss_type='l1', loss_weight=1.0, representation='axis_angle'),
        loss_smpl_betas=dict(type='SMPLBetasLoss', loss_type='l1', loss_weight=1.0),
        # the authors' head init: convs N(0, 0.001), linear N(0, 0.01), the per-joint pose layer
        # torch.randn (N(0, 1)), BN (1, 0); biases 0
        init_cfg=[
            dict(type='Normal', std=0.001, bias=0., layer=['Conv2d', 'ConvTranspose2d']),
            dict(type='Normal', std=0.01, bias=0., layer='Linear'),
            dict(type='Normal', std=1., layer='LocallyConnectedLinear'),
            dict(type='Constant', val=1, bias=0, layer='BatchNorm2d')
        ]),
    body_model=dict(
        type='SMPL',
        model_path=f'{body_model_dir}/smpl',
        gender='neutral',
        joints_convention='smpl_24'),
    img_res=img_res)
