import os
import os.path as osp
import pickle

import numpy as np
import pytest

from mmhpse.conventions import KEYPOINTS
from mmhpse.datasets.human_data import AnnotationError, HumanAnnotations

HD = KEYPOINTS['human_data']
N = 6


def coco_mask():
    mask = np.zeros(len(HD), np.uint8)
    mask[[HD.index(n) for n in KEYPOINTS['coco_17']]] = 1
    return mask


def humandata_dict(num=N, seed=0, compressed=True):
    """A HumanData dict as mmhuman3d's ``HumanData.dump`` lays it out."""
    rng = np.random.default_rng(seed)
    mask2d = coco_mask()
    mask3d = np.zeros(len(HD), np.uint8)
    mask3d[[HD.index(n) for n in KEYPOINTS['h36m_17']]] = 1
    k2, k3 = (int(mask2d.sum()), int(mask3d.sum())) if compressed else (len(HD), len(HD))
    kp2d = rng.uniform(1, 100, (num, k2, 3)).astype(np.float32)
    kp3d = rng.uniform(-1, 1, (num, k3, 4))
    if not compressed:
        kp2d[:, mask2d == 0] = 0
        kp3d[:, mask3d == 0] = 0
    bbox = np.concatenate([rng.uniform(0, 50, (num, 2)), rng.uniform(10, 60, (num, 2)),
                           np.ones((num, 1))], 1)
    return dict(
        image_path=[f'images/img_{i:04d}.jpg' for i in range(num)],
        bbox_xywh=bbox,
        keypoints2d=kp2d, keypoints2d_mask=mask2d, keypoints2d_convention='human_data',
        keypoints3d=kp3d, keypoints3d_mask=mask3d, keypoints3d_convention='human_data',
        smpl=dict(global_orient=rng.normal(size=(num, 3)),
                  body_pose=rng.normal(size=(num, 23, 3)),
                  betas=rng.normal(size=(num, 10))),
        meta=dict(gender=np.resize(np.array(['m', 'f', 'female', 'male', 'neutral', 'f']), num)),
        config='h36m',
        __keypoints_compressed__=compressed, __data_len__=num, __key_strict__=False)


def spin_dict(num=N, seed=1, with_3d=True):
    """A SPIN ``.npz`` dict (datasets/preprocess/*.py of SPIN)."""
    rng = np.random.default_rng(seed)
    d = dict(imgname=np.array([f'images/s{i}.jpg' for i in range(num)]),
             center=rng.uniform(100, 200, (num, 2)), scale=rng.uniform(0.5, 1.5, num),
             part=rng.uniform(0, 300, (num, 24, 3)), openpose=rng.uniform(0, 300, (num, 25, 3)))
    if with_3d:
        d.update(S=rng.normal(size=(num, 24, 4)), pose=rng.normal(size=(num, 72)),
                 shape=rng.normal(size=(num, 10)), has_smpl=np.array([1, 0] * num)[:num],
                 gender=np.array(['m', 'f'] * num)[:num])
    return d


def write(tmp_path, d, name='ann.npz', compressed=True):
    path = str(tmp_path / name)
    (np.savez_compressed if compressed else np.savez)(path, **d)
    return path


def ref_keypoints(arr_row, mask, names_dst, compressed):
    """Brute-force reference: joint j of dst from the human_data row by name."""
    out = np.zeros((len(names_dst), arr_row.shape[-1]), np.float32)
    valid = list(np.flatnonzero(mask))
    for j, n in enumerate(names_dst):
        if n in HD and mask[HD.index(n)]:
            col = valid.index(HD.index(n)) if compressed else HD.index(n)
            out[j] = arr_row[col]
    return out


