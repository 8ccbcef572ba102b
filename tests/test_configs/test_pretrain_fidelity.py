"""The pre-training recipes against the authors' code (github hygenie1228/Rethinking, branch
pretraining_hj) and DeepMind's DetCon (github deepmind/detcon): one test per row of
docs/fidelity.md, sections "JointCon and 2D-pose pre-training" and "DetCon and the SSL rows", for
the rows that the configs decide (the behaviour rows are tested with their code in
tests/test_selfsup/). The authors' values are written out here, next to their source."""
import glob
import inspect
import math
import os.path as osp

import numpy as np
import pytest
import torch
from helpers.rethinking_reference import authors_heatmap
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
JOINTCON = 'configs/jointcon/jointcon_resnet50_4xb32-140e_coco-256x192.py'
POSE2D = ('configs/pose2d/simplebaseline_resnet50_4xb32-140e_coco19-256x192.py',
          'configs/pose2d/simplebaseline_resnet50_4xb32-140e_mpii-256x192.py')
SURREAL = 'configs/surreal/pare_resnet50_4xb32-140e_surreal.py'
DETCON = ('configs/detcon/detcon-b_resnet50_16xb256-coslr-200e_in1k.py',
          'configs/detcon/detcon-b_resnet50_16xb256-coslr-1000e_in1k.py')

# Rethinking: lib/utils/aug_utils.py get_aug_config with AUG of asset/yaml/train_contrastive.yml
# and train_2d_joint.yml (scale_factor 0.3, rot_factor 40, color_factor 0.2, shift_factor 0,
# flip True): scale 1 + 0.3 clip(N, -1, 1); rotation 40 clip(N, -2, 2) if random() <= 0.6;
# colour x U[0.8, 1.2] per channel; flip if random() <= 0.5; 256x192 crop.
AUTHORS_VIEW = [
    dict(type='RandomFlip', direction='horizontal', prob=0.5),
    dict(type='ClippedBBoxTransform', scale_factor=0.3, scale_clip=1.0, rotate_factor=40.,
         rotate_clip=2.0, rotate_prob=0.6),
    dict(type='TopdownAffine', input_size=(192, 256)),
    dict(type='RandomChannelScale', low=0.8, high=1.2),
]


def _cfg(path):
    return Config.fromfile(osp.join(REPO, path))


def _unscoped(pipeline):
    return [dict(t, type=t['type'].split('.')[-1]) for t in pipeline]


def _build_backbone(cfg_backbone, scope):
    from mmengine.registry import MODELS, DefaultScope
    import mmpose.models  # noqa: F401  registers mmpose's ResNet
    import mmpretrain.models  # noqa: F401
    cfg = dict(cfg_backbone)
    cfg.update(depth=18, norm_cfg=dict(type='BN'))  # tiny; the init rules do not depend on depth
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(dict(cfg, type=f'{scope}.ResNet'))
    model.init_weights()
    return model


def _assert_authors_init(model):
    """Every conv N(0, 0.001), every BN (1, 0), the last BN of each block included."""
    convs = torch.cat([m.weight.flatten() for m in model.modules()
                       if isinstance(m, torch.nn.Conv2d)])
    assert abs(float(convs.std()) - 1e-3) < 5e-5 and abs(float(convs.mean())) < 5e-5
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and all(bool((m.weight == 1).all() and (m.bias == 0).all()) for m in bns)


# --------------------------------------------------------------- JointCon and 2D-pose pre-training
def test_1a_c5_map_without_deconvs():
    """1a: C5, 2048 x 8 x 6 for a 256x192 crop (model.py get_model, use_upsampling_layer False)."""
    cfg = _cfg(JOINTCON)
    assert cfg.model.backbone.out_indices == (3, ) and 'deconv' not in str(cfg.model)
    from mmpretrain.models import ResNet
    backbone = ResNet(depth=50, out_indices=cfg.model.backbone.out_indices)
    backbone.eval()  # (mmpretrain's ResNet.train returns None)
    with torch.no_grad():
        out = backbone(torch.zeros(1, 3, 256, 192))
    assert len(out) == 1 and tuple(out[-1].shape) == (1, 2048, 8, 6)


