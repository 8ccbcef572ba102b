"""SURREAL -> HumanData on a tiny folder in the release layout written here (mp4 + info.mat)."""
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
from scipy.io import savemat
from scipy.spatial.transform import Rotation

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
import surreal  # noqa: E402

T = 7


def _write_clip(root, split, run, seq, clip, rng, num_frames=T, cam_loc=(7.0, -1.0, 0.5)):
    folder = osp.join(root, split, f'run{run}', seq)
    os.makedirs(folder, exist_ok=True)
    stem = osp.join(folder, f'{seq}_{clip}')
    writer = cv2.VideoWriter(stem + '.mp4', cv2.VideoWriter_fourcc(*'mp4v'), 25, (320, 240))
    for t in range(num_frames):
        frame = np.full((240, 320, 3), 20 * t, np.uint8)  # frame index readable from the pixels
        writer.write(frame)
    writer.release()
    # a world-frame skeleton in front of the camera (which looks along world -x)
    j3d = np.stack([rng.uniform(-0.3, 0.3, (24, T)), rng.uniform(-0.9, 0.9, (24, T)),
                    rng.uniform(-0.3, 0.3, (24, T))])
    info = dict(joints3D=j3d, pose=rng.normal(0, 0.3, (72, T)), shape=rng.normal(0, 1, (10, T)),
                gender=np.array([[1]] * T), zrot=np.array([[0.4]]),
                camLoc=np.array(cam_loc).reshape(3, 1))
    # joints2D by SURREAL's own recipe (smpl_relations.py): K [R|t] X, written out here
    M = np.array([[0, 0, 1], [0, -1, 0], [-1, 0, 0]], float)  # camera matrix_world rotation
    R = np.diag([1, -1, -1]) @ M.T
    t = np.diag([1, -1, -1]) @ (-M.T @ np.array(cam_loc))
    cam = np.einsum('ij,jkt->ikt', R, j3d) + t[:, None, None]
    info['joints2D'] = np.stack([600 * cam[0] / cam[2] + 160, 600 * cam[1] / cam[2] + 120])
    savemat(stem + '_info.mat', info)
    return info


@pytest.fixture
def surreal_root(tmp_path):
    rng = np.random.default_rng(0)
    root = str(tmp_path / 'cmu')
    infos = {
        'run0/01_01/01_01_c0001': _write_clip(root, 'train', 0, '01_01', 'c0001', rng),
        'run1/02_03/02_03_c0002': _write_clip(root, 'train', 1, '02_03', 'c0002', rng),
    }
    return root, infos