@pytest.mark.parametrize('compressed_file', [True, False])
@pytest.mark.parametrize('compressed_kps', [True, False])
def test_humandata_samples_match_reference(tmp_path, compressed_file, compressed_kps):
    d = humandata_dict(compressed=compressed_kps)
    ann = HumanAnnotations(write(tmp_path, d, compressed=compressed_file))
    assert ann.fmt == 'humandata' and ann.num_raw == N
    np.testing.assert_array_equal(ann.rows, np.arange(N))
    genders = ['male', 'female', 'female', 'male', 'neutral', 'female']
    for conv in ('smpl_49', 'coco_17', 'h36m_17'):
        for i in range(N):
            s = ann.sample(i, conv)
            assert s['img_name'] == f'images/img_{i:04d}.jpg'
            np.testing.assert_allclose(s['bbox_xywh'], d['bbox_xywh'][i, :4], rtol=1e-6)
            np.testing.assert_allclose(
                s['keypoints2d'], ref_keypoints(d['keypoints2d'][i], d['keypoints2d_mask'],
                                                KEYPOINTS[conv], compressed_kps), rtol=1e-6)
            np.testing.assert_allclose(
                s['keypoints3d'], ref_keypoints(d['keypoints3d'][i], d['keypoints3d_mask'],
                                                KEYPOINTS[conv], compressed_kps), rtol=1e-6)
            np.testing.assert_allclose(s['smpl_body_pose'], d['smpl']['body_pose'][i], rtol=1e-6)
            np.testing.assert_allclose(s['smpl_global_orient'], d['smpl']['global_orient'][i],
                                       rtol=1e-6)
            np.testing.assert_allclose(s['smpl_betas'], d['smpl']['betas'][i], rtol=1e-6)
            assert s['has_smpl'] is True and s['gender'] == genders[i]
            assert s['keypoints2d'].dtype == np.float32
    # COCO 2D joints all land in smpl_49, H36M 3D joints too
    s = ann.sample(0, 'smpl_49')
    assert (s['keypoints2d'][:, 2] > 0).sum() == 17 and (s['keypoints3d'][:, 3] != 0).sum() == 17


def test_stored_members_are_memory_mapped_from_the_npz(tmp_path):
    path = write(tmp_path, humandata_dict(), compressed=False)
    ann = HumanAnnotations(path)
    assert isinstance(ann.kp2d[0].array, np.memmap)
    assert ann.kp2d[0].array.filename == osp.abspath(path)
    assert isinstance(ann.bbox, np.memmap) and ann.bbox.filename == osp.abspath(path)
    # pickled dicts are extracted to the cache and memory-mapped from there
    assert isinstance(ann.smpl['body_pose'], np.memmap)
    assert ann.smpl['body_pose'].filename.startswith(path + '.cache')
    cache_files = os.listdir(ann.store.cache_path)
    assert 'smpl.body_pose.npy' in cache_files and 'keypoints2d.npy' not in cache_files


def test_compressed_members_are_extracted_once(tmp_path):
    path = write(tmp_path, humandata_dict())
    ann = HumanAnnotations(path)
    assert isinstance(ann.kp2d[0].array, np.memmap)
    assert ann.kp2d[0].array.filename.startswith(path + '.cache')
    cached = osp.join(ann.store.cache_path, 'keypoints2d.npy')
    stamp = os.stat(cached).st_mtime_ns
    ann2 = HumanAnnotations(path)
    assert os.stat(cached).st_mtime_ns == stamp  # reused, not rebuilt
    np.testing.assert_array_equal(ann2.sample(3, 'smpl_49')['keypoints2d'],
                                  ann.sample(3, 'smpl_49')['keypoints2d'])


def test_cache_is_rebuilt_when_the_file_changes(tmp_path):
    path = write(tmp_path, humandata_dict(seed=0))
    a = HumanAnnotations(path).sample(2, 'smpl_49')['smpl_betas']
    d = humandata_dict(seed=5)
    np.savez_compressed(path, **d)
    os.utime(path, ns=(1, 1))  # a different mtime even on coarse clocks
    b = HumanAnnotations(path).sample(2, 'smpl_49')['smpl_betas']
    np.testing.assert_allclose(b, d['smpl']['betas'][2], rtol=1e-6)
    assert not np.allclose(a, b)
    assert len([f for f in os.listdir(path + '.cache') if not f.startswith('.')]) == 1


def test_configurable_cache_dir(tmp_path):
    path = write(tmp_path, humandata_dict())
    ann = HumanAnnotations(path, cache_dir=str(tmp_path / 'cache'))
    assert ann.store.cache_path.startswith(str(tmp_path / 'cache'))
    assert not osp.exists(path + '.cache')


def test_pickle_reopens(tmp_path):
    ann = HumanAnnotations(write(tmp_path, humandata_dict()))
    clone = pickle.loads(pickle.dumps(ann))
    assert len(pickle.dumps(ann)) < 2000  # no array data in the pickle
    np.testing.assert_array_equal(clone.sample(4, 'smpl_49')['keypoints3d'],
                                  ann.sample(4, 'smpl_49')['keypoints3d'])