def test_1d_projector_widths_and_init():
    """1d: Linear 2048 -> 2048, ReLU, Linear 2048 -> 128, no BN; Linear N(0, 0.01), bias 0
    (module.py Projector, model.py init_weights)."""
    from mmpretrain.models.necks import MoCoV2Neck
    neck_cfg = dict(_cfg(JOINTCON).model.neck)
    assert neck_cfg.pop('type') == 'MoCoV2Neck' and neck_cfg['with_avg_pool'] is False
    assert (neck_cfg['in_channels'], neck_cfg['hid_channels'], neck_cfg['out_channels']) == (
        2048, 2048, 128)
    torch.manual_seed(0)
    neck = MoCoV2Neck(**neck_cfg)
    neck.init_weights()
    layers = [type(m).__name__ for m in neck.mlp]
    assert layers == ['Linear', 'ReLU', 'Linear']
    for lin in (neck.mlp[0], neck.mlp[2]):
        assert abs(float(lin.weight.std()) - 0.01) < 2e-4 and bool((lin.bias == 0).all())


def test_1e_loss_and_temperature():
    """1e: SupCon, label = joint type, tau 0.07 (loss.py Joint2JointLoss; yml temperature)."""
    head = _cfg(JOINTCON).model.head
    assert head == dict(type='SupConHead', temperature=0.07, label='joint')


def test_1f_1g_ablation_configs():
    """1f: per joint type, SimCLR among that type's joints; 1g: SimCLR on pooled C5."""
    inst = _cfg('configs/jointcon/jointcon-instance_resnet50_4xb32-140e_coco-256x192.py')
    assert inst.model.head == dict(type='SupConHead', temperature=0.07, label='image',
                                   group='joint')
    img = _cfg('configs/jointcon/jointcon-image_resnet50_4xb32-140e_coco-256x192.py')
    assert img.model.type == 'SimCLR' and img.model.neck.with_avg_pool
    assert img.model.head.temperature == 0.07 and 'init_cfg' not in img.model.neck


def test_1h_5h_augmentation_of_jointcon_and_2d_pose():
    """1h and row 9 / 5h: JointCon's views and the 2D-pose training pipeline are the authors'
    augmentation: no shift, no half-body, clipped normals, per-channel colour."""
    cfg = _cfg(JOINTCON)
    two_view = cfg.train_pipeline[3]
    assert two_view.type == 'TwoViewPose' and _unscoped(two_view.transforms) == AUTHORS_VIEW
    for path in POSE2D:
        pipeline = _unscoped(_cfg(path).train_dataloader.dataset.pipeline)
        types = [t['type'] for t in pipeline]
        assert 'RandomHalfBody' not in types and 'RandomBBoxTransform' not in types
        start = types.index('RandomFlip')
        assert pipeline[start:start + 4] == AUTHORS_VIEW, path
        assert types[start + 4:] == ['GenerateTarget', 'PackPoseInputs']


def test_1i_data_crop_and_joints():
    """1i: COCO train2017 persons (crowd and num_keypoints 0 skipped by mmpose's CocoDataset, as
    MSCOCO/dataset.py), box x1.25, 19 joints with pelvis and neck as midpoints."""
    cfg = _cfg(JOINTCON)
    ds = cfg.train_dataloader.dataset
    assert ds.type == 'mmpose.CocoDataset' and ds.data_mode == 'topdown'
    assert ds.ann_file == 'annotations/person_keypoints_train2017.json'
    assert cfg.train_pipeline[1] == dict(type='mmpose.GetBBoxCenterScale', padding=1.25)
    assert cfg.train_pipeline[2]['type'] == 'AddMidpointJoints'
    # pelvis = mid-hips, neck = mid-shoulders, in COCO's published keypoint order
    # (5/6 left/right shoulder, 11/12 left/right hip)
    from mmhpse.selfsup.transforms import AddMidpointJoints
    mid = AddMidpointJoints(**{k: v for k, v in cfg.train_pipeline[2].items() if k != 'type'})
    assert mid.pairs == [(11, 12), (5, 6)]


