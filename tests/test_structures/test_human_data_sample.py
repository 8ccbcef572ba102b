import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate, pseudo_collate

from mmhpse.structures import HumanDataSample


def _sample(idx=0):
    sample = HumanDataSample(metainfo=dict(img_shape=(256, 192), sample_idx=idx))
    sample.gt_keypoints2d = torch.full((49, 3), float(idx))
    sample.gt_pose = torch.zeros(24, 3)
    sample.has_smpl = torch.tensor(idx % 2 == 0)
    return sample


def test_fields_keys_and_metainfo():
    sample = _sample(3)
    assert set(sample.keys()) == {'gt_keypoints2d', 'gt_pose', 'has_smpl'}
    assert 'gt_pose' in sample and 'gt_betas' not in sample
    assert sample.img_shape == (256, 192) and sample.sample_idx == 3
    del sample.gt_pose
    assert 'gt_pose' not in sample
    with pytest.raises(AttributeError):
        sample.gt_pose  # noqa: B018
    sample.gt_betas = np.zeros(10, np.float32)  # arrays are accepted as they are
    assert isinstance(sample.gt_betas, np.ndarray)


def test_shape_and_type_errors():
    sample = HumanDataSample()
    with pytest.raises(ValueError) as err:
        sample.gt_pose = torch.zeros(72)
    assert str(err.value) == 'HumanDataSample.gt_pose must have shape (24, 3), got (72,)'
    assert 'gt_pose' not in sample and sample.keys() == []  # a refused value leaves no trace
    with pytest.raises(ValueError, match='gt_betas must have shape'):
        HumanDataSample(gt_betas=np.zeros((1, 10)))
    with pytest.raises(ValueError, match=r'gt_keypoints2d must have shape \(\'N\', 3\)'):
        sample.gt_keypoints2d = torch.zeros(17, 2)
    with pytest.raises(TypeError, match='pred_cam must be a torch.Tensor or np.ndarray, got list'):
        sample.pred_cam = [0., 0., 1.]
    sample.pred_vertices = torch.zeros(6890, 3)  # any number of vertices
    sample.pred_pose = torch.eye(3).expand(24, 3, 3)
    assert 'pred_pose' in sample and 'gt_pose' not in sample


def test_tensor_methods_keep_the_typed_fields():
    sample = _sample(2)
    as_numpy = sample.numpy()
    assert isinstance(as_numpy.gt_keypoints2d, np.ndarray)
    assert as_numpy.gt_keypoints2d.shape == (49, 3)
    back = as_numpy.to_tensor()
    assert isinstance(back.gt_keypoints2d, torch.Tensor)
    moved = sample.to(torch.float64)
    assert moved.gt_keypoints2d.dtype == torch.float64 and moved.sample_idx == 2
    assert set(sample.clone().keys()) == set(sample.keys())


def test_collate_and_stack():
    samples = [_sample(i) for i in range(3)]
    for collate in (pseudo_collate, default_collate):
        batch = collate([dict(inputs=torch.zeros(3, 4, 4), data_samples=s) for s in samples])
        listed = batch['data_samples']
        assert isinstance(listed, list) and all(isinstance(s, HumanDataSample) for s in listed)
        stacked = HumanDataSample.stack(listed, 'gt_keypoints2d')
        assert stacked.shape == (3, 49, 3)
        np.testing.assert_array_equal(stacked[:, 0, 0].numpy(), [0., 1., 2.])
        flags = HumanDataSample.stack(listed, 'has_smpl')
        assert flags.tolist() == [True, False, True]
    numpy_samples = [s.numpy() for s in samples]
    assert HumanDataSample.stack(numpy_samples, 'gt_pose', device='cpu').shape == (3, 24, 3)
    with pytest.raises(KeyError, match='data sample 0 \\(sample_idx=0, img_path=None\\) has no '
                       'field "gt_betas"'):
        HumanDataSample.stack(samples, 'gt_betas')
