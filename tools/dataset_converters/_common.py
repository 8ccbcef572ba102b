"""Reading, geometry and HumanData writing shared by the dataset converters of this folder.

Every converter reads its release with the loaders here (a missing file or key is a
:class:`ConversionError` naming the file and the key), counts what it drops in a :class:`Skips`
(printed at the end, never silent) and writes one HumanData ``.npz`` with :func:`write_human_data`:
the layout mmhuman3d's ``HumanData.dump`` writes (keypoints in the 190-joint ``human_data``
convention, compressed by mask) and :class:`mmhpse.datasets.HumanImageDataset` reads.
"""
import argparse
import json
import os
import os.path as osp
from collections import Counter
from typing import Dict, Optional, Sequence

import numpy as np
from _mat73 import load_mat73
from scipy.spatial.transform import Rotation

from mmhpse.conventions import KEYPOINTS

HUMAN_DATA = KEYPOINTS['human_data']
DEFAULT_BODY_MODEL = 'data/body_models'


class ConversionError(ValueError):
    """The release cannot be converted as it is (the message names the file and the key)."""


# ---------------------------------------------------------------- reading
def require_file(path: str, what: str = 'file') -> str:
    if not osp.isfile(path):
        raise ConversionError(f'{path}: {what} not found')
    return path


def load_json(path: str):
    require_file(path, 'annotation file')
    with open(path) as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as err:
            raise ConversionError(f'{path}: not valid JSON ({err})') from err


def get_key(mapping, key, source: str, what: str = 'key'):
    """``mapping[key]``, or a :class:`ConversionError` naming ``source`` and the key."""
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        raise ConversionError(f'{source}: missing {what} {key!r}') from None


def load_mat(path: str, names: Optional[Sequence[str]] = None) -> dict:
    """The variables ``names`` (default: all) of a MATLAB file as ``{name: array}``.

    v4 to v7 files are read by ``scipy.io.loadmat``, v7.3 (HDF5) files by
    :func:`_mat73.load_mat73` (needs h5py), which gives the same arrays as scipy for the same
    MATLAB variables. A variable of ``names`` that the file lacks is left out.
    """
    from scipy.io import loadmat
    require_file(path, 'MATLAB file')
    try:
        return loadmat(path, variable_names=names)
    except NotImplementedError:  # scipy: "Please use HDF reader for matlab v7.3 files"
        pass
    except ValueError as err:
        raise ConversionError(f'{path}: cannot be read as a MATLAB file ({err})') from err
    try:
        import h5py  # noqa: F401
    except ImportError:
        raise ConversionError(f'{path}: a MATLAB v7.3 (HDF5) file; reading it needs h5py, which '
                              'is not installed (pip install h5py)') from None
    try:
        return load_mat73(path, names)
    except OSError as err:
        raise ConversionError(f'{path}: cannot be read as a MATLAB v7.3 (HDF5) file '
                              f'({err})') from err
    except ValueError as err:
        raise ConversionError(f'{path}: {err}') from err


def unwrap(value):
    """The element of (nested) size-1 object arrays, as MATLAB cells / structs load."""
    while isinstance(value, np.ndarray) and value.dtype.hasobject and value.size == 1:
        value = value.reshape(-1)[0]
    return value


def mat_field(struct, name: str, source: str):
    """Field ``name`` of a MATLAB struct loaded by scipy (record or ``mat_struct``)."""
    struct = unwrap(struct)
    if isinstance(struct, np.ndarray) and struct.dtype.names and struct.size == 1:
        struct = struct.reshape(-1)[0]
    names = getattr(getattr(struct, 'dtype', None), 'names', None) or \
        getattr(struct, '_fieldnames', None) or ()
    if name not in names:
        raise ConversionError(f'{source}: missing field {name!r} (fields: {list(names)})')
    value = struct[name] if isinstance(struct, np.void) else getattr(struct, name)
    return unwrap(value)


# ---------------------------------------------------------------- skips
class Skips:
    """Counts of dropped samples (and other notable events) per reason, with a first example."""

    def __init__(self):
        self.counts: Counter = Counter()
        self.examples: Dict[str, str] = {}

    def add(self, reason: str, example: str = '', count: int = 1):
        if count <= 0:
            return
        self.counts[reason] += count
        self.examples.setdefault(reason, example)

    def report(self) -> str:
        if not self.counts:
            return 'nothing skipped'
        return '\n'.join(f'  {n} x {reason}' + (f' (first: {self.examples[reason]})'
                                                 if self.examples[reason] else '')
                         for reason, n in self.counts.most_common())

    def as_dict(self) -> Dict[str, int]:
        return dict(self.counts)


# ---------------------------------------------------------------- geometry
def rotate_global_orient(global_orient: np.ndarray, rot: np.ndarray) -> np.ndarray:
    """Axis-angle ``(N, 3)`` of ``rot @ R(global_orient)`` for rotations ``rot (N, 3, 3)``."""
    mats = np.einsum('nij,njk->nik', rot, Rotation.from_rotvec(global_orient).as_matrix())
    return Rotation.from_matrix(mats).as_rotvec()


