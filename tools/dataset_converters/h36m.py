"""Convert Human3.6M (Pose2Mesh / I2L-MeshNet release) with NeuralAnnot SMPL fits to HumanData.

Release layout (``<root>``)::

    annotations/Human36M_subject{S}_data.json        COCO-style: images (id, file_name, width,
                                                      height, subject, action_idx, subaction_idx,
                                                      cam_idx, frame_idx) and annotations (id,
                                                      image_id, bbox xywh)
    annotations/Human36M_subject{S}_camera.json      {cam_idx: {R (3x3), t (3, mm), f (2), c (2)}}
    annotations/Human36M_subject{S}_joint_3d.json    {action: {subaction: {frame: 17 x 3 (mm)}}},
                                                      world frame
    annotations/Human36M_subject{S}_SMPL_NeuralAnnot.json
                                                      {action: {subaction: {frame: {pose (72),
                                                      shape (10), trans (3)}}}}, world frame
    images/<file_name>

Splits (the authors' ``data/Human36M/dataset.py``): ``train`` = S1, S5, S6, S7, S8, all cameras,
every 5th frame; ``p2`` (protocol 2 test) = S9, S11, camera 4, every 64th frame; ``p1`` = S9, S11,
all cameras, every 64th frame. ``--subjects`` / ``--cameras`` / ``--frame-stride`` override.

Per sample: camera-frame joints ``R X + t`` (metres) as ``keypoints3d`` (17 H36M joints), their
projection with ``f``, ``c`` as ``keypoints2d``, the annotation box clipped to the image as the
authors' ``process_bbox`` does (boxes with nothing left inside are skipped), and the NeuralAnnot
fit (neutral model) moved into the camera: ``global_orient`` rotated by ``R``, ``transl`` such
that the posed body is the world body seen by the camera (:func:`_common.smpl_to_camera`; the
rest pelvis comes from the body model). Frames without a fit (or with a non-finite one) are kept
without SMPL (``has_smpl = 0``), as the authors do, and counted. ``meta`` holds ``gender``
(``neutral``: NeuralAnnot fitted the neutral model), ``subject``, ``action``, ``subaction``,
``camera``, ``frame``, ``focal`` and ``principal_point``.

Example::

    python tools/dataset_converters/h36m.py --root data/datasets/h36m \
        --out data/preprocessed_datasets/h36m_train_neuralannot.npz --split train
    python tools/dataset_converters/h36m.py --root data/datasets/h36m \
        --out data/preprocessed_datasets/h36m_test_p2.npz --split p2
"""
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import (ConversionError, PelvisLocator, Skips, base_parser,  # noqa: E402
                     clip_bbox_xywh, finish, get_key, load_json, project, smpl_to_camera,
                     write_human_data)

SPLITS = {
    'train': dict(subjects=(1, 5, 6, 7, 8), cameras=None, stride=5),
    'p2': dict(subjects=(9, 11), cameras=(4, ), stride=64),
    'p1': dict(subjects=(9, 11), cameras=None, stride=64),
}
# joint order of the release's *_joint_3d.json, by mmhpse joint name
RELEASE_JOINTS = ('pelvis_extra', 'right_hip_extra', 'right_knee', 'right_ankle', 'left_hip_extra',
                  'left_knee', 'left_ankle', 'spine_extra', 'neck_extra', 'head_extra', 'headtop',
                  'left_shoulder', 'left_elbow', 'left_wrist', 'right_shoulder', 'right_elbow',
                  'right_wrist')
IMAGE_KEYS = ('file_name', 'width', 'height', 'subject', 'action_idx', 'subaction_idx', 'cam_idx',
              'frame_idx')


def _annotation_file(root, subject, kind):
    return osp.join(root, 'annotations', f'Human36M_subject{subject}_{kind}.json')


def _walk(tree, key):
    """``tree[k0][k1]...`` or ``None`` when a level is missing."""
    for k in key:
        tree = tree.get(k) if isinstance(tree, dict) else None
    return tree


