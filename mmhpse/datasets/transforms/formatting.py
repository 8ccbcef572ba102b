"""Packing a transformed sample into model inputs and a :class:`HumanDataSample`."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmhpse.registry import TRANSFORMS
from mmhpse.structures import HumanDataSample


def _float_tensor(array) -> torch.Tensor:
    """A float32 tensor sharing memory with ``array`` when it already is float32."""
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


@TRANSFORMS.register_module()
class PackHumanInputs(BaseTransform):
    """Pack ``results`` into ``dict(inputs=Tensor (C, H, W), data_samples=HumanDataSample)``.

    ``inputs`` keeps the image dtype (uint8 from ``LoadHumanImage``) and channel order; mean/std
    normalisation and BGR->RGB belong to the model's ``ImgDataPreprocessor``. Ground truth, all
    float32 tensors (``K`` keypoints):

    - ``gt_keypoints2d (K, 3)`` from ``keypoints2d`` (crop pixels after
      :class:`HumanTopdownAffine`);
    - ``gt_keypoints3d (K, 4)`` from ``keypoints3d``, zeros when absent;
    - ``gt_pose (24, 3)`` = ``smpl_global_orient`` + ``smpl_body_pose``, ``gt_betas (10,)`` =
      ``smpl_betas``, zeros when absent;
    - ``has_smpl``, ``has_keypoints3d``: bool scalars (``results['has_smpl']`` /
      ``results['has_keypoints3d']`` when given, else whether the annotation is present, and
      for keypoints3d whether any confidence is positive).

    Args:
        meta_keys (Sequence[str]): Keys copied into the sample's metainfo when present; by
            default they include ``convention``, the keypoint convention of the dataset
            (read by the head's losses and by the metrics).
    """

    DEFAULT_META_KEYS = ('img_path', 'img_shape', 'ori_shape', 'input_size', 'center', 'scale',
                         'rotation', 'flip', 'warp_mat', 'gender', 'sample_idx',
                         'dataset_name', 'convention')

    def __init__(self, meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        if results.get('img_flip_pending', False):
            raise RuntimeError(
                'PackHumanInputs: the image flip of HumanRandomFlip(lazy_image=True) is still '
                'pending (no HumanTopdownAffine after it), the pixels would not match the '
                f'annotations (sample_idx={results.get("sample_idx")}, '
                f'img_path={results.get("img_path")})')
        if results.get('color_scale_pending', False):
            raise RuntimeError(
                'PackHumanInputs: the colour scaling of ColorJitterScale is still pending (no '
                'HumanTopdownAffine after it) (sample_idx='
                f'{results.get("sample_idx")}, img_path={results.get("img_path")})')
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(img).permute(2, 0, 1)  # a view: no copy of the crop

        sample = HumanDataSample(
            metainfo={k: results[k]
                      for k in self.meta_keys if k in results})
        num_kps = None
        if 'keypoints2d' in results:
            sample.gt_keypoints2d = _float_tensor(results['keypoints2d'])
            num_kps = sample.gt_keypoints2d.shape[0]
        if 'keypoints3d' in results:
            kps3d = _float_tensor(results['keypoints3d'])
            has_kps3d = results.get('has_keypoints3d', bool((kps3d[:, 3] > 0).any()))
            sample.gt_keypoints3d = kps3d
        else:
            has_kps3d = False
            if num_kps is not None:
                sample.gt_keypoints3d = torch.zeros(num_kps, 4)
        sample.has_keypoints3d = torch.tensor(bool(has_kps3d))

        if 'smpl_global_orient' in results and 'smpl_body_pose' in results:
            pose = np.concatenate([
                np.reshape(results['smpl_global_orient'], (1, 3)),
                np.reshape(results['smpl_body_pose'], (23, 3))
            ])
            sample.gt_pose = _float_tensor(pose)
            has_smpl = results.get('has_smpl', True)
        else:
            sample.gt_pose = torch.zeros(24, 3)
            has_smpl = False
        if 'smpl_betas' in results:
            sample.gt_betas = _float_tensor(np.reshape(results['smpl_betas'], (10, )))
        else:
            sample.gt_betas = torch.zeros(10)
            has_smpl = False
        sample.has_smpl = torch.tensor(bool(has_smpl))
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
