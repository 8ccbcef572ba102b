"""Convert 3DPW (von Marcard et al., ECCV 2018) sequence files to HumanData.

Release layout (``<root>``)::

    sequenceFiles/{train,validation,test}/<sequence>.pkl   Python-2 pickles, one per sequence
    imageFiles/<sequence>/image_%05d.jpg

A sequence file holds ``sequence`` (name), ``genders`` (``'m'`` / ``'f'`` per person) and, per
person, ``betas`` (10+), ``poses (T, 72)`` and ``trans (T, 3)`` (SMPL in the world frame),
``jointPositions (T, 72)`` (the 24 SMPL joints, world frame), ``poses2d (T, 3, 18)`` (OpenPose
COCO-18 x, y, confidence) and ``campose_valid (T,)``; for the sequence ``cam_poses (T, 4, 4)``
(world -> camera), ``cam_intrinsics (3, 3)`` and ``img_frame_ids``. Pickles are read with the
restricted unpickler (``encoding='latin1'``), never with plain pickle.

One sample per person and frame with ``campose_valid`` (others are counted as skipped): SMPL
moved into the camera (``global_orient`` rotated by the camera rotation, ``transl`` such that
the posed body is the world body seen by the camera; rest pelvis from the gendered body model),
``keypoints3d`` = ``jointPositions`` in the camera (SMPL-24), ``keypoints2d`` = their projection
(SMPL-24) plus the OpenPose joints of ``poses2d``. Boxes (``--bbox-source``): ``joints`` (default,
the authors' ``3DPW_latest_test.json`` as Pose2Mesh's ``data/3dpw2coco.py`` writes it): the tight
box of the projected SMPL joints inside the image (size read from ``image_00000.jpg``), enlarged
``--bbox-scale`` (1.2) times and clipped to the image; a person with no joint inside is dropped
(counted). ``openpose`` (mmhuman3d's / SPIN's): the tight box of the OpenPose joints with
confidence > 0, x1.2; a frame with fewer than two of them uses the projected SMPL joints.
``meta``: ``gender`` (``m`` / ``f`` as in the release and mmhuman3d's files, which its 3DPW
evaluation compares with ``'m'``), ``sequence``, ``person``, ``frame``, ``focal``,
``principal_point``. Frames with non-finite parameters are skipped and counted.

Example::

    python tools/dataset_converters/pw3d.py --root data/datasets/pw3d \
        --out data/preprocessed_datasets/pw3d_test.npz --split test
"""
import glob
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import (ConversionError, PelvisLocator, Skips, base_parser,  # noqa: E402
                     bbox_xywh_from_points, clip_bbox_xywh, finish, get_key, project,
                     require_file, smpl_to_camera, write_human_data)

from mmhpse.conventions import KEYPOINTS  # noqa: E402
from mmhpse.utils.safe_pickle import safe_pickle_load  # noqa: E402

SMPL_JOINTS = KEYPOINTS['smpl_24']
OPENPOSE_18 = tuple(f'{n}_openpose' for n in (
    'nose', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist', 'left_shoulder', 'left_elbow',
    'left_wrist', 'right_hip', 'right_knee', 'right_ankle', 'left_hip', 'left_knee', 'left_ankle',
    'right_eye', 'left_eye', 'right_ear', 'left_ear'))
GENDERS = {'m': 'm', 'f': 'f', 'male': 'm', 'female': 'f'}  # mmhuman3d's 3DPW eval tests == 'm'
PERSON_KEYS = ('poses', 'trans', 'betas', 'jointPositions', 'poses2d', 'campose_valid')


def _array(value, shape, path, key):
    """``value`` as float64 of ``shape`` (``-1`` entries free), else an error naming the key."""
    arr = np.asarray(value, np.float64)
    if arr.ndim != len(shape) or any(s not in (-1, a) for s, a in zip(shape, arr.shape)):
        raise ConversionError(f'{path}: key {key!r} has shape {arr.shape}, expected '
                              f'{tuple("T" if s == -1 else s for s in shape)}')
    return arr


