"""Two-view JointCon pipeline: keypoint consistency (inverse affines, flips, image content),
mid joints, augmentation distributions, the skip counter, joints outside the crop, and real COCO
data."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmpose.structures.bbox import bbox_xyxy2cs

import mmhpse.selfsup  # noqa: F401  registers the transforms in mmpretrain's registry
from mmhpse.selfsup.transforms.two_view import (AddMidpointJoints, ClippedBBoxTransform,
                                                RandomChannelScale, TwoViewPose)

@pytest.fixture(autouse=True)
def _mmpretrain_scope():
    """JointCon and its transforms live in mmpretrain's registries; earlier tests in the session
    may have left another default scope current."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


from helpers.fixtures import COCO_FIXTURES as FIXTURES  # noqa: E402

COCO_FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]
COCO19_FLIP = COCO_FLIP + [17, 18]


def view_pipeline(input_size=(96, 128), flip_prob=0.5, colour=(0.8, 1.2)):
    return [
        dict(type='mmpose.RandomFlip', direction='horizontal', prob=flip_prob),
        dict(type='ClippedBBoxTransform'),
        dict(type='mmpose.TopdownAffine', input_size=input_size),
        dict(type='RandomChannelScale', low=colour[0], high=colour[1]),
    ]


def person(img, bbox_xyxy, kpts, vis):
    """An mmpose top-down results dict after LoadImage."""
    center, scale = bbox_xyxy2cs(np.array([bbox_xyxy], np.float32), padding=1.25)
    return dict(img=img, img_shape=img.shape[:2], img_path='synthetic.jpg', sample_idx=0,
                bbox=np.array([bbox_xyxy], np.float32), bbox_center=center, bbox_scale=scale,
                keypoints=np.asarray(kpts, np.float32)[None],
                keypoints_visible=np.asarray(vis, np.float32)[None],
                flip_indices=list(COCO_FLIP))


def with_mid_joints(kpts, vis):
    """COCO-19 reference, computed here: pelvis = mean of hips, neck = mean of shoulders."""
    kpts19 = np.concatenate([kpts, [(kpts[11] + kpts[12]) / 2, (kpts[5] + kpts[6]) / 2]])
    vis19 = np.concatenate([vis, [min(vis[11], vis[12]), min(vis[5], vis[6])]])
    return kpts19, vis19


def assert_consistent(out, kpts19, vis19, tol=0.5):
    """Each valid joint of each view maps back through the inverse of its affine onto the
    original pixel of the joint it depicts (the mirror partner when the view is flipped)."""
    checked = 0
    for v in range(2):
        a = np.vstack([out['view_affine'][v].astype(np.float64), [0, 0, 1]])
        inv = np.linalg.inv(a)[:2]
        for j in range(19):
            if out['view_keypoints_visible'][v, j] == 0:
                continue
            src = COCO19_FLIP[j] if out['view_flip'][v] else j
            assert vis19[src] > 0
            back = inv @ np.append(out['view_keypoints'][v, j], 1.)
            assert np.abs(back - kpts19[src]).max() < tol, (v, j, back, kpts19[src])
            checked += 1
    return checked


def _random_person(rng, h=200, w=160):
    kpts = np.stack([rng.uniform(40, 120, 17), rng.uniform(30, 170, 17)], -1)
    vis = (rng.rand(17) > 0.2).astype(np.float32)
    return kpts, vis


def test_keypoint_consistency_synthetic():
    np.random.seed(0)
    rng = np.random.RandomState(0)
    pipe = [AddMidpointJoints(), TwoViewPose(view_pipeline())]
    flips, checked = set(), 0
    for _ in range(40):
        kpts, vis = _random_person(rng)
        img = rng.randint(0, 255, (200, 160, 3)).astype(np.uint8)
        out = person(img, [35, 25, 125, 175], kpts, vis)
        for t in pipe:
            out = t(out)
        assert out is not None
        assert [i.shape for i in out['img']] == [(128, 96, 3)] * 2
        checked += assert_consistent(out, *with_mid_joints(kpts, vis))
        flips.add(tuple(out['view_flip']))
    assert flips == {(False, False), (False, True), (True, False), (True, True)}
    assert checked > 40 * 2 * 8


def test_image_content_follows_keypoints():
    """A blob drawn at the left wrist appears, in each crop, at the keypoint labelled left wrist
    (right wrist when the view is flipped)."""
    np.random.seed(1)
    rng = np.random.RandomState(1)
    yy, xx = np.mgrid[0:200, 0:160]
    checked = 0
    for trial in range(12):
        kpts, _ = _random_person(rng)
        kpts[9] = rng.uniform(70, 90), rng.uniform(85, 115)
        vis = np.ones(17, np.float32)
        blob = 200 * np.exp(-((xx - kpts[9, 0])**2 + (yy - kpts[9, 1])**2) / (2 * 4.**2))
        img = np.repeat(blob[..., None], 3, -1).astype(np.uint8)
        out = TwoViewPose(view_pipeline(input_size=(96, 128)))(
            AddMidpointJoints()(person(img, [35, 25, 125, 175], kpts, vis)))
        for v in range(2):
            crop = out['img'][v].astype(np.float64).sum(-1)
            j = 10 if out['view_flip'][v] else 9
            cx, cy = out['view_keypoints'][v, j]
            if not (12 < cx < 84 and 12 < cy < 116):
                continue
            cyy, cxx = np.mgrid[0:128, 0:96]
            centroid = np.array([(crop * cxx).sum(), (crop * cyy).sum()]) / crop.sum()
            assert np.abs(centroid - [cx, cy]).max() < 0.5, (trial, v, centroid, (cx, cy))
            checked += 1
    assert checked >= 16


