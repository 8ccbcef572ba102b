"""Named keypoint sets, name-based conversion between them, and left/right flip indices.

Joint names follow mmhuman3d's keypoint names wherever the sets overlap, so arrays written by
mmhuman3d tools convert the same way here. A joint is the same joint in two sets exactly when the
name is the same: e.g. LSP's hip (``right_hip_extra``, regressed by SPIN's ``J_regressor_extra``)
is not SMPL's kinematic hip (``right_hip``).

Two names differ from mmhuman3d's *convention* names (joint names are unchanged):

* ``smpl_24`` here is SMPL's 24 kinematic joints (mmhuman3d calls that set ``smpl``), the joints
  ``J_regressor`` gives and PARE's 24 part-attention maps follow.
* ``spin_24`` is SPIN's 24 "ground-truth" joints (the ``part`` / ``S`` order of SPIN's ``.npz``
  files, the last 24 of ``smpl_49``), which mmhuman3d calls ``smpl_24``.

``smpl_24_loose`` is laid out as ``smpl_24`` (slot ``i`` stands for SMPL joint ``i``) but its
pelvis, hips, spine_1, neck and head slots hold the H36M / LSP landmarks of those names
(``pelvis_extra``, ...): the name mapping of Choi et al.'s code, whose ground truth the paper's
recipe compares with SMPL's ``J_regressor`` joints (:data:`BASE_CONVENTIONS`). A file without
a joint of a slot's name may fill it with the midpoint of two of its joints
(:mod:`mmhpse.conventions.midpoints`): the authors' COCO "Pelvis" (mid-hips) and "Neck"
(mid-shoulders) in the pelvis and neck slots.

``coco_19`` (COCO-17 + pelvis + neck, the 19 joints of the paper's 2D pre-training) names its two
extra joints ``pelvis_openpose`` / ``neck_openpose``: both are midpoints (of the hips / of the
shoulders), which is how OpenPose BODY-25 defines MidHip and Neck.
"""
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

__all__ = [
    'KEYPOINTS', 'FILE_CONVENTION_ALIASES', 'H36M_TO_LSP14', 'ROOT_JOINTS', 'BASE_CONVENTIONS',
    'convert_kps', 'get_mapping', 'get_flip_indices', 'get_keypoint_names', 'get_keypoint_num',
    'get_root_indices', 'names_to_indices', 'resolve_convention', 'same_joints'
]

SMPL_24 = [
    'pelvis', 'left_hip', 'right_hip', 'spine_1', 'left_knee', 'right_knee', 'spine_2',
    'left_ankle', 'right_ankle', 'spine_3', 'left_foot', 'right_foot', 'neck', 'left_collar',
    'right_collar', 'head', 'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
    'left_wrist', 'right_wrist', 'left_hand', 'right_hand'
]

# OpenPose BODY-25 order, as the first 25 joints of SPIN's 49.
_OPENPOSE_25 = [
    f'{name}_openpose' for name in (
        'nose', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist', 'left_shoulder',
        'left_elbow', 'left_wrist', 'pelvis', 'right_hip', 'right_knee', 'right_ankle',
        'left_hip', 'left_knee', 'left_ankle', 'right_eye', 'left_eye', 'right_ear', 'left_ear',
        'left_bigtoe', 'left_smalltoe', 'left_heel', 'right_bigtoe', 'right_smalltoe',
        'right_heel')
]

LSP_14 = [
    'right_ankle', 'right_knee', 'right_hip_extra', 'left_hip_extra', 'left_knee', 'left_ankle',
    'right_wrist', 'right_elbow', 'right_shoulder', 'left_shoulder', 'left_elbow', 'left_wrist',
    'neck_extra', 'headtop'
]

# SPIN's 24 'ground-truth' joints: LSP-14, MPII pelvis/thorax, H36M spine/jaw/head, face.
SPIN_24 = LSP_14 + [
    'pelvis_extra', 'thorax_extra', 'spine_extra', 'jaw_extra', 'head_extra', 'nose', 'left_eye',
    'right_eye', 'left_ear', 'right_ear'
]

SMPL_49 = _OPENPOSE_25 + SPIN_24

H36M_17 = [
    'pelvis_extra', 'left_hip_extra', 'left_knee', 'left_ankle', 'right_hip_extra', 'right_knee',
    'right_ankle', 'spine_extra', 'neck_extra', 'head_extra', 'headtop', 'left_shoulder',
    'left_elbow', 'left_wrist', 'right_shoulder', 'right_elbow', 'right_wrist'
]

