"""Every pre-training config of configs/{detcon,mocov2,simclr,byol,swav,densecl,pose2d,surreal}
builds and train-steps on CPU with a tiny backbone on tiny data written here (cfg overrides only
shrink widths, batch and data; pipelines, losses, hooks and optimisers are the configs' own)."""
import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_RESNET = dict(depth=18, base_channels=8, stem_channels=8, norm_cfg=dict(type='BN'))
C5 = 64  # channels of the tiny ResNet-18's last stage


def _image(rng, h=120, w=160):
    img = np.zeros((h, w, 3), np.uint8)  # a few flat regions, so Felzenszwalb finds segments
    for _ in range(4):
        x0, y0 = rng.integers(0, w - 20), rng.integers(0, h - 20)
        img[y0:y0 + rng.integers(20, 60), x0:x0 + rng.integers(20, 80)] = rng.integers(0, 255, 3)
    return np.clip(img + rng.normal(0, 5, img.shape), 0, 255).astype(np.uint8)


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('data')
    rng = np.random.default_rng(0)
    for cls in ('a', 'b'):  # mmpretrain CustomDataset layout (stands in for ImageNet)
        os.makedirs(root / 'folder' / cls)
        for i in range(4):
            cv2.imwrite(str(root / 'folder' / cls / f'{i}.png'), _image(rng))
    os.makedirs(root / 'coco' / 'images')
    images, anns = [], []
    for i in range(3):
        cv2.imwrite(str(root / 'coco' / 'images' / f'{i:012d}.jpg'), _image(rng, 240, 320))
        images.append(dict(id=i + 1, file_name=f'{i:012d}.jpg', height=240, width=320))
        for j in range(3):
            x, y = 40 + 80 * j, 30
            kpts = np.zeros((17, 3))
            kpts[:, 0] = x + rng.uniform(5, 55, 17)
            kpts[:, 1] = y + rng.uniform(5, 170, 17)
            kpts[:, 2] = 2
            anns.append(dict(id=10 * i + j + 1, image_id=i + 1, category_id=1, iscrowd=0,
                             bbox=[x, y, 60, 180], area=60 * 180.,
                             keypoints=kpts.reshape(-1).tolist(), num_keypoints=17))
    anns.append(dict(id=99, image_id=1, category_id=1, iscrowd=1, bbox=[0, 0, 50, 50],
                     area=2500., keypoints=[0] * 51, num_keypoints=0))
    coco = dict(images=images, annotations=anns,
                categories=[dict(id=1, name='person', supercategory='person')])
    (root / 'coco' / 'person_keypoints.json').write_text(json.dumps(coco))
    return root


def _shrink_runtime(cfg, work_dir, iters=2, batch_size=4):
    cfg.work_dir = str(work_dir)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters)
    cfg.param_scheduler = []
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=iters, by_epoch=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.log_processor = dict(by_epoch=False, window_size=1)
    cfg.default_hooks.pop('visualization', None)
    cfg.randomness = dict(seed=0)
    dl = cfg.train_dataloader
    dl.batch_size, dl.num_workers, dl.persistent_workers = batch_size, 0, False
    dl.pop('pin_memory', None)