def test_humandata_alias_convention_and_uncompressed_coco(tmp_path):
    rng = np.random.default_rng(0)
    kp = rng.uniform(1, 9, (N, 17, 3))
    d = dict(image_path=np.array([f'{i}.jpg' for i in range(N)]),
             bbox_xywh=np.tile([0., 0., 10., 10.], (N, 1)), keypoints2d=kp,
             keypoints2d_convention='coco')
    ann = HumanAnnotations(write(tmp_path, d))
    s = ann.sample(1, 'smpl_49')
    for j, n in enumerate(KEYPOINTS['coco_17']):
        np.testing.assert_allclose(s['keypoints2d'][KEYPOINTS['smpl_49'].index(n)], kp[1, j])
    assert not s['has_keypoints3d'] and s['has_keypoints2d'] and not s['has_smpl']
    assert s['gender'] == 'neutral'


def test_spin_samples(tmp_path):
    d = spin_dict()
    ann = HumanAnnotations(write(tmp_path, d, compressed=False))
    assert ann.fmt == 'spin'
    for i in range(N):
        s = ann.sample(i, 'smpl_49')
        side = d['scale'][i] * 200
        np.testing.assert_allclose(s['bbox_xywh'], [d['center'][i, 0] - side / 2,
                                                    d['center'][i, 1] - side / 2, side, side],
                                   rtol=1e-5)
        # SPIN's 49 = openpose 25 + part 24, exactly its own concatenation
        np.testing.assert_allclose(s['keypoints2d'],
                                   np.concatenate([d['openpose'][i], d['part'][i]]), rtol=1e-6)
        np.testing.assert_allclose(s['keypoints3d'][25:], d['S'][i], rtol=1e-6)
        assert not s['keypoints3d'][:25].any()
        np.testing.assert_allclose(s['smpl_global_orient'], d['pose'][i, :3], rtol=1e-6)
        np.testing.assert_allclose(s['smpl_body_pose'], d['pose'][i, 3:].reshape(23, 3),
                                   rtol=1e-6)
        np.testing.assert_allclose(s['smpl_betas'], d['shape'][i], rtol=1e-6)
        assert s['has_smpl'] == bool(i % 2 == 0)
        assert s['gender'] == ('male' if i % 2 == 0 else 'female')
    s = ann.sample(0, 'lsp_14')
    np.testing.assert_allclose(s['keypoints2d'], d['part'][0, :14], rtol=1e-6)


def test_spin_without_3d_or_smpl(tmp_path):
    d = spin_dict(with_3d=False)
    del d['openpose']
    s = HumanAnnotations(write(tmp_path, d)).sample(0, 'smpl_49')
    assert not s['has_smpl'] and not s['has_keypoints3d'] and s['gender'] == 'neutral'
    assert not s['keypoints2d'][:25].any()


def expect_error(tmp_path, d, message, **kwargs):
    path = write(tmp_path, d)
    with pytest.raises(AnnotationError) as e:
        HumanAnnotations(path, **kwargs)
    assert str(e.value) == f'{path}: {message}'


def test_missing_keys(tmp_path):
    d = humandata_dict()
    del d['bbox_xywh']
    expect_error(tmp_path, d, "missing key 'bbox_xywh'")
    d = humandata_dict()
    del d['smpl']['betas']
    expect_error(tmp_path, d, "missing key 'smpl.betas'")
    d = spin_dict()
    del d['center']
    expect_error(tmp_path, d, "missing key 'center'")
    d = spin_dict()
    del d['shape']
    expect_error(tmp_path, d, "missing key 'shape'")
    path = write(tmp_path, dict(foo=np.zeros(3)))
    with pytest.raises(AnnotationError, match=r"missing key 'image_path' \(HumanData\) or "
                       r"'imgname' \(SPIN\); keys: \['foo'\]"):
        HumanAnnotations(path)


def test_wrong_shapes(tmp_path):
    d = humandata_dict()
    d['bbox_xywh'] = d['bbox_xywh'][:, :3]
    expect_error(tmp_path, d, "key 'bbox_xywh' has shape (6, 3), expected (6, 4) or (6, 5)")
    d = humandata_dict()
    d['smpl']['body_pose'] = d['smpl']['body_pose'][:5]
    expect_error(tmp_path, d, "key 'smpl.body_pose' has shape (5, 23, 3), expected (6, 23, 3) "
                 'or (6, 69)')
    d = humandata_dict()
    d['keypoints2d'] = d['keypoints2d'][:, :16]
    expect_error(tmp_path, d, "key 'keypoints2d' has shape (6, 16, 3), expected (6, 17, 3) "
                 "(convention 'human_data', compressed=True)")
    d = humandata_dict()
    d['keypoints3d_mask'] = d['keypoints3d_mask'][:100]
    expect_error(tmp_path, d, "key 'keypoints3d_mask' has shape (100,), expected (190,) for "
                 "convention 'human_data'")
    d = spin_dict()
    d['part'] = d['part'][:, :14]
    expect_error(tmp_path, d, "key 'part' has shape (6, 14, 3), expected (6, 24, 3)")


