"""Convert the SURREAL release (Varol et al., CVPR 2017) to a HumanData ``.npz`` plus frames.

Release layout (``data/cmu`` of the download)::

    <root>/<split>/run{0,1,2}/<seq>/<seq>_c<clip>.mp4
    <root>/<split>/run{0,1,2}/<seq>/<seq>_c<clip>_info.mat

with, per clip of ``T`` frames (SMPL joint order for the 24 joints): ``joints2D (2, 24, T)`` pixels
of the 320x240 frames, ``joints3D (3, 24, T)`` metres in Blender's world frame, ``pose (72, T)``
(axis-angle, the first 3 relative to the body's ``zrot``), ``shape (10, T)``, ``gender (T,)``
(0 female, 1 male), ``zrot`` and ``camLoc (3,)``. The fixed Blender camera (focal 600 px, principal
point (160, 120), matrix_world of ``datageneration/main_part1.py``) gives the world -> OpenCV camera
rotation ``R`` and translation ``t``, as in SURREAL's ``misc/smpl_relations/smpl_relations.py``:

* ``keypoints3d = R @ joints3D + t`` (camera frame, metres), which projects onto ``joints2D``;
* ``R`` is a reflection (``det R = -1``): what the frames show is the *mirror image* of the SMPL
  body of ``pose`` (SURREAL's own demo notes that left and right are swapped). With
  ``S = diag(-1, 1, 1)`` and the proper rotation ``Q = S R``, the pictured body is the mirror
  through the camera's ``x = 0`` plane of the body with global orientation
  ``Q R_x(90 deg) R_z(zrot) rodrigues(pose[:3])``. The converter therefore stores the mirrored SMPL
  pose (:func:`mmhpse.utils.geometry.flip_smpl_pose`: left/right joints swapped, axis-angle
  ``(x, -y, -z)``; global orientation ``R R_x(90) R_z(zrot) rodrigues(pose[:3]) S``) and swaps the
  left/right labels of the joints, so that image, joints and SMPL agree.

Output: ``<out>/surreal_<split>.npz`` (HumanData: ``image_path`` relative to ``<out>``,
``bbox_xywh (N, 5)``, ``keypoints2d (N, 24, 3)`` and ``keypoints3d (N, 24, 4)`` in ``smpl_24``,
``smpl`` dict, ``has_smpl``, ``meta.gender``) and the kept frames under
``<out>/images/<split>/run<k>/<seq>/<clip>/frame_<t>.jpg`` (``t``: frame index in the clip).

Example::

    python tools/dataset_converters/surreal.py data/SURREAL/cmu data/surreal --split train \
        --frame-step 10
"""
import argparse
import glob
import os
import os.path as osp
import sys

import cv2
import numpy as np
from scipy.io import loadmat
from scipy.spatial.transform import Rotation

from mmhpse.conventions.keypoints import get_flip_indices
from mmhpse.utils.geometry import flip_smpl_pose

FOCAL = 600.0  # 60 mm lens, 32 mm sensor, 320 px
IMG_W, IMG_H = 320, 240
# transpose of the first 3 columns of Blender's camera matrix_world in SURREAL
R_WORLD2BCAM = np.array([[0, 0, 1], [0, -1, 0], [-1, 0, 0]], dtype=np.float64).T
R_BCAM2CV = np.diag([1.0, -1.0, -1.0])
R_X90 = Rotation.from_euler('x', 90, degrees=True).as_matrix()


def intrinsic() -> np.ndarray:
    return np.array([[FOCAL, 0, IMG_W / 2], [0, FOCAL, IMG_H / 2], [0, 0, 1]])


def extrinsic(cam_loc: np.ndarray):
    """World -> OpenCV camera ``(R (3, 3), t (3,))`` of a SURREAL clip."""
    cam_loc = np.asarray(cam_loc, dtype=np.float64).reshape(3)
    R = R_BCAM2CV @ R_WORLD2BCAM
    t = R_BCAM2CV @ (-R_WORLD2BCAM @ cam_loc)
    return R, t


def camera_pose(pose: np.ndarray, zrot: float, R: np.ndarray) -> np.ndarray:
    """SMPL pose ``(T, 72)`` of the pictured (mirrored) body, global orientation in the camera.

    Args:
        pose (ndarray): SURREAL's ``(T, 72)`` axis-angle pose.
        zrot (float): the clip's body rotation about the world z axis.
        R (ndarray): world -> camera matrix of :func:`extrinsic` (a reflection).
    """
    rz = Rotation.from_euler('z', zrot).as_matrix()
    proper = np.diag([-1.0, 1.0, 1.0]) @ R
    orient = proper @ R_X90 @ rz @ Rotation.from_rotvec(pose[:, :3]).as_matrix()
    full = np.concatenate([Rotation.from_matrix(orient).as_rotvec(), pose[:, 3:]], 1)
    return flip_smpl_pose(full)


def bbox_from_keypoints(kp2d: np.ndarray, scale: float = 1.2) -> np.ndarray:
    """``(T, 5)`` xywh + confidence 1 of the joints' box enlarged ``scale`` times."""
    lo, hi = kp2d.min(1), kp2d.max(1)
    centre, size = (lo + hi) / 2, (hi - lo) * scale
    return np.concatenate([centre - size / 2, size, np.ones((len(kp2d), 1))], 1)


def _field(info: dict, key: str, path: str) -> np.ndarray:
    if key not in info:
        raise KeyError(f'{path}: missing key "{key}"')
    return np.asarray(info[key])


