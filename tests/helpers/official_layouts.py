"""Small dataset releases written in their official layouts, for the converter tests and benchmark.

Each ``write_*`` function writes files with the field names, nesting, dtypes and frames of the
real release (Human3.6M / NeuralAnnot json, COCO json, 3DPW Python-2 pickles, MuPoTS-3D and
MPI-INF-3DHP ``.mat`` files) from bodies posed with a (surrogate) SMPL model, and returns the
ground truth it used, so that tests can check the converters against it.
"""
import functools
import io
import json
import os
import os.path as osp
import pickle
import struct

import numpy as np
from scipy.spatial.transform import Rotation

from mmhpse.conventions import KEYPOINTS, convert_kps

# the release's 17-joint order (I2L-MeshNet / Pose2Mesh ``Human36M.py`` names) -> mmhpse names
H36M_RELEASE = (('Pelvis', 'pelvis_extra'), ('R_Hip', 'right_hip_extra'),
                ('R_Knee', 'right_knee'), ('R_Ankle', 'right_ankle'),
                ('L_Hip', 'left_hip_extra'), ('L_Knee', 'left_knee'), ('L_Ankle', 'left_ankle'),
                ('Torso', 'spine_extra'), ('Neck', 'neck_extra'), ('Head', 'head_extra'),
                ('Head_top', 'headtop'), ('L_Shoulder', 'left_shoulder'),
                ('L_Elbow', 'left_elbow'), ('L_Wrist', 'left_wrist'),
                ('R_Shoulder', 'right_shoulder'), ('R_Elbow', 'right_elbow'),
                ('R_Wrist', 'right_wrist'))
PW3D_SIZE = (1080, 1920)  # width, height of the (portrait) 3DPW frames
# OpenPose COCO-18 order of 3DPW's poses2d
OPENPOSE_18 = ('nose', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist', 'left_shoulder',
               'left_elbow', 'left_wrist', 'right_hip', 'right_knee', 'right_ankle', 'left_hip',
               'left_knee', 'left_ankle', 'right_eye', 'left_eye', 'right_ear', 'left_ear')
# SMPL (y up) standing upright in a z-up world / a y-down (camera-like) world, and the axis of its
# heading there
UPRIGHT = {'z_up': (Rotation.from_euler('x', 90, degrees=True), 'z'),
           'y_down': (Rotation.from_euler('x', 180, degrees=True), 'y')}


@functools.lru_cache(maxsize=None)
def body_model(body_dir: str, gender: str = 'neutral'):
    from mmhpse.models.body_models import SMPL
    return SMPL(body_dir, gender=gender).double().eval()


def pose_smpl(body_dir, gender, global_orient, body_pose, betas, transl, chunk=2000):
    """Joints of posed bodies: ``smpl_24``, ``smpl_49``, ``h36m_17`` arrays ``(N, K, 3)``."""
    import torch
    model = body_model(body_dir, gender)
    out = {k: [] for k in ('smpl_24', 'smpl_49', 'h36m_17')}
    for s in range(0, len(betas), chunk):
        args = [torch.as_tensor(np.asarray(a[s:s + chunk], np.float64)) for a in (
            global_orient, body_pose, betas, transl)]
        with torch.no_grad():
            res = model(global_orient=args[0], body_pose=args[1].reshape(-1, 69),
                        betas=args[2], transl=args[3])
            out['h36m_17'].append(model.regress(res['vertices'], 'h36m_17').numpy())
        out['smpl_24'].append(res['smpl_joints'].numpy())
        out['smpl_49'].append(res['joints'].numpy())
    return {k: np.concatenate(v) for k, v in out.items()}


def random_bodies(rng, n, world, spread=0.4):
    """``global_orient (n, 3)`` (upright in ``world``, random heading), ``body_pose (n, 69)``,
    ``betas (n, 10)``."""
    upright, axis = UPRIGHT[world]
    heading = Rotation.from_euler(axis, rng.uniform(-np.pi, np.pi, (n, 1)))
    tilt = Rotation.from_rotvec(rng.normal(0, 0.1, (n, 3)))
    orient = (heading * upright * tilt).as_rotvec()
    return orient, rng.normal(0, 0.2, (n, 69)), rng.normal(0, spread * 2.5, (n, 10))


