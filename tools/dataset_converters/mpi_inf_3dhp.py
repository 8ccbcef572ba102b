"""Convert the MPI-INF-3DHP test set (Mehta et al., 3DV 2017) to HumanData.

Release layout (``<root>``, the folder holding ``mpi_inf_3dhp_test_set/``)::

    mpi_inf_3dhp_test_set/TS{1..6}/annot_data.mat     annot2 (2 x 17 x 1 x n, px), annot3 and
                                                      univ_annot3 (3 x 17 x 1 x n, mm, camera
                                                      frame), valid_frame and
                                                      activity_annotation (1 x n), bb_crop (not
                                                      used); MATLAB v7.3 (HDF5), read with h5py
                                                      (v5 / v7 files of the same variables are
                                                      read with scipy)
    mpi_inf_3dhp_test_set/TS{1..6}/imageSequence/img_%06d.jpg   frames (1-based)

One sample per frame with ``valid_frame`` (the official evaluation uses only those; the others are
counted as skipped), the 17 test joints. ``keypoints3d`` is ``univ_annot3`` by default (the
official test protocol, as SPIN / mmhuman3d store it); ``--joints3d annot3`` stores the metric
camera-frame joints instead, and ``meta`` keeps the other set. ``meta``: ``sequence`` (1-6),
``frame``, ``activity`` and the intrinsics fitted per sequence (``focal``,
``principal_point``). The box is the tight box of the 2D joints enlarged ``--bbox-scale`` (1.2)
times.

Example::

    python tools/dataset_converters/mpi_inf_3dhp.py --root data/datasets/mpi_inf_3dhp \
        --out data/preprocessed_datasets/mpi_inf_3dhp_test.npz
"""
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _mpi17  # noqa: E402
from _common import ConversionError, get_key, load_mat  # noqa: E402

VARIABLES = ('annot2', 'annot3', 'univ_annot3', 'valid_frame', 'activity_annotation')


def _per_frame(mat, key, rows, path):
    """``(n, 17, rows)`` joints of a ``rows x 17 x 1 x n`` variable."""
    arr = np.asarray(get_key(mat, key, path, 'variable'), np.float64)
    if arr.ndim < 3 or arr.shape[:2] != (rows, 17) or np.prod(arr.shape[2:-1]) != 1:
        raise ConversionError(f'{path}: variable {key!r} has shape {arr.shape}, expected '
                              f'({rows}, 17, 1, n)')
    return arr.reshape(rows, 17, -1).transpose(2, 1, 0)


def read_sequence(folder, seq, skips):
    """Per-sample arrays of the valid frames of one ``TS<seq>`` folder."""
    path = osp.join(folder, 'annot_data.mat')
    mat = load_mat(path, VARIABLES)
    kp2d = _per_frame(mat, 'annot2', 2, path)
    annot3, univ = _per_frame(mat, 'annot3', 3, path), _per_frame(mat, 'univ_annot3', 3, path)
    n = len(kp2d)
    valid = np.asarray(get_key(mat, 'valid_frame', path, 'variable')).reshape(-1)
    activity = np.asarray(mat.get('activity_annotation', np.zeros(n))).reshape(-1)
    for key, arr in (('annot3', annot3), ('univ_annot3', univ), ('valid_frame', valid),
                     ('activity_annotation', activity)):
        if len(arr) != n:
            raise ConversionError(f'{path}: variable {key!r} has {len(arr)} frames, annot2 {n}')
    keep = valid > 0
    skips.add('frame with valid_frame = 0', path, int((~keep).sum()))
    finite = np.isfinite(kp2d).all((1, 2)) & np.isfinite(annot3).all((1, 2)) & \
        np.isfinite(univ).all((1, 2)) & (annot3[..., 2] > 0).all(1)
    skips.add('non-finite joints or a joint behind the camera', path, int((keep & ~finite).sum()))
    t = np.flatnonzero(keep & finite)
    return dict(image_path=np.array([f'mpi_inf_3dhp_test_set/TS{seq}/imageSequence/'
                                     f'img_{i + 1:06d}.jpg' for i in t], str),
                annot2=kp2d[t], annot3=annot3[t], univ_annot3=univ[t],
                frame=t.astype(np.int32), activity=activity[t].astype(np.int32))


def parse_args(argv=None):
    return _mpi17.parser(__doc__, 'univ_annot3').parse_args(argv)


def main(argv=None) -> dict:
    return _mpi17.convert(parse_args(argv), 'mpi_inf_3dhp_test_set', read_sequence,
                          'mpi_inf_3dhp_test')


if __name__ == '__main__':
    main()
