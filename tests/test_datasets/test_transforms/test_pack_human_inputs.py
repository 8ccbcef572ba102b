import numpy as np
import pytest
import torch
from human_transform_utils import CONVENTION, copy_results, make_results
from mmengine.dataset import Compose, pseudo_collate
from mmengine.model import ImgDataPreprocessor

from mmhpse.datasets.transforms import (HumanGetBBoxCenterScale, PackHumanInputs, HumanRandomFlip,
                                        HumanTopdownAffine)
from mmhpse.structures import HumanDataSample
from mmhpse.utils import register_all_modules


def _cropped(seed=0, **overrides):
    results, _ = make_results(seed=seed)
    results.update(overrides)
    return HumanTopdownAffine((192, 256))(HumanGetBBoxCenterScale()(results))


def test_shapes_dtypes_and_values():
    results = _cropped()
    ref = copy_results(results)
    packed = PackHumanInputs()(results)
    inputs, sample = packed['inputs'], packed['data_samples']
    assert isinstance(sample, HumanDataSample)
    assert inputs.shape == (3, 256, 192) and inputs.dtype == torch.uint8
    np.testing.assert_array_equal(inputs.numpy(), ref['img'].transpose(2, 0, 1))
    expected = dict(gt_keypoints2d=(49, 3), gt_keypoints3d=(49, 4), gt_pose=(24, 3),
                    gt_betas=(10, ), has_smpl=(), has_keypoints3d=())
    for key, shape in expected.items():
        value = getattr(sample, key)
        assert isinstance(value, torch.Tensor) and tuple(value.shape) == shape, key
    for key in ('gt_keypoints2d', 'gt_keypoints3d', 'gt_pose', 'gt_betas'):
        assert getattr(sample, key).dtype == torch.float32, key
    np.testing.assert_allclose(sample.gt_keypoints2d.numpy(), ref['keypoints2d'])
    np.testing.assert_allclose(sample.gt_keypoints3d.numpy(), ref['keypoints3d'])
    np.testing.assert_allclose(sample.gt_pose[0].numpy(), ref['smpl_global_orient'])
    np.testing.assert_allclose(sample.gt_pose[1:].numpy(), ref['smpl_body_pose'])
    np.testing.assert_allclose(sample.gt_betas.numpy(), ref['smpl_betas'])
    assert sample.has_smpl.item() is True and sample.has_keypoints3d.item() is True
    assert sample.img_shape == (256, 192) and sample.sample_idx == 0
    assert sample.gender == 'neutral' and sample.dataset_name == 'synthetic'
    assert sample.warp_mat.shape == (2, 3) and sample.flip is False
    for key in ('img_path', 'center', 'scale', 'rotation', 'ori_shape'):
        assert key in sample.metainfo_keys(), key


def test_missing_annotations_give_zeros_and_false_flags():
    results = _cropped(seed=1)
    for key in ('keypoints3d', 'smpl_global_orient', 'smpl_body_pose', 'smpl_betas', 'has_smpl'):
        del results[key]
    sample = PackHumanInputs()(results)['data_samples']
    assert tuple(sample.gt_keypoints3d.shape) == (49, 4) and not sample.gt_keypoints3d.any()
    assert not sample.gt_pose.any() and not sample.gt_betas.any()
    assert sample.has_smpl.item() is False and sample.has_keypoints3d.item() is False

    zero_conf = _cropped(seed=2)
    zero_conf['keypoints3d'][:, 3] = 0
    assert PackHumanInputs()(zero_conf)['data_samples'].has_keypoints3d.item() is False
    told = _cropped(seed=3, has_smpl=False)
    assert PackHumanInputs()(told)['data_samples'].has_smpl.item() is False


def test_pending_flip_is_refused():
    results, _ = make_results(seed=4)
    results = HumanRandomFlip(prob=1.)(HumanGetBBoxCenterScale()(results))
    with pytest.raises(RuntimeError) as err:
        PackHumanInputs()(results)
    assert str(err.value) == (
        'PackHumanInputs: the image flip of HumanRandomFlip(lazy_image=True) is still pending (no '
        'HumanTopdownAffine after it), the pixels would not match the annotations (sample_idx=4, '
        'img_path=synthetic.png)')


def test_meta_keys_argument():
    sample = PackHumanInputs(meta_keys=('sample_idx', 'not_there'))(_cropped())['data_samples']
    assert sample.metainfo_keys() == ['sample_idx']


def test_config_pipeline_collate_and_preprocessor():
    register_all_modules()
    pipeline = Compose([
        dict(type='HumanGetBBoxCenterScale', padding=1.25),
        dict(type='HumanRandomFlip', prob=0.5, convention=CONVENTION),
        dict(type='HumanRandomBBoxTransform', scale_factor=0.25, rotate_factor=30, rotate_prob=0.6),
        dict(type='ColorJitterScale', factor=0.2),
        dict(type='HumanTopdownAffine', input_size=(192, 256)),
        dict(type='PackHumanInputs'),
    ])
    np.random.seed(0)
    batch = pseudo_collate([pipeline(make_results(seed=s)[0]) for s in range(4)])
    assert len(batch['inputs']) == 4 and len(batch['data_samples']) == 4
    preprocessor = ImgDataPreprocessor(mean=[123.675, 116.28, 103.53],
                                       std=[58.395, 57.12, 57.375], bgr_to_rgb=True)
    data = preprocessor(batch, training=True)
    assert data['inputs'].shape == (4, 3, 256, 192) and data['inputs'].dtype == torch.float32
    stacked = HumanDataSample.stack(data['data_samples'], 'gt_keypoints2d')
    assert stacked.shape == (4, 49, 3)
    assert HumanDataSample.stack(data['data_samples'], 'has_smpl').dtype == torch.bool