def look_at(centre, target, up):
    """World -> OpenCV camera ``(R, t)`` of a camera at ``centre`` looking at ``target``."""
    z = (target - centre) / np.linalg.norm(target - centre)
    y = -up + np.dot(up, z) * z
    y /= np.linalg.norm(y)
    R = np.stack([np.cross(y, z), y, z])
    return R, -R @ centre


def project(points, f, c):
    return points[..., :2] / points[..., 2:3] * f + c


def _write_json(path, obj):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as fp:
        json.dump(obj, fp)


def _touch_image(path, size=(8, 8)):
    """A uniform grey JPEG of ``size = (width, height)``."""
    import cv2
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, np.full((size[1], size[0], 3), 128, np.uint8))


# ---------------------------------------------------------------- Human3.6M
def write_h36m(root, body_dir, subjects=(1, ), frames=range(10), cameras=(1, 2, 3, 4), seed=0,
               images=False):
    """``annotations/Human36M_subject{S}_{data,camera,joint_3d,SMPL_NeuralAnnot}.json``.

    Returns:
        dict: per subject ``cams`` {cam: (R, t_mm, f, c)}, ``fits`` {frame: (pose, shape,
        trans)} (world frame), ``joints`` {frame: (17, 3) mm, release order}.
    """
    rng = np.random.default_rng(seed)
    frames = list(frames)
    order = [KEYPOINTS['h36m_17'].index(m) for _, m in H36M_RELEASE]
    truth = {}
    for s in subjects:
        cams = {}
        for c in cameras:
            ang = np.pi / 2 * (c - 1) + rng.uniform(-0.3, 0.3)
            centre = np.array([4500 * np.cos(ang), 4500 * np.sin(ang), 1500 + rng.uniform(-200,
                                                                                       200)])
            R, t = look_at(centre, np.array([0, 0, 900.]), np.array([0, 0, 1.]))
            cams[c] = (R, t, rng.uniform(1140, 1150, 2), rng.uniform(500, 520, 2))
        n = len(frames)
        orient, body, betas = random_bodies(rng, n, 'z_up')
        trans = np.concatenate([rng.uniform(-0.5, 0.5, (n, 2)), rng.uniform(0.8, 1.0, (n, 1))], 1)
        world = pose_smpl(body_dir, 'neutral', orient, body, betas, trans)['h36m_17'][:, order]
        world *= 1000.
        images_, anns, joints, fits = [], [], {'2': {'1': {}}}, {'2': {'1': {}}}
        for i, fr in enumerate(frames):
            joints['2']['1'][str(fr)] = world[i].tolist()
            fits['2']['1'][str(fr)] = dict(pose=np.concatenate([orient[i], body[i]]).tolist(),
                                            shape=betas[i].tolist(), trans=trans[i].tolist())
            for c in cameras:
                R, t, f, cc = cams[c]
                uv = project(world[i] @ R.T + t, f, cc)
                lo, hi = uv.min(0) - 20, uv.max(0) + 20
                folder = f's_{s:02d}_act_02_subact_01_ca_{c:02d}'
                img_id = len(images_) + 100000 * s
                images_.append(dict(id=img_id, file_name=f'{folder}/{folder}_{fr + 1:06d}.jpg',
                                    width=1000, height=1002, subject=s, action_name='Directions',
                                    action_idx=2, subaction_idx=1, cam_idx=c, frame_idx=fr))
                anns.append(dict(id=img_id, image_id=img_id, keypoints_vis=[True] * 17,
                                 bbox=[*lo.tolist(), *(hi - lo).tolist()]))
                if images:
                    _touch_image(osp.join(root, 'images', images_[-1]['file_name']))
        ann_dir = osp.join(root, 'annotations')
        _write_json(osp.join(ann_dir, f'Human36M_subject{s}_data.json'),
                    dict(images=images_, annotations=anns))
        _write_json(osp.join(ann_dir, f'Human36M_subject{s}_camera.json'), {
            str(c): dict(R=R.tolist(), t=t.tolist(), f=f.tolist(), c=cc.tolist())
            for c, (R, t, f, cc) in cams.items()})
        _write_json(osp.join(ann_dir, f'Human36M_subject{s}_joint_3d.json'), joints)
        _write_json(osp.join(ann_dir, f'Human36M_subject{s}_SMPL_NeuralAnnot.json'), fits)
        truth[s] = dict(cams=cams, frames=frames, fits={fr: (np.concatenate([orient[i], body[i]]),
                                                             betas[i], trans[i])
                                                        for i, fr in enumerate(frames)})
    return truth


