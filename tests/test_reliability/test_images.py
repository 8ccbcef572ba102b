"""Bad images and boxes: each is built here and must end in a counted, bounded, logged skip
naming the file and the reason (training) or a clear error naming the file and the sample
(test time), never in a crop of grey or zero pixels trained with its ground truth."""
import os.path as osp

import cv2
import numpy as np
import pytest

import mmhpse.datasets.transforms.loading as loading
from mmhpse.datasets import HumanImageDataset
from mmhpse.datasets.transforms import (LoadHumanImage, get_bad_image_count,
                                        get_bad_image_reasons, reset_bad_image_count)
from mmhpse.utils import register_all_modules

register_all_modules()
W, H = 320, 240


@pytest.fixture(autouse=True)
def _fresh_counter():
    reset_bad_image_count()
    yield
    reset_bad_image_count()


@pytest.fixture
def warnings_seen(monkeypatch):
    seen = []
    monkeypatch.setattr(loading, 'print_log', lambda msg, **kw: seen.append(msg))
    return seen


def smooth_image(seed=0, size=(H, W)):
    small = np.random.default_rng(seed).integers(0, 256, (12, 16, 3), dtype=np.uint8)
    return cv2.resize(small, size[::-1], interpolation=cv2.INTER_CUBIC)


def write_jpeg(path, seed=0, keep=1.0, padding=b''):
    data = cv2.imencode('.jpg', smooth_image(seed), [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    with open(path, 'wb') as f:
        f.write(data[:int(len(data) * keep)] + padding)
    return str(path)


def load(path, bbox=(100., 60., 80., 120.), **kwargs):
    results = dict(img_path=str(path), sample_idx=5,
                   bbox_xywh=np.array(bbox, np.float32))
    return LoadHumanImage(**kwargs)(results)


# ------------------------------------------------------------------ truncated files
def test_jpeg_truncated_to_40_percent_is_skipped(tmp_path, warnings_seen):
    path = write_jpeg(tmp_path / 'cut.jpg', keep=0.4)
    # what happened before: OpenCV decodes it, the lower part a flat grey, no file named
    decoded = cv2.imread(path)
    assert decoded is not None and decoded.shape == (H, W, 3)
    assert decoded[-20:].std() < 1. and abs(np.diff(smooth_image()[-20:], axis=0)).sum() > 0
    assert load(path) is None
    assert get_bad_image_count() == 1 and get_bad_image_reasons() == {'truncated': 1}
    assert warnings_seen == [
        f'LoadHumanImage: skipped image "{path}" (sample_idx=5): truncated JPEG: no '
        'end-of-image marker (FFD9) at the end of the file (1/100 bad images in this process)']


def test_truncated_png_is_skipped(tmp_path, warnings_seen):
    path = str(tmp_path / 'cut.png')
    data = cv2.imencode('.png', smooth_image())[1].tobytes()
    with open(path, 'wb') as f:
        f.write(data[:-20])  # the IEND chunk and a bit of the last IDAT are gone
    assert load(path) is None
    assert get_bad_image_reasons() == {'truncated': 1}
    assert 'truncated PNG: no IEND chunk at the end of the file' in warnings_seen[0]


def test_complete_files_with_trailing_padding_load(tmp_path):
    path = write_jpeg(tmp_path / 'padded.jpg', padding=b'\x00' * 5000)
    out = load(path)
    np.testing.assert_array_equal(out['img'], cv2.imread(write_jpeg(tmp_path / 'plain.jpg')))
    png = str(tmp_path / 'ok.png')
    cv2.imwrite(png, smooth_image(1))
    np.testing.assert_array_equal(load(png)['img'], smooth_image(1))
    assert get_bad_image_count() == 0


def test_truncation_check_through_a_file_backend(tmp_path, warnings_seen):
    path = write_jpeg(tmp_path / 'cut.jpg', keep=0.4)
    assert load(path, backend_args=dict(backend='local')) is None
    assert get_bad_image_reasons() == {'truncated': 1}
    assert load(path, check_truncation=False) is not None  # the check can be switched off


# ------------------------------------------------------------------ image vs box
def test_one_pixel_image_is_skipped(tmp_path, warnings_seen):
    path = str(tmp_path / 'dot.png')
    cv2.imwrite(path, np.full((1, 1, 3), 200, np.uint8))
    assert load(path, bbox=(0., 0., 40., 80.)) is None
    assert get_bad_image_reasons() == {'image smaller than box': 1}
    assert warnings_seen == [
        f'LoadHumanImage: skipped image "{path}" (sample_idx=5): the 1x1 px image is far smaller '
        'than its box (x, y, w, h) = (0.0, 0.0, 40.0, 80.0) (more than 4x the image width or '
        'height) (1/100 bad images in this process)']


@pytest.mark.parametrize('bbox,reason,detail', [
    ((400., 300., 50., 90.), 'box centre outside image',
     'the centre (425.0, 345.0) of the box (x, y, w, h) = (400.0, 300.0, 50.0, 90.0) is outside '
     'the 320x240 px image'),
    ((290., -80., 60., 100.), 'box centre outside image',  # overlaps, centre above the image
     'the centre (320.0, -30.0) of the box (x, y, w, h) = (290.0, -80.0, 60.0, 100.0) is outside '
     'the 320x240 px image'),
    ((-290., -290., 600., 600.), 'box mostly outside image',  # centre inside, 21 % inside
     'only 21% of the box (x, y, w, h) = (-290.0, -290.0, 600.0, 600.0) lies inside the 320x240 '
     'px image (min_box_inside=0.25)'),
])
def test_box_outside_the_image_is_skipped(tmp_path, warnings_seen, bbox, reason, detail):
    path = write_jpeg(tmp_path / 'a.jpg')
    assert load(path, bbox=bbox) is None
    assert get_bad_image_reasons() == {reason: 1}
    assert warnings_seen == [f'LoadHumanImage: skipped image "{path}" (sample_idx=5): {detail} '
                             '(1/100 bad images in this process)']


@pytest.mark.parametrize('bbox', [(250., 20., 120., 200.),   # cut by the right edge, 58 % in
                                  (-10., -10., 340., 260.),  # the whole frame and a margin
                                  (0., 0., 1., 1.)])         # tiny box in a corner
def test_boxes_reaching_over_the_edge_still_load(tmp_path, bbox):
    out = load(write_jpeg(tmp_path / 'a.jpg'), bbox=bbox)
    assert out is not None and out['img'].shape == (H, W, 3)
    assert get_bad_image_count() == 0


# ------------------------------------------------------------------ the bound
def test_the_skip_bound_holds_across_reasons(tmp_path):
    cut = write_jpeg(tmp_path / 'cut.jpg', keep=0.4)
    good = write_jpeg(tmp_path / 'good.jpg')
    transform = LoadHumanImage(max_bad_images=3)
    cases = [(cut, (10., 10., 50., 50.)), (good, (500., 10., 50., 50.)),
             (str(tmp_path / 'missing.jpg'), (10., 10., 50., 50.))]
    for path, bbox in cases:
        assert transform(dict(img_path=path, bbox_xywh=np.array(bbox))) is None
    with pytest.raises(RuntimeError) as err:
        transform(dict(img_path=cut, bbox_xywh=np.array([10., 10., 50., 50.])))
    assert str(err.value) == (
        "LoadHumanImage: 4 bad images in this process exceed max_bad_images=3 (by reason: "
        "{'truncated': 2, 'box centre outside image': 1, 'unreadable': 1}); last paths: "
        f"{[cut, good, str(tmp_path / 'missing.jpg'), cut]}; last: \"{cut}\": truncated JPEG: "
        'no end-of-image marker (FFD9) at the end of the file')


# ------------------------------------------------------------------ through the dataset
def _dataset(tmp_path, test_mode):
    """Rows: 0 truncated JPEG, 1 box outside, 2 a 1x1 image, 3 good."""
    img_dir = tmp_path / 'images'
    img_dir.mkdir(exist_ok=True)
    write_jpeg(img_dir / 'cut.jpg', keep=0.4)
    write_jpeg(img_dir / 'good.jpg')
    cv2.imwrite(str(img_dir / 'dot.png'), np.zeros((1, 1, 3), np.uint8))
    num = 4
    rng = np.random.default_rng(0)
    ann = str(tmp_path / 'ann.npz')
    np.savez(ann, image_path=np.array(['cut.jpg', 'good.jpg', 'dot.png', 'good.jpg']),
             bbox_xywh=np.array([[100., 60., 80., 120.], [400., 300., 50., 90.],
                                 [0., 0., 40., 80.], [100., 60., 80., 120.]]),
             keypoints2d=rng.uniform(60, 180, (num, 17, 3)), keypoints2d_convention='coco')
    pipeline = [dict(type='LoadHumanImage'), dict(type='HumanGetBBoxCenterScale'),
                dict(type='HumanTopdownAffine', input_size=(48, 64)), dict(type='PackHumanInputs')]
    return HumanImageDataset(ann_file=ann, data_prefix=dict(img=str(img_dir)),
                             pipeline=pipeline, test_mode=test_mode), img_dir


def test_training_replaces_bad_samples_and_counts_them(tmp_path):
    ds, _ = _dataset(tmp_path, test_mode=False)
    np.random.seed(0)
    for idx in range(3):
        out = ds[idx]
        assert out['data_samples'].img_path.endswith('good.jpg')
        assert out['inputs'].float().std() > 5  # a real crop, not zeros or flat grey
    reasons = get_bad_image_reasons()
    assert set(reasons) == {'truncated', 'box centre outside image', 'image smaller than box'}
    assert sum(reasons.values()) == get_bad_image_count() >= 3


@pytest.mark.parametrize('idx,image,why', [
    (0, 'cut.jpg', 'truncated JPEG: no end-of-image marker (FFD9) at the end of the file'),
    (1, 'good.jpg', 'the centre (425.0, 345.0) of the box (x, y, w, h) = (400.0, 300.0, 50.0, '
     '90.0) is outside the 320x240 px image'),
    (2, 'dot.png', 'the 1x1 px image is far smaller than its box (x, y, w, h) = (0.0, 0.0, 40.0, '
     '80.0) (more than 4x the image width or height)')])
def test_bad_sample_at_test_time_names_file_and_sample(tmp_path, idx, image, why):
    ds, img_dir = _dataset(tmp_path, test_mode=True)
    with pytest.raises(RuntimeError) as err:
        ds[idx]
    assert str(err.value) == (
        f'{ds.ann_file}: test sample {idx} (row {idx} of the file, image '
        f'"{osp.join(str(img_dir), image)}") cannot be used: {why}. Test sets are not thinned '
        'out silently: fix the image or remove the sample from the file.')
    assert ds[3]['data_samples'].img_path.endswith('good.jpg')
