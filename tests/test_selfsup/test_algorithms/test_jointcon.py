"""JointCon: loss against brute-force numpy references, joint pooling against loops, validity
masking and a config train step on CPU (the SupCon loss itself: test_heads/test_supcon_head.py;
cross-rank gathering: test_dist.py)."""
import math
import os
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.supcon_reference import np_instance, np_supcon
from mmpretrain.structures import DataSample

import mmhpse.selfsup  # noqa: F401  registers JointCon, its head and its transforms
from mmhpse.selfsup.algorithms.jointcon import JointCon, bilinear_sample, gaussian_pool


@pytest.fixture(autouse=True)
def _mmpretrain_scope():
    """JointCon and its transforms live in mmpretrain's registries; earlier tests in the session
    may have left another default scope current."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(REPO, 'configs/jointcon/jointcon_resnet50_4xb32-140e_coco-256x192.py')


def _cell(x, stride, size):
    """The cell whose pixel span [c s - 0.5, (c + 1) s - 0.5) holds x (pixel centres at ints)."""
    for c in range(size):
        if c * stride - 0.5 <= x < (c + 1) * stride - 0.5:
            return c
    return 0 if x < 0 else size - 1


def test_gaussian_pool_matches_loop():
    rng = np.random.RandomState(3)
    feats = rng.randn(2, 5, 4, 3)
    in_size = (128, 96)
    kpts = rng.uniform(-20, 120, size=(2, 6, 2))
    got = gaussian_pool(torch.tensor(feats), torch.tensor(kpts), in_size, sigma=1.0).numpy()
    for n in range(2):
        for k in range(6):
            cx, cy = _cell(kpts[n, k, 0], 32, 3), _cell(kpts[n, k, 1], 32, 4)
            w = np.array([[math.exp(-((j - cx)**2 + (i - cy)**2) / 2.) for j in range(3)]
                          for i in range(4)])
            w /= w.sum()
            expected = (feats[n] * w).sum((1, 2))
            np.testing.assert_allclose(got[n, k], expected, atol=1e-12)


def test_bilinear_sample_matches_loop():
    rng = np.random.RandomState(4)
    feats = rng.randn(1, 3, 4, 3)
    in_size = (128, 96)
    kpts = np.array([[[15.5, 15.5], [47.5, 79.5], [30., 50.], [0., 0.], [95., 127.]]])
    got = bilinear_sample(torch.tensor(feats), torch.tensor(kpts), in_size).numpy()
    for k, (x, y) in enumerate(kpts[0]):
        u, v = (x + 0.5) / 32 - 0.5, (y + 0.5) / 32 - 0.5  # cell centres at integers
        expected = np.zeros(3)
        for i in range(4):
            for j in range(3):
                wgt = max(0., 1 - abs(u - j)) * max(0., 1 - abs(v - i))
                expected += wgt * feats[0, :, i, j]
        np.testing.assert_allclose(got[0, k], expected, atol=1e-12)
    # a joint at the centre of cell (2, 1) reads exactly that cell
    np.testing.assert_allclose(got[0, 1], feats[0, :, 2, 1], atol=1e-12)


def _tiny_model(label='joint', image_loss_weight=0., **kwargs):
    image = {} if not image_loss_weight else dict(
        image_neck=dict(type='MoCoV2Neck', in_channels=64, hid_channels=32, out_channels=16),
        image_head=dict(type='SupConHead', label='image', loss_weight=image_loss_weight))
    return JointCon(
        backbone=dict(type='ResNet', depth=18, stem_channels=8, base_channels=8,
                      out_indices=(3, ), norm_cfg=dict(type='BN')),
        neck=dict(type='MoCoV2Neck', in_channels=64, hid_channels=32, out_channels=16,
                  with_avg_pool=False),
        head=dict(type='SupConHead', temperature=0.07, label=label), **image, **kwargs)


def _capture_first(store):
    """Forward hook keeping the first output of a module (returns None: output unchanged)."""

    def hook(module, args, output):
        if 'z' not in store:
            store['z'] = output[0]  # mmpretrain necks return a tuple

    return hook


def _sample(kpts, vis):
    s = DataSample()
    s.set_field(np.asarray(kpts, np.float32), 'view_keypoints')
    s.set_field(np.asarray(vis, np.float32), 'view_keypoints_visible')
    return s


def _batch(num_joints=5, seed=0):
    """Two persons in 128x96 views (C5 map 4x3) with hand-made validity cases."""
    rng = np.random.RandomState(seed)
    kpts = rng.uniform(5, 90, size=(2, 2, num_joints, 2)).astype(np.float32)
    vis = np.ones((2, 2, num_joints), np.float32)
    vis[0, 1, 1] = 0  # person 0, joint 1: invisible in view 2
    kpts[0, 0, 2] = [-0.6, 40]  # person 0, joint 2: left of the map in view 1
    kpts[0, 1, 3] = [-0.4, 127.4]  # person 0, joint 3: inside (edge cells) in view 2
    kpts[1, 1, 4] = [50, 127.6]  # person 1, joint 4: below the map in view 2
    samples = [_sample(kpts[b], vis[b]) for b in range(2)]
    valid = [(b, k) for b in range(2) for k in range(num_joints)
             if (b, k) not in {(0, 1), (0, 2), (1, 4)}]
    inputs = [torch.randn(2, 3, 128, 96), torch.randn(2, 3, 128, 96)]
    return inputs, samples, valid


@pytest.mark.parametrize('label', ['joint', 'instance'])
@pytest.mark.parametrize('pool', ['gaussian', 'bilinear'])
def test_jointcon_loss_validity_and_reference(label, pool):
    torch.manual_seed(0)
    model = _tiny_model(label=label, pool=pool)
    inputs, samples, valid = _batch()
    captured = {}
    model.neck.register_forward_hook(_capture_first(captured))
    losses = model.loss(inputs, samples)
    assert int(losses['num_joints']) == len(valid) == 7
    z = F.normalize(captured['z'], dim=1).detach().double().numpy()
    assert z.shape == (2 * len(valid), 16)
    # row r is (person, joint) valid[r] in view 1, row r + M the same in view 2
    feats = model.backbone(torch.cat(inputs))[-1]
    ref = []
    for v in range(2):
        kpts = torch.stack([torch.as_tensor(s.view_keypoints[v]) for s in samples])
        pooled = model.joint_features(feats[2 * v:2 * v + 2], kpts, (128, 96))
        ref += [pooled[b, k] for b, k in valid]
    ref = F.normalize(model.neck([torch.stack(ref)])[0], dim=1).detach().double().numpy()
    np.testing.assert_allclose(z, ref, atol=1e-5)
    if label == 'joint':
        labels = [k for _, k in valid] * 2
        expected = np_supcon(z, labels, 0.07)
    else:
        expected = np_instance(z, 0.07)
    assert abs(float(losses['loss_jointcon'].detach()) - expected) < 1e-5
    losses['loss_jointcon'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_jointcon_image_term_and_errors():
    torch.manual_seed(0)
    model = _tiny_model(image_loss_weight=0.5)
    inputs, samples, _ = _batch()
    captured = {}
    model.image_neck.register_forward_hook(_capture_first(captured))
    losses = model.loss(inputs, samples)
    z = F.normalize(captured['z'], dim=1).detach().double().numpy()  # (2B, D), views stacked
    assert abs(float(losses['loss_image'].detach()) - 0.5 * np_instance(z, 0.07)) < 1e-5
    assert _tiny_model().image_neck is None and 'loss_image' not in _tiny_model().loss(
        inputs, samples)
    with pytest.raises(KeyError, match="label 'simclr' is not among the labels"):
        _tiny_model(label='simclr').loss(inputs, samples)
    with pytest.raises(ValueError, match="pool must be"):
        _tiny_model(pool='max')
    with pytest.raises(ValueError, match='both image_neck and image_head'):
        JointCon(backbone=dict(type='ResNet', depth=18), neck=None, head=None,
                 image_head=dict(type='SupConHead'))
    bad = DataSample(metainfo=dict(img_path='x.jpg'))
    with pytest.raises(KeyError, match=r"data sample 0 \(x.jpg\) has no 'view_keypoints'"):
        model.loss(inputs, [bad, bad])


def _write_coco(root, num_images=2, size=(120, 160)):
    """A small COCO keypoint file with synthetic images (one person each)."""
    import json

    import cv2
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    rng = np.random.RandomState(0)
    images, anns = [], []
    for i in range(num_images):
        h, w = size
        cv2.imwrite(osp.join(root, 'images', f'{i}.jpg'),
                    rng.randint(0, 255, (h, w, 3)).astype(np.uint8))
        images.append(dict(id=i + 1, file_name=f'{i}.jpg', height=h, width=w))
        kpts = np.zeros((17, 3))
        kpts[:, 0] = rng.uniform(40, 80, 17)
        kpts[:, 1] = rng.uniform(30, 130, 17)
        kpts[:, 2] = 2
        anns.append(dict(id=i + 1, image_id=i + 1, category_id=1, iscrowd=0, area=1600.,
                         bbox=[35., 25., 50., 110.], num_keypoints=17,
                         keypoints=kpts.flatten().tolist()))
    ann_file = osp.join(root, 'ann.json')
    with open(ann_file, 'w') as f:
        json.dump(dict(images=images, annotations=anns,
                       categories=[dict(id=1, name='person')]), f)
    return ann_file


def test_config_builds_and_train_steps(tmp_path):
    from mmengine.config import Config
    from mmengine.runner import Runner
    ann_file = _write_coco(str(tmp_path / 'coco'))
    cfg = Config.fromfile(CONFIG)
    assert cfg.model.type == 'JointCon' and cfg.train_cfg.max_epochs == 140
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-3)
    assert cfg.param_scheduler[0].milestones == [90, 120]
    assert cfg.train_dataloader.batch_size * 4 == 128
    cfg.model.backbone.update(depth=18, stem_channels=8, base_channels=8,
                              norm_cfg=dict(type='BN'))
    cfg.model.neck.update(in_channels=64, hid_channels=32, out_channels=16)
    cfg.train_pipeline[3].transforms[2].input_size = (48, 64)
    dl = cfg.train_dataloader
    dl.update(batch_size=2, num_workers=0, persistent_workers=False)
    dl.dataset.update(data_root=str(tmp_path / 'coco'), ann_file=ann_file,
                      data_prefix=dict(img='images/'), pipeline=cfg.train_pipeline)
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = []
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = None
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1  # 2 persons, batch 2
    loss = runner.message_hub.get_scalar('train/loss_jointcon').current()
    assert math.isfinite(loss) and loss > 0
    assert runner.message_hub.get_scalar('train/num_joints').current() >= 2
    # Adam took one step on the backbone
    conv1 = runner.model.backbone.conv1.weight
    assert int(runner.optim_wrapper.optimizer.state[conv1]['step']) == 1