def test_convert_with_frame_step(surreal_root, tmp_path):
    root, infos = surreal_root
    out = str(tmp_path / 'out')
    summary = surreal.main([root, out, '--split', 'train', '--frame-step', '3'])
    assert summary['clips'] == 2 and summary['frames'] == 2 * 3  # frames 0, 3, 6 of each clip
    data = np.load(summary['out_file'], allow_pickle=True)
    paths = list(data['image_path'])
    assert paths[:3] == [f'images/train/run0/01_01/01_01_c0001/frame_{i:06d}.jpg'
                         for i in (0, 3, 6)]
    for p, t in zip(paths[:3], (0, 3, 6)):
        img = cv2.imread(osp.join(out, p))
        assert img.shape == (240, 320, 3)
        assert abs(float(img.mean()) - 20 * t) < 4  # the right frame was extracted
    info = infos['run0/01_01/01_01_c0001']
    kp3d, kp2d = data['keypoints3d'][:3], data['keypoints2d'][:3]
    # camera-frame joints project onto SURREAL's joints2D with the fixed intrinsics
    proj = kp3d[..., :2] / kp3d[..., 2:3] * 600 + np.array([160, 120])
    np.testing.assert_allclose(proj, kp2d[..., :2], atol=1e-3)
    # labels of the pictured (mirrored) body: SMPL joint 1 (left hip) is SURREAL's joint 2
    src = info['joints2D'][:, :, [0, 3, 6]].transpose(2, 1, 0)
    np.testing.assert_allclose(kp2d[:, 0, :2], src[:, 0], atol=1e-4)
    np.testing.assert_allclose(kp2d[:, 1, :2], src[:, 2], atol=1e-4)
    np.testing.assert_allclose(kp2d[:, 16, :2], src[:, 17], atol=1e-4)
    assert (kp3d[..., 2] > 6).all()  # in front of the camera, ~7 m away
    # rigid transform: pairwise joint distances are kept (output joint 5 is SURREAL's joint 4)
    d_world = np.linalg.norm(info['joints3D'][:, 0, 3] - info['joints3D'][:, 4, 3])
    assert abs(np.linalg.norm(kp3d[1, 0, :3] - kp3d[1, 5, :3]) - d_world) < 1e-5
    smpl = data['smpl'].item()
    # mirrored body pose: joint j of the output is SURREAL's flip(j) with axis-angle (x, -y, -z)
    pose = info['pose'][3:, 3].reshape(23, 3)  # body joints 1..23
    np.testing.assert_allclose(smpl['body_pose'][1][0], pose[1] * [1, -1, -1], atol=1e-6)
    np.testing.assert_allclose(smpl['body_pose'][1][2], pose[2] * [1, -1, -1], atol=1e-6)
    np.testing.assert_allclose(smpl['body_pose'][1][8], pose[8] * [1, -1, -1], atol=1e-6)
    np.testing.assert_allclose(smpl['betas'][2], info['shape'][:, 6], atol=1e-6)
    # global orientation: R R_x(90) R_z(zrot) R_pose S, a proper rotation (R and S reflections)
    R, _ = surreal.extrinsic(info['camLoc'])
    assert np.linalg.det(R) < 0
    expect = (R @ Rotation.from_euler('x', 90, degrees=True).as_matrix()
              @ Rotation.from_euler('z', 0.4).as_matrix()
              @ Rotation.from_rotvec(info['pose'][:3, 3]).as_matrix() @ np.diag([-1., 1., 1.]))
    got = Rotation.from_rotvec(smpl['global_orient'][1]).as_matrix()
    np.testing.assert_allclose(got, expect, atol=1e-5)
    assert list(data['meta'].item()['gender'][:3]) == ['male'] * 3
    assert str(data['keypoints3d_convention']) == 'smpl_24'


def test_output_reads_with_humandata_reader(surreal_root, tmp_path):
    from mmhpse.datasets import HumanAnnotations
    root, _ = surreal_root
    out = str(tmp_path / 'out')
    summary = surreal.main([root, out, '--frame-step', '2'])
    ann = HumanAnnotations(summary['out_file'], cache_dir=str(tmp_path / 'cache'))
    assert ann.fmt == 'humandata' and len(ann.rows) == 2 * 4


def test_broken_clip_is_skipped_and_reported(surreal_root, tmp_path, capsys):
    root, _ = surreal_root
    bad = osp.join(root, 'train', 'run2', '03_01')
    os.makedirs(bad)
    savemat(osp.join(bad, '03_01_c0001_info.mat'), dict(joints2D=np.zeros((2, 24, 3))))
    summary = surreal.main([root, str(tmp_path / 'out'), '--frame-step', '3'])
    assert summary['clips'] == 2 and summary['broken_clips'] == 1
    assert 'missing key "joints3D"' in capsys.readouterr().err


def test_short_video_frames_are_counted(tmp_path):
    rng = np.random.default_rng(1)
    root = str(tmp_path / 'cmu')
    _write_clip(root, 'val', 0, '05_01', 'c0001', rng, num_frames=4)  # video 4 frames, info 7
    summary = surreal.main([root, str(tmp_path / 'out'), '--split', 'val', '--frame-step', '1'])
    assert summary['frames'] == 4 and summary['skipped_frames'] == 3