# ---------------------------------------------------------------- COCO + NeuralAnnot
def write_coco(root, body_dir, num=6, seed=0, split='train', images=False):
    """``annotations/person_keypoints_{split}2017.json`` and the NeuralAnnot SMPL file.

    Returns:
        dict: annotation id -> ``(pose, shape, trans, focal, princpt, keypoints (17, 3))``.
    """
    rng = np.random.default_rng(seed)
    orient, body, betas = random_bodies(rng, num, 'y_down')
    trans = np.stack([rng.uniform(-0.5, 0.5, num), rng.uniform(-0.3, 0.3, num),
                      rng.uniform(7, 9, num)], 1)
    focal = rng.uniform(1300, 1700, (num, 2))
    princpt = np.stack([rng.uniform(310, 330, num), rng.uniform(230, 250, num)], 1)
    joints = pose_smpl(body_dir, 'neutral', orient, body, betas, trans)['smpl_49']
    coco17, _ = convert_kps(joints, 'smpl_49', 'coco_17')
    imgs, anns, fits, truth = [], [], {}, {}
    for i in range(num):
        uv = project(coco17[i], focal[i], princpt[i])
        vis = np.where(rng.uniform(size=17) < 0.2, 0, 2)
        kps = np.concatenate([uv * (vis[:, None] > 0), vis[:, None]], 1)
        if i % 2 == 0:
            imgs.append(dict(id=1000 + i, file_name=f'{1000 + i:012d}.jpg', width=640,
                             height=480))
            if images:
                _touch_image(osp.join(root, f'{split}2017', imgs[-1]['file_name']))
        lo, hi = uv.min(0), uv.max(0)
        aid = 500 + 7 * i
        anns.append(dict(id=aid, image_id=imgs[-1]['id'], category_id=1, iscrowd=0,
                         num_keypoints=int((vis > 0).sum()), keypoints=kps.ravel().tolist(),
                         bbox=[*lo.tolist(), *(hi - lo).tolist()], area=float(np.prod(hi - lo))))
        fits[str(aid)] = dict(
            smpl_param=dict(pose=np.concatenate([orient[i], body[i]]).tolist(),
                            shape=betas[i].tolist(), trans=trans[i].tolist()),
            cam_param=dict(focal=focal[i].tolist(), princpt=princpt[i].tolist()))
        truth[aid] = (np.concatenate([orient[i], body[i]]), betas[i], trans[i], focal[i],
                      princpt[i], kps)
    keys = list(fits)  # NeuralAnnot's order is not the COCO file's
    rng.shuffle(keys)
    ann_dir = osp.join(root, 'annotations')
    _write_json(osp.join(ann_dir, f'person_keypoints_{split}2017.json'),
                dict(images=imgs, annotations=anns, categories=[dict(id=1, name='person')]))
    _write_json(osp.join(ann_dir, f'MSCOCO_{split}_SMPL_NeuralAnnot.json'),
                {k: fits[k] for k in keys})
    return truth


# ---------------------------------------------------------------- 3DPW
class Py2Pickler(pickle._Pickler):
    """Writes what Python 2's ``cPickle`` (protocol 2) wrote: ``str`` / ``bytes`` as byte
    strings (``BINSTRING``) and numpy under its Python-2 module names."""
    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        data = obj.encode('latin1') if isinstance(obj, str) else obj
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack('<i', len(data)) + data)
        self.memoize(obj)

    dispatch[str] = save_py2_str
    dispatch[bytes] = save_py2_str

    def save_global(self, obj, name=None):
        module = getattr(obj, '__module__', '')
        if module.startswith('numpy._core'):
            self.write(pickle.GLOBAL + f'numpy.core{module[11:]}\n{name or obj.__name__}\n'
                       .encode())
            self.memoize(obj)
            return
        super().save_global(obj, name)


def py2_pickle(obj) -> bytes:
    buf = io.BytesIO()
    Py2Pickler(buf, protocol=2, fix_imports=True).dump(obj)
    return buf.getvalue()


