import os.path as osp

import numpy as np
import pytest
from mmcv.transforms import BaseTransform

from mmhpse.conventions import KEYPOINTS, get_flip_indices
from mmhpse.datasets import HumanImageDataset
from mmhpse.datasets.human_data import AnnotationError
from mmhpse.datasets.label_fraction import draw_label_fractions, save_indices
from mmhpse.registry import DATASETS, TRANSFORMS
from mmhpse.utils import register_all_modules

N = 20
register_all_modules()  # pipelines are built in the mmhpse scope


def write_spin(tmp_path, num=N, nan_rows=()):
    rng = np.random.default_rng(0)
    d = dict(imgname=np.array([f'images/{i:03d}.jpg' for i in range(num)]),
             center=rng.uniform(100, 200, (num, 2)), scale=rng.uniform(0.5, 1.5, num),
             part=rng.uniform(1, 300, (num, 24, 3)), S=rng.normal(size=(num, 24, 4)),
             pose=rng.normal(size=(num, 72)), shape=rng.normal(size=(num, 10)),
             has_smpl=np.ones(num))
    for r in nan_rows:
        d['part'][r, 0, 0] = np.nan
    path = str(tmp_path / 'h36m_train.npz')
    np.savez(path, **d)
    return path, d


@TRANSFORMS.register_module(force=True)
class _DropSomeImages(BaseTransform):
    """Stands in for LoadHumanImage on a missing file: returns None for listed images."""

    def __init__(self, missing=()):
        self.missing = set(missing)

    def transform(self, results):
        if osp.basename(results['img_path']) in self.missing:
            return None
        return results


def test_results_dict_contract(tmp_path):
    path, d = write_spin(tmp_path)
    ds = DATASETS.build(dict(type='HumanImageDataset', ann_file=path,
                             data_prefix=dict(img='imgs/h36m'), dataset_name='h36m'))
    assert len(ds) == N
    info = ds.get_data_info(3)
    for key, shape in [('bbox_xywh', (4, )), ('keypoints2d', (49, 3)), ('keypoints3d', (49, 4)),
                       ('smpl_global_orient', (3, )), ('smpl_body_pose', (23, 3)),
                       ('smpl_betas', (10, ))]:
        assert isinstance(info[key], np.ndarray) and info[key].shape == shape, key
    assert info['img_path'] == osp.join('imgs/h36m', 'images/003.jpg')
    assert info['has_smpl'] is True and info['gender'] == 'neutral'
    assert info['sample_idx'] == 3 and info['ann_idx'] == 3 and info['dataset_name'] == 'h36m'
    assert info['keypoints_convention'] == 'smpl_49'
    np.testing.assert_allclose(info['keypoints2d'][25:], d['part'][3], rtol=1e-6)
    np.testing.assert_allclose(info['smpl_body_pose'], d['pose'][3, 3:].reshape(23, 3),
                               rtol=1e-6)
    assert ds.metainfo['flip_indices'] == get_flip_indices('smpl_49')
    assert ds.metainfo['num_keypoints'] == 49 and ds.metainfo['dataset_name'] == 'h36m'
    # no per-sample python objects are kept
    assert not ds.data_list


def test_other_convention_and_data_root(tmp_path):
    path, d = write_spin(tmp_path)
    ds = HumanImageDataset(ann_file='h36m_train.npz', data_root=str(tmp_path),
                           data_prefix=dict(img='images_root'), convention='lsp_14')
    info = ds.get_data_info(0)
    assert info['keypoints2d'].shape == (14, 3)
    np.testing.assert_allclose(info['keypoints2d'], d['part'][0, :14], rtol=1e-6)
    assert info['img_path'] == osp.join(str(tmp_path), 'images_root', 'images/000.jpg')
    assert ds.dataset_name == 'h36m_train'


def test_unknown_convention(tmp_path):
    path, _ = write_spin(tmp_path)
    with pytest.raises(KeyError, match="Unknown keypoint convention 'smpl'; known conventions"):
        HumanImageDataset(ann_file=path, convention='smpl')