def test_unknown_convention_in_file(tmp_path):
    d = humandata_dict()
    d['keypoints2d_convention'] = 'smplx'
    path = write(tmp_path, d)
    with pytest.raises(AnnotationError) as e:
        HumanAnnotations(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}: key 'keypoints2d_convention' Unknown keypoint convention "
                          "'smplx'; known conventions: ")
    assert "'smpl_49'" in msg


BAD_CASES = [
    # (format, mutate, key, problem, index)
    ('humandata', lambda d: d['keypoints3d'].__setitem__((3, 2, 1), np.nan), 'keypoints3d',
     'a non-finite value', 3),
    ('humandata', lambda d: d['bbox_xywh'].__setitem__((2, 3), 0.), 'bbox_xywh',
     'a zero-area box (w <= 0 or h <= 0)', 2),
    ('humandata', lambda d: d['smpl']['body_pose'].__setitem__((4, 7, 0), np.inf),
     'smpl.body_pose', 'a non-finite value', 4),
    ('humandata', lambda d: d['meta'].__setitem__('gender', np.array(['m', 'x', 'f', 'male', 'F',
                                                                      'Neutral'])),
     'meta.gender', "an unknown gender (known: ['f', 'female', 'm', 'male', 'n', 'neutral'])", 1),
    ('spin', lambda d: d['scale'].__setitem__(1, 0.), 'scale', 'a zero-area box (scale <= 0)', 1),
    ('spin', lambda d: d['S'].__setitem__((5, 0, 0), np.nan), 'S', 'a non-finite value', 5),
    ('spin', lambda d: d['shape'].__setitem__((0, 9), -np.inf), 'shape', 'a non-finite value', 0),
]


@pytest.mark.parametrize('fmt,mutate,key,problem,index', BAD_CASES)
def test_bad_samples_name_file_key_and_first_index(tmp_path, fmt, mutate, key, problem, index):
    d = humandata_dict() if fmt == 'humandata' else spin_dict()
    mutate(d)
    expect_error(tmp_path, d, f"key '{key}' has {problem} at sample index {index} (1 bad "
                 'samples for this key; drop_invalid=True drops them)')
    # the cached scan gives the same error on the next open
    expect_error(tmp_path, d, f"key '{key}' has {problem} at sample index {index} (1 bad "
                 'samples for this key; drop_invalid=True drops them)')


def test_first_bad_index_and_count(tmp_path):
    d = humandata_dict()
    d['keypoints2d'][[4, 1, 5], 0, 0] = np.nan
    expect_error(tmp_path, d, "key 'keypoints2d' has a non-finite value at sample index 1 (3 bad "
                 'samples for this key; drop_invalid=True drops them)')


def test_drop_invalid_counts_and_logs(tmp_path, mmengine_log):
    d = humandata_dict()
    d['keypoints2d'][[1, 4], 0, 0] = np.nan
    d['bbox_xywh'][4, 2] = -1.
    d['bbox_xywh'][0, 3] = 0.
    ann = HumanAnnotations(write(tmp_path, d), drop_invalid=True)
    np.testing.assert_array_equal(ann.rows, [2, 3, 5])
    log = '\n'.join(mmengine_log)
    assert "dropped 2 samples with a non-finite value in key 'keypoints2d' (first: index 1)" in log
    assert "dropped 2 samples with a zero-area box (w <= 0 or h <= 0) in key 'bbox_xywh' " \
        '(first: index 0)' in log
    assert 'kept 3 of 6 samples' in log


@pytest.mark.parametrize('fmt', ['humandata', 'spin'])
def test_sample_arrays_are_writable_copies(tmp_path, fmt):
    d = humandata_dict() if fmt == 'humandata' else spin_dict()

    def to32(v):
        if isinstance(v, dict):
            return {k: to32(x) for k, x in v.items()}
        if isinstance(v, np.ndarray) and v.dtype == np.float64:
            return v.astype(np.float32)
        return v

    ann = HumanAnnotations(write(tmp_path, to32(d), compressed=False))
    s = ann.sample(2, 'smpl_49')
    arrays = {k: v for k, v in s.items() if isinstance(v, np.ndarray)}
    assert len(arrays) == 6
    for key, v in arrays.items():
        assert v.flags.writeable, key
        v += 1.  # transforms work in place; the annotations must not change
    again = ann.sample(2, 'smpl_49')
    for key, v in arrays.items():
        np.testing.assert_allclose(again[key] + 1., v, err_msg=key)