def write_pw3d(root, body_dir, split='test', sequences=(('courtyard_a_00', 5), ), seed=0,
               absent=((1, (0, 1)), ), images=False, xs=(-0.8, 0.8)):
    """``sequenceFiles/<split>/<seq>.pkl`` (Python-2 pickles) with two persons (m, f) standing
    5 m in front of the camera at ``x = xs`` m, and (``images``: ``True`` all, ``'first'`` the
    first frame of each sequence) 1080 x 1920 frames ``imageFiles/<seq>/image_%05d.jpg``.

    ``absent``: ``(person, frames)`` pairs that have no aligned camera pose
    (``campose_valid = 0``) and no 2D detection.

    Returns:
        dict: sequence -> dict(cam_poses, K, persons=[dict(poses, trans, betas, gender)]).
    """
    rng = np.random.default_rng(seed)
    truth = {}
    for name, T in sequences:
        K = np.array([[rng.uniform(1900, 2000), 0, rng.uniform(530, 550)],
                      [0, rng.uniform(1900, 2000), rng.uniform(950, 970)], [0, 0, 1]])
        cams = np.tile(np.eye(4), (T, 1, 1))
        cams[:, :3, :3] = Rotation.from_euler('yx', np.stack([np.linspace(0, 0.15, T),
                                                               rng.uniform(-.1, .1, T)], 1))\
            .as_matrix()
        cams[:, :3, 3] = rng.uniform(-0.3, 0.3, (T, 3))
        seq = {k: [] for k in ('poses', 'trans', 'betas', 'betas_clothed', 'jointPositions',
                               'poses2d', 'campose_valid', 'poses_60Hz', 'trans_60Hz')}
        persons = []
        for p, gender in enumerate(('m', 'f')):
            orient, body, _ = random_bodies(rng, T, 'y_down')
            betas = rng.normal(0, 1, 10)
            trans = np.array([xs[p], 0.1, 5.0]) + rng.normal(0, 0.05, (T, 3))
            j = pose_smpl(body_dir, 'male' if gender == 'm' else 'female', orient, body,
                          np.tile(betas, (T, 1)), trans)
            cam49 = np.einsum('tij,tkj->tki', cams[:, :3, :3], j['smpl_49']) + cams[:, None, :3, 3]
            op = cam49[:, [KEYPOINTS['smpl_49'].index(f'{n}_openpose') for n in OPENPOSE_18]]
            poses2d = np.concatenate([project(op, K[[0, 1], [0, 1]], K[:2, 2]),
                                      np.full((T, 18, 1), 0.8)], -1).transpose(0, 2, 1)
            valid = np.ones(T, bool)
            for who, frames in absent:
                if who == p:
                    valid[list(frames)] = False
                    poses2d[list(frames)] = 0
            poses = np.concatenate([orient, body], 1)
            for k, v in (('poses', poses), ('trans', trans), ('betas', betas),
                         ('betas_clothed', betas + 0.1),
                         ('jointPositions', j['smpl_24'].reshape(T, 72)), ('poses2d', poses2d),
                         ('campose_valid', valid), ('poses_60Hz', np.repeat(poses, 2, 0)),
                         ('trans_60Hz', np.repeat(trans, 2, 0))):
                seq[k].append(v)
            persons.append(dict(poses=poses, trans=trans, betas=betas, gender=gender))
        seq.update(sequence=name, genders=['m', 'f'], cam_poses=cams, cam_intrinsics=K,
                   img_frame_ids=np.arange(T) * 2, texture=[dict(upper='tex.jpg')] * 2)
        path = osp.join(root, 'sequenceFiles', split, f'{name}.pkl')
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'wb') as fp:
            fp.write(py2_pickle(seq))
        for t in range({True: T, 'first': 1}.get(images, 0)):
            _touch_image(osp.join(root, 'imageFiles', name, f'image_{t:05d}.jpg'), PW3D_SIZE)
        truth[name] = dict(cam_poses=cams, K=K, persons=persons)
    return truth


# ---------------------------------------------------------------- MuPoTS-3D / MPI-INF-3DHP
def _skeletons(rng, n, f, c):
    """``annot2 (n, 17, 2)``, ``annot3 (n, 17, 3)`` mm, ``univ (n, 17, 3)``: random 17-joint
    bodies 3-6 m in front of a camera, univ = annot3 scaled about the pelvis (joint 14)."""
    annot3 = rng.normal(0, 300, (n, 17, 3)) + np.stack([
        rng.uniform(-800, 800, n), rng.uniform(-200, 200, n), rng.uniform(3000, 6000, n)],
        1)[:, None]
    pelvis = annot3[:, 14:15]
    univ = pelvis + (annot3 - pelvis) * rng.uniform(0.85, 1.1, (n, 1, 1))
    return project(annot3, f, c), annot3, univ