def test_add_midpoint_joints():
    kpts = np.arange(34, dtype=np.float32).reshape(17, 2)
    vis = np.ones(17, np.float32)
    vis[12] = 0
    out = AddMidpointJoints()(person(np.zeros((8, 8, 3), np.uint8), [0, 0, 4, 4], kpts, vis))
    ref_k, ref_v = with_mid_joints(kpts, vis)
    np.testing.assert_allclose(out['keypoints'][0], ref_k)
    np.testing.assert_array_equal(out['keypoints_visible'][0], ref_v)
    assert ref_v[17] == 0 and ref_v[18] == 1  # pelvis needs both hips
    assert out['flip_indices'] == COCO19_FLIP and out['num_source_keypoints'] == 17
    with pytest.raises(ValueError, match=r'mirror \(2, 3\) of pair \(1, 4\) is not a pair'):
        AddMidpointJoints(pairs=[('left_eye', 'right_ear')])(
            person(np.zeros((8, 8, 3), np.uint8), [0, 0, 4, 4], kpts, vis))
    with pytest.raises(ValueError, match=r"unknown: \['pelvis'\]"):
        AddMidpointJoints(pairs=[('left_hip_extra', 'pelvis')])
    with pytest.raises(ValueError, match=r'pair \(11, 12\) out of range for 5 keypoints '
                       r'\(synthetic.jpg, sample 0'):
        AddMidpointJoints(pairs=[('left_hip_extra', 'right_hip_extra')])(
            person(np.zeros((8, 8, 3), np.uint8), [0, 0, 4, 4], kpts[:5], vis[:5]))


def test_clipped_bbox_transform_distribution():
    np.random.seed(2)
    n = 40000
    out = ClippedBBoxTransform()(dict(bbox_scale=np.ones((n, 2), np.float32)))
    s = out['bbox_scale'][:, 0].astype(np.float64)
    assert s.min() >= 0.7 - 1e-6 and s.max() <= 1.3 + 1e-6
    at_bounds = np.isclose(s, 0.7) | np.isclose(s, 1.3)
    assert abs(at_bounds.mean() - 0.3173) < 0.015  # P(|N| > 1)
    r = out['bbox_rotation'].astype(np.float64)
    assert abs((r == 0).mean() - 0.4) < 0.015
    rotated = r[r != 0]
    assert np.abs(rotated).max() == pytest.approx(80.)
    assert abs(np.isclose(np.abs(rotated), 80.).mean() - 0.0455) < 0.01  # P(|N| > 2)
    inner = rotated[np.abs(rotated) < 40]  # |N| < 1: unclipped normal * 40
    assert abs(len(inner) / len(rotated) - 0.6827) < 0.015


def test_random_channel_scale():
    np.random.seed(3)
    img = np.random.RandomState(0).randint(0, 255, (10, 12, 3)).astype(np.uint8)
    out = RandomChannelScale(0.8, 1.2)(dict(img=img.copy()))
    f = out['channel_scale']
    assert f.shape == (3, ) and (f >= 0.8).all() and (f <= 1.2).all() and len(set(f)) == 3
    expected = np.rint(np.clip(img.astype(np.float32) * f, 0, 255)).astype(np.uint8)
    np.testing.assert_array_equal(out['img'], expected)


class _MoveBoxAway:
    """Test transform: for its first ``n`` calls it moves the crop far from the person."""

    def __init__(self, n):
        self.n, self.calls = n, 0

    def __call__(self, results):
        self.calls += 1
        if self.calls <= self.n:
            results['bbox_center'] = results['bbox_center'] + 1000.
        return results


def test_skip_counter_and_joints_outside_the_crop():
    np.random.seed(4)
    rng = np.random.RandomState(4)
    kpts, _ = _random_person(rng)
    img = np.zeros((200, 160, 3), np.uint8)
    # too few visible joints: the derived mid joints do not count
    vis = np.zeros(17, np.float32)
    vis[[5, 6, 11, 12]] = 1
    t = TwoViewPose(view_pipeline(), min_valid_joints=5)
    assert t(AddMidpointJoints()(person(img, [35, 25, 125, 175], kpts, vis))) is None
    assert t.counts == dict(few_joints=1)
    # a view whose crop misses the person keeps its joints, visible, outside the crop: which of
    # them reach the feature map is the model's decision (as in the authors' code)
    t = TwoViewPose([_MoveBoxAway(1)] + view_pipeline())
    out = t(AddMidpointJoints()(person(img, [35, 25, 125, 175], kpts, np.ones(17))))
    assert out is not None and t.counts == dict(few_joints=0)
    np.testing.assert_array_equal(out['view_keypoints_visible'], 1.)
    w, h = out['input_size']
    inside = ((out['view_keypoints'] >= -0.5) & (out['view_keypoints'] < [w - 0.5, h - 0.5]))
    assert not inside.all(-1)[0].any() and inside.all(-1)[1].any()
    assert_consistent(out, *with_mid_joints(kpts, np.ones(17)))