def convert_clip(info_path: str, out_root: str, rel_dir: str, frame_step: int,
                 write_frames: bool = True):
    """Annotations and frames of one clip (kept frames: ``0, step, 2 step, ...``).

    Returns:
        tuple: ``(dict of per-frame arrays, number of frames skipped as invalid)``.
    """
    info = loadmat(info_path)
    j2d = _field(info, 'joints2D', info_path).reshape(2, 24, -1)
    T = j2d.shape[-1]
    j3d = _field(info, 'joints3D', info_path).reshape(3, 24, -1)
    pose = _field(info, 'pose', info_path).reshape(72, -1)
    shape = _field(info, 'shape', info_path).reshape(10, -1)
    gender = _field(info, 'gender', info_path).reshape(-1)
    zrot = float(_field(info, 'zrot', info_path).reshape(-1)[0])
    for key, arr in (('joints3D', j3d), ('pose', pose), ('shape', shape), ('gender', gender)):
        if arr.shape[-1] != T:
            raise ValueError(f'{info_path}: key "{key}" has {arr.shape[-1]} frames, joints2D {T}')
    R, t = extrinsic(_field(info, 'camLoc', info_path))
    keep = np.arange(0, T, frame_step)
    flip = get_flip_indices('smpl_24')  # labels of the mirrored body (see module docstring)
    kp2d = j2d[:, :, keep].transpose(2, 1, 0)[:, flip]
    kp3d = (np.einsum('ij,jkt->tki', R, j3d[:, :, keep]) + t)[:, flip]
    poses = pose[:, keep].T
    finite = np.isfinite(kp2d).all((1, 2)) & np.isfinite(kp3d).all((1, 2)) & \
        np.isfinite(poses).all(1) & np.isfinite(shape[:, keep].T).all(1)
    frames = {}
    if write_frames:
        video = info_path[:-len('_info.mat')] + '.mp4'
        cap = cv2.VideoCapture(video)
        wanted, idx = set(keep[finite].tolist()), 0
        while wanted:
            ok, frame = cap.read()
            if not ok:
                break
            if idx in wanted:
                frames[idx] = osp.join(rel_dir, f'frame_{idx:06d}.jpg')
                os.makedirs(osp.join(out_root, rel_dir), exist_ok=True)
                cv2.imwrite(osp.join(out_root, frames[idx]), frame)
                wanted.discard(idx)
            idx += 1
        cap.release()
    else:
        frames = {i: osp.join(rel_dir, f'frame_{i:06d}.jpg') for i in keep[finite].tolist()}
    ok = finite & np.array([i in frames for i in keep], dtype=bool)
    ones = np.ones((len(keep), 24, 1))
    smpl_pose = camera_pose(np.nan_to_num(poses), zrot, R)
    out = dict(
        image_path=np.array([frames.get(i, '') for i in keep], dtype=object),
        bbox_xywh=bbox_from_keypoints(kp2d),
        keypoints2d=np.concatenate([kp2d, ones], -1),
        keypoints3d=np.concatenate([kp3d, ones], -1),
        global_orient=smpl_pose[:, :3],
        body_pose=smpl_pose[:, 3:].reshape(-1, 23, 3),
        betas=shape[:, keep].T,
        gender=np.where(gender[keep] == 0, 'female', 'male'))
    return {k: v[ok] for k, v in out.items()}, int((~ok).sum())


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='SURREAL root holding <split>/run{0,1,2}/')
    parser.add_argument('out', help='output folder (npz + images/)')
    parser.add_argument('--split', default='train', choices=['train', 'val', 'test'])
    parser.add_argument('--runs', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--frame-step', type=int, default=10, help='keep every N-th frame')
    parser.add_argument('--no-frames', action='store_true',
                        help='do not extract frames (annotations only)')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.frame_step < 1:
        raise SystemExit('--frame-step must be >= 1')
    clips = []
    for run in args.runs:
        clips += sorted(glob.glob(osp.join(args.root, args.split, f'run{run}', '*',
                                           '*_info.mat')))
    if not clips:
        raise SystemExit(f'no <seq>/*_info.mat under {osp.join(args.root, args.split)}/run'
                         f'{args.runs}')
    parts, skipped, broken = [], 0, []
    for path in clips:
        rel = osp.relpath(path[:-len('_info.mat')], args.root)
        try:
            data, bad = convert_clip(path, args.out, osp.join('images', rel), args.frame_step,
                                     write_frames=not args.no_frames)
        except (KeyError, ValueError) as err:
            broken.append(str(err))
            continue
        parts.append(data)
        skipped += bad
    if not parts:
        raise SystemExit('no clip could be converted:\n' + '\n'.join(broken[:20]))
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    n = len(cat['image_path'])
    out_file = osp.join(args.out, f'surreal_{args.split}.npz')
    os.makedirs(args.out, exist_ok=True)
    np.savez(out_file,
             image_path=cat['image_path'].astype(str),
             bbox_xywh=cat['bbox_xywh'].astype(np.float32),
             keypoints2d=cat['keypoints2d'].astype(np.float32),
             keypoints2d_convention='smpl_24',
             keypoints3d=cat['keypoints3d'].astype(np.float32),
             keypoints3d_convention='smpl_24',
             smpl=dict(global_orient=cat['global_orient'].astype(np.float32),
                       body_pose=cat['body_pose'].astype(np.float32),
                       betas=cat['betas'].astype(np.float32)),
             has_smpl=np.ones(n, dtype=np.uint8),
             meta=dict(gender=cat['gender'].astype(str)),
             config='surreal')
    print(f'{len(parts)}/{len(clips)} clips, {n} frames (step {args.frame_step}), '
          f'{skipped} frames skipped (non-finite or missing in the video) -> {out_file}')
    for err in broken:
        print(f'skipped clip: {err}', file=sys.stderr)
    return dict(clips=len(parts), frames=n, skipped_frames=skipped, broken_clips=len(broken),
                out_file=out_file)


if __name__ == '__main__':
    main()