def test_1j_schedule():
    """1j: batch 128, Adam 1e-3, x0.1 at 90 and 120, 140 epochs, no weight decay."""
    cfg = _cfg(JOINTCON)
    assert cfg.train_dataloader.batch_size * 4 == 128
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-3)
    assert [s['milestones'] for s in cfg.param_scheduler] == [[90, 120]]
    assert cfg.param_scheduler[0]['gamma'] == 0.1 and cfg.train_cfg.max_epochs == 140


def test_1k_from_scratch_init_of_every_from_scratch_recipe():
    """1k: resnet.py init_weights('') draws every conv from N(0, 0.001) and sets BN (1, 0)."""
    _assert_authors_init(_build_backbone(_cfg(JOINTCON).model.backbone, 'mmpretrain'))
    for path in POSE2D:
        _assert_authors_init(_build_backbone(_cfg(path).model.backbone, 'mmpose'))
    backbone = dict(_cfg(SURREAL).model.backbone)
    backbone.pop('type')
    _assert_authors_init(_build_backbone(backbone, 'mmpretrain'))


def test_1l_bn_deliberately_synchronised():
    """1l: the authors' DataParallel normalises per GPU chunk; SyncBN here (switch: BN)."""
    assert _cfg(JOINTCON).model.backbone.norm_cfg == dict(type='SyncBN')


