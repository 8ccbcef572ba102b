"""The data sample of one person crop for 3D human pose and shape estimation."""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement

ArrayLike = Union[torch.Tensor, np.ndarray]

# name -> expected shape (None = any size on that axis). Scalars (``()``) are flags.
_FIELDS = {
    # ground truth, written by ``PackHumanInputs``
    'gt_keypoints2d': (None, 3),  # (K, 3): x, y in crop pixels, confidence
    'gt_keypoints3d': (None, 4),  # (K, 4): x, y, z in metres (camera frame), confidence
    'gt_pose': (24, 3),  # axis-angle, global orientation first
    'gt_betas': (10, ),
    'has_smpl': (),
    'has_keypoints3d': (),
    # predictions, written by the head's ``predict``
    'pred_pose': (24, 3, 3),  # rotation matrices
    'pred_betas': (10, ),
    'pred_cam': (3, ),
    'pred_vertices': (None, 3),
    'pred_joints': (None, 3),
    'pred_keypoints2d': (None, 2),  # crop pixels
}


def _check_shape(name: str, value: ArrayLike, expected: Tuple[Optional[int], ...]) -> None:
    """Raise a ``TypeError``/``ValueError`` naming the field when ``value`` does not fit."""
    if not isinstance(value, (torch.Tensor, np.ndarray)):
        raise TypeError(f'HumanDataSample.{name} must be a torch.Tensor or np.ndarray, '
                        f'got {type(value).__name__}')
    shape = tuple(value.shape)
    if len(shape) != len(expected) or any(e is not None and e != s
                                          for e, s in zip(expected, shape)):
        readable = tuple('N' if e is None else e for e in expected)
        raise ValueError(f'HumanDataSample.{name} must have shape {readable}, got {shape}')


def _array_field(name: str) -> property:
    """A typed property storing its value under ``'_' + name`` (checked in ``__setattr__``).

    The value keeps its type (tensor or array) so that mmengine's ``.to()``, ``.cpu()``,
    ``.numpy()`` and ``.to_tensor()`` behave as for any data field.
    """
    expected = _FIELDS[name]
    private = '_' + name

    def getter(self):
        return getattr(self, private)

    def setter(self, value):
        self.set_field(value, private)

    def deleter(self):
        delattr(self, private)

    return property(getter, setter, deleter, doc=f'{name}: shape {expected}.')


class HumanDataSample(BaseDataElement):
    """Ground truth, predictions and meta information of one person crop.

    Data fields (all optional, tensors or arrays, shape-checked on assignment):

    - ``gt_keypoints2d`` ``(K, 3)``: x, y in crop pixels and a confidence.
    - ``gt_keypoints3d`` ``(K, 4)``: x, y, z in metres (camera frame) and a confidence.
    - ``gt_pose`` ``(24, 3)``: SMPL axis-angle pose, global orientation first.
    - ``gt_betas`` ``(10,)``: SMPL shape.
    - ``has_smpl`` / ``has_keypoints3d`` ``()``: bool flags; where a flag is False the matching
      field holds zeros of the usual shape, so that every sample of a batch stacks.
    - ``pred_pose`` ``(24, 3, 3)``, ``pred_betas`` ``(10,)``, ``pred_cam`` ``(3,)``,
      ``pred_vertices`` ``(V, 3)``, ``pred_joints`` ``(J, 3)``, ``pred_keypoints2d`` ``(J, 2)``.

    Meta information (``metainfo``): ``img_path``, ``img_shape (H, W)`` of the crop,
    ``ori_shape``, ``center (2,)`` and ``scale (2,)`` of the crop box in original image pixels
    (width, height of the box, aspect ratio of the crop), ``rotation`` (degrees), ``flip``,
    ``warp_mat (2, 3)`` (original image -> crop), ``gender``, ``sample_idx``, ``dataset_name``,
    ``convention`` (keypoint convention of ``gt_keypoints2d`` / ``gt_keypoints3d``, e.g.
    ``'smpl_49'``: the heads' losses and the metrics read it).

    mmengine's collate functions keep data samples as a list; use :meth:`stack` to batch a field.

    Examples:
        >>> sample = HumanDataSample(metainfo=dict(img_shape=(256, 192)))
        >>> sample.gt_pose = torch.zeros(24, 3)
        >>> HumanDataSample.stack([sample, sample], 'gt_pose').shape
        torch.Size([2, 24, 3])
    """

    def __setattr__(self, name, value):
        # Check before mmengine records the field name, so that a refused value leaves no trace.
        if name in _FIELDS:
            _check_shape(name, value, _FIELDS[name])
        super().__setattr__(name, value)

    @staticmethod
    def stack(data_samples: Sequence['HumanDataSample'],
              key: str,
              device: Optional[Union[str, torch.device]] = None) -> torch.Tensor:
        """Stack one data field of a list of samples into a batch tensor.

        Args:
            data_samples (Sequence[HumanDataSample]): ``B`` samples.
            key (str): Field name, e.g. ``'gt_keypoints2d'``.
            device (str | torch.device, optional): Target device.

        Returns:
            Tensor: ``(B, *field_shape)``.

        Raises:
            KeyError: When a sample lacks ``key`` (the message names the sample's index in the
                list and its ``sample_idx``).
        """
        values = []
        for i, sample in enumerate(data_samples):
            if key not in sample:
                raise KeyError(f'data sample {i} (sample_idx={sample.get("sample_idx")}, '
                               f'img_path={sample.get("img_path")}) has no field "{key}"')
            value = getattr(sample, key)
            values.append(torch.from_numpy(value) if isinstance(value, np.ndarray) else value)
        return torch.stack(values).to(device) if device is not None else torch.stack(values)


# one typed property per entry of ``_FIELDS`` (``gt_keypoints2d``, ..., ``pred_keypoints2d``)
for _name in _FIELDS:
    setattr(HumanDataSample, _name, _array_field(_name))
del _name
