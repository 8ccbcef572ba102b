"""Rotation helpers that smplx and scipy do not provide: 6-D rotations, a differentiable
matrix -> axis-angle map, SMPL mirroring.

Axis-angle -> matrix is ``smplx.lbs.batch_rodrigues`` (torch) or
``scipy.spatial.transform.Rotation`` (numpy). :func:`rotmat_to_axis_angle` stays here because the
axis-angle pose loss needs its gradient, which scipy's numpy implementation cannot give.

Conventions:
    * Rotation matrices act on column vectors (``x' = R @ x``).
    * Axis-angle vectors ``r`` have direction = axis and norm = angle in radians.
    * The 6-D representation is the one of Zhou et al. (CVPR 2019) as used by HMR / SPIN / PARE:
      the 6 numbers reshaped to ``(..., 3, 2)`` are the first two *columns* of the rotation matrix,
      and Gram-Schmidt turns any 6 numbers back into a rotation.
    * Mirroring is the reflection ``x -> -x`` (image horizontal flip).
"""
import numpy as np
import torch
import torch.nn.functional as F

from mmhpse.conventions import get_flip_indices

__all__ = [
    'rotmat_to_axis_angle', 'rot6d_to_rotmat', 'rotmat_to_rot6d', 'flip_smpl_pose',
    'SMPL_FLIP_PERM', 'SMPL_PARENTS'
]

#: Parent of each of SMPL's 24 joints (-1 for the root), as in the official ``kintree_table``.
SMPL_PARENTS = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)

#: Left/right permutation of SMPL's 24 joints: joint ``i`` of a mirrored body is joint
#: ``SMPL_FLIP_PERM[i]`` of the original (from the joint names of ``smpl_24``).
SMPL_FLIP_PERM = tuple(get_flip_indices('smpl_24'))


def _rotmat_to_quaternion(rotmat: torch.Tensor) -> torch.Tensor:
    """Rotation matrices to unit quaternions ``(w, x, y, z)`` with ``w >= 0`` (Shepperd's method).

    Args:
        rotmat (Tensor): ``(..., 3, 3)``.

    Returns:
        Tensor: ``(..., 4)``.
    """
    if rotmat.shape[-2:] != (3, 3):
        raise ValueError(f'rotmat must have shape (..., 3, 3), got {tuple(rotmat.shape)}')
    m = rotmat
    r00, r01, r02 = m[..., 0, 0], m[..., 0, 1], m[..., 0, 2]
    r10, r11, r12 = m[..., 1, 0], m[..., 1, 1], m[..., 1, 2]
    r20, r21, r22 = m[..., 2, 0], m[..., 2, 1], m[..., 2, 2]
    # 4 * (component)^2 for w, x, y, z; the largest one gives the best-conditioned division.
    sq = torch.stack([
        1 + r00 + r11 + r22, 1 + r00 - r11 - r22, 1 - r00 + r11 - r22, 1 - r00 - r11 + r22
    ], dim=-1)
    big = 0.5 * sq.clamp_min(1e-12).sqrt()  # (..., 4): each candidate's large component
    d21, d02, d10 = r21 - r12, r02 - r20, r10 - r01
    s01, s02, s12 = r01 + r10, r02 + r20, r12 + r21
    cands = torch.stack([
        torch.stack([big[..., 0], d21, d02, d10], -1),
        torch.stack([d21, big[..., 1], s01, s02], -1),
        torch.stack([d02, s01, big[..., 2], s12], -1),
        torch.stack([d10, s02, s12, big[..., 3]], -1),
    ], dim=-2)  # (..., 4 candidates, 4)
    # off-diagonal entries are 4 * big * other -> divide by 4 * big
    scale = torch.stack([4 * big[..., i] for i in range(4)], -1)[..., None]
    eye = torch.eye(4, dtype=m.dtype, device=m.device).bool()
    cands = torch.where(eye, cands, cands / scale)
    best = sq.argmax(-1)
    q = torch.gather(cands, -2, best[..., None, None].expand(best.shape + (1, 4))).squeeze(-2)
    q = F.normalize(q, dim=-1)
    return torch.where(q[..., :1] < 0, -q, q)


