"""Mean SMPL parameters (``smpl_mean_params.npz`` of HMR / SPIN / PARE) for regression heads."""
from typing import Dict, Optional

import numpy as np
import torch

__all__ = ['load_smpl_mean_params']

_EXPECTED = {'pose': 144, 'shape': 10, 'cam': 3}


def load_smpl_mean_params(path: Optional[str], num_joints: int = 24) -> Dict[str, torch.Tensor]:
    """Read and validate a mean-parameter file.

    Args:
        path (str, optional): ``.npz`` file with ``pose`` (``num_joints * 6`` 6-D rotations, joint
            ``j`` at ``[6j, 6j + 6)``), ``shape`` (10) and ``cam`` (3, weak-perspective
            ``(s, tx, ty)``). When None: identity rotations, zero shape and camera
            ``(0.9, 0, 0)`` (the scale of the published file, rounded).
        num_joints (int): Number of joints of the pose. Defaults to 24.

    Returns:
        dict: float32 tensors ``pose (num_joints * 6,)``, ``shape (10,)``, ``cam (3,)``.

    Raises:
        KeyError: A key is missing (message names the file and the key).
        ValueError: A value has the wrong size or is not finite.
    """
    expected = dict(_EXPECTED, pose=num_joints * 6)
    if path is None:
        eye6 = torch.tensor([1., 0., 0., 1., 0., 0.])  # (3, 2) columns e_x, e_y
        return dict(pose=eye6.repeat(num_joints), shape=torch.zeros(10),
                    cam=torch.tensor([0.9, 0., 0.]))
    with np.load(path) as data:
        out = {}
        for key, size in expected.items():
            if key not in data.files:
                raise KeyError(f'{path}: key "{key}" is missing (found {sorted(data.files)})')
            value = np.asarray(data[key], dtype=np.float32).reshape(-1)
            if value.size != size:
                raise ValueError(f'{path}: key "{key}" has {value.size} values, expected {size}')
            if not np.isfinite(value).all():
                bad = int(np.flatnonzero(~np.isfinite(value))[0])
                raise ValueError(f'{path}: key "{key}" is not finite at index {bad}')
            out[key] = torch.from_numpy(value.copy())
    return out