def _shrink_crops(node):
    """Output sizes of the views' random resized crops: 224 -> 64, 96 -> 32 (in place)."""
    if isinstance(node, dict):
        if str(node.get('type', '')).endswith('RandomResizedCrop'):
            node['scale'] = {224: 64, 96: 32}[node['scale']]
        for v in node.values():
            _shrink_crops(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            _shrink_crops(v)


def _train(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = [v for k, v in runner.message_hub.log_scalars.items() if k.endswith('/loss')]
    assert losses and all(np.isfinite(h.current()) for h in losses)
    return runner


def _ssl_tiny(cfg, method):
    m = cfg.model
    m.backbone.update(TINY_RESNET)
    if method == 'swav':
        m.neck.update(in_channels=C5, hid_channels=32, out_channels=16)
        m.head.loss.update(feat_dim=16, num_prototypes=10)
        for hook in cfg.custom_hooks:
            if hook['type'] == 'SwAVHook':
                hook.update(batch_size=4, feat_dim=16, queue_length=0)
    elif method == 'densecl':
        m.neck.update(in_channels=C5, hid_channels=32, out_channels=16)
        m.update(feat_dim=16, queue_len=8)
    else:
        m.neck.update(in_channels=C5, hid_channels=32, out_channels=16)
    if method == 'mocov2':
        m.update(feat_dim=16, queue_len=8)
    if method == 'byol':
        m.head.predictor.update(in_channels=16, hid_channels=32, out_channels=16)
    if method == 'detcon':
        m.predictor.update(in_channels=16, hid_channels=32, out_channels=16)
        m.num_samples = 4


SSL = [
    ('mocov2', 'mocov2_resnet50_8xb32-coslr-200e_{}.py'),
    ('simclr', 'simclr_resnet50_16xb256-coslr-200e_{}.py'),
    ('byol', 'byol_resnet50_16xb256-coslr-200e_{}.py'),
    ('swav', 'swav_resnet50_8xb32-mcrop-coslr-200e_{}-224px-96px.py'),
    ('densecl', 'densecl_resnet50_8xb32-coslr-200e_{}.py'),
    ('detcon', 'detcon-b_resnet50_16xb256-coslr-200e_{}.py'),
]


@pytest.mark.parametrize('data_kind', ['in1k', 'coco-person'])
@pytest.mark.parametrize('method,pattern', SSL, ids=[s[0] for s in SSL])
def test_ssl_config_train_steps(method, pattern, data_kind, data, tmp_path):
    cfg = Config.fromfile(osp.join(REPO, 'configs', method, pattern.format(data_kind)))
    _ssl_tiny(cfg, method)
    _shrink_runtime(cfg, tmp_path / 'work')
    _shrink_crops(cfg.train_dataloader.dataset.pipeline)
    ds = cfg.train_dataloader.dataset
    if data_kind == 'in1k':
        assert ds.type == 'ImageNet'
        cfg.train_dataloader.dataset = dict(type='CustomDataset', data_root=str(data / 'folder'),
                                            pipeline=ds.pipeline)
    else:
        assert ds.type == 'CocoPersonCrops'
        assert [t['type'] for t in ds.pipeline][:3][-1] in ('CropPersonBox', 'MultiView',
                                                            'MultiViewWithMasks')
        ds.update(data_root=str(data / 'coco'), ann_file='person_keypoints.json',
                  data_prefix=dict(img_path='images/'))
    if method == 'detcon':
        loader = cfg.train_dataloader.dataset.pipeline[1]
        assert loader.type == 'LoadFelzenszwalbMask'
        if data_kind == 'in1k':  # no precomputed masks: the on-the-fly fallback
            loader.mask_root = str(tmp_path / 'no_masks')
        else:  # masks written by the precompute tool, required
            import sys
            sys.path.insert(0, osp.join(REPO, 'tools', 'misc'))
            import precompute_felzenszwalb
            masks = str(tmp_path / 'fh_masks')
            img_root = str(data / 'coco' / 'images')
            assert precompute_felzenszwalb.main([img_root, masks])['written'] == 3
            loader.update(mask_root=masks, img_root=img_root, require_precomputed=True)
    runner = _train(cfg)
    if method == 'detcon':
        assert 0 < runner.message_hub.get_scalar('train/positive_ratio').current() <= 1


def _pose_tiny(cfg, num_joints):
    cfg.model.backbone.update(depth=18, base_channels=8, stem_channels=8)
    cfg.model.head.update(in_channels=C5, out_channels=num_joints,
                          deconv_out_channels=(16, 16, 16), deconv_kernel_sizes=(4, 4, 4))
    # C5 of a 64x128 input is 2x4; three stride-2 deconvs give the 16x32 heatmap (input / 4)
    codec = dict(type='MSRAHeatmap', input_size=(64, 128), heatmap_size=(16, 32), sigma=2)
    cfg.model.head.decoder = codec
    for pipeline in (cfg.train_dataloader.dataset.pipeline, cfg.val_dataloader.dataset.pipeline):
        for t in pipeline:
            if t['type'].endswith('TopdownAffine'):
                t['input_size'] = codec['input_size']
            if t['type'] == 'GenerateTarget':
                t['encoder'] = codec


def test_pose2d_coco19_config_trains_and_validates(data, tmp_path):
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/pose2d/simplebaseline_resnet50_4xb32-140e_coco19-256x192.py'))
    assert cfg.model.backbone.init_cfg[0]['std'] == 0.001  # from scratch, the authors' init
    assert cfg.model.head.out_channels == 19
    _pose_tiny(cfg, 19)
    val = cfg.val_dataloader, cfg.val_evaluator
    _shrink_runtime(cfg, tmp_path / 'work')
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
    cfg.val_cfg = dict(type='ValLoop')
    cfg.val_dataloader, cfg.val_evaluator = val
    cfg.default_hooks.checkpoint.pop('save_best', None)
    for dl in (cfg.train_dataloader, cfg.val_dataloader):
        dl.dataset.update(data_root=str(data / 'coco'), ann_file='person_keypoints.json',
                          data_prefix=dict(img='images/'))
        dl.update(num_workers=0, persistent_workers=False, batch_size=4)
    runner = _train(cfg)
    assert 'PCK' in runner.message_hub.log_scalars or any(
        'PCK' in k for k in runner.message_hub.log_scalars)


def test_pose2d_mpii_config_train_steps(data, tmp_path):
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/pose2d/simplebaseline_resnet50_4xb32-140e_mpii-256x192.py'))
    assert cfg.model.backbone.init_cfg[0]['std'] == 0.001 and cfg.model.head.out_channels == 16
    _pose_tiny(cfg, 16)
    _shrink_runtime(cfg, tmp_path / 'work')
    rng = np.random.default_rng(3)
    anns = []
    for i in range(3):
        joints = np.stack([rng.uniform(60, 120, 16), rng.uniform(40, 200, 16)], 1)
        anns.append(dict(image=f'{i:012d}.jpg', center=[90., 120.], scale=1.0,
                         joints=joints.tolist(), joints_vis=[1] * 16))
    ann_file = tmp_path / 'mpii_train.json'
    ann_file.write_text(json.dumps(anns * 2))
    cfg.train_dataloader.dataset.update(data_root='', ann_file=str(ann_file),
                                        data_prefix=dict(img=str(data / 'coco' / 'images') + '/'))
    _train(cfg)


def test_surreal_config_train_steps(tmp_path, surrogate_body_model_dir):
    """Converter output of a synthetic SURREAL folder -> the PARE-on-SURREAL recipe, tiny."""
    import sys
    sys.path.insert(0, osp.join(REPO, 'tests', 'test_tools'))
    from test_surreal_converter import _write_clip
    sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
    import surreal
    rng = np.random.default_rng(0)
    root = str(tmp_path / 'cmu')
    _write_clip(root, 'train', 0, '01_01', 'c0001', rng)
    out = str(tmp_path / 'surreal')
    surreal.main([root, out, '--frame-step', '2'])
    cfg = Config.fromfile(osp.join(REPO, 'configs/surreal/pare_resnet50_4xb32-140e_surreal.py'))
    assert cfg.train_cfg.max_epochs == 140 and cfg.optim_wrapper.optimizer.lr == 1e-4
    assert cfg.param_scheduler[0].milestones == [90, 120]
    cfg.model.backbone.update(TINY_RESNET)
    cfg.model.head.in_channels = C5
    bm = surrogate_body_model_dir
    cfg.model.head.smpl_mean_params = osp.join(bm, 'smpl_mean_params.npz')
    cfg.model.body_model.update(model_path=osp.join(bm, 'smpl'),
                                joint_regressor_extra=osp.join(bm, 'J_regressor_extra.npy'))
    _shrink_runtime(cfg, tmp_path / 'work')
    cfg.train_dataloader.dataset.update(data_root=out)
    if importlib.util.find_spec('mmhpse.visualization') is None:
        # mmhpse.registry.VISUALIZERS names the location mmhpse.visualization, which does not
        # exist (yet), so no lookup of a visualizer works in the mmhpse scope: mark the location
        # imported (mmengine's Visualizer and backends are then found in the parents) to test
        # the recipe only
        from mmhpse.registry import VISBACKENDS, VISUALIZERS
        VISUALIZERS._imported = VISBACKENDS._imported = True
    _train(cfg)
