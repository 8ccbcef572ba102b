"""Bad annotation files: each is built here and must end in a clear error naming the file (and
the member / key), never in executed code, a silent garbage read or an obscure crash."""
import os
import os.path as osp
import zipfile
import zlib

import numpy as np
import pytest

from mmhpse.datasets import HumanImageDataset
from mmhpse.datasets.human_data import AnnotationError, HumanAnnotations
from mmhpse.datasets.label_fraction import save_indices
from mmhpse.datasets.mixed_dataset import MixedDataset
from mmhpse.utils.safe_pickle import UnsafePickleError

N = 8


def humandata(num=N, seed=0, **extra):
    """A small HumanData dict (SMPL, 17 3D joints in metres around a person 4 m away)."""
    rng = np.random.default_rng(seed)
    kp3d = np.concatenate([rng.normal(0, 0.3, (num, 17, 3)) + [0.2, -0.1, 4.],
                           np.ones((num, 17, 1))], -1)
    d = dict(image_path=np.array([f'img_{i}.jpg' for i in range(num)]),
             bbox_xywh=np.tile([10., 20., 40., 80., 1.], (num, 1)),
             keypoints2d=rng.uniform(1, 60, (num, 17, 3)), keypoints2d_convention='coco',
             keypoints3d=kp3d, keypoints3d_convention='h36m',
             smpl=dict(global_orient=rng.normal(size=(num, 3)),
                       body_pose=rng.normal(size=(num, 23, 3)), betas=rng.normal(size=(num, 10))),
             meta=dict(gender=np.array(['m', 'f'] * (num // 2))))
    d.update(extra)
    return d


def spin(num=N, seed=1):
    rng = np.random.default_rng(seed)
    return dict(imgname=np.array([f's{i}.jpg' for i in range(num)]),
                center=rng.uniform(100, 200, (num, 2)), scale=rng.uniform(0.5, 1.5, num),
                part=rng.uniform(0, 300, (num, 24, 3)),
                S=np.concatenate([rng.normal(0, 0.3, (num, 24, 3)), np.ones((num, 24, 1))], -1))


def save(tmp_path, d, compressed, name='ann.npz'):
    path = str(tmp_path / name)
    (np.savez_compressed if compressed else np.savez)(path, **d)
    return path


class Payload:
    """Any class outside the allow-list (an unrestricted unpickler would import and build it)."""

    def __init__(self, value=1):
        self.value = value


class Runs:
    """Unpickling this calls ``os.mkdir(marker)``: the trace of executed code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (self.marker, )


# ------------------------------------------------------------------ pickled object members
@pytest.mark.parametrize('compressed', [True, False])
def test_code_in_meta_is_refused_at_open_and_never_runs(tmp_path, compressed):
    marker = str(tmp_path / 'code_ran')
    d = humandata(meta=dict(gender=np.array(['m'] * N), note=Runs(marker)))
    path = save(tmp_path, d, compressed)
    with pytest.raises(UnsafePickleError) as err:
        HumanAnnotations(path)
    msg = str(err.value)
    assert msg.startswith(f"{osp.abspath(path)}: member 'meta': refused to unpickle "
                          f'`{os.mkdir.__module__}.mkdir`')
    assert not osp.exists(marker)
    # the dataset refuses it at build time as well
    with pytest.raises(UnsafePickleError, match="member 'meta'"):
        HumanImageDataset(ann_file=path)
    assert not osp.exists(marker)


@pytest.mark.parametrize('compressed', [True, False])
def test_object_of_a_foreign_class_in_smpl_is_refused(tmp_path, compressed):
    d = humandata()
    d['smpl']['betas'] = Payload()
    path = save(tmp_path, d, compressed)
    with pytest.raises(UnsafePickleError) as err:
        HumanAnnotations(path)
    assert str(err.value).startswith(
        f"{osp.abspath(path)}: member 'smpl': refused to unpickle "
        f'`{Payload.__module__}.Payload`')


def test_plain_object_members_still_load(tmp_path):
    d = humandata()
    ann = HumanAnnotations(save(tmp_path, d, compressed=True))
    np.testing.assert_allclose(ann.sample(3, 'smpl_49')['smpl_betas'], d['smpl']['betas'][3],
                               rtol=1e-6)
    assert ann.sample(3, 'smpl_49')['gender'] == 'female'


# ------------------------------------------------------------------ damaged zip files
def _member_data_span(path, member):
    """(start, end) byte offsets of ``member``'s stored data inside the zip file."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(f'{member}.npy')
    with open(path, 'rb') as f:
        f.seek(info.header_offset + 26)
        name_len, extra_len = (int.from_bytes(f.read(2), 'little') for _ in range(2))
    start = info.header_offset + 30 + name_len + extra_len
    return start, start + info.compress_size


def _flip_byte(path, offset):
    with open(path, 'r+b') as f:
        f.seek(offset)
        byte = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([byte ^ 0x5A]))
    os.utime(path, ns=(10**9, 10**9))  # a new mtime on coarse clocks too


@pytest.mark.parametrize('member,fmt', [('keypoints3d', 'humandata'), ('bbox_xywh', 'humandata'),
                                        ('image_path', 'humandata'), ('S', 'spin'),
                                        ('center', 'spin')])
def test_corrupt_stored_member_fails_the_crc_check(tmp_path, member, fmt):
    d = humandata() if fmt == 'humandata' else spin()
    path = save(tmp_path, d, compressed=False)
    HumanAnnotations(path)  # fine before; its cache exists now
    start, end = _member_data_span(path, member)
    _flip_byte(path, end - 5)  # in the array data, after the .npy header
    # the bytes differ but are still finite numbers / characters: only the CRC can tell
    with pytest.raises(AnnotationError) as err:
        HumanAnnotations(path)
    assert str(err.value) == (
        f"{osp.abspath(path)}: member '{member}' is corrupt: its bytes do not match the CRC-32 "
        f"stored in the zip (Bad CRC-32 for file '{member}.npy')")


def test_crc_is_checked_once_per_file_version(tmp_path, monkeypatch):
    from mmhpse.datasets import lazy_npz
    path = save(tmp_path, humandata(), compressed=False)
    checked = []
    original = lazy_npz.LazyNpz._check_crc
    monkeypatch.setattr(lazy_npz.LazyNpz, '_check_crc',
                        lambda self, zf, name: checked.append(name) or original(self, zf, name))
    HumanAnnotations(path)
    # every stored member, 0-d ones included; the pickled smpl / meta are checked as extracted
    assert sorted(checked) == ['bbox_xywh', 'image_path', 'keypoints2d',
                               'keypoints2d_convention', 'keypoints3d', 'keypoints3d_convention']
    HumanAnnotations(path)
    assert len(checked) == 6  # the cache of this file version is reused


@pytest.mark.parametrize('where,cause,detail', [
    ('start', zlib.error, 'Error -3 while decompressing data: invalid block type'),
    ('middle', zipfile.BadZipFile, "Bad CRC-32 for file 'keypoints2d.npy'")])
@pytest.mark.parametrize('member', ['keypoints2d', 'smpl'])
def test_corrupt_compressed_member_names_file_and_member(tmp_path, where, cause, detail, member):
    path = save(tmp_path, humandata(num=64), compressed=True)
    start, end = _member_data_span(path, member)
    _flip_byte(path, start if where == 'start' else (start + end) // 2)
    with pytest.raises(AnnotationError) as err:
        HumanAnnotations(path)
    root = err.value
    while root.__cause__ is not None:
        root = root.__cause__
    assert isinstance(root, cause)
    detail = detail.replace('keypoints2d', member)
    assert str(err.value) == f"{osp.abspath(path)}: member '{member}' is corrupt ({detail})"


@pytest.mark.parametrize('keep', [0.4, 0.95])
def test_truncated_npz_names_the_file(tmp_path, keep):
    path = save(tmp_path, humandata(), compressed=True)
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:int(len(data) * keep)])
    with pytest.raises(AnnotationError) as err:
        HumanImageDataset(ann_file=path)
    assert str(err.value) == (f'{osp.abspath(path)}: cannot be read as an .npz (zip) file: File '
                              'is not a zip file (truncated, or not an .npz file?)')


# ------------------------------------------------------------------ no samples
def test_npz_with_zero_samples_fails_at_build(tmp_path):
    for name, d in (('h.npz', humandata(num=0)), ('s.npz', spin(num=0))):
        path = save(tmp_path, d, compressed=False, name=name)
        with pytest.raises(AnnotationError) as err:
            HumanImageDataset(ann_file=path)
        assert str(err.value) == f'{path}: no sample to use: the file holds no samples'
        # inside a mix the sub-dataset names its own file
        with pytest.raises(AnnotationError, match='the file holds no samples'):
            MixedDataset([dict(type='HumanImageDataset', ann_file=path)], partition=[1])


def test_zero_samples_after_filtering_fails_at_build(tmp_path):
    d = humandata(num=4)
    d['bbox_xywh'][:, 2] = 0.  # every box has zero area
    path = save(tmp_path, d, compressed=False)
    with pytest.raises(AnnotationError) as err:
        HumanImageDataset(ann_file=path, drop_invalid=True)
    assert str(err.value) == (f'{path}: no sample to use: all 4 samples were dropped as invalid '
                              '(drop_invalid=True)')

    d = humandata(num=4)
    d['keypoints2d'][[1, 2], 0, 0] = np.nan
    path = save(tmp_path, d, compressed=False, name='b.npz')
    index_file = str(tmp_path / 'frac.npy')
    save_indices(index_file, np.array([1, 2]))
    with pytest.raises(AnnotationError) as err:
        HumanImageDataset(ann_file=path, drop_invalid=True, indices_file=index_file)
    assert str(err.value) == (f'{path}: no sample to use: the index file {index_file} selects '
                              'none of the 2 valid samples')
    with pytest.raises(AnnotationError) as err:
        HumanImageDataset(ann_file=path, drop_invalid=True, indices=[])
    assert str(err.value) == f'{path}: no sample to use: indices=[] selects none of the samples'
    assert len(HumanImageDataset(ann_file=path, drop_invalid=True, indices=1)) == 1


# ------------------------------------------------------------------ units
@pytest.mark.parametrize('fmt', ['humandata', 'spin'])
def test_keypoints3d_in_millimetres_are_refused(tmp_path, fmt):
    d = humandata() if fmt == 'humandata' else spin()
    key = 'keypoints3d' if fmt == 'humandata' else 'S'
    d[key][..., :3] *= 1000.
    path = save(tmp_path, d, compressed=False)
    for drop_invalid in (False, True):  # a file-level problem: never dropped silently
        with pytest.raises(AnnotationError) as err:
            HumanAnnotations(path, drop_invalid=drop_invalid)
        msg = str(err.value)
        assert msg.startswith(f"{path}: key '{key}' looks like millimetres, not metres: the "
                              "median distance of a joint from its sample's centroid is ")
        assert msg.endswith('convert the 3D keypoints to metres (divide by 1000)')
        median = float(msg.split('centroid is ')[1].split(' ')[0])
        assert 150 < median < 600


def test_keypoints3d_in_metres_far_from_the_camera_are_accepted(tmp_path):
    d = humandata()
    d['keypoints3d'][..., 2] += 60.  # 64 m away: translation does not count, body size does
    d['keypoints3d'][2:, 5:, 3] = 0.  # unlabelled joints (zeros elsewhere) are ignored
    d['keypoints3d'][2:, 5:, :3] = 0.
    ann = HumanAnnotations(save(tmp_path, d, compressed=False))
    assert ann.num_kept == N
