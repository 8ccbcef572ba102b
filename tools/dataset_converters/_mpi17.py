"""The part shared by the MPI-INF-3DHP and MuPoTS-3D test-set converters: ``TS<k>`` sequence
folders, the 17 test joints, intrinsics fitted per sequence, the command line."""
import glob
import os.path as osp
import re
from typing import Callable, Dict

import numpy as np
from _common import (ConversionError, Skips, base_parser, bbox_xywh_from_points, finish,
                     fit_intrinsics, write_human_data)

from mmhpse.conventions import KEYPOINTS

JOINTS = KEYPOINTS['mpi_inf_3dhp_17']  # both releases' 17-joint order (root 14 = pelvis)


def parser(doc: str, joints3d: str):
    """``--root/--out/--split test`` plus ``--joints3d`` (default ``joints3d``) and
    ``--bbox-scale``."""
    p = base_parser(doc, ('test', ), 'test')
    p.add_argument('--joints3d', default=joints3d, choices=['annot3', 'univ_annot3'],
                   help='which 3D joints are keypoints3d (the other set goes to meta)')
    p.add_argument('--bbox-scale', type=float, default=1.2,
                   help='enlargement of the tight box of the 2D joints')
    return p


def sequence_folders(base: str) -> Dict[int, str]:
    """``{k: folder}`` of the ``TS<k>`` folders in ``base``, sorted by ``k``."""
    found = {int(m.group(1)): f for f in glob.glob(osp.join(base, 'TS*'))
             if (m := re.fullmatch(r'TS(\d+)', osp.basename(f)))}
    if not found:
        raise ConversionError(f'{base}: no TS<k> sequence folder found')
    return dict(sorted(found.items()))


def _intrinsics(kp2d, annot3, sequence, skips, max_residual=1.0):
    """``focal``, ``principal_point`` ``(N, 2)`` fitted per sequence to
    ``annot2 ~ f annot3 / z + c`` (the releases give none); a fit leaving more than
    ``max_residual`` px RMS is counted as a note."""
    focal, princpt = np.zeros((len(kp2d), 2)), np.zeros((len(kp2d), 2))
    for seq in np.unique(sequence):
        sel = sequence == seq
        f, c, res = fit_intrinsics(kp2d[sel].reshape(-1, 2), annot3[sel].reshape(-1, 3))
        focal[sel], princpt[sel] = f, c
        if res > max_residual:
            skips.add(f'sequence whose annot3 -> annot2 intrinsics fit leaves > {max_residual} '
                      'px RMS (kept)', f'sequence {seq}: {res:.2f} px', int(sel.sum()))
    return focal, princpt


def convert(args, subdir: str, read_sequence: Callable, config: str) -> dict:
    """Run a test-set converter.

    Args:
        args: parsed :func:`parser` arguments.
        subdir (str): folder of ``<root>`` holding the ``TS<k>`` folders.
        read_sequence (callable): ``(folder, k, skips) -> dict`` of per-sample arrays:
            ``image_path (n,)``, ``annot2 (n, 17, 2)`` px, ``annot3`` and ``univ_annot3``
            ``(n, 17, 3)`` mm, and further ``meta`` columns (``frame``, ...).
        config (str): dataset tag of the output.
    """
    base = osp.join(args.root, subdir)
    skips = Skips()
    parts, folders = [], sequence_folders(base)
    for k, folder in folders.items():
        part = read_sequence(folder, k, skips)
        parts.append(dict(part, sequence=np.full(len(part['image_path']), k, np.int32)))
    cat = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    n = len(cat['image_path'])
    if not n:
        raise SystemExit(f'{base}: no valid annotation\n{skips.report()}')
    kp2d, annot3, univ = cat.pop('annot2'), cat.pop('annot3') / 1000., \
        cat.pop('univ_annot3') / 1000.
    main, other = (annot3, univ) if args.joints3d == 'annot3' else (univ, annot3)
    ones = np.ones((n, 17, 1))
    focal, princpt = _intrinsics(kp2d, annot3, cat['sequence'], skips)
    meta = dict(cat, focal=focal, principal_point=princpt)
    meta.pop('image_path')
    meta['univ_annot3' if args.joints3d == 'annot3' else 'annot3'] = other
    write_human_data(
        args.out, image_path=cat['image_path'], config=config, meta=meta,
        bbox_xywh=bbox_xywh_from_points(kp2d, np.ones((n, 17), bool), args.bbox_scale),
        keypoints2d=(np.concatenate([kp2d, ones], -1), JOINTS),
        keypoints3d=(np.concatenate([main, ones], -1), JOINTS))
    return finish(args.out, n, skips, dict(sequences=list(folders)))
