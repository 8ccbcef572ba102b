import json
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.dataset import BaseDataset

import mmhpse.datasets.transforms.loading as loading
from mmhpse.datasets.transforms import (LoadHumanImage, get_bad_image_count,
                                        get_bad_image_reasons, reset_bad_image_count)

from helpers.fixtures import COCO_FIXTURES as COCO  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_counter():
    reset_bad_image_count()
    yield
    reset_bad_image_count()


@pytest.fixture
def warnings_seen(monkeypatch):
    seen = []
    monkeypatch.setattr(loading, 'print_log', lambda msg, **kw: seen.append((msg, kw)))
    return seen


def _write_png(path, seed=0):
    img = np.random.default_rng(seed).integers(0, 256, (12, 17, 3), dtype=np.uint8)
    assert cv2.imwrite(str(path), img)
    return img


def test_reads_bgr_and_rgb(tmp_path):
    img = _write_png(tmp_path / 'a.png')
    out = LoadHumanImage()(dict(img_path=str(tmp_path / 'a.png')))
    np.testing.assert_array_equal(out['img'], img)
    assert out['img_shape'] == (12, 17) and out['ori_shape'] == (12, 17)
    rgb = LoadHumanImage(to_rgb=True)(dict(img_path=str(tmp_path / 'a.png')))
    np.testing.assert_array_equal(rgb['img'], img[..., ::-1])
    remote = LoadHumanImage(backend_args=dict(backend='local'))(
        dict(img_path=str(tmp_path / 'a.png')))
    np.testing.assert_array_equal(remote['img'], img)


def test_missing_and_corrupt_images_are_counted_skips(tmp_path, warnings_seen):
    (tmp_path / 'broken.jpg').write_bytes(b'not a jpeg at all')
    load = LoadHumanImage(max_bad_images=5)
    assert load(dict(img_path=str(tmp_path / 'missing.jpg'), sample_idx=7)) is None
    assert load(dict(img_path=str(tmp_path / 'broken.jpg'), sample_idx=8)) is None
    assert get_bad_image_count() == 2
    msg, kwargs = warnings_seen[0]
    assert msg == (f'LoadHumanImage: skipped image "{tmp_path / "missing.jpg"}" (sample_idx=7): '
                   'cannot read image (No such file or directory) (1/5 bad images in this '
                   'process)')
    assert kwargs['level'] == 30  # logging.WARNING
    assert warnings_seen[1][0] == (
        f'LoadHumanImage: skipped image "{tmp_path / "broken.jpg"}" (sample_idx=8): cannot read '
        'image (missing, or not a decodable image) (2/5 bad images in this process)')
    assert get_bad_image_reasons() == {'unreadable': 2}


def test_bound_on_bad_images(tmp_path, warnings_seen):
    load = LoadHumanImage(max_bad_images=2)
    paths = [str(tmp_path / f'gone{i}.png') for i in range(3)]
    assert load(dict(img_path=paths[0], sample_idx=0)) is None
    assert load(dict(img_path=paths[1], sample_idx=1)) is None
    with pytest.raises(RuntimeError) as err:
        load(dict(img_path=paths[2], sample_idx=2))
    assert str(err.value) == (
        "LoadHumanImage: 3 bad images in this process exceed max_bad_images=2 (by reason: "
        f"{{'unreadable': 3}}); last paths: {paths}; last: \"{paths[2]}\": cannot read image "
        '(No such file or directory)')
    # the count is per process, shared by every LoadHumanImage instance
    with pytest.raises(RuntimeError, match='4 bad images'):
        LoadHumanImage(max_bad_images=3)(dict(img_path=paths[0]))
    with pytest.raises(ValueError, match='max_bad_images must be >= 0'):
        LoadHumanImage(max_bad_images=-1)


class _ListDataset(BaseDataset):

    def load_data_list(self):
        return [dict(img_path=p) for p in self.ann_file_paths]

    def __init__(self, paths, **kwargs):
        self.ann_file_paths = paths
        super().__init__(**kwargs)


def test_mmengine_dataset_refetches_another_sample(tmp_path, warnings_seen):
    good = _write_png(tmp_path / 'good.png', seed=3)
    paths = [str(tmp_path / 'bad.png'), str(tmp_path / 'good.png')]
    dataset = _ListDataset(paths, pipeline=[dict(type='mmhpse.LoadHumanImage', max_bad_images=10)],
                           serialize_data=False)
    np.random.seed(0)
    out = dataset[0]
    np.testing.assert_array_equal(out['img'], good)
    assert get_bad_image_count() >= 1
    assert all('bad.png' in msg for msg, _ in warnings_seen)


@pytest.mark.skipif(not osp.isdir(COCO), reason=f'real COCO fixtures not found at {COCO}')
def test_real_coco_images():
    with open(osp.join(COCO, 'test_coco.json')) as f:
        images = json.load(f)['images']
    for info in images:
        out = LoadHumanImage()(dict(img_path=osp.join(COCO, info['file_name'])))
        assert out['img'].shape == (info['height'], info['width'], 3)
        assert out['img'].dtype == np.uint8 and out['img'].std() > 10