def _smpl_fit(fits, path, key):
    """``(pose (72,), shape (10,), trans (3,))`` of one frame, ``None`` (no fit) or
    ``'nonfinite'``."""
    node = _walk(fits, key)
    if node is None:
        return None
    where = f'{path} {"/".join(key)}'
    try:
        arrays = [np.asarray(get_key(node, k, where), np.float64).reshape(n)
                  for k, n in (('pose', 72), ('shape', 10), ('trans', 3))]
    except (ValueError, TypeError) as err:
        raise ConversionError(f'{where}: {err}') from err
    return arrays if all(np.isfinite(a).all() for a in arrays) else 'nonfinite'


def convert_subject(root, subject, cameras, stride, with_smpl, skips):
    """Per-sample arrays of one subject (lists of python values / arrays)."""
    data_file = _annotation_file(root, subject, 'data')
    annot = load_json(data_file)
    cams = load_json(_annotation_file(root, subject, 'camera'))
    joints_file = _annotation_file(root, subject, 'joint_3d')
    joints = load_json(joints_file)
    fits_file = _annotation_file(root, subject, 'SMPL_NeuralAnnot')
    fits = load_json(fits_file) if with_smpl else {}
    images = {}
    for img in get_key(annot, 'images', data_file):
        for k in IMAGE_KEYS + ('id', ):
            get_key(img, k, f'{data_file} image {img.get("id")}')
        images[img['id']] = img
    rows = []
    for ann in get_key(annot, 'annotations', data_file):
        img = images.get(get_key(ann, 'image_id', f'{data_file} annotation {ann.get("id")}'))
        if img is None:
            skips.add('annotation without an image', f'{data_file} annotation {ann.get("id")}')
            continue
        if img['subject'] != subject:
            raise ConversionError(f'{data_file}: image {img["id"]} has subject {img["subject"]}')
        if img['frame_idx'] % stride or (cameras and img['cam_idx'] not in cameras):
            continue
        where = f'{data_file} annotation {ann.get("id")}'
        bbox = clip_bbox_xywh(np.asarray(get_key(ann, 'bbox', where), float), img['width'],
                              img['height'])
        if bbox is None:
            skips.add('box with no area inside the image', where)
            continue
        key = (str(img['action_idx']), str(img['subaction_idx']), str(img['frame_idx']))
        node = _walk(joints, key)
        if node is None:
            skips.add('frame without 3D joints', f'{joints_file} {"/".join(key)}')
            continue
        world = np.asarray(node, np.float64)
        if world.shape != (17, 3):
            raise ConversionError(f'{joints_file}: joints {"/".join(key)} have shape '
                                  f'{world.shape}, expected (17, 3)')
        if not np.isfinite(world).all():
            skips.add('non-finite 3D joints', f'{joints_file} {"/".join(key)}')
            continue
        cam = get_key(cams, str(img['cam_idx']), _annotation_file(root, subject, 'camera'),
                      'camera')
        fit = _smpl_fit(fits, fits_file, key) if with_smpl else None
        if with_smpl and fit is None:
            skips.add('frame without a NeuralAnnot fit (kept, has_smpl=0)',
                      f'{fits_file} {"/".join(key)}')
        elif isinstance(fit, str):  # 'nonfinite'
            skips.add('non-finite NeuralAnnot fit (kept, has_smpl=0)',
                      f'{fits_file} {"/".join(key)}')
            fit = None
        rows.append((img, bbox, world, cam, fit))
    return rows


def _camera(cam, source):
    out = []
    for k, shape in (('R', (3, 3)), ('t', (3, )), ('f', (2, )), ('c', (2, ))):
        v = np.asarray(get_key(cam, k, source), np.float64)
        if v.size == np.prod(shape):  # e.g. t as [[x], [y], [z]]
            v = v.reshape(shape)
        if v.shape != shape:
            raise ConversionError(f'{source}: camera key {k!r} has shape {v.shape}, '
                                  f'expected {shape}')
        out.append(v)
    return out


