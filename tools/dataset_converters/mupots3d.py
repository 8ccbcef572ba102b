"""Convert the MuPoTS-3D test set (Mehta et al., 3DV 2018) to HumanData.

Release layout (``<root>``, the folder holding ``MultiPersonTestSet/``)::

    MultiPersonTestSet/TS{1..20}/annot.mat        annotations: cell (frames x persons) of 1x1
                                                  structs with annot2 (2 x 17 px), annot3 and
                                                  univ_annot3 (3 x 17, mm, camera frame) and
                                                  isValidFrame
    MultiPersonTestSet/TS{1..20}/occlusion.mat    occlusion_labels: cell (frames x persons) of
                                                  1 x 17 flags
    MultiPersonTestSet/TS{1..20}/img_%06d.jpg     frames (0-based)

One sample per annotated person and frame with ``isValidFrame`` (the official evaluation counts
only those; others are counted as skipped), the 17 joints of the MPI-INF-3DHP test convention.
``keypoints3d`` is ``univ_annot3`` by default (the GT of the official 3DPCK evaluation,
``mpii_mupots_multiperson_eval.m``, and of mmhuman3d's file); ``--joints3d annot3`` stores the
metric camera-frame joints instead (those of the authors' ``MuPoTS-3D.json``); ``meta`` keeps the
other set. ``meta`` holds what 3DPCK needs: ``sequence`` (1-20), ``frame``,
``person`` (column of the annotation cell), ``occlusion (N, 17)``, and the intrinsics fitted per
sequence (``focal``, ``principal_point``). The box is the tight box of the 2D joints enlarged
``--bbox-scale`` (1.2) times, as mmhuman3d's converter does.

Example::

    python tools/dataset_converters/mupots3d.py --root data/datasets/mupots3d \
        --out data/preprocessed_datasets/mupots3d_test.npz
"""
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _mpi17  # noqa: E402
from _common import ConversionError, get_key, load_mat, mat_field  # noqa: E402


def _joints(struct, name, rows, source):
    arr = np.asarray(mat_field(struct, name, source), np.float64)
    if arr.shape != (rows, 17):
        raise ConversionError(f'{source}: field {name!r} has shape {arr.shape}, '
                              f'expected ({rows}, 17)')
    return arr.T


def read_sequence(folder, seq, skips):
    """Per-sample arrays of the valid annotations of one ``TS<seq>`` folder."""
    annot_file, occ_file = osp.join(folder, 'annot.mat'), osp.join(folder, 'occlusion.mat')
    annots = get_key(load_mat(annot_file), 'annotations', annot_file, 'variable')
    occl = get_key(load_mat(occ_file), 'occlusion_labels', occ_file, 'variable')
    if annots.ndim != 2 or occl.shape != annots.shape:
        raise ConversionError(f'{annot_file}: annotations of shape {annots.shape} and '
                              f'{occ_file} occlusion_labels of shape {occl.shape} are not the '
                              'same (frames x persons) cell')
    rows = []
    for frame in range(annots.shape[0]):
        for person in range(annots.shape[1]):
            src = f'{annot_file} annotations{{{frame + 1},{person + 1}}}'
            ann = annots[frame, person]
            if not int(np.asarray(mat_field(ann, 'isValidFrame', src)).reshape(-1)[0]):
                skips.add('annotation with isValidFrame = 0', src)
                continue
            kp2d = _joints(ann, 'annot2', 2, src)
            annot3, univ = _joints(ann, 'annot3', 3, src), _joints(ann, 'univ_annot3', 3, src)
            if not (np.isfinite(kp2d).all() and np.isfinite(annot3).all()
                    and np.isfinite(univ).all()) or (annot3[:, 2] <= 0).any():
                skips.add('non-finite joints or a joint behind the camera', src)
                continue
            flags = np.asarray(occl[frame, person], np.float64).reshape(-1)
            if flags.size != 17:
                raise ConversionError(f'{occ_file}: occlusion_labels{{{frame + 1},'
                                      f'{person + 1}}} has {flags.size} values, expected 17')
            rows.append((f'MultiPersonTestSet/TS{seq}/img_{frame:06d}.jpg', kp2d, annot3, univ,
                         frame, person, flags))
    cols = list(zip(*rows)) or [()] * 7
    return dict(image_path=np.array(cols[0], str), annot2=np.array(cols[1]).reshape(-1, 17, 2),
                annot3=np.array(cols[2]).reshape(-1, 17, 3),
                univ_annot3=np.array(cols[3]).reshape(-1, 17, 3),
                frame=np.array(cols[4], np.int32), person=np.array(cols[5], np.int32),
                occlusion=np.array(cols[6], np.uint8).reshape(-1, 17))


def parse_args(argv=None):
    return _mpi17.parser(__doc__, 'univ_annot3').parse_args(argv)


def main(argv=None) -> dict:
    return _mpi17.convert(parse_args(argv), 'MultiPersonTestSet', read_sequence, 'mupots3d')


if __name__ == '__main__':
    main()