def write_mupots(root, sequences=((1, 4, 2), ), seed=0, invalid=((1, 0, 1), ), images=False):
    """``MultiPersonTestSet/TS<k>/{annot,occlusion}.mat``: ``sequences`` of ``(k, frames,
    persons)``; ``invalid``: ``(k, frame, person)`` annotations with ``isValidFrame = 0``.

    Returns:
        dict: k -> dict(f, c, annot2, annot3, univ (frames, persons, 17, C), occlusion).
    """
    from scipy.io import savemat
    rng = np.random.default_rng(seed)
    truth = {}
    for k, frames, persons in sequences:
        f, c = rng.uniform(1400, 1500, 2), rng.uniform(1000, 1100, 2)
        a2, a3, univ = (x.reshape(frames, persons, 17, -1)
                        for x in _skeletons(rng, frames * persons, f, c))
        occl = rng.integers(0, 2, (frames, persons, 17))
        annots = np.empty((frames, persons), object)
        occ_cell = np.empty((frames, persons), object)
        for fr in range(frames):
            for p in range(persons):
                annots[fr, p] = dict(annot2=a2[fr, p].T, annot3=a3[fr, p].T,
                                     univ_annot3=univ[fr, p].T,
                                     isValidFrame=np.array([[(k, fr, p) not in invalid]]))
                occ_cell[fr, p] = occl[fr, p][None].astype(bool)
        folder = osp.join(root, 'MultiPersonTestSet', f'TS{k}')
        os.makedirs(folder, exist_ok=True)
        savemat(osp.join(folder, 'annot.mat'), dict(annotations=annots))
        savemat(osp.join(folder, 'occlusion.mat'), dict(occlusion_labels=occ_cell))
        if images:
            for fr in range(frames):
                _touch_image(osp.join(folder, f'img_{fr:06d}.jpg'))
        truth[k] = dict(f=f, c=c, annot2=a2, annot3=a3, univ=univ, occlusion=occl)
    return truth


def write_3dhp(root, sequences=((1, 5), ), seed=0, invalid=((1, 2), ), images=False,
               mat73=False):
    """``mpi_inf_3dhp_test_set/TS<k>/annot_data.mat`` (MATLAB shapes ``2 x 17 x 1 x n``,
    ``valid_frame`` and ``activity_annotation`` ``1 x n``); ``invalid``: ``(k, frame)`` with
    ``valid_frame = 0``; ``mat73``: as MATLAB v7.3 (HDF5) files, like the release, instead of
    v5 files with the same variables.

    Returns:
        dict: k -> dict(f, c, annot2, annot3, univ (n, 17, C), activity).
    """
    from scipy.io import savemat

    from .mat73 import savemat73
    rng = np.random.default_rng(seed)
    truth = {}
    for k, n in sequences:
        f, c = rng.uniform(1490, 1510, 2), rng.uniform(930, 1050, 2)
        a2, a3, univ = _skeletons(rng, n, f, c)
        valid = np.array([[(k, t) not in invalid for t in range(n)]], np.uint8)
        activity = rng.integers(1, 8, (1, n)).astype(np.float64)
        folder = osp.join(root, 'mpi_inf_3dhp_test_set', f'TS{k}')
        os.makedirs(folder, exist_ok=True)
        (savemat73 if mat73 else savemat)(osp.join(folder, 'annot_data.mat'), dict(
            annot2=a2.transpose(2, 1, 0)[:, :, None], annot3=a3.transpose(2, 1, 0)[:, :, None],
            univ_annot3=univ.transpose(2, 1, 0)[:, :, None], valid_frame=valid,
            activity_annotation=activity))
        if images:
            for t in range(n):
                _touch_image(osp.join(folder, 'imageSequence', f'img_{t + 1:06d}.jpg'))
        truth[k] = dict(f=f, c=c, annot2=a2, annot3=a3, univ=univ, activity=activity[0])
    return truth