COCO_17 = [
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder',
    'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip_extra', 'right_hip_extra',
    'left_knee', 'right_knee', 'left_ankle', 'right_ankle'
]

COCO_19 = COCO_17 + ['pelvis_openpose', 'neck_openpose']

MPII_16 = [
    'right_ankle', 'right_knee', 'right_hip_extra', 'left_hip_extra', 'left_knee', 'left_ankle',
    'pelvis_extra', 'thorax_extra', 'neck_extra', 'headtop', 'right_wrist', 'right_elbow',
    'right_shoulder', 'left_shoulder', 'left_elbow', 'left_wrist'
]

# The 17 test joints of MPI-INF-3DHP, also MuPoTS-3D's 17 (mmhuman3d's ``mpi_inf_3dhp_test``).
MPI_INF_3DHP_17 = [
    'headtop', 'neck_extra', 'right_shoulder', 'right_elbow', 'right_wrist', 'left_shoulder',
    'left_elbow', 'left_wrist', 'right_hip_extra', 'right_knee', 'right_ankle', 'left_hip_extra',
    'left_knee', 'left_ankle', 'pelvis_extra', 'spine_extra', 'head_extra'
]


def _human_data_190() -> List[str]:
    """mmhuman3d's 190-joint ``human_data`` superset, the convention its converters store."""
    fingers = ('index', 'middle', 'pinky', 'ring', 'thumb')
    hands = [f'{side}_{f}_{i}' for side in ('left', 'right') for f in fingers for i in (1, 2, 3)]
    tips = [f'{side}_{f}' for side in ('left', 'right')
            for f in ('thumb', 'index', 'middle', 'ring', 'pinky')]
    face = ([f'right_eyebrow_{i}' for i in range(1, 6)] +
            [f'left_eyebrow_{i}' for i in range(5, 0, -1)] +
            [f'nosebridge_{i}' for i in range(1, 5)] +
            ['right_nose_2', 'right_nose_1', 'nose_middle', 'left_nose_1', 'left_nose_2'] +
            [f'right_eye_{i}' for i in range(1, 7)] +
            [f'left_eye_{i}' for i in (4, 3, 2, 1, 6, 5)] +
            ['right_mouth_1', 'right_mouth_2', 'right_mouth_3', 'mouth_top', 'left_mouth_3',
             'left_mouth_2', 'left_mouth_1', 'left_mouth_5', 'left_mouth_4', 'mouth_bottom',
             'right_mouth_4', 'right_mouth_5'] +
            ['right_lip_1', 'right_lip_2', 'lip_top', 'left_lip_2', 'left_lip_1', 'left_lip_3',
             'lip_bottom', 'right_lip_3'] +
            [f'right_contour_{i}' for i in range(1, 9)] + ['contour_middle'] +
            [f'left_contour_{i}' for i in range(8, 0, -1)])
    feet = ['left_bigtoe', 'left_smalltoe', 'left_heel', 'right_bigtoe', 'right_smalltoe',
            'right_heel']
    extra = SPIN_24[2:4] + SPIN_24[12:19]  # the 9 J_regressor_extra joints
    mpi_inf_3dhp = ['spine_4_3dhp', 'left_clavicle_3dhp', 'right_clavicle_3dhp', 'left_hand_3dhp',
                    'right_hand_3dhp', 'left_toe_3dhp', 'right_toe_3dhp']
    return (SMPL_24[:22] + ['jaw', 'left_eyeball', 'right_eyeball'] + hands +
            ['nose', 'right_eye', 'left_eye', 'right_ear', 'left_ear'] + feet + tips + face +
            extra + _OPENPOSE_25 + mpi_inf_3dhp +
            ['head_h36m', 'headtop_h36m', 'head_bottom_pt', 'left_hand', 'right_hand'])


# SMPL's 24 joints where the authors' name mapping (Choi et al., Rethinking:
# lib/utils/aug_utils.py transform_joint_to_other_db) lets another dataset's landmark stand in:
# H36M / LSP / COCO pelvis and hips, H36M spine ('Torso'), neck and head fill SMPL's pelvis,
# hips, spine_1, neck and head. The slots are named after the landmark they hold; the layout is
# smpl_24's (see BASE_CONVENTIONS).
_STAND_INS = {
    'pelvis': 'pelvis_extra', 'left_hip': 'left_hip_extra', 'right_hip': 'right_hip_extra',
    'spine_1': 'spine_extra', 'neck': 'neck_extra', 'head': 'head_extra'
}
SMPL_24_LOOSE = [_STAND_INS.get(n, n) for n in SMPL_24]

