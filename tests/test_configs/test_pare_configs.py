"""The PARE configs parse, hold the recipes they claim, agree with their pipelines and build."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmhpse.registry import MODELS
from mmhpse.utils import register_all_modules

register_all_modules()
ROOT = osp.join(osp.dirname(__file__), '..', '..', 'configs', 'pare')
CONFIGS = [
    'pare_resnet50-scratch_8xb16-120e_h36m-coco.py',
    'pare_hrnet-w32_1xb64-200e_coco-eft-224.py',
    'pare_hrnet-w32_1xb32-50e_mixed-224.py',
    'pare_resnet18-scratch_1xb16-24e_procedural-128x96.py',
    'pare_resnet18-w32-scratch_1xb16-5e_procedural-64x48.py',
]


def _pipelines(cfg):
    ds = cfg.train_dataloader.dataset
    train = [d['pipeline'] for d in ds['datasets']] if ds['type'] == 'MixedDataset' else [
        ds['pipeline']]
    return train + [cfg.val_dataloader.dataset.pipeline]


def _use_surrogate(model_cfg, body_dir):
    model_cfg.body_model.model_path = osp.join(body_dir, 'smpl')
    model_cfg.body_model.joint_regressor_extra = osp.join(body_dir, 'J_regressor_extra.npy')
    model_cfg.head.smpl_mean_params = osp.join(body_dir, 'smpl_mean_params.npz')
    model_cfg.backbone.init_cfg = None


@pytest.mark.parametrize('name', CONFIGS)
def test_crop_size_matches_model(name):
    cfg = Config.fromfile(osp.join(ROOT, name))
    h, w = cfg.model.img_res
    for pipeline in _pipelines(cfg):
        affine = [t for t in pipeline if t['type'] == 'HumanTopdownAffine']
        assert len(affine) == 1 and tuple(affine[0]['input_size']) == (w, h)


def test_paper_recipe():
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS[0]))
    assert cfg.model.head.type == 'PAREC5Head' and tuple(cfg.model.img_res) == (256, 192)
    assert cfg.train_dataloader.batch_size * 8 == 128
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-4)
    assert cfg.param_scheduler[0]['milestones'] == [90] and cfg.param_scheduler[0]['gamma'] == 0.1
    assert cfg.train_cfg.max_epochs == 120 and cfg.train_cfg.val_interval == 5
    ds = cfg.train_dataloader.dataset
    assert ds.partition == [0.5, 0.5]
    assert [d['dataset_name'] for d in ds.datasets] == ['h36m', 'coco']
    assert cfg.val_dataloader.dataset.dataset_name == 'pw3d'
    weights = {k: cfg.model.head[f'loss_{k}'].loss_weight for k in
               ('keypoints3d', 'smpl_joints', 'keypoints2d', 'smpl_pose', 'smpl_betas')}
    assert weights == dict(keypoints3d=1., smpl_joints=1., keypoints2d=0.1, smpl_pose=1.,
                           smpl_betas=1.)
    assert all(cfg.model.head[f'loss_{k}'].loss_type == 'l1' for k in weights)
    assert cfg.default_scope == 'mmhpse' and cfg.default_hooks.checkpoint.interval == 5
    # augmentation of the authors' fine-tuning (fidelity row 5e): box x1.25, flip 0.5, scale
    # 1 + 0.25 clip(N), rotation 30 deg clip(N, +-2) with p 0.6, colour x U[0.8, 1.2]
    steps = {t['type']: t for t in ds.datasets[0].pipeline}
    assert steps['HumanGetBBoxCenterScale']['padding'] == 1.25
    assert steps['HumanRandomFlip']['prob'] == 0.5
    assert {k: steps['HumanRandomBBoxTransform'][k] for k in
            ('scale_factor', 'rotate_factor', 'rotate_prob')} == dict(
                scale_factor=0.25, rotate_factor=30, rotate_prob=0.6)
    assert steps['ColorJitterScale']['factor'] == 0.2
    assert tuple(steps['HumanTopdownAffine']['input_size']) == (192, 256)
    assert ds.datasets[0].pipeline == ds.datasets[1].pipeline
    assert cfg.optim_wrapper.get('paramwise_cfg') is None  # no weight decay anywhere


def test_paper_model_builds_and_runs(surrogate_body_model_dir):
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS[0]))
    _use_surrogate(cfg.model, surrogate_body_model_dir)
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        out = model(torch.zeros(1, 3, 256, 192), mode='tensor')
    assert out['part_attention'].shape == (1, 24, 8, 6)  # the C5 grid of a 256x192 crop
    assert out['pred_joints'].shape == (1, 24, 3)  # SMPL's J_regressor joints (smpl_24)


@pytest.mark.parametrize('name', ['hmr_resnet50.py', 'pare_resnet50_orig.py', 'pare_hrnet_w32.py'])
def test_base_models_build(name, surrogate_body_model_dir):
    cfg = Config.fromfile(osp.join(ROOT, '..', '_base_', 'models', name))
    _use_surrogate(cfg.model, surrogate_body_model_dir)
    model = MODELS.build(cfg.model).eval()
    h, w = cfg.model.img_res
    with torch.no_grad():
        out = model(torch.zeros(1, 3, h, w), mode='tensor')
    assert out['pred_pose'].shape == (1, 24, 3, 3)
    if name != 'hmr_resnet50.py':
        assert out['pred_segm_mask'].shape == (1, 25, 56, 56)  # 24 parts + background at 1/4
    # the head's losses come from the config; HMR keeps the paper's terms and weights
    paper = Config.fromfile(osp.join(ROOT, '..', '_base_', 'models', 'pare_resnet50.py'))
    terms = {k: v for k, v in paper.model.head.items() if k.startswith('loss_')}
    if name == 'hmr_resnet50.py':
        assert {k: v for k, v in cfg.model.head.items() if k.startswith('loss_')} == terms
    assert set(model.head.losses) == {k[5:] for k, v in cfg.model.head.items()
                                      if k.startswith('loss_') and v is not None}
