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
from helpers.rethinking_reference import authors_heatmap, authors_peak, nearest_centre
from helpers.supcon_reference import np_grouped_ntxent, np_supcon
from mmpretrain.structures import DataSample

import mmhpse.selfsup  # noqa: F401  registers JointCon, its head and its transforms
from mmhpse.selfsup.algorithms.jointcon import (JointCon, bilinear_sample, gaussian_on_map,
                                                gaussian_peaks, gaussian_pool)


@pytest.fixture(autouse=True)
def _mmpretrain_scope():
    """JointCon and its transforms live in mmpretrain's registries; earlier tests in the session
    may have left another default scope current."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(REPO, 'configs/jointcon/jointcon_resnet50_4xb32-140e_coco-256x192.py')


def test_gaussian_peak_is_the_receptive_field_centre():
    """Row 7 / FIDELITY 1b: the peak cell of a joint at x is int(x / 32 + 0.5), i.e. the C5 cell
    whose receptive field is centred nearest to x (for x >= -16; further left Python's int()
    truncates towards zero, as in the authors' code)."""
    xs = np.concatenate([np.linspace(-300., 500., 3201), 32. * np.arange(-8, 16) + 16.])  # ties
    kpts = torch.tensor(np.stack([xs, xs], -1))[None]
    got = gaussian_peaks(kpts, (256, 192), (8, 6))[0].numpy()  # stride 32 on both axes
    assert [int(g) for g in got[:, 0]] == [authors_peak(x, 32) for x in xs]
    assert (got[:, 0] == got[:, 1]).all()
    right = xs >= -16
    assert [int(g) for g in got[right, 0]] == [nearest_centre(x, 32) for x in xs[right]]
    pts = torch.tensor([-40., -20., 15.9, 16., 47.9, 48.])[None, :, None].repeat(1, 1, 2)
    assert gaussian_peaks(pts, (256, 192), (8, 6))[0, :, 0].tolist() == [0, 0, 0, 1, 1, 2]
    # the previous rule, floor((x + 0.5) / 32), differs for most joints of the crop
    inside = (xs >= 0) & (xs < 192)
    old = np.floor((xs[inside] + 0.5) / 32)
    assert 0.4 < (old != got[inside, 0]).mean() < 0.6


def test_kept_joints_are_those_whose_gaussian_overlaps_the_map():
    """Row 7 / FIDELITY 1c: a joint counts while its 7x7 window overlaps the 8x6 map, joints
    outside the crop included; against the loop reference and against mmpose's heatmap generator
    (the authors' generate_joint_heatmap, written the same way)."""
    from mmpose.codecs.utils import generate_gaussian_heatmaps
    rng = np.random.RandomState(5)
    kpts = np.concatenate([rng.uniform(-250, 450, size=(4000, 2)),
                           [[-40., 100.], [-100., 100.], [-144.5, 100.], [100., 330.]]])
    kept = gaussian_on_map(torch.tensor(kpts)[None], (256, 192), (8, 6))[0].numpy()
    loops = np.array([authors_heatmap(x, y, 32, 8, 6) is not None for x, y in kpts])
    np.testing.assert_array_equal(kept, loops)
    assert kept[-4:].tolist() == [True, True, False, True]  # outside the 192x256 crop, kept
    inside = ((kpts >= 0) & (kpts < [192, 256])).all(-1)
    assert kept[~inside].any() and not (inside & ~kept).any()
    heatmaps, weights = generate_gaussian_heatmaps(
        (6, 8), kpts[None] / 32., np.ones((1, len(kpts))), sigma=1.)
    on_map = heatmaps.reshape(len(kpts), -1).sum(-1) > 0
    np.testing.assert_array_equal(kept, (weights[0] > 0) & on_map)
    # the one difference to the authors' validity: a peak 4 cells left of / above the map passes
    # their bounds check with an empty heatmap (a zero feature); it is dropped here, kept with
    # authors_bounds=True, which gives their kept set exactly
    quirk = (weights[0] > 0) & ~on_map
    peaks = np.trunc(kpts[quirk] / 32 + .5)
    assert quirk.any() and ((peaks == -4).any(-1)).all()
    theirs = gaussian_on_map(torch.tensor(kpts)[None], (256, 192), (8, 6), authors_bounds=True)
    np.testing.assert_array_equal(theirs[0].numpy(), weights[0] > 0)


def test_gaussian_pool_matches_loop():
    rng = np.random.RandomState(3)
    feats = rng.randn(2, 5, 8, 6)
    kpts = rng.uniform(-180, 360, size=(2, 40, 2))
    got = gaussian_pool(torch.tensor(feats), torch.tensor(kpts), (256, 192), sigma=1.0).numpy()
    for n in range(2):
        for k in range(40):
            hm = authors_heatmap(kpts[n, k, 0], kpts[n, k, 1], 32, 8, 6)
            if hm is None:
                np.testing.assert_array_equal(got[n, k], 0.)
                continue
            expected = (feats[n] * hm / hm.sum()).sum((1, 2))  # normalised to sum 1 on the map
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


HEADS = dict(paper=dict(label='joint'), instance=dict(label='image', group='joint'))


def _tiny_model(head='paper', **kwargs):
    return JointCon(
        backbone=dict(type='ResNet', depth=18, stem_channels=8, base_channels=8,
                      out_indices=(3, ), norm_cfg=dict(type='BN')),
        neck=dict(type='MoCoV2Neck', in_channels=64, hid_channels=32, out_channels=16,
                  with_avg_pool=False),
        head=dict(type='SupConHead', temperature=0.07, **HEADS.get(head, dict(label=head))),
        **kwargs)


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
    """Two persons in 128x96 views (C5 map 4x3, stride 32) with hand-made validity cases."""
    rng = np.random.RandomState(seed)
    kpts = rng.uniform(5, 90, size=(2, 2, num_joints, 2)).astype(np.float32)
    vis = np.ones((2, 2, num_joints), np.float32)
    vis[0, 1, 1] = 0  # person 0, joint 1: invisible in view 2
    kpts[1, 0, 0] = [-150, 60]  # person 1, joint 0: peak column int(-4.19) = -4, window [-7, -1]
    kpts[0, 0, 2] = [-0.6, 40]  # person 0, joint 2: left of the crop; its Gaussian covers the map
    kpts[0, 1, 3] = [-0.4, 127.4]  # person 0, joint 3: on the map (edge cells) in view 2
    kpts[1, 1, 4] = [50, 127.6]  # person 1, joint 4: below the crop, peak row 4 (map rows 0-3)
    samples = [_sample(kpts[b], vis[b]) for b in range(2)]
    never = {(0, 1), (1, 0)}
    point_outside = {(0, 2), (1, 4)}
    valid = dict(gaussian=[(b, k) for b in range(2) for k in range(num_joints)
                           if (b, k) not in never],
                 bilinear=[(b, k) for b in range(2) for k in range(num_joints)
                           if (b, k) not in never | point_outside])
    inputs = [torch.randn(2, 3, 128, 96), torch.randn(2, 3, 128, 96)]
    return inputs, samples, valid


@pytest.mark.parametrize('head', ['paper', 'instance'])
@pytest.mark.parametrize('pool', ['gaussian', 'bilinear'])
def test_jointcon_loss_validity_and_reference(head, pool):
    """Rows 7 and 8: the joints valid in both views are pooled, projected and contrasted; the
    paper's loss (label = joint type) against Khosla's L_out by loops, the instance-level
    ablation against a per-joint-type loop of SimCLR."""
    torch.manual_seed(0)
    model = _tiny_model(head=head, pool=pool)
    inputs, samples, valid = _batch()
    valid = valid[pool]
    captured = {}
    model.neck.register_forward_hook(_capture_first(captured))
    losses = model.loss(inputs, samples)
    assert int(losses['num_joints']) == len(valid) == dict(gaussian=8, bilinear=6)[pool]
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
    joints, images = [k for _, k in valid] * 2, [b for b, _ in valid] * 2
    if head == 'paper':
        expected = np_supcon(z, joints, 0.07)
    else:
        expected = np_grouped_ntxent(z, joints, images, 0.07)
    assert abs(float(losses['loss_jointcon'].detach()) - expected) < 1e-5
    losses['loss_jointcon'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_jointcon_errors():
    model = _tiny_model()
    inputs, samples, _ = _batch()
    with pytest.raises(KeyError, match="label 'simclr' is not among the labels"):
        _tiny_model(head='simclr').loss(inputs, samples)
    with pytest.raises(ValueError, match="pool must be"):
        _tiny_model(pool='max')
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


ABLATIONS = dict(
    paper=('jointcon_resnet50_4xb32-140e_coco-256x192.py', 'loss_jointcon'),
    instance=('jointcon-instance_resnet50_4xb32-140e_coco-256x192.py', 'loss_jointcon'),
    image=('jointcon-image_resnet50_4xb32-140e_coco-256x192.py', 'loss'))


@pytest.mark.parametrize('variant', list(ABLATIONS))
def test_config_builds_and_train_steps(variant, tmp_path):
    """The paper's config and the two ablations of row 8 share the data, views and schedule and
    train a step on CPU (tiny ResNet-18, 64x48 views)."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    name, loss_key = ABLATIONS[variant]
    ann_file = _write_coco(str(tmp_path / 'coco'))
    cfg = Config.fromfile(osp.join(REPO, 'configs/jointcon', name))
    paper = Config.fromfile(CONFIG)
    assert cfg.train_pipeline == paper.train_pipeline
    assert cfg.train_dataloader == paper.train_dataloader
    assert cfg.model.backbone == paper.model.backbone
    assert cfg.model.type == dict(paper='JointCon', instance='JointCon', image='SimCLR')[variant]
    assert cfg.train_cfg.max_epochs == 140
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
    loss = runner.message_hub.get_scalar(f'train/{loss_key}').current()
    assert math.isfinite(loss) and loss > 0
    if variant != 'image':
        assert runner.message_hub.get_scalar('train/num_joints').current() >= 2
    # Adam took one step on the backbone
    conv1 = runner.model.backbone.conv1.weight
    assert int(runner.optim_wrapper.optimizer.state[conv1]['step']) == 1


def test_image_level_ablation_is_simclr_on_pooled_c5():
    """Row 8 / FIDELITY 1g: the image-level run is NT-Xent over the two views of each person on
    the global-average-pooled, projected C5 map (tau 0.07), with no joint term."""
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, 'configs/jointcon', ABLATIONS['image'][0]))
    assert cfg.model.neck.with_avg_pool and cfg.model.head.temperature == 0.07
    cfg.model.backbone.update(depth=18, stem_channels=8, base_channels=8,
                              norm_cfg=dict(type='BN'))
    cfg.model.neck.update(in_channels=64, hid_channels=32, out_channels=16)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    inputs, samples, _ = _batch()
    captured = {}
    model.neck.register_forward_hook(_capture_first(captured))
    losses = model.loss(inputs, samples)
    assert set(losses) == {'loss'}
    z = F.normalize(captured['z'], dim=1).detach().double().numpy()  # views interleaved
    feats = model.backbone(torch.stack(inputs, 1).flatten(0, 1))[-1].mean((2, 3))
    ref = F.normalize(model.neck.mlp(feats), dim=1).detach().double().numpy()
    np.testing.assert_allclose(z, ref, atol=1e-6)
    expected = np_supcon(z, [0, 0, 1, 1], 0.07)  # each person's two views are the positives
    assert abs(float(losses['loss'].detach()) - expected) < 1e-5
