"""Column-wise annotations of mmhuman3d HumanData and SPIN ``.npz`` files, validated once.

Both layouts are read as their tools write them.

HumanData (mmhuman3d ``HumanData.dump``, ``np.savez_compressed``): ``image_path (N,)``,
``bbox_xywh (N, 4|5)`` (5th column: box confidence), optional ``keypoints2d (N, K, 3)`` /
``keypoints3d (N, K, 4)`` with ``keypoints{2,3}d_mask (K_conv,)`` and
``keypoints{2,3}d_convention`` (default ``'human_data'``, 190 joints; with
``__keypoints_compressed__`` the arrays hold only the ``mask == 1`` joints, ``K = mask.sum()``),
optional ``smpl`` dict (``global_orient (N, 3)``, ``body_pose (N, 23, 3)`` or ``(N, 69)``,
``betas (N, 10)``, optional ``transl (N, 3)``), optional ``has_smpl (N,)``, optional ``meta`` dict
with ``gender (N,)`` (``'m'``/``'f'``/``'male'``/``'female'``/``'neutral'``).

SPIN (``datasets/preprocess/*.py`` of SPIN): ``imgname (N,)``, ``center (N, 2)``, ``scale (N,)``
(box side = ``scale * 200`` px), ``part (N, 24, 3)`` (SPIN's 24 joints, ``spin_24``), optional
``S (N, 24, 4)``, ``openpose (N, 25, 3)``, ``pose (N, 72)`` with ``shape (N, 10)``,
``has_smpl (N,)`` (default: 1 where ``pose`` exists), ``gender (N,)`` (``'m'``/``'f'``).

Structural problems (missing key, wrong shape, unknown convention, 3D keypoints in millimetres,
an unreadable or corrupt file or member) always raise :class:`AnnotationError`; a pickled member
naming a class outside the allow-list of :mod:`mmhpse.utils.safe_pickle` raises its
``UnsafePickleError`` (nothing of the file is executed). Bad samples (non-finite values,
zero-area box, unknown gender) raise an error naming the file, the key and the first bad sample
index, or with ``drop_invalid=True`` are dropped, counted and logged. The scan reads the arrays
in chunks, once per file version: its result is kept in the file's cache (see
:mod:`mmhpse.datasets.lazy_npz`).
"""
import logging
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import print_log

from mmhpse.conventions import KEYPOINTS, fill_midpoints, midpoint_mappings, resolve_convention
from mmhpse.conventions.midpoints import MidpointRules
from .lazy_npz import LazyNpz, NpzReadError

__all__ = ['AnnotationError', 'HumanAnnotations']

_SCAN_VERSION = 2  # 2: unit check of the 3D keypoints
_SCAN_ROWS = 1 << 16
_UNIT_ROWS = 4096  # rows sampled (evenly spread) for the unit check
#: A joint of a person in metres lies well within this of the centroid of the sample's joints; in
#: millimetres the median distance is some hundreds.
_MAX_MEDIAN_METRES = 10.
_GENDERS = {'n': 0, 'neutral': 0, 'm': 1, 'male': 1, 'f': 2, 'female': 2}
GENDER_NAMES = ('neutral', 'male', 'female')
_OPENPOSE_NAMES = KEYPOINTS['smpl_49'][:25]


def _private_map(arr: np.ndarray) -> np.ndarray:
    """A separate memory map of the same data (for a one-off full read)."""
    if not isinstance(arr, np.memmap) or arr.filename is None:
        return arr
    order = 'F' if arr.flags.f_contiguous and not arr.flags.c_contiguous else 'C'
    return np.memmap(arr.filename, dtype=arr.dtype, mode='r', offset=arr.offset,
                     shape=arr.shape, order=order)


class AnnotationError(ValueError):
    """A HumanData / SPIN file that cannot be used as it is."""


class _Keypoints:
    """One stored keypoint array with the joint names of its columns."""

    def __init__(self, array: np.ndarray, names: Sequence[str]):
        self.array = array
        self.names = list(names)
        self._maps: Dict[str, Tuple[np.ndarray, np.ndarray]] = {}

    def mapping(self, dst: str) -> Tuple[np.ndarray, np.ndarray]:
        if dst not in self._maps:
            pos = {n: i for i, n in enumerate(self.names)}
            pairs = [(d, pos[n]) for d, n in enumerate(KEYPOINTS[dst]) if n in pos]
            self._maps[dst] = (np.array([p[0] for p in pairs], dtype=np.int64),
                               np.array([p[1] for p in pairs], dtype=np.int64))
        return self._maps[dst]