def read_sequence(path):
    """The sequence file as checked arrays: ``(name, cam (T, 4, 4), K (3, 3), persons)``."""
    seq = safe_pickle_load(path, encoding='latin1')
    if not isinstance(seq, dict):
        raise ConversionError(f'{path}: not a 3DPW sequence file (a {type(seq).__name__})')
    name = str(get_key(seq, 'sequence', path))
    cams = _array(get_key(seq, 'cam_poses', path), (-1, 4, 4), path, 'cam_poses')
    intr = _array(get_key(seq, 'cam_intrinsics', path), (3, 3), path, 'cam_intrinsics')
    genders = list(get_key(seq, 'genders', path))
    lists = {k: get_key(seq, k, path) for k in PERSON_KEYS}
    for k, v in lists.items():
        if len(v) != len(genders):
            raise ConversionError(f'{path}: key {k!r} has {len(v)} persons, genders '
                                  f'{len(genders)}')
    t = len(cams)
    persons = []
    for i, gender in enumerate(genders):
        if str(gender) not in GENDERS:
            raise ConversionError(f'{path}: genders[{i}] is {gender!r}, expected m or f')
        p = dict(gender=GENDERS[str(gender)])
        for k, shape in (('poses', (t, 72)), ('trans', (t, 3)), ('jointPositions', (t, 72)),
                         ('poses2d', (t, 3, 18)), ('campose_valid', (t, ))):
            p[k] = _array(lists[k][i], shape, path, f'{k}[{i}]')
        p['betas'] = _array(lists['betas'][i], (-1, ), path, f'betas[{i}]')[:10]
        if len(p['betas']) < 10:
            raise ConversionError(f'{path}: key betas[{i}] has {len(p["betas"])} values, '
                                  'expected 10')
        persons.append(p)
    return name, cams, intr, persons


def image_size(root, name):
    """``(width, height)`` of the sequence's first frame (read from the file header)."""
    from PIL import Image
    path = require_file(osp.join(root, 'imageFiles', name, 'image_00000.jpg'),
                        'image (needed for --bbox-source joints; or use --bbox-source openpose)')
    with Image.open(path) as img:
        return img.size


def boxes(source, proj, openpose, size, scale, skips, where):
    """``(n, 4)`` boxes and the ``(n,)`` samples that keep one.

    ``joints`` (the authors' ``3DPW_latest_test.json``, written by Pose2Mesh's
    ``data/3dpw2coco.py``): the projected SMPL joints inside the image, box x ``scale``, then
    clipped to the image as the authors' ``process_bbox``; a person with no joint inside is
    dropped. ``openpose`` (mmhuman3d / SPIN): the OpenPose joints with confidence > 0, box x
    ``scale``; fewer than two such joints: the projected SMPL joints.
    """
    n = len(proj)
    keep = np.ones(n, bool)
    if source == 'joints':
        (w, h) = size
        inside = (proj[..., 0] >= 0) & (proj[..., 0] < w) & (proj[..., 1] >= 0) & \
            (proj[..., 1] < h)
        keep = inside.any(1)
        skips.add('person with no projected SMPL joint inside the image', where,
                  int((~keep).sum()))
        bbox = bbox_xywh_from_points(proj, inside | ~keep[:, None], scale)
        clipped = [clip_bbox_xywh(b, w, h) for b in bbox]
        bad = np.array([c is None for c in clipped]) & keep
        skips.add('box with no area inside the image', where, int(bad.sum()))
        keep &= ~bad
        return np.stack([c if c is not None else np.zeros(4) for c in clipped]), keep
    detected = openpose[..., 2] > 0
    few = detected.sum(1) < 2
    skips.add('frame with < 2 OpenPose joints: box from the projected SMPL joints (kept)', where,
              int(few.sum()))
    return np.where(few[:, None], bbox_xywh_from_points(proj, np.ones(proj.shape[:2], bool),
                                                        scale),
                    bbox_xywh_from_points(openpose[..., :2], detected | few[:, None], scale)), \
        keep


