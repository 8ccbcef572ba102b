# The per-view augmentation of the authors' JointCon and 2D-pose pre-training (Rethinking:
# lib/utils/aug_utils.py get_aug_config / generate_patch_image / img_processing; AUG of
# asset/yaml/train_contrastive.yml and train_2d_joint.yml): horizontal flip with p 0.5 (left / right
# joints swapped), box scale 1 + 0.3 clip(N, -1, 1), rotation 40 clip(N, -2, 2) degrees with p 0.6
# (else 0), no shift, no half-body, a 256x192 crop of the box (x1.25, fitted to 3:4), then each
# colour channel x U[0.8, 1.2]. Type names carry their scope, so the mmpretrain-scope JointCon
# configs and the mmpose-scope 2D-pose configs share this list.
jointcon_input_size = (192, 256)  # (w, h)
jointcon_view_pipeline = [
    dict(type='mmpose.RandomFlip', direction='horizontal', prob=0.5),
    dict(type='mmpretrain.ClippedBBoxTransform', scale_factor=0.3, scale_clip=1.0,
         rotate_factor=40., rotate_clip=2.0, rotate_prob=0.6),
    dict(type='mmpose.TopdownAffine', input_size=jointcon_input_size),
    dict(type='mmpretrain.RandomChannelScale', low=0.8, high=1.2),
]