def test_indices_file_selects_rows(tmp_path):
    path, d = write_spin(tmp_path)
    sub = draw_label_fractions(N, (0.3, ), seed=1)[0.3]
    idx_file = str(tmp_path / 'frac.txt')
    save_indices(idx_file, sub)
    ds = HumanImageDataset(ann_file=path, indices_file=idx_file)
    assert len(ds) == 6
    np.testing.assert_array_equal(ds.rows, sub)
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        assert info['ann_idx'] == sub[i] and info['sample_idx'] == i
        np.testing.assert_allclose(info['smpl_betas'], d['shape'][sub[i]], rtol=1e-6)


def test_drop_invalid_with_indices_file_and_indices(tmp_path):
    path, _ = write_spin(tmp_path, nan_rows=(2, 5))
    with pytest.raises(AnnotationError, match="key 'part' has a non-finite value at sample "
                       r'index 2 \(2 bad samples'):
        HumanImageDataset(ann_file=path)
    ds = HumanImageDataset(ann_file=path, drop_invalid=True)
    assert len(ds) == N - 2
    expected = [r for r in range(N) if r not in (2, 5)]
    np.testing.assert_array_equal(ds.rows, expected)
    # sample -> row without a per-sample index array
    assert [ds.get_data_info(i)['ann_idx'] for i in range(len(ds))] == expected
    assert ds.get_data_info(-1)['ann_idx'] == N - 1
    with pytest.raises(IndexError, match=f'index {N - 2} out of range for {N - 2} samples'):
        ds.get_data_info(N - 2)
    idx_file = str(tmp_path / 'frac.npy')
    save_indices(idx_file, [9, 2, 1, 5, 0])
    ds = HumanImageDataset(ann_file=path, drop_invalid=True, indices_file=idx_file)
    np.testing.assert_array_equal(ds.rows, [9, 1, 0])
    ds = HumanImageDataset(ann_file=path, drop_invalid=True, indices_file=idx_file, indices=2)
    np.testing.assert_array_equal(ds.rows, [9, 1])
    sub = ds.get_subset([1])
    np.testing.assert_array_equal(sub.rows, [1])
    assert sub.get_data_info(0)['ann_idx'] == 1 and len(ds) == 2


def test_refetch_on_missing_image(tmp_path):
    path, _ = write_spin(tmp_path)
    missing = [f'{i:03d}.jpg' for i in range(N) if i != 7]
    ds = HumanImageDataset(ann_file=path, pipeline=[dict(type='_DropSomeImages',
                                                         missing=missing)])
    assert ds[0]['ann_idx'] == 7  # the only sample whose image loads
    ds_test = HumanImageDataset(ann_file=path, test_mode=True, pipeline=[
        dict(type='_DropSomeImages', missing=missing)])
    with pytest.raises(RuntimeError) as err:
        ds_test[3]
    assert str(err.value) == (
        f'{path}: test sample 3 (row 3 of the file, image "images/003.jpg") cannot be used: the '
        'pipeline returned None. Test sets are not thinned out silently: fix the image or remove '
        'the sample from the file.')
    assert ds_test[7]['ann_idx'] == 7


def test_lazy_init(tmp_path):
    path, _ = write_spin(tmp_path)
    ds = HumanImageDataset(ann_file=path, lazy_init=True)
    assert ds.annotations is None
    assert len(ds) == N and ds.annotations is not None


def test_real_pipeline_if_available(tmp_path):
    cv2 = pytest.importorskip('cv2')
    path, d = write_spin(tmp_path, num=3)
    img_dir = tmp_path / 'img'
    (img_dir / 'images').mkdir(parents=True)
    for i in range(3):
        cv2.imwrite(str(img_dir / f'images/{i:03d}.jpg'), np.full((400, 400, 3), 80, np.uint8))
    ds = HumanImageDataset(ann_file=path, data_prefix=dict(img=str(img_dir)), pipeline=[
        dict(type='LoadHumanImage'), dict(type='HumanGetBBoxCenterScale', padding=1.25),
        dict(type='HumanRandomFlip', prob=1.0),
        dict(type='HumanTopdownAffine', input_size=(192, 256)),
        dict(type='PackHumanInputs')])
    out = ds[1]
    assert tuple(out['inputs'].shape) == (3, 256, 192)
    assert out['data_samples'].gt_keypoints2d.shape == (len(KEYPOINTS['smpl_49']), 3)
