"""Convert an mmhuman3d PARE checkpoint (``ImageBodyModelEstimator`` + ``PareHead``) to mmhpse.

The result loads with ``strict=True`` into the ``ImageMeshEstimator`` of
``configs/_base_/models/pare_hrnet_w32.py`` (mmhuman3d's published model: HRNet-W32 with
``use_conv`` upsampling, conv branches) or ``pare_resnet50_orig.py`` (ResNet deconv branches)::

    python tools/model_converters/mmhuman3d_pare_to_mmhpse.py hrnet_w32_conv_pare.pth out.pth \
        --config configs/pare/pare_hrnet-w32_1xb64-50e_h36m-coco-eft-mpii-lspet-3dhp.py [--trust]

Every source key is either renamed by :data:`NAME_MAP`, reshaped (:data:`RESHAPED`) or dropped on
purpose (:data:`DROPPED`); any other key is an error. mmhuman3d's head regresses pose, shape and
camera *without* adding the mean parameters, mmhpse's adds them, so the converter folds
``-mean`` into the biases (:data:`GENERATED`): both models then give identical outputs.
"""
import argparse
from collections import OrderedDict
from typing import Dict, Tuple

import torch

#: (mmhuman3d prefix, mmhpse prefix): a key starting with the first gets the second instead.
NAME_MAP: Tuple[Tuple[str, str], ...] = (
    ('head.keypoint_deconv_layers.', 'head.part_branch.'),
    ('head.smpl_deconv_layers.', 'head.smpl_branch.'),
    ('head.keypoint_final_layer.', 'head.part_final.'),
    ('head.smpl_final_layer.', 'head.smpl_final.'),
    ('head.shape_mlp.', 'head.shape_regressor.'),
    ('head.cam_mlp.', 'head.cam_regressor.'),
    ('head.init_pose', 'head.init_pose'),
    ('head.init_shape', 'head.init_shape'),
    ('head.init_cam', 'head.init_cam'),
    ('backbone.upsample_stage_', 'neck.upsample_stage_'),  # HRNet fusion -> MultiScaleFuseNeck
    ('backbone.', 'backbone.'),  # HRNet / ResNet: mmcv-style names equal mmpretrain's
)

#: Keys whose tensor changes layout: LocallyConnected2d ``(1, 6, C, J, 1, 1)`` -> ``(J, 6, C)``.
RESHAPED = {'head.pose_mlp.weight': 'head.pose_regressor.weight'}

#: Source keys (or prefixes, ending in '.') with no counterpart, and why.
DROPPED = {
    'head.temperature': 'soft-argmax temperature, unused with part segmentation attention',
    'backbone.final_layer.': 'HRNet heatmap layer that PARE never calls',
    'body_model_train.': 'SMPL buffers; mmhpse loads the body model from its own files',
    'body_model_test.': 'SMPL buffers; mmhpse loads the body model from its own files',
    'discriminator.': 'adversarial prior, not part of the estimator',
}

#: Target keys made by the converter (not present in the source).
GENERATED = {
    'head.pose_regressor.bias': '-init_pose (mmhuman3d adds no mean pose)',
}


def _dropped(key: str) -> bool:
    return any(key == d or (d.endswith('.') and key.startswith(d)) for d in DROPPED)


def convert_state_dict(src: Dict[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Map an mmhuman3d PARE state dict onto mmhpse's names and layouts.

    Args:
        src (dict): mmhuman3d ``state_dict`` (keys ``backbone.*``, ``head.*``, ...).

    Returns:
        OrderedDict: mmhpse state dict.

    Raises:
        KeyError: A key that no rule covers, or a missing mean-parameter key.
        ValueError: A ``pose_mlp`` weight of an unexpected shape (e.g. multi-layer pose MLPs).
    """
    dst = OrderedDict()
    unknown = []
    for key, value in src.items():
        if _dropped(key):
            continue
        if key in RESHAPED:
            if value.dim() != 6 or value.shape[0] != 1 or value.shape[-2:] != (1, 1):
                raise ValueError(f'{key}: expected a (1, 6, C, J, 1, 1) LocallyConnected2d '
                                 f'weight, got {tuple(value.shape)}')
            dst[RESHAPED[key]] = value[0, :, :, :, 0, 0].permute(2, 0, 1).contiguous()
            continue
        for old, new in NAME_MAP:
            if key.startswith(old):
                dst[new + key[len(old):]] = value
                break
        else:
            unknown.append(key)
    if unknown:
        raise KeyError(f'{len(unknown)} keys are not covered by the name map, e.g. {unknown[:5]}')
    for key in ('head.init_pose', 'head.init_shape', 'head.init_cam'):
        if key not in dst:
            raise KeyError(f'the source state dict has no "{key}"')
    pose_w = dst['head.pose_regressor.weight']
    init_pose = dst['head.init_pose'].reshape(pose_w.shape[0], 6).to(pose_w.dtype)
    dst['head.pose_regressor.bias'] = -init_pose
    dst['head.shape_regressor.bias'] = dst['head.shape_regressor.bias'] - dst[
        'head.init_shape'].reshape(-1)
    dst['head.cam_regressor.bias'] = dst['head.cam_regressor.bias'] - dst[
        'head.init_cam'].reshape(-1)
    return dst


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='mmhuman3d PARE checkpoint')
    parser.add_argument('dst', help='output checkpoint for mmhpse')
    parser.add_argument('--config', help='mmhpse config: build the model and load strictly')
    parser.add_argument('--trust', action='store_true',
                        help='SRC is trusted: allow full unpickling (mmcv-1 checkpoints keep '
                        'pickled meta objects)')
    args = parser.parse_args()

    from mmhpse.utils.checkpoint import load_external_checkpoint, load_trusted_checkpoint
    ckpt = load_trusted_checkpoint(args.src) if args.trust else load_external_checkpoint(args.src)
    state = ckpt.get('state_dict', ckpt)
    converted = convert_state_dict(state)
    if args.config:
        from mmengine.config import Config

        from mmhpse.registry import MODELS
        from mmhpse.utils import register_all_modules
        register_all_modules()
        model = MODELS.build(Config.fromfile(args.config).model)
        # the body model (head.body_model) has no state: it comes from the SMPL files
        model.load_state_dict(converted, strict=True)
        print(f'loaded strictly into {type(model).__name__} of {args.config}')
    torch.save(dict(state_dict=converted, meta=dict(converted_from=args.src)), args.dst)
    print(f'wrote {args.dst}: {len(converted)} tensors')


if __name__ == '__main__':
    main()