def test_1m_input_normalisation_and_the_authors_switch():
    """1m: standard ImageNet mean / std on 0-255 pixels; the authors' scale (their float image is
    not divided by 255 before Normalize(0.485.., 0.229..)) is the switch below."""
    from mmpretrain.models import SelfSupDataPreprocessor
    dp = dict(_cfg(JOINTCON).model.data_preprocessor)
    dp.pop('type')
    assert dp['mean'] == [123.675, 116.28, 103.53] and dp['std'] == [58.395, 57.12, 57.375]
    img = torch.randint(0, 256, (3, 8, 6), dtype=torch.uint8)
    authors = dict(dp, mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    data = dict(inputs=[img[None], img[None]], data_samples=None)
    out = SelfSupDataPreprocessor(**authors)(data)['inputs'][0][0]
    rgb = img.flip(0).float()  # BGR -> RGB
    expected = (rgb - torch.tensor([0.485, 0.456, 0.406])[:, None, None]) / torch.tensor(
        [0.229, 0.224, 0.225])[:, None, None]
    torch.testing.assert_close(out, expected)


def test_1n_jointcon_data_is_coco():
    assert _cfg(JOINTCON).train_dataloader.dataset.data_prefix == dict(img='train2017/')


def test_2d_pose_heatmap_target_loss_and_init():
    """Row 9: heatmaps 64x48, sigma 2 (train_2d_joint.yml heatmap_sigma) with the authors'
    generator (coord_utils.py generate_joint_heatmap = mmpose's MSRAHeatmap); JointsMSELoss =
    0.5 x mean of the visibility-weighted squared error; head deconvs / 1x1 conv N(0, 0.001)."""
    from mmpose.codecs import MSRAHeatmap
    from mmpose.models.heads import HeatmapHead
    cfg = _cfg(POSE2D[0])
    codec = cfg.codec
    assert (codec.type, codec.input_size, codec.heatmap_size, codec.sigma) == (
        'MSRAHeatmap', (192, 256), (48, 64), 2)
    rng = np.random.RandomState(0)
    kpts = rng.uniform(-40, 240, size=(1, 19, 2))
    codec_args = {k: v for k, v in codec.items() if k not in ('type', '_scope_')}
    encoded = MSRAHeatmap(**codec_args).encode(kpts, np.ones((1, 19)))
    for k in range(19):
        ref = authors_heatmap(kpts[0, k, 0], kpts[0, k, 1], 4, 64, 48, sigma=2.)
        if ref is None:  # nothing on the map
            np.testing.assert_array_equal(encoded['heatmaps'][k], 0.)
        else:
            np.testing.assert_allclose(encoded['heatmaps'][k], ref, atol=1e-6)
    loss = cfg.model.head.loss
    assert loss == dict(type='KeypointMSELoss', use_target_weight=True, loss_weight=0.5)
    from mmengine.registry import DefaultScope
    head_cfg = dict(cfg.model.head, in_channels=16, deconv_out_channels=(8, 8, 8))
    head_cfg.pop('type')
    with DefaultScope.overwrite_default_scope('mmpose'):  # the config's scope builds the loss
        head = HeatmapHead(**head_cfg)
    head.init_weights()
    weights = [m.weight for m in head.modules()
               if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    assert abs(float(torch.cat([w.flatten() for w in weights]).std()) - 1e-3) < 1e-4


# ------------------------------------------------------------------- DetCon and the SSL rows
def test_2a_felzenszwalb_parameters():
    """2a: scale 1000, sigma 0.8, min_size 1000 (generate_fh_masks_for_imagenet.py)."""
    loader = _cfg(DETCON[0]).train_dataloader.dataset.pipeline[1]
    assert (loader.type, loader.scale, loader.sigma, loader.min_size) == (
        'LoadFelzenszwalbMask', 1000, 0.8, 1000)


def test_2e_projector_predictor_and_target_ema():
    """2e: MLP 2048 -> 4096 -> 256 with BN, predictor 256 -> 4096 -> 256 (detcon_b_config.py),
    target EMA 1 - (1 - 0.996) (cos(pi k / K) + 1) / 2 (utils/schedules.py target_ema)."""
    from mmengine.logging import MessageHub
    from mmpretrain.models.utils import CosineEMA
    model = _cfg(DETCON[0]).model
    for neck, widths in ((model.neck, (2048, 4096, 256)), (model.predictor, (256, 4096, 256))):
        assert (neck.in_channels, neck.hid_channels, neck.out_channels) == widths
        assert neck.num_layers == 2 and neck.with_bias and not neck.with_last_bn
    assert model.num_samples == 16 and model.temperature == 0.1
    K = 50
    MessageHub.get_current_instance().update_info('max_iters', K)
    ema = CosineEMA(torch.nn.Linear(1, 1, bias=False), momentum=model.base_momentum)
    source = torch.nn.Linear(1, 1, bias=False)
    target = None
    for k in range(K):
        with torch.no_grad():
            source.weight.fill_(float(k))
        ema.update_parameters(source)
        if k == 0:
            target = 0.
        else:
            decay = 1 - (1 - 0.996) * (math.cos(math.pi * k / K) + 1) / 2
            target = decay * target + (1 - decay) * k
    assert abs(float(ema.module.weight) - target) < 1e-6


@pytest.mark.parametrize('path,epochs', zip(DETCON, (200, 1000)))
def test_2f_optimiser_and_schedule(path, epochs):
    """2f: LARS, lr 0.2 per 256 images at batch 4096, wd 1.5e-6, bias / BN excluded from decay
    and adaptation, warmup epochs // 100 then cosine to 0 per step (detcon_b_config.py,
    utils/schedules.py, pretrain_common.py)."""
    cfg = _cfg(path)
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.weight_decay, opt.momentum) == ('LARS', 0.2 * 4096 / 256,
                                                                  1.5e-6, 0.9)
    from mmpretrain.engine.optimizers import LARS
    eta = opt.get('eta', inspect.signature(LARS).parameters['eta'].default)
    assert eta == 1e-3  # DeepMind's lars_kwargs
    assert cfg.train_dataloader.batch_size * 16 == cfg.auto_scale_lr.base_batch_size == 4096
    keys = cfg.optim_wrapper.paramwise_cfg.custom_keys
    assert all(keys[k] == dict(decay_mult=0, lars_exclude=True)
               for k in ('bn', 'bias', 'downsample.1'))
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.begin, warmup.end) == ('LinearLR', 0, epochs // 100)
    assert (cosine.type, cosine.begin, cosine.end, cosine.T_max) == (
        'CosineAnnealingLR', epochs // 100, epochs, epochs - epochs // 100)
    assert warmup.convert_to_iter_based and cosine.convert_to_iter_based
    assert cfg.train_cfg.max_epochs == epochs and 'eta_min' not in cosine


def test_2g_every_ssl_row_of_the_paper_study_is_pretrained_on_imagenet():
    """2g / row 10: the paper's SSL rows are ImageNet pre-trainings; DetCon runs the ImageNet
    config of DeepMind's released length; the COCO-person variants stay configs of their own."""
    study = _cfg('configs/studies/paper.py').study
    rows = {p['name']: p for p in study.pretrainings}
    for name in ('mocov2', 'simclr', 'byol', 'swav', 'densecl', 'detcon'):
        row = rows[name]
        if row.get('checkpoint'):
            assert 'in1k' in row['checkpoint'], name
        else:
            cfg = _cfg(row['config'])
            assert cfg.train_dataloader.dataset.type == 'ImageNet', name
            assert cfg.train_cfg.max_epochs == 1000, name
        person = osp.join(REPO, 'configs', name,
                          f'{name}{"-b" if name == "detcon" else ""}_resnet50_*coco-person*.py')
        assert glob.glob(person), person


def test_2h_detcon_views():
    """DeepMind's BYOL views (utils/tf_image_ops.py get_random_crop_window, utils/augmentations.py
    augment_config): crop area U[0.08, 1], log-uniform aspect in [3/4, 4/3], 224 px, flip 0.5,
    colour jitter 0.4 / 0.4 / 0.2 / 0.1 with p 0.8, grayscale 0.2, blur sigma U[0.1, 2] with
    p 1 / 0.1, solarize (threshold 0.5 of the range) with p 0 / 0.2."""
    import mmhpse.selfsup  # noqa: F401
    from mmhpse.selfsup.transforms import MaskedRandomResizedCrop
    cfg = _cfg(DETCON[0])
    for view, blur, solarize in ((cfg.view_pipeline1, 1., 0.), (cfg.view_pipeline2, .1, .2)):
        t = {v['type']: v for v in view}
        crop = MaskedRandomResizedCrop(**{k: v for k, v in t['MaskedRandomResizedCrop'].items()
                                          if k != 'type'})
        assert crop.scale == (224, 224) and crop.crop_ratio_range == (0.08, 1.0)
        assert crop.aspect_ratio_range == pytest.approx((3 / 4, 4 / 3))
        assert t['RandomFlip']['prob'] == 0.5
        assert t['RandomApply']['prob'] == 0.8 and t['RandomApply']['transforms'] == [
            dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1)]
        assert t['RandomGrayscale']['prob'] == 0.2
        assert (t['GaussianBlur']['prob'], t['GaussianBlur']['magnitude_range']) == (blur,
                                                                                      (0.1, 2.))
        assert (t['Solarize']['prob'], t['Solarize']['thr']) == (solarize, 128)


def test_2d_pose_schedule():
    """The 2D-pose schedule of the authors' best_* branches (asset/yaml/train_2d_joint.yml):
    batch 128, 140 epochs, Adam 1e-3, x0.1 at 90 and 120."""
    for path in POSE2D:
        cfg = _cfg(path)
        assert cfg.train_dataloader.batch_size * 4 == 128 and cfg.train_cfg.max_epochs == 140
        assert cfg.optim_wrapper.optimizer.type == 'Adam' and cfg.optim_wrapper.optimizer.lr == 1e-3
        assert cfg.param_scheduler[0].milestones == [90, 120]