class HumanAnnotations:
    """Annotations of one HumanData or SPIN file, kept column-wise and memory-mapped.

    Args:
        path (str): the ``.npz`` file.
        cache_dir (str, optional): see :class:`~mmhpse.datasets.lazy_npz.LazyNpz`.
        drop_invalid (bool): drop bad samples (counted, logged) instead of raising.

    Attributes:
        num_raw (int): samples in the file.
        bad_rows (ndarray): int64 file rows dropped (empty unless ``drop_invalid``).
        fmt (str): ``'humandata'`` or ``'spin'``.
    """

    def __init__(self, path: str, cache_dir: Optional[str] = None, drop_invalid: bool = False):
        self.path = path
        self.cache_dir = cache_dir
        self.drop_invalid = drop_invalid
        try:
            self.store = LazyNpz(path, cache_dir)
        except NpzReadError as err:
            raise AnnotationError(str(err)) from err
        self.kp2d: List[_Keypoints] = []
        self.kp3d: List[_Keypoints] = []
        self.smpl: Optional[dict] = None
        self.has_smpl = None
        self.gender_strings = None
        self._midpoint_plans: Dict[tuple, Dict[str, list]] = {}
        if 'image_path' in self.store:
            self.fmt = 'humandata'
            self._read_humandata()
        elif 'imgname' in self.store:
            self.fmt = 'spin'
            self._read_spin()
        else:
            raise AnnotationError(f"{path}: missing key 'image_path' (HumanData) or 'imgname' "
                                  f'(SPIN); keys: {sorted(self.store.keys())}')
        self._scan()

    def __getstate__(self):  # workers started by spawn re-open the (cached) file
        return dict(path=self.path, cache_dir=self.cache_dir, drop_invalid=self.drop_invalid)

    def __setstate__(self, state):
        self.__init__(**state)

    # ---------------------------------------------------------------- structure
    def _fail(self, key: str, msg: str):
        raise AnnotationError(f"{self.path}: key '{key}' {msg}")

    def _array(self, key: str, tail: Sequence[Tuple[int, ...]], source=None, prefix='',
               required=True):
        """Fetch ``key`` (of ``source``, a dict member named ``prefix``) and check that it has
        ``num_raw`` rows and one of the trailing shapes ``tail`` (any when empty)."""
        source = self.store if source is None else source
        name = f'{prefix}.{key}' if prefix else key
        if key not in source:
            if required:
                raise AnnotationError(f"{self.path}: missing key '{name}'")
            return None
        arr = source[key]
        if not isinstance(arr, np.ndarray) or arr.ndim == 0:
            self._fail(name, f'is not an array (got {type(arr).__name__})')
        if arr.shape[0] != self.num_raw or (tail and tuple(arr.shape[1:]) not in tail):
            expected = ' or '.join(str((self.num_raw, ) + t) for t in tail) if tail else \
                f'({self.num_raw}, ...)'
            self._fail(name, f'has shape {tuple(arr.shape)}, expected {expected}')
        return arr

    def _keypoints(self, key: str, dim: int, compressed: bool) -> Optional[_Keypoints]:
        arr = self._array(key, (), required=False)
        if arr is None:
            return None
        try:
            conv = resolve_convention(str(self.store.get(f'{key}_convention', 'human_data')))
        except KeyError as e:
            self._fail(f'{key}_convention', e.args[0])
        names = KEYPOINTS[conv]
        mask = self.store.get(f'{key}_mask')
        mask = np.ones(len(names), np.uint8) if mask is None else np.asarray(mask)
        if mask.shape != (len(names), ):
            self._fail(f'{key}_mask', f'has shape {mask.shape}, expected ({len(names)},) for '
                       f'convention {conv!r}')
        num = int((mask != 0).sum()) if compressed else len(names)
        if arr.ndim != 3 or arr.shape[1:] != (num, dim):
            self._fail(key, f'has shape {tuple(arr.shape)}, expected ({self.num_raw}, {num}, '
                       f'{dim}) (convention {conv!r}, compressed={compressed})')
        if compressed:
            return _Keypoints(arr, [names[i] for i in np.flatnonzero(mask)])
        # joints with mask 0 are not annotated: give them a name no convention uses
        return _Keypoints(arr, [n if mask[i] else f'<unset {n}>' for i, n in enumerate(names)])

    def _read_image_names(self, key: str) -> None:
        """The 1-D array of image paths under ``key`` sets the raw sample count."""
        names = self.store[key]
        if not isinstance(names, np.ndarray) or names.ndim != 1:
            self._fail(key, 'is not a 1-D array of paths')
        self.num_raw = len(names)
        self.img_names = names

    def _read_humandata(self):
        self._read_image_names('image_path')
        self.bbox = self._array('bbox_xywh', [(4, ), (5, )])
        compressed = bool(self.store.get('__keypoints_compressed__', False))
        for key, dim, out in (('keypoints2d', 3, self.kp2d), ('keypoints3d', 4, self.kp3d)):
            kp = self._keypoints(key, dim, compressed)
            if kp is not None:
                out.append(kp)
        if 'smpl' in self.store:
            smpl = self.store['smpl']
            if not isinstance(smpl, dict):
                self._fail('smpl', f'is not a dict (got {type(smpl).__name__})')
            self.smpl = dict(
                global_orient=self._array('global_orient', [(3, )], smpl, 'smpl'),
                body_pose=self._array('body_pose', [(23, 3), (69, )], smpl, 'smpl'),
                betas=self._array('betas', [(10, )], smpl, 'smpl'),
                transl=self._array('transl', [(3, )], smpl, 'smpl', required=False))
            self.has_smpl = self._array('has_smpl', [()], required=False)
        meta = self.store.get('meta')
        if isinstance(meta, dict) and 'gender' in meta:
            self.gender_strings = self._array('gender', [()], meta, 'meta')

    def _read_spin(self):
        self._read_image_names('imgname')
        self.center = self._array('center', [(2, )])
        self.scale = self._array('scale', [(), (1, )])
        self.kp2d.append(_Keypoints(self._array('part', [(24, 3)]), KEYPOINTS['spin_24']))
        openpose = self._array('openpose', [(25, 3)], required=False)
        if openpose is not None:
            self.kp2d.append(_Keypoints(openpose, _OPENPOSE_NAMES))
        s = self._array('S', [(24, 4)], required=False)
        if s is not None:
            self.kp3d.append(_Keypoints(s, KEYPOINTS['spin_24']))
        if 'pose' in self.store or 'shape' in self.store:
            self.smpl = dict(pose=self._array('pose', [(72, )]),
                             betas=self._array('shape', [(10, )]))
            self.has_smpl = self._array('has_smpl', [()], required=False)
        self.gender_strings = self._array('gender', [()], required=False)

    # ---------------------------------------------------------------- sample validation
    def _checks(self):
        """``(key, problem, array, row_test)``: ``row_test(chunk) -> bool (rows,)`` bad rows."""

        def nonfinite(c):
            return ~np.isfinite(c.reshape(len(c), -1)).all(1)

        out = []
        if self.fmt == 'humandata':
            out.append(('bbox_xywh', 'a non-finite value', self.bbox, nonfinite))
            out.append(('bbox_xywh', 'a zero-area box (w <= 0 or h <= 0)', self.bbox,
                        lambda c: ~((c[:, 2] > 0) & (c[:, 3] > 0))))
        else:
            out.append(('center', 'a non-finite value', self.center, nonfinite))
            out.append(('scale', 'a non-finite value', self.scale, nonfinite))
            out.append(('scale', 'a zero-area box (scale <= 0)', self.scale,
                        lambda c: ~(c.reshape(len(c)) > 0)))
        keys2d = ['keypoints2d'] if self.fmt == 'humandata' else ['part', 'openpose']
        keys3d = ['keypoints3d'] if self.fmt == 'humandata' else ['S']
        for key, kp in zip(keys2d + keys3d, self.kp2d + self.kp3d):
            out.append((key, 'a non-finite value', kp.array, nonfinite))
        if self.smpl is not None:
            for name, arr in self.smpl.items():
                if arr is not None:
                    key = name if self.fmt == 'spin' else f'smpl.{name}'
                    key = 'shape' if key == 'betas' else key
                    out.append((key, 'a non-finite value', arr, nonfinite))
        if self.gender_strings is not None:
            key = 'gender' if self.fmt == 'spin' else 'meta.gender'
            out.append((key, f'an unknown gender (known: {sorted(_GENDERS)})',
                        self.gender_strings,
                        lambda c: ~np.isin(np.char.lower(c.astype(str)), list(_GENDERS))))
        return out

    def _scan(self) -> None:
        """Find bad samples (cached per file version), then raise or drop them."""
        report = self.store.read_json('validation.json')
        if report is None or report.get('version') != _SCAN_VERSION:
            problems, bad_rows = [], np.zeros(self.num_raw, bool)
            for key, problem, arr, test in self._checks():
                arr = _private_map(arr)  # unmapped after the scan: its pages leave the RSS
                bad = np.zeros(self.num_raw, bool)
                for start in range(0, self.num_raw, _SCAN_ROWS):
                    bad[start:start + _SCAN_ROWS] = test(np.asarray(arr[start:start + _SCAN_ROWS]))
                del arr
                if bad.any():
                    idx = np.flatnonzero(bad)
                    problems.append(dict(key=key, problem=problem, first=int(idx[0]),
                                         count=int(len(idx))))
                    bad_rows |= bad
            report = dict(version=_SCAN_VERSION, problems=problems,
                          bad_rows=np.flatnonzero(bad_rows).tolist(), units=self._unit_check())
            self.store.write_json('validation.json', report)
        for key, median in report['units'].items():
            if median > _MAX_MEDIAN_METRES:
                raise AnnotationError(
                    f"{self.path}: key '{key}' looks like millimetres, not metres: the median "
                    f"distance of a joint from its sample's centroid is {median:.1f} (a body is "
                    'about 0.1-1 m across); convert the 3D keypoints to metres (divide by 1000)')
        if report['problems'] and not self.drop_invalid:
            p = report['problems'][0]
            raise AnnotationError(
                f"{self.path}: key '{p['key']}' has {p['problem']} at sample index {p['first']} "
                f"({p['count']} bad samples for this key; drop_invalid=True drops them)")
        for p in report['problems']:
            print_log(f"{self.path}: dropped {p['count']} samples with {p['problem']} in key "
                      f"'{p['key']}' (first: index {p['first']})", logger='current',
                      level=logging.WARNING)
        self.bad_rows = np.asarray(report['bad_rows'], dtype=np.int64)
        if len(self.bad_rows):
            print_log(f'{self.path}: kept {self.num_kept} of {self.num_raw} samples',
                      logger='current', level=logging.WARNING)
        # kept row k is k + j, j = number of bad rows below it: searchsorted on bad - arange
        self._bad_shifted = self.bad_rows - np.arange(len(self.bad_rows))

    def _unit_check(self) -> Dict[str, float]:
        """Median distance of the (finite, confident) 3D joints from their sample's centroid,
        per 3D keypoint key, over up to ``_UNIT_ROWS`` evenly spread rows."""
        keys3d = ['keypoints3d'] if self.fmt == 'humandata' else ['S']
        rows = np.unique(np.linspace(0, self.num_raw - 1, min(self.num_raw, _UNIT_ROWS))
                         .astype(np.int64))
        out = {}
        for key, kp in zip(keys3d, self.kp3d):
            if not len(rows):
                continue
            arr = np.asarray(_private_map(kp.array)[rows], np.float64)  # (R, K, 4)
            valid = np.isfinite(arr).all(-1) & (arr[..., 3] > 0)
            counts = valid.sum(1, keepdims=True)
            xyz = np.where(valid[..., None], arr[..., :3], 0.)
            centroid = xyz.sum(1, keepdims=True) / np.maximum(counts, 1)[..., None]
            dist = np.linalg.norm(xyz - centroid, axis=-1)[valid & (counts > 1)]
            if len(dist):
                out[key] = float(np.median(dist))
        return out

    @property
    def num_kept(self) -> int:
        """Number of samples kept (``num_raw`` minus dropped)."""
        return self.num_raw - len(self.bad_rows)

    def kept_row(self, k: int) -> int:
        """File row of the ``k``-th kept sample (memory: O(dropped), not O(N))."""
        return k + int(np.searchsorted(self._bad_shifted, k, side='right'))

    @property
    def rows(self) -> np.ndarray:
        """int64 file rows of all kept samples (materialised on request)."""
        keep = np.ones(self.num_raw, bool)
        keep[self.bad_rows] = False
        return np.flatnonzero(keep)

    # ---------------------------------------------------------------- samples
    @staticmethod
    def _gather(sources: List[_Keypoints], row: int, convention: str, dim: int,
                midpoints: Sequence[tuple] = ()) -> np.ndarray:
        out = np.zeros((len(KEYPOINTS[convention]), dim), np.float32)
        for kp in sources:
            dst_idx, src_idx = kp.mapping(convention)
            out[dst_idx] = kp.array[row, src_idx]
        for kp, mapping in midpoints:
            fill_midpoints(out, np.asarray(kp.array[row]), mapping)
        return out

    def midpoint_plan(self, convention: str, rules: MidpointRules) -> Dict[str, list]:
        """``'keypoints2d'`` / ``'keypoints3d'`` -> ``[(array, mapping)]``: where the rules of
        :func:`~mmhpse.conventions.check_midpoint_joints` apply to the file's arrays of that
        kind (:func:`~mmhpse.conventions.midpoint_mappings`; cached)."""
        key = (convention, rules)
        if key not in self._midpoint_plans:
            self._midpoint_plans[key] = {
                kind: [(kp, m) for kp, m in zip(
                    sources, midpoint_mappings([kp.names for kp in sources], convention, rules))
                       if len(m[0])]
                for kind, sources in (('keypoints2d', self.kp2d), ('keypoints3d', self.kp3d))}
        return self._midpoint_plans[key]

    def sample(self, row: int, convention: str, midpoints: MidpointRules = ()) -> dict:
        """Annotations of sample ``row`` (an index into the file) in ``convention``, slots of
        ``midpoints`` (:func:`~mmhpse.conventions.check_midpoint_joints`) filled as
        :meth:`midpoint_plan` says.

        Returns:
            dict: ``img_name`` (path relative to the image folder), ``bbox_xywh (4,)``,
            ``keypoints2d (K, 3)``, ``keypoints3d (K, 4)``, ``has_keypoints2d``,
            ``has_keypoints3d``, ``smpl_global_orient (3,)``, ``smpl_body_pose (23, 3)``,
            ``smpl_betas (10,)``, ``has_smpl``, ``gender``. Joints the file lacks are zero.
        """
        if self.fmt == 'humandata':
            bbox = np.array(self.bbox[row, :4], np.float32)
        else:
            side = float(np.asarray(self.scale[row]).reshape(-1)[0]) * 200.0
            cx, cy = (float(v) for v in self.center[row])
            bbox = np.array([cx - side / 2, cy - side / 2, side, side], np.float32)
        plan = self.midpoint_plan(convention, midpoints) if midpoints else {}
        kp2d = self._gather(self.kp2d, row, convention, 3, plan.get('keypoints2d', ()))
        kp3d = self._gather(self.kp3d, row, convention, 4, plan.get('keypoints3d', ()))
        glob, body, betas = np.zeros(3, np.float32), np.zeros((23, 3), np.float32), \
            np.zeros(10, np.float32)
        has_smpl = False
        if self.smpl is not None:
            if self.fmt == 'spin':
                pose = np.array(self.smpl['pose'][row], np.float32)
                glob, body = pose[:3], pose[3:].reshape(23, 3)
            else:
                glob = np.array(self.smpl['global_orient'][row], np.float32)
                body = np.array(self.smpl['body_pose'][row], np.float32).reshape(23, 3)
            betas = np.array(self.smpl['betas'][row], np.float32)
            has_smpl = True if self.has_smpl is None else bool(self.has_smpl[row])
        gender = 'neutral'
        if self.gender_strings is not None:
            gender = GENDER_NAMES[_GENDERS[str(self.gender_strings[row]).lower()]]
        return dict(
            img_name=str(self.img_names[row]), bbox_xywh=bbox, keypoints2d=kp2d,
            keypoints3d=kp3d, has_keypoints2d=bool(kp2d[:, 2].any()),
            has_keypoints3d=bool(kp3d[:, 3].any()), smpl_global_orient=glob,
            smpl_body_pose=body, smpl_betas=betas, has_smpl=has_smpl, gender=gender)
