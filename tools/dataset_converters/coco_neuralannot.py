"""Convert COCO 2017 person keypoints with NeuralAnnot SMPL fits (Moon et al. 2022) to HumanData.

Layout (``<root>``, the COCO folder)::

    annotations/person_keypoints_{split}2017.json   COCO (images, annotations with keypoints,
                                                    num_keypoints, iscrowd, bbox)
    annotations/MSCOCO_{split}_SMPL_NeuralAnnot.json  {annotation id: {smpl_param: {pose (72),
                                                    shape (10), trans (3)}, cam_param: {focal (2),
                                                    princpt (2)}}}, camera frame
    {split}2017/<file_name>

``--ann-file`` takes another COCO file with the same person keypoints (the authors read
``coco_wholebody_train_v1.0.json``, whose body keypoints and ids are COCO 2017's).

The authors' filters (``data/MSCOCO/dataset.py``): no crowd, at least one keypoint, a box with
area left inside the image (clipped as their ``process_bbox``), a NeuralAnnot fit for the
annotation id; each drop is counted and printed, as are annotations whose image id is not in
the file and fits with non-finite values. The fit is already in the (virtual) camera of
``cam_param``: ``global_orient = pose[:3]``, ``transl = trans``; ``meta`` holds ``focal`` and
``principal_point`` of that camera, ``gender`` (``neutral``), ``image_id`` and
``annotation_id``. ``keypoints2d``: the 17 COCO joints, confidence 1 where labelled.

Example::

    python tools/dataset_converters/coco_neuralannot.py --root data/datasets/coco \
        --out data/preprocessed_datasets/coco_2017_train_neuralannot.npz
"""
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import (ConversionError, Skips, base_parser, clip_bbox_xywh,  # noqa: E402
                     finish, get_key, load_json, write_human_data)

from mmhpse.conventions import KEYPOINTS  # noqa: E402

COCO_JOINTS = KEYPOINTS['coco_17']


def _fit(entry, where):
    """``pose (72,)``, ``shape (10,)``, ``trans (3,)``, ``focal (2,)``, ``princpt (2,)``."""
    smpl = get_key(entry, 'smpl_param', where)
    cam = get_key(entry, 'cam_param', where)
    try:
        return [np.asarray(get_key(d, k, where), np.float64).reshape(n) for d, k, n in (
            (smpl, 'pose', 72), (smpl, 'shape', 10), (smpl, 'trans', 3), (cam, 'focal', 2),
            (cam, 'princpt', 2))]
    except (ValueError, TypeError) as err:
        raise ConversionError(f'{where}: {err}') from err


def convert(ann_file, fits_file, split, skips):
    coco = load_json(ann_file)
    fits = load_json(fits_file)
    images = {get_key(img, 'id', ann_file): img for img in get_key(coco, 'images', ann_file)}
    used = set()
    rows = []
    for ann in get_key(coco, 'annotations', ann_file):
        aid = get_key(ann, 'id', ann_file)
        where = f'{ann_file} annotation {aid}'
        img = images.get(get_key(ann, 'image_id', where))
        if img is None:
            skips.add('annotation id without an image', where)
            continue
        if ann.get('iscrowd', 0):
            skips.add('crowd annotation', where)
            continue
        if get_key(ann, 'num_keypoints', where) == 0:
            skips.add('no labelled keypoint', where)
            continue
        bbox = clip_bbox_xywh(np.asarray(get_key(ann, 'bbox', where), float),
                              get_key(img, 'width', where), get_key(img, 'height', where))
        if bbox is None:
            skips.add('box with no area inside the image', where)
            continue
        if str(aid) not in fits:
            skips.add('no NeuralAnnot fit', where)
            continue
        used.add(str(aid))
        fit = _fit(fits[str(aid)], f'{fits_file} id {aid}')
        if not all(np.isfinite(a).all() for a in fit):
            skips.add('non-finite NeuralAnnot fit', f'{fits_file} id {aid}')
            continue
        kps = np.asarray(get_key(ann, 'keypoints', where), np.float64)
        if kps.size != 51:
            raise ConversionError(f'{where}: keypoints have {kps.size} values, expected 51')
        kps = kps.reshape(17, 3)
        kps[:, 2] = kps[:, 2] > 0
        rows.append((f'{split}2017/{get_key(img, "file_name", where)}', bbox, kps, fit,
                     img['id'], aid))
    skips.add('NeuralAnnot fit of an annotation not in the COCO file (unused)',
              count=len(set(fits) - used - {str(a['id']) for a in coco['annotations']}))
    return rows


def parse_args(argv=None):
    parser = base_parser(__doc__, ('train', 'val'), 'train')
    parser.add_argument('--ann-file', help='COCO keypoint file (default: '
                        'annotations/person_keypoints_{split}2017.json under --root)')
    parser.add_argument('--smpl-file', help='NeuralAnnot file (default: '
                        'annotations/MSCOCO_{split}_SMPL_NeuralAnnot.json under --root)')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    ann_file = args.ann_file or osp.join(args.root, 'annotations',
                                         f'person_keypoints_{args.split}2017.json')
    fits_file = args.smpl_file or osp.join(args.root, 'annotations',
                                           f'MSCOCO_{args.split}_SMPL_NeuralAnnot.json')
    skips = Skips()
    rows = convert(ann_file, fits_file, args.split, skips)
    if not rows:
        raise SystemExit(f'{ann_file}: no annotation passed the filters\n{skips.report()}')
    n = len(rows)
    pose, betas, transl, focal, princpt = (np.stack([r[3][i] for r in rows]) for i in range(5))
    write_human_data(
        args.out, config=f'coco_2017_{args.split}_neuralannot',
        image_path=[r[0] for r in rows], bbox_xywh=np.stack([r[1] for r in rows]),
        keypoints2d=(np.stack([r[2] for r in rows]), COCO_JOINTS),
        smpl=dict(global_orient=pose[:, :3], body_pose=pose[:, 3:].reshape(n, 23, 3),
                  betas=betas, transl=transl),
        meta=dict(gender=np.full(n, 'neutral'), focal=focal, principal_point=princpt,
                  image_id=np.array([r[4] for r in rows], np.int64),
                  annotation_id=np.array([r[5] for r in rows], np.int64)))
    return finish(args.out, n, skips)


if __name__ == '__main__':
    main()