#: Every known convention: name -> list of joint names.
KEYPOINTS: Dict[str, List[str]] = {
    'smpl_24': SMPL_24,
    'smpl_24_loose': SMPL_24_LOOSE,
    'spin_24': SPIN_24,
    'smpl_49': SMPL_49,
    'h36m_17': H36M_17,
    'lsp_14': LSP_14,
    'coco_17': COCO_17,
    'coco_19': COCO_19,
    'mpii_16': MPII_16,
    'mpi_inf_3dhp_17': MPI_INF_3DHP_17,
    'human_data': _human_data_190(),
}

#: mmhuman3d convention names that a HumanData file's ``*_convention`` field may hold, mapped to
#: the names here (mmhuman3d's ``smpl_24`` is ``spin_24`` here, see the module docstring; a file
#: saying ``smpl_24`` is read with mmhpse's meaning).
FILE_CONVENTION_ALIASES: Dict[str, str] = {
    'smpl': 'smpl_24',
    'coco': 'coco_17',
    'h36m': 'h36m_17',
    'lsp': 'lsp_14',
    'mpii': 'mpii_16',
    'mpi_inf_3dhp_test': 'mpi_inf_3dhp_17',
}

#: Conventions laid out as another one: slot ``i`` holds a stand-in for joint ``i`` of the base
#: (``smpl_24_loose``: ground truth of H36M / COCO files in the layout of SMPL's 24 joints, as
#: the authors compare it with the J_regressor joints of the predicted mesh).
BASE_CONVENTIONS: Dict[str, str] = {'smpl_24_loose': 'smpl_24'}

#: Root joint(s) of a convention: root-relative 3D keypoints subtract the mean of these joints.
#: SPIN's sets (``smpl_49``, ``spin_24``, ``lsp_14``) have no pelvis of their own; their root is
#: the midpoint of the two LSP hips (SPIN / mmhuman3d).
ROOT_JOINTS: Dict[str, Tuple[str, ...]] = {
    'smpl_24': ('pelvis', ),
    'smpl_24_loose': ('pelvis_extra', ),
    'smpl_49': ('right_hip_extra', 'left_hip_extra'),
    'spin_24': ('right_hip_extra', 'left_hip_extra'),
    'lsp_14': ('right_hip_extra', 'left_hip_extra'),
    'h36m_17': ('pelvis_extra', ),
    'mpi_inf_3dhp_17': ('pelvis_extra', ),
    'mpii_16': ('pelvis_extra', ),
    'coco_17': ('right_hip_extra', 'left_hip_extra'),
    'coco_19': ('right_hip_extra', 'left_hip_extra'),
}

#: PAPER.md's H36M-17 -> LSP-14 index list (3DPW / Human3.6M evaluation joints).
H36M_TO_LSP14 = (6, 5, 4, 1, 2, 3, 16, 15, 14, 11, 12, 13, 8, 10)


def _check_name(name: str) -> str:
    if name not in KEYPOINTS:
        raise KeyError(f'Unknown keypoint convention {name!r}; known conventions: '
                       f'{sorted(KEYPOINTS)}')
    return name


def resolve_convention(name: str) -> str:
    """Convention name of mmhpse for a name read from a file (mmhuman3d aliases accepted)."""
    return _check_name(FILE_CONVENTION_ALIASES.get(name, name))


def get_keypoint_names(name: str) -> List[str]:
    """Joint names of a convention (a copy)."""
    return list(KEYPOINTS[_check_name(name)])


def get_keypoint_num(name: str) -> int:
    """Number of joints of a convention."""
    return len(KEYPOINTS[_check_name(name)])


@lru_cache(maxsize=None)
def get_mapping(src: str, dst: str) -> Tuple[np.ndarray, np.ndarray]:
    """Index pairs of the joints two conventions share by name.

    Returns:
        tuple: ``(dst_idx, src_idx)`` int64 arrays with ``dst[dst_idx] = src[src_idx]``.
    """
    src_names = KEYPOINTS[_check_name(src)]
    dst_names = KEYPOINTS[_check_name(dst)]
    src_pos = {n: i for i, n in enumerate(src_names)}
    pairs = [(d, src_pos[n]) for d, n in enumerate(dst_names) if n in src_pos]
    dst_idx = np.array([p[0] for p in pairs], dtype=np.int64)
    src_idx = np.array([p[1] for p in pairs], dtype=np.int64)
    dst_idx.flags.writeable = False
    src_idx.flags.writeable = False
    return dst_idx, src_idx


Array = Union[np.ndarray, torch.Tensor]