def assemble(root, rows, pelvis):
    """HumanData fields of the kept samples."""
    n = len(rows)
    rot, trans, focal, princpt = np.zeros((n, 3, 3)), np.zeros((n, 3)), np.zeros((n, 2)), \
        np.zeros((n, 2))
    world, pose, betas, transl = np.zeros((n, 17, 3)), np.zeros((n, 72)), np.zeros((n, 10)), \
        np.zeros((n, 3))
    has_smpl = np.zeros(n, np.uint8)
    for i, (img, _, joints, cam, fit) in enumerate(rows):
        source = f'{_annotation_file(root, img["subject"], "camera")} camera {img["cam_idx"]}'
        rot[i], trans[i], focal[i], princpt[i] = _camera(cam, source)
        world[i] = joints
        if fit is not None:
            pose[i], betas[i], transl[i] = fit
            has_smpl[i] = 1
    cam_joints = (np.einsum('nij,nkj->nki', rot, world) + trans[:, None]) / 1000.
    kp2d = project(cam_joints, focal, princpt)
    ones = np.ones((n, 17, 1))
    orient, cam_transl = smpl_to_camera(pose[:, :3], transl, pelvis(betas), rot, trans / 1000.)
    keep = has_smpl[:, None].astype(bool)
    meta = {k: np.array([r[0][src] for r in rows], np.int32) for k, src in (
        ('subject', 'subject'), ('action', 'action_idx'), ('subaction', 'subaction_idx'),
        ('camera', 'cam_idx'), ('frame', 'frame_idx'))}
    meta.update(gender=np.full(n, 'neutral'), focal=focal, principal_point=princpt)
    return dict(
        image_path=[osp.join('images', r[0]['file_name']) for r in rows],
        bbox_xywh=np.stack([r[1] for r in rows]),
        keypoints2d=(np.concatenate([kp2d, ones], -1), RELEASE_JOINTS),
        keypoints3d=(np.concatenate([cam_joints, ones], -1), RELEASE_JOINTS),
        smpl=dict(global_orient=np.where(keep, orient, 0), body_pose=pose[:, 3:].reshape(n, 23, 3),
                  betas=betas, transl=np.where(keep, cam_transl, 0)),
        has_smpl=has_smpl, meta=meta)


def parse_args(argv=None):
    parser = base_parser(__doc__, SPLITS, 'train', body_model=True)
    parser.add_argument('--subjects', type=int, nargs='+', help='override the split subjects')
    parser.add_argument('--cameras', type=int, nargs='+', help='override the split cameras')
    parser.add_argument('--frame-stride', type=int, help='keep frames with frame_idx % N == 0')
    parser.add_argument('--no-smpl', action='store_true',
                        help='no NeuralAnnot files: write keypoints only')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    split = SPLITS[args.split]
    subjects = args.subjects or split['subjects']
    cameras = args.cameras or split['cameras']
    stride = args.frame_stride or split['stride']
    if stride < 1:
        raise SystemExit('--frame-stride must be >= 1')
    pelvis = PelvisLocator(args.body_model, 'neutral') if not args.no_smpl else \
        (lambda b: np.zeros((len(b), 3)))
    skips, rows = Skips(), []
    for subject in subjects:
        rows += convert_subject(args.root, subject, cameras, stride, not args.no_smpl, skips)
    if not rows:
        raise SystemExit(f'{args.root}: no sample of subjects {list(subjects)}, cameras '
                         f'{cameras or "all"}, frame stride {stride}')
    fields = assemble(args.root, rows, pelvis)
    if args.no_smpl:
        fields.pop('smpl'), fields.pop('has_smpl')
    write_human_data(args.out, config=f'h36m_{args.split}', **fields)
    return finish(args.out, len(rows), skips,
                  dict(subjects=list(subjects), stride=stride, cameras=cameras))


if __name__ == '__main__':
    main()