def smpl_to_camera(global_orient, transl, pelvis, rot, trans):
    """SMPL parameters in a world frame -> the camera with ``x_cam = rot @ x_world + trans``.

    SMPL rotates the body about its rest pelvis joint ``J0`` (which depends on the shape only)
    and then adds ``transl``: ``x = R (v - J0) + J0 + transl``. In the camera the same body has
    ``R' = rot R`` and ``J0 + transl' = rot (J0 + transl) + trans``.

    Args:
        global_orient (ndarray): ``(N, 3)`` world axis-angle.
        transl (ndarray): ``(N, 3)`` world translation (metres).
        pelvis (ndarray): ``(N, 3)`` rest-pose pelvis ``J0`` of each sample's shape.
        rot (ndarray): ``(N, 3, 3)`` world -> camera rotations.
        trans (ndarray): ``(N, 3)`` world -> camera translations (metres).

    Returns:
        tuple: camera-frame ``global_orient (N, 3)`` and ``transl (N, 3)``.
    """
    cam_transl = np.einsum('nij,nj->ni', rot, pelvis + transl) + trans - pelvis
    return rotate_global_orient(global_orient, rot), cam_transl


class PelvisLocator:
    """Rest-pose pelvis ``J0(betas) = a + B betas`` of one SMPL model (linear in the shape).

    ``a`` and ``B`` are read off the body model itself (SMPL's forward at ``betas = 0`` and at
    each unit vector), so any SMPL-layout model folder works (official or surrogate).

    Args:
        model_path (str): body-model folder (``smpl/SMPL_{NEUTRAL,MALE,FEMALE}.pkl``) or file.
        gender (str): ``'neutral'``, ``'male'`` or ``'female'``.
    """

    def __init__(self, model_path: str, gender: str):
        import torch

        from mmhpse.models.body_models import SMPL
        try:
            model = SMPL(model_path, gender=gender)
        except FileNotFoundError as err:
            raise ConversionError(f'body model: {err} (set --body-model)') from err
        betas = torch.cat([torch.zeros(1, 10), torch.eye(10)]).double()
        with torch.no_grad():
            out = model.double()(global_orient=torch.zeros(11, 3, dtype=torch.float64),
                                 body_pose=torch.zeros(11, 69, dtype=torch.float64), betas=betas)
        j0 = out['smpl_joints'][:, 0].numpy()
        self.offset, self.basis = j0[0], j0[1:] - j0[0]  # (3,), (10, 3)
        self.model_file = model.model_file

    def __call__(self, betas: np.ndarray) -> np.ndarray:
        """``(N, 3)`` pelvis of ``betas (N, 10)``."""
        return self.offset + np.asarray(betas, np.float64)[:, :10] @ self.basis


def project(points: np.ndarray, focal: np.ndarray, princpt: np.ndarray) -> np.ndarray:
    """Pinhole projection of ``points (N, K, 3)`` with ``focal``/``princpt`` ``(N, 2)``."""
    return points[..., :2] / points[..., 2:3] * focal[:, None] + princpt[:, None]


def fit_intrinsics(kp2d: np.ndarray, kp3d: np.ndarray):
    """Least-squares ``focal (2,)``, ``princpt (2,)`` with ``kp2d ~ f * X / Z + c``.

    Args:
        kp2d (ndarray): ``(M, 2)`` pixels.
        kp3d (ndarray): ``(M, 3)`` camera-frame points (any unit).

    Returns:
        tuple: ``focal``, ``princpt`` and the RMS reprojection residual in pixels.
    """
    focal, princpt = np.zeros(2), np.zeros(2)
    for a in range(2):
        design = np.stack([kp3d[:, a] / kp3d[:, 2], np.ones(len(kp3d))], 1)
        (focal[a], princpt[a]), *_ = np.linalg.lstsq(design, kp2d[:, a], rcond=None)
    res = kp3d[:, :2] / kp3d[:, 2:3] * focal + princpt - kp2d
    return focal, princpt, float(np.sqrt((res ** 2).sum(1).mean()))


def bbox_xywh_from_points(points: np.ndarray, valid: np.ndarray, scale: float = 1.0):
    """Box of the valid points of each sample, enlarged ``scale`` times about its centre.

    Args:
        points (ndarray): ``(N, K, 2)``.
        valid (ndarray): ``(N, K)`` bool; every sample needs at least one valid point.

    Returns:
        ndarray: ``(N, 4)`` xywh.
    """
    big = np.where(valid[..., None], points, np.nan)
    lo, hi = np.nanmin(big, 1), np.nanmax(big, 1)
    centre, size = (lo + hi) / 2, (hi - lo) * scale
    return np.concatenate([centre - size / 2, size], 1)