def convert_kps(kps: Array, src: str, dst: str,
                src_mask: Optional[Array] = None) -> Tuple[Array, Array]:
    """Convert keypoints between conventions by joint name.

    Joints of ``dst`` that ``src`` lacks are zero and get mask 0.

    Args:
        kps (ndarray | Tensor): ``(..., K_src, C)``.
        src (str): source convention.
        dst (str): destination convention.
        src_mask (ndarray | Tensor, optional): ``(K_src,)`` validity of the source joints
            (default all valid); carried over to the destination mask.

    Returns:
        tuple: ``kps_out (..., K_dst, C)`` (same type, dtype and device as ``kps``) and
        ``mask (K_dst,)`` (uint8 numpy array, or a uint8 tensor for tensor input).
    """
    dst_idx, src_idx = get_mapping(src, dst)
    num_src, num_dst = len(KEYPOINTS[src]), len(KEYPOINTS[dst])
    if kps.ndim < 2 or kps.shape[-2] != num_src:
        raise ValueError(f'convert_kps: keypoints of shape {tuple(kps.shape)} do not have '
                         f'{num_src} joints of convention {src!r} on axis -2')
    out_shape = tuple(kps.shape[:-2]) + (num_dst, kps.shape[-1])
    if isinstance(kps, torch.Tensor):
        out = kps.new_zeros(out_shape)
        mask = torch.zeros(num_dst, dtype=torch.uint8, device=kps.device)
        d = torch.tensor(dst_idx, device=kps.device)
        s = torch.tensor(src_idx, device=kps.device)
    else:
        kps = np.asarray(kps)
        out = np.zeros(out_shape, dtype=kps.dtype)
        mask = np.zeros(num_dst, dtype=np.uint8)
        d, s = dst_idx, src_idx
    out[..., d, :] = kps[..., s, :]
    if src_mask is None:
        mask[d] = 1
    else:
        if src_mask.shape[-1] != num_src:
            raise ValueError(f'convert_kps: mask of shape {tuple(src_mask.shape)} does not have '
                             f'{num_src} joints of convention {src!r}')
        src_mask = (src_mask[s] != 0)
        mask[d] = src_mask.to(torch.uint8) if isinstance(mask, torch.Tensor) else src_mask
    return out, mask


def _mirror_name(name: str) -> str:
    tokens = name.split('_')
    swap = {'left': 'right', 'right': 'left'}
    return '_'.join(swap.get(t, t) for t in tokens)


@lru_cache(maxsize=None)
def _flip_indices(name: str) -> Tuple[int, ...]:
    names = KEYPOINTS[_check_name(name)]
    pos = {n: i for i, n in enumerate(names)}
    out = []
    for n in names:
        m = _mirror_name(n)
        if m not in pos:
            raise ValueError(f'Convention {name!r}: joint {n!r} has no mirror joint {m!r}')
        out.append(pos[m])
    return tuple(out)


def get_flip_indices(name: str) -> List[int]:
    """Left/right flip permutation: joint ``i`` of a mirrored sample is joint ``flip[i]``.

    Pairs are found by swapping the ``left``/``right`` words of each joint name; joints without
    a side map to themselves.
    """
    return list(_flip_indices(name))


def names_to_indices(name: str, joints: Sequence[str]) -> List[int]:
    """Indices of the named joints in a convention (``KeyError`` naming a missing joint)."""
    pos = {n: i for i, n in enumerate(KEYPOINTS[_check_name(name)])}
    missing = [j for j in joints if j not in pos]
    if missing:
        raise KeyError(f'Convention {name!r} has no joints {missing}')
    return [pos[j] for j in joints]


def same_joints(name_a: str, name_b: str) -> bool:
    """Whether two conventions list the same joints in the same order, compared by the names of
    their layouts (:data:`BASE_CONVENTIONS`: ``smpl_24_loose`` is laid out as ``smpl_24``)."""
    layout = [BASE_CONVENTIONS.get(_check_name(n), n) for n in (name_a, name_b)]
    return KEYPOINTS[layout[0]] == KEYPOINTS[layout[1]]


def get_root_indices(name: str) -> List[int]:
    """Indices of the root joint(s) of a convention (:data:`ROOT_JOINTS`).

    Raises:
        KeyError: The convention is unknown or has no root defined (the message lists those
            that have one).
    """
    _check_name(name)
    if name not in ROOT_JOINTS:
        raise KeyError(f'Convention {name!r} has no root joint defined; conventions with a root: '
                       f'{sorted(ROOT_JOINTS)}')
    return names_to_indices(name, ROOT_JOINTS[name])