def _write_coco(root, size=(200, 160), few_joints_person=None):
    import cv2
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    rng = np.random.RandomState(5)
    images, anns = [], []
    for i in range(3):
        cv2.imwrite(osp.join(root, 'images', f'{i}.jpg'),
                    rng.randint(0, 255, size + (3, )).astype(np.uint8))
        images.append(dict(id=i + 1, file_name=f'{i}.jpg', height=size[0], width=size[1]))
        kpts, vis = _random_person(rng)
        if i == few_joints_person:
            vis[:] = 0
            vis[[0, 1]] = 1
        k = np.concatenate([kpts, 2 * vis[:, None]], 1)
        anns.append(dict(id=i + 1, image_id=i + 1, category_id=1, iscrowd=0, area=1e4,
                         bbox=[35., 25., 90., 150.], num_keypoints=int(vis.sum()),
                         keypoints=k.flatten().tolist()))
    with open(osp.join(root, 'ann.json'), 'w') as f:
        json.dump(dict(images=images, annotations=anns,
                       categories=[dict(id=1, name='person')]), f)
    return root, 'ann.json', 'images/'


def _coco_source(which, tmp_path):
    if which == 'written':
        return _write_coco(str(tmp_path))
    if not osp.isfile(osp.join(FIXTURES, 'test_coco.json')):
        pytest.skip(f'real COCO fixtures absent ({FIXTURES})')
    return FIXTURES, 'test_coco.json', ''


@pytest.mark.parametrize('which', ['written', 'fixtures'])
def test_consistency_through_mmpose_coco_dataset(which, tmp_path):
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import DATASETS
    data_root, ann_file, img_prefix = _coco_source(which, tmp_path)
    np.random.seed(6)
    pipeline = [
        dict(type='mmpose.LoadImage'),
        dict(type='mmpose.GetBBoxCenterScale', padding=1.25),
        dict(type='AddMidpointJoints'),
        dict(type='TwoViewPose', transforms=view_pipeline(input_size=(192, 256))),
        dict(type='PackInputs', algorithm_keys=['view_keypoints', 'view_keypoints_visible'],
             meta_keys=['img_path', 'sample_idx', 'view_affine', 'view_flip']),
    ]
    with DefaultScope.overwrite_default_scope('mmpretrain'):  # the config's scope
        dataset = DATASETS.build(dict(type='mmpose.CocoDataset', data_root=data_root,
                                      ann_file=ann_file, data_prefix=dict(img=img_prefix),
                                      data_mode='topdown', pipeline=pipeline))
    assert len(dataset) > 0
    checked = 0
    for _ in range(2):
        for idx in range(len(dataset)):
            packed = dataset[idx]
            assert [tuple(x.shape) for x in packed['inputs']] == [(3, 256, 192)] * 2
            ds = packed['data_samples']
            info = dataset.get_data_info(ds.sample_idx)
            kpts19, vis19 = with_mid_joints(info['keypoints'][0], info['keypoints_visible'][0])
            out = dict(view_affine=ds.view_affine, view_flip=ds.view_flip,
                       view_keypoints=ds.view_keypoints,
                       view_keypoints_visible=ds.view_keypoints_visible)
            checked += assert_consistent(out, kpts19, vis19)
    assert checked > 0


def test_skipped_person_is_replaced_by_the_dataset(tmp_path):
    """A skipped person (None) makes mmengine's dataset fetch another one; the skip is counted."""
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import DATASETS
    data_root, ann_file, img_prefix = _write_coco(str(tmp_path), few_joints_person=1)
    np.random.seed(7)
    pipeline = [
        dict(type='mmpose.LoadImage'),
        dict(type='mmpose.GetBBoxCenterScale', padding=1.25),
        dict(type='AddMidpointJoints'),
        dict(type='TwoViewPose', transforms=view_pipeline(), min_valid_joints=3),
        dict(type='PackInputs', meta_keys=['sample_idx']),
    ]
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(dict(type='mmpose.CocoDataset', data_root=data_root,
                                      ann_file=ann_file, data_prefix=dict(img=img_prefix),
                                      data_mode='topdown', pipeline=pipeline))
    assert len(dataset) == 3
    two_view = dataset.pipeline.transforms[3]
    assert dataset[0]['data_samples'].sample_idx == 0
    assert dataset[1]['data_samples'].sample_idx in (0, 2)
    assert two_view.counts['few_joints'] >= 1
