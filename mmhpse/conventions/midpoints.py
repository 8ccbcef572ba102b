"""Midpoint stand-ins: a slot of a convention filled with the midpoint of two joints of a file.

Choi et al.'s code extends COCO's 17 joints with "Pelvis" (mid-hips) and "Neck"
(mid-shoulders), each valid only when both parents are (Rethinking ``lib/utils/coord_utils.py``
``add_pelvis_and_neck``, called by ``data/MSCOCO/dataset.py`` when the annotations are read),
and then maps them by name into SMPL's pelvis and neck. Here the same is a rule of the
destination convention, ``{slot: (parent_a, parent_b)}``, applied where keypoints are converted
(:class:`~mmhpse.datasets.HumanImageDataset` ``midpoint_joints``): only to arrays that have no
joint of the slot's name, confidence ``min`` of the parents'. A midpoint commutes with the
flips and affine crops of the pipeline, so filling it before them equals filling it after.
"""
from typing import List, Mapping, Sequence, Tuple

import numpy as np

from .keypoints import KEYPOINTS, _check_name

__all__ = ['MidpointRules', 'check_midpoint_joints', 'midpoint_mappings', 'fill_midpoints']

#: Validated midpoint rules: ``((slot, (parent_a, parent_b)), ...)`` in the convention's order.
MidpointRules = Tuple[Tuple[str, Tuple[str, str]], ...]


def check_midpoint_joints(name: str, rules: Mapping[str, Sequence[str]]) -> MidpointRules:
    """Validate midpoint stand-ins for convention ``name``.

    A rule ``slot: (parent_a, parent_b)`` lets a keypoint array that has no joint named ``slot``
    fill that slot of ``name`` with the midpoint of its joints ``parent_a`` and ``parent_b``
    (:func:`midpoint_mappings`), e.g. the pelvis and neck slots of ``smpl_24_loose`` from the hips
    and shoulders of a COCO file, as Choi et al.'s code adds "Pelvis" and "Neck" to COCO.

    Args:
        name (str): the destination convention.
        rules (Mapping[str, Sequence[str]]): slot name -> the two parent joint names.

    Returns:
        tuple: ``((slot, (parent_a, parent_b)), ...)`` in the order of ``name``'s joints
        (hashable, for caches).

    Raises:
        ValueError: a slot that is not a joint of ``name``, a parent pair that is not two
            distinct known joint names other than the slot (the message names the entry).
    """
    names = KEYPOINTS[_check_name(name)]
    if not isinstance(rules, Mapping):
        raise ValueError(f'midpoint joints of {name!r} must be a dict slot -> (parent, parent), '
                         f'got {type(rules).__name__}')
    known = {j for joints in KEYPOINTS.values() for j in joints}
    out = []
    for slot, parents in rules.items():
        if slot not in names:
            raise ValueError(f'midpoint joint {slot!r} is not a joint of convention {name!r}')
        if isinstance(parents, str) or len(parents) != 2:
            raise ValueError(f'midpoint joint {slot!r}: expected two parent joint names, got '
                             f'{parents!r}')
        a, b = (str(p) for p in parents)
        unknown = [p for p in (a, b) if p not in known]
        if unknown:
            raise ValueError(f'midpoint joint {slot!r}: unknown joint names {unknown} (names of '
                             'mmhpse.conventions.KEYPOINTS)')
        if a == b or slot in (a, b):
            raise ValueError(f'midpoint joint {slot!r}: parents {(a, b)} must be two joints '
                             'other than the slot')
        out.append((names.index(slot), slot, (a, b)))
    return tuple((slot, pair) for _, slot, pair in sorted(out))


def midpoint_mappings(sources: Sequence[Sequence[str]], dst: str,
                      rules: MidpointRules) -> List[Tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Slots of ``dst`` that a file's keypoint arrays fill with midpoints of their joints.

    A rule of :func:`check_midpoint_joints` applies where no array of ``sources`` (the joint
    names of each array of one kind in a file, e.g. SPIN's ``part`` and ``openpose``) has a
    joint of the slot's name (a joint of the file is never replaced); the first array that
    holds both parents fills it.

    Args:
        sources (Sequence[Sequence[str]]): joint names of each array.
        dst (str): the destination convention.
        rules (tuple): :func:`check_midpoint_joints` of ``dst``.

    Returns:
        list[tuple]: per array, ``(dst_idx, parent_a_idx, parent_b_idx)`` int64 arrays (indices
        into ``dst`` and into that array's joints), empty where the array fills no slot.
    """
    names = KEYPOINTS[_check_name(dst)]
    done = {n for src in sources for n in src}
    out = []
    for src in sources:
        pos = {n: i for i, n in enumerate(src)}
        rows = [(names.index(slot), pos[a], pos[b]) for slot, (a, b) in rules
                if slot not in done and a in pos and b in pos]
        done |= {names[r[0]] for r in rows}
        rows = np.array(rows, dtype=np.int64).reshape(-1, 3)
        out.append((rows[:, 0], rows[:, 1], rows[:, 2]))
    return out


def fill_midpoints(out: np.ndarray, src: np.ndarray,
                   mapping: Tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """Write midpoint joints into ``out`` (in place), valid where both parents are.

    Args:
        out (ndarray): ``(K_dst, C)`` keypoints of ``dst``, last column the confidence.
        src (ndarray): ``(K_src, C)`` keypoints the parents are read from (same layout).
        mapping (tuple): the :func:`midpoint_mappings` entry of ``src``.

    Returns:
        ndarray: ``out``; each mapped slot holds ``(a + b) / 2`` with confidence ``min(c_a,
        c_b)`` where that minimum is positive, else zeros (an unlabelled joint).
    """
    dst_idx, a_idx, b_idx = mapping
    if not len(dst_idx):
        return out
    a, b = src[a_idx].astype(np.float64), src[b_idx].astype(np.float64)
    conf = np.minimum(a[:, -1], b[:, -1])
    mid = np.concatenate([0.5 * (a[:, :-1] + b[:, :-1]), conf[:, None]], 1)
    out[dst_idx] = np.where(conf[:, None] > 0, mid, 0)
    return out
