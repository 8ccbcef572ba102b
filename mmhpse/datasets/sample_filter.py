"""Subject / camera / frame-stride selection of Human3.6M samples, read from their image paths.

Human3.6M test protocols keep a subset of the frames: protocol 2 of the authors' code
(Rethinking ``data/Human36M/dataset.py``) keeps subjects S9 and S11, the frontal camera "4"
(serial ``60457274``) and every 64th frame (``frame_idx % 64 == 0``, 0-based video frame).
:func:`select_h36m_rows` applies such a selection to the rows of an annotation file.

The ids are parsed from the image paths, in the layouts the known converters write (frame numbers
in file names are 1-based in all of them, i.e. the 0-based video frame is ``number - 1``):

- mmhuman3d ``H36mConverter``:
  ``S9/images/S9_Directions_1.60457274/S9_Directions_1.60457274_000001.jpg``
- SPIN ``h36m_*.npz`` (``imgname``): ``images/S9_Directions_1.60457274_000001.jpg``
- the Human3.6M release of the authors' code (Pose2Mesh / I2L-MeshNet):
  ``s_09_act_02_subact_01_ca_04/s_09_act_02_subact_01_ca_04_000001.jpg`` (camera index 1-4)

A file only holds the frames its converter kept (mmhuman3d and SPIN keep every 5th). A stride the
file's frame grid cannot provide (every 64th frame of an every-5th file would keep only the
frames at multiples of 320) is an error, never a silently sparser set.
"""
import math
import os.path as osp
import re
from collections import defaultdict
from typing import Dict, Sequence

import numpy as np
from mmengine.logging import print_log

__all__ = ['H36M_CAMERAS', 'parse_h36m_path', 'select_h36m_rows']

#: Camera serials of Human3.6M in the order of the camera index 1-4 (index 4 = frontal).
H36M_CAMERAS = ('54138969', '55011271', '58860488', '60457274')

_SERIAL = re.compile(
    r'(?P<subject>S\d+)_(?P<action>[^/\\]+)\.(?P<camera>\d{8})_(?P<frame>\d+)\.\w+$')
_RELEASE = re.compile(r's_(?P<subject>\d+)_act_(?P<action>\d+)_subact_(?P<subaction>\d+)'
                      r'_ca_(?P<camera>\d+)_(?P<frame>\d+)\.\w+$')
_LAYOUTS = ('<S>_<action>.<camera serial>_<frame>.jpg (mmhuman3d, SPIN)',
            's_<S>_act_<a>_subact_<s>_ca_<camera 1-4>_<frame>.jpg (Human3.6M release)')
_KEYS = ('subjects', 'cameras', 'frame_stride')


def parse_h36m_path(path: str) -> dict:
    """Ids of one Human3.6M image path.

    Returns:
        dict: ``subject`` (``'S9'``), ``camera`` (serial, ``'60457274'``), ``sequence`` (a key
        unique per video), ``frame`` (0-based video frame); ``None`` when no layout matches.
    """
    name = osp.basename(str(path))
    m = _SERIAL.search(name)
    if m is not None:
        return dict(subject=m['subject'], camera=m['camera'],
                    sequence=f"{m['subject']}_{m['action']}.{m['camera']}",
                    frame=int(m['frame']) - 1)
    m = _RELEASE.search(name)
    if m is None or not 1 <= int(m['camera']) <= len(H36M_CAMERAS):
        return None
    subject = f"S{int(m['subject'])}"
    camera = H36M_CAMERAS[int(m['camera']) - 1]
    return dict(subject=subject, camera=camera,
                sequence=f"{subject}_{m['action']}_{m['subaction']}.{camera}",
                frame=int(m['frame']) - 1)