def clip_bbox_xywh(bbox: np.ndarray, width: float, height: float) -> Optional[np.ndarray]:
    """A COCO-style box clipped to the image as the authors' ``process_bbox`` sanitises it;
    ``None`` when nothing of positive area is left."""
    x, y, w, h = (float(v) for v in bbox[:4])
    x1, y1 = max(0., x), max(0., y)
    x2 = min(width - 1., x1 + max(0., w - 1.))
    y2 = min(height - 1., y1 + max(0., h - 1.))
    if w * h <= 0 or x2 <= x1 or y2 <= y1:
        return None
    return np.array([x1, y1, x2 - x1, y2 - y1])


# ---------------------------------------------------------------- writing
def to_human_data(kps: np.ndarray, names: Sequence[str]):
    """Joints named ``names`` as compressed ``human_data`` columns.

    Returns:
        tuple: ``(N, M, C)`` float32 keypoints ordered as ``human_data`` (M = number of named
        joints) and the ``(190,)`` uint8 mask with ones at their positions.
    """
    pos = {n: i for i, n in enumerate(HUMAN_DATA)}
    unknown = [n for n in names if n not in pos]
    if unknown or len(set(names)) != len(names):
        raise ValueError(f'joint names not in human_data (or repeated): {unknown or names}')
    order = np.argsort([pos[n] for n in names])
    mask = np.zeros(len(HUMAN_DATA), np.uint8)
    mask[[pos[n] for n in names]] = 1
    return np.ascontiguousarray(kps[:, order], np.float32), mask


def write_human_data(out: str, image_path: Sequence[str], bbox_xywh: np.ndarray, config: str,
                     keypoints2d=None, keypoints3d=None, smpl: Optional[dict] = None,
                     has_smpl: Optional[np.ndarray] = None, meta: Optional[dict] = None) -> str:
    """Write a HumanData ``.npz`` (uncompressed members, so that readers memory-map them).

    Args:
        out (str): the ``.npz`` path.
        image_path (list[str]): ``N`` paths relative to the dataset folder.
        bbox_xywh (ndarray): ``(N, 4)``; a 5th column (confidence 1) is added.
        config (str): dataset tag (mmhuman3d's ``config`` key).
        keypoints2d (tuple, optional): ``((N, K, 3) array, K joint names)``.
        keypoints3d (tuple, optional): ``((N, K, 4) array, K joint names)``, metres.
        smpl (dict, optional): ``global_orient (N, 3)``, ``body_pose (N, 23, 3)``,
            ``betas (N, 10)``, ``transl (N, 3)``.
        has_smpl (ndarray, optional): ``(N,)``; default all ones when ``smpl`` is given.
        meta (dict, optional): per-sample arrays with ``N`` rows (``gender`` among them).
    """
    n = len(image_path)
    bbox = np.asarray(bbox_xywh, np.float32).reshape(n, 4)
    data = dict(__key_strict__=False, __data_len__=n, __keypoints_compressed__=True,
                image_path=np.asarray(image_path, dtype=str), config=config,
                bbox_xywh=np.concatenate([bbox, np.ones((n, 1), np.float32)], 1))
    for key, item in (('keypoints2d', keypoints2d), ('keypoints3d', keypoints3d)):
        if item is not None:
            data[key], data[f'{key}_mask'] = to_human_data(*item)
            data[f'{key}_convention'] = 'human_data'
    if smpl is not None:
        data['smpl'] = {k: np.asarray(v, np.float32) for k, v in smpl.items()}
        data['has_smpl'] = (np.ones(n) if has_smpl is None else has_smpl).astype(np.uint8)
    if meta:
        data['meta'] = {k: np.asarray(v) for k, v in meta.items()}
    per_sample = [(k, data[k]) for k in ('keypoints2d', 'keypoints3d', 'has_smpl') if k in data]
    for group in ('smpl', 'meta'):
        per_sample += [(f'{group}.{k}', v) for k, v in data.get(group, {}).items()]
    for name, value in per_sample:
        if len(value) != n:
            raise ValueError(f'{out}: {name!r} has {len(value)} rows, expected {n}')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'wb') as f:  # np.savez(path) would append '.npz' to other suffixes
        np.savez(f, **data)
    return out


# ---------------------------------------------------------------- command line
def base_parser(doc: str, splits: Sequence[str], default_split: str,
                body_model: bool = False) -> argparse.ArgumentParser:
    """The common command line: ``--root``, ``--out``, ``--split`` (and ``--body-model``)."""
    parser = argparse.ArgumentParser(description=doc.strip().split('\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--root', required=True, help='folder of the download')
    parser.add_argument('--out', required=True, help='HumanData .npz to write')
    parser.add_argument('--split', default=default_split, choices=list(splits))
    if body_model:
        parser.add_argument('--body-model', default=DEFAULT_BODY_MODEL,
                            help='SMPL folder (smpl/SMPL_{NEUTRAL,MALE,FEMALE}.pkl)')
    return parser


def finish(out: str, num: int, skips: Skips, extra: Optional[dict] = None) -> dict:
    """Print the summary (written samples, counted skips) and return it."""
    print(f'wrote {num} samples -> {out}')
    print('skipped / noted:\n' + skips.report())
    return dict(out_file=out, samples=num, skipped=skips.as_dict(), **(extra or {}))