def convert_sequence(path, root, pelvis, args, skips):
    """Fields of every valid (person, frame) of one sequence file."""
    name, cams, intr, persons = read_sequence(path)
    size = image_size(root, name) if args.bbox_source == 'joints' else None
    parts = []
    focal, princpt = intr[[0, 1], [0, 1]], intr[:2, 2]
    for i, p in enumerate(persons):
        valid = p['campose_valid'] > 0
        skips.add('frame where the person has no aligned camera pose (campose_valid = 0)',
                  f'{path} person {i}', int((~valid).sum()))
        finite = np.isfinite(p['poses']).all(1) & np.isfinite(p['trans']).all(1) & \
            np.isfinite(p['jointPositions']).all(1) & np.isfinite(cams).all((1, 2)) & \
            bool(np.isfinite(p['betas']).all())
        skips.add('non-finite pose, translation, joints or camera', f'{path} person {i}',
                  int((valid & ~finite).sum()))
        frames = np.flatnonzero(valid & finite)
        n = len(frames)
        rot, trans = cams[frames, :3, :3], cams[frames, :3, 3]
        joints = np.einsum('nij,nkj->nki', rot, p['jointPositions'][frames].reshape(n, 24, 3)) \
            + trans[:, None]
        f, c = np.tile(focal, (n, 1)), np.tile(princpt, (n, 1))
        proj = project(joints, f, c)
        openpose = p['poses2d'][frames].transpose(0, 2, 1)  # (n, 18, 3)
        bbox, keep = boxes(args.bbox_source, proj, openpose, size, args.bbox_scale, skips,
                           f'{path} person {i}')
        frames, n = frames[keep], int(keep.sum())
        if not n:
            continue
        rot, trans, joints, proj, openpose, bbox, f, c = (
            a[keep] for a in (rot, trans, joints, proj, openpose, bbox, f, c))
        betas = np.repeat(p['betas'][None], n, 0)
        orient, transl = smpl_to_camera(p['poses'][frames, :3], p['trans'][frames],
                                        pelvis[p['gender']](betas), rot, trans)
        ones = np.ones((n, 24, 1))
        parts.append(dict(
            image_path=np.array([f'imageFiles/{name}/image_{t:05d}.jpg' for t in frames]),
            bbox_xywh=bbox, kp2d=np.concatenate([np.concatenate([proj, ones], -1), openpose], 1),
            kp3d=np.concatenate([joints, ones], -1), global_orient=orient,
            body_pose=p['poses'][frames, 3:].reshape(n, 23, 3), betas=betas, transl=transl,
            gender=np.full(n, p['gender']), sequence=np.full(n, name),
            person=np.full(n, i, np.int32), frame=frames.astype(np.int32), focal=f,
            principal_point=c))
    return parts


def parse_args(argv=None):
    parser = base_parser(__doc__, ('train', 'validation', 'test'), 'test', body_model=True)
    parser.add_argument('--bbox-source', default='joints', choices=['joints', 'openpose'],
                        help="joints: the authors' boxes (projected SMPL joints inside the "
                        'image); openpose: mmhuman3d\'s / SPIN\'s (OpenPose 2D joints)')
    parser.add_argument('--bbox-scale', type=float, default=1.2,
                        help='enlargement of the tight box')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    folder = osp.join(args.root, 'sequenceFiles', args.split)
    files = sorted(glob.glob(osp.join(folder, '*.pkl')))
    if not files:
        raise ConversionError(f'{folder}: no sequence file (*.pkl) found')
    pelvis = {g[0]: PelvisLocator(args.body_model, g) for g in ('male', 'female')}
    skips, parts = Skips(), []
    for path in files:
        parts += convert_sequence(path, args.root, pelvis, args, skips)
    if not parts:
        raise SystemExit(f'{folder}: no valid sample\n{skips.report()}')
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    write_human_data(
        args.out, config=f'pw3d_{args.split}', image_path=cat['image_path'],
        bbox_xywh=cat['bbox_xywh'],
        keypoints2d=(cat['kp2d'], list(SMPL_JOINTS) + list(OPENPOSE_18)),
        keypoints3d=(cat['kp3d'], SMPL_JOINTS),
        smpl={k: cat[k] for k in ('global_orient', 'body_pose', 'betas', 'transl')},
        meta={k: cat[k] for k in ('gender', 'sequence', 'person', 'frame', 'focal',
                                  'principal_point')})
    return finish(args.out, len(cat['image_path']), skips, dict(sequences=len(files)))


if __name__ == '__main__':
    main()