def _check_spec(spec: dict, ann_file: str) -> dict:
    unknown = sorted(set(spec) - set(_KEYS))
    if unknown:
        raise KeyError(f'{ann_file}: sample_filter has unknown keys {unknown}; known: {_KEYS}')
    out = dict(spec)
    for key in ('subjects', 'cameras'):
        if out.get(key) is not None:
            if isinstance(out[key], str) or not isinstance(out[key], Sequence) \
                    or not out[key]:
                raise ValueError(f'{ann_file}: sample_filter.{key} must be a non-empty list, '
                                 f'got {out[key]!r}')
            out[key] = {str(v) for v in out[key]}
    bad = sorted(c for c in out.get('cameras') or () if c not in H36M_CAMERAS)
    if bad:
        raise ValueError(f'{ann_file}: sample_filter.cameras {bad} are not Human3.6M camera '
                         f'serials {H36M_CAMERAS}')
    bad = sorted(s for s in out.get('subjects') or () if not re.fullmatch(r'S\d+', s))
    if bad:
        raise ValueError(f"{ann_file}: sample_filter.subjects {bad} must look like 'S9'")
    stride = out.get('frame_stride')
    if stride is not None and (not isinstance(stride, int) or stride < 1):
        raise ValueError(f'{ann_file}: sample_filter.frame_stride must be a positive int, '
                         f'got {stride!r}')
    return out


def _check_frame_grid(frames: Dict[str, list], stride: int, ann_file: str) -> None:
    """Every frame ``f % stride == 0`` of each video must be one the file can hold."""
    for seq, values in sorted(frames.items()):
        values = sorted(set(values))
        step = 0
        for a, b in zip(values, values[1:]):
            step = math.gcd(step, b - a)
        if step == 0:
            continue  # one frame: no grid to check
        if stride % step or values[0] % step:
            raise ValueError(
                f'{ann_file}: sample_filter.frame_stride={stride} asks for every {stride}th '
                f'frame, but the file holds the frames of {seq} on a grid of {step} starting at '
                f'frame {values[0]} (0-based), so that set is not in it (every {stride}th frame of '
                f'an every-{step}th file keeps only the frames at multiples of '
                f'{stride * step // math.gcd(stride, step)}). Use a file with every frame (or a '
                'frame grid dividing the stride), or drop frame_stride to evaluate the frames '
                'the file has.')


def select_h36m_rows(names: np.ndarray, rows: np.ndarray, spec: dict, ann_file: str,
                     key: str) -> np.ndarray:
    """Rows of ``rows`` whose image path passes ``spec``.

    Args:
        names (ndarray): Image paths of all rows of the file.
        rows (ndarray): int64 candidate rows (in the dataset's order, kept).
        spec (dict): ``subjects`` (e.g. ``['S9', 'S11']``), ``cameras`` (serials, e.g.
            ``['60457274']``), ``frame_stride`` (keep 0-based frames ``f % stride == 0``); each
            optional.
        ann_file (str): The file (for messages). key (str): Its image-path key (for messages).

    Returns:
        ndarray: int64 rows, a subsequence of ``rows``.
    """
    spec = _check_spec(spec, ann_file)
    subjects, cameras, stride = spec.get('subjects'), spec.get('cameras'), \
        spec.get('frame_stride')
    keep = np.zeros(len(rows), bool)
    frames = defaultdict(list)
    for i, row in enumerate(rows):
        ids = parse_h36m_path(names[row])
        if ids is None:
            raise ValueError(
                f"{ann_file}: key '{key}' at row {int(row)} ({str(names[row])!r}) holds no "
                f'Human3.6M subject / camera / frame id, which sample_filter needs; known layouts: '
                f'{"; ".join(_LAYOUTS)}')
        if (subjects is None or ids['subject'] in subjects) and \
                (cameras is None or ids['camera'] in cameras):
            frames[ids['sequence']].append(ids['frame'])
            keep[i] = stride is None or ids['frame'] % stride == 0
    if stride is not None:
        _check_frame_grid(frames, stride, ann_file)
    out = np.asarray(rows, dtype=np.int64)[keep]
    if len(out) == 0:
        raise ValueError(f'{ann_file}: sample_filter keeps none of its {len(rows)} samples '
                         f'(subjects {subjects}, cameras {cameras}, frame_stride {stride})')
    shown = {k: sorted(v) if isinstance(v, set) else v for k, v in sorted(spec.items())}
    print_log(f'{ann_file}: sample_filter {shown} keeps {len(out)} of '
              f'{len(rows)} samples ({len(frames)} videos)', logger='current')
    return out