def rotmat_to_axis_angle(rotmat: torch.Tensor) -> torch.Tensor:
    """Rotation matrices to axis-angle vectors with angle in ``[0, pi]``.

    Args:
        rotmat (Tensor): ``(..., 3, 3)``.

    Returns:
        Tensor: ``(..., 3)``.
    """
    q = _rotmat_to_quaternion(rotmat)
    w, v = q[..., 0], q[..., 1:]
    n = v.norm(dim=-1)
    small = n < 1e-6
    safe_n = torch.where(small, torch.ones_like(n), n)
    # angle = 2 atan2(n, w); axis = v / n; near zero angle/n -> 2 / w.
    factor = torch.where(small, 2.0 / w.clamp_min(1e-12), 2.0 * torch.atan2(n, w) / safe_n)
    return v * factor[..., None]


def rot6d_to_rotmat(rot6d: torch.Tensor) -> torch.Tensor:
    """Zhou et al. 6-D rotations to rotation matrices (Gram-Schmidt), as in HMR / SPIN / PARE.

    Args:
        rot6d (Tensor): ``(..., 6)``; reshaped to ``(..., 3, 2)``, its two columns ``a1, a2``.

    Returns:
        Tensor: ``(..., 3, 3)`` with columns ``b1 = a1/|a1|``, ``b2`` = normalised part of ``a2``
        orthogonal to ``b1``, ``b3 = b1 x b2``.
    """
    if rot6d.shape[-1] != 6:
        raise ValueError(f'rot6d must have shape (..., 6), got {tuple(rot6d.shape)}')
    x = rot6d.reshape(rot6d.shape[:-1] + (3, 2))
    a1, a2 = x[..., 0], x[..., 1]
    b1 = F.normalize(a1, dim=-1)
    b2 = F.normalize(a2 - (b1 * a2).sum(-1, keepdim=True) * b1, dim=-1)
    b3 = torch.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)


def rotmat_to_rot6d(rotmat: torch.Tensor) -> torch.Tensor:
    """Rotation matrices to the 6-D representation (inverse of :func:`rot6d_to_rotmat`).

    Args:
        rotmat (Tensor): ``(..., 3, 3)``.

    Returns:
        Tensor: ``(..., 6)``, the first two columns laid out row-major as ``(3, 2)``.
    """
    if rotmat.shape[-2:] != (3, 3):
        raise ValueError(f'rotmat must have shape (..., 3, 3), got {tuple(rotmat.shape)}')
    return rotmat[..., :, :2].reshape(rotmat.shape[:-2] + (6, ))


def flip_smpl_pose(pose: torch.Tensor) -> torch.Tensor:
    """Mirror an SMPL pose through the plane ``x = 0``.

    Under the reflection ``S = diag(-1, 1, 1)`` a rotation ``R`` becomes ``S R S``, which for an
    axis-angle ``(x, y, z)`` is ``(x, -y, -z)``; left and right joints swap places.

    Args:
        pose (Tensor | ndarray): ``(..., 24, 3)`` or ``(..., 72)`` axis-angle, global orientation
            first.

    Returns:
        Same type and shape as ``pose``: the mirrored pose.
    """
    flat = pose.shape[-1] == 72
    if not flat and tuple(pose.shape[-2:]) != (24, 3):
        raise ValueError(f'pose must have shape (..., 24, 3) or (..., 72), got {tuple(pose.shape)}')
    p = pose.reshape(tuple(pose.shape[:-1]) + (24, 3)) if flat else pose
    if torch.is_tensor(p):
        sign = p.new_tensor([1., -1., -1.])
    else:
        sign = np.array([1., -1., -1.], dtype=p.dtype)
    out = p[..., list(SMPL_FLIP_PERM), :] * sign
    return out.reshape(pose.shape) if flat else out
