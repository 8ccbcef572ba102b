"""Human3.6M (Pose2Mesh / I2L-MeshNet release, NeuralAnnot SMPL) -> HumanData, on a small release
written here in the official layout (world-frame joints and fits, per-camera R, t, f, c)."""
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from mmhpse.conventions import KEYPOINTS
from helpers.humandata_checks import read_back
from helpers.official_layouts import H36M_RELEASE, pose_smpl, project, write_h36m
from helpers.tool_runner import REPO, run_tool

sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
import h36m  # noqa: E402
from _common import ConversionError  # noqa: E402


@pytest.fixture
def release(tmp_path, surrogate_body_model_dir):
    root = str(tmp_path / 'h36m')
    truth = write_h36m(root, surrogate_body_model_dir, subjects=(1, 5, 6, 7, 8),
                       frames=range(11), images=True)
    return root, truth


def _convert(root, tmp_path, body, *extra):
    out = str(tmp_path / 'out.npz')
    return out, h36m.main(['--root', root, '--out', out, '--body-model', body, *extra])


def test_train_split_reads_back_and_reprojects(release, tmp_path, surrogate_body_model_dir):
    root, truth = release
    body = surrogate_body_model_dir
    out, summary = _convert(root, tmp_path, body, '--split', 'train')
    # S1, S5, S6, S7, S8, frames 0, 5, 10 of 11, four cameras each
    assert summary['samples'] == 5 * 3 * 4 and summary['skipped'] == {}
    ds, infos, meta, transl = read_back(out, root, str(tmp_path / 'cache'), 'h36m_17')
    assert len(ds) == 60
    assert all(osp.isfile(i['img_path']) for i in infos)  # paths relative to the release root
    assert {i['gender'] for i in infos} == {'neutral'} and all(i['has_smpl'] for i in infos)
    assert sorted(set(meta['frame'])) == [0, 5, 10] and set(meta['subject']) == {1, 5, 6, 7, 8}
    assert osp.basename(infos[0]['img_path']).endswith(f'_{meta["frame"][0] + 1:06d}.jpg')

    # 2D joints: the world joints of the release projected by this test's own cameras
    world = {s: json.load(open(osp.join(root, 'annotations',
                                        f'Human36M_subject{s}_joint_3d.json')))
             for s in (1, 5, 6, 7, 8)}
    order = [n for _, n in H36M_RELEASE]
    idx = [KEYPOINTS['h36m_17'].index(n) for n in order]
    for k, info in enumerate(infos):
        s, c, fr = int(meta['subject'][k]), int(meta['camera'][k]), int(meta['frame'][k])
        R, t, f, cc = truth[s]['cams'][c]
        X = np.asarray(world[s]['2']['1'][str(fr)])
        np.testing.assert_allclose(info['keypoints2d'][idx, :2], project(X @ R.T + t, f, cc),
                                   atol=1e-2)
        np.testing.assert_allclose(info['keypoints3d'][idx, :3], (X @ R.T + t) / 1000, atol=1e-5)

    # SMPL in the camera: the body posed with the stored parameters (transl included) gives
    # joints that project onto the stored 2D joints (the release's joints are those of the fit)
    go = np.stack([i['smpl_global_orient'] for i in infos])
    bp = np.stack([i['smpl_body_pose'] for i in infos]).reshape(-1, 69)
    betas = np.stack([i['smpl_betas'] for i in infos])
    cam = pose_smpl(body, 'neutral', go, bp, betas, transl)['h36m_17']
    kp2d = np.stack([i['keypoints2d'] for i in infos])
    err = np.linalg.norm(project(cam, meta['focal'][:, None], meta['principal_point'][:, None])
                         - kp2d[..., :2], axis=-1)
    assert err.max() < 1.0, err.max()
    kp3d = np.stack([i['keypoints3d'] for i in infos])
    assert np.abs(cam - kp3d[..., :3]).max() < 1e-4

    # the camera rotation rotates global_orient: R_cam @ R_world
    for k in (0, 7, 23, 59):
        s, c, fr = int(meta['subject'][k]), int(meta['camera'][k]), int(meta['frame'][k])
        R = truth[s]['cams'][c][0]
        expect = R @ Rotation.from_rotvec(truth[s]['fits'][fr][0][:3]).as_matrix()
        np.testing.assert_allclose(Rotation.from_rotvec(go[k]).as_matrix(), expect, atol=1e-5)
        np.testing.assert_allclose(bp[k], truth[s]['fits'][fr][0][3:], atol=1e-6)


def test_protocol2_frames_and_overrides(tmp_path, surrogate_body_model_dir):
    root = str(tmp_path / 'h36m')
    write_h36m(root, surrogate_body_model_dir, subjects=(9, 11), frames=range(130))
    out, summary = _convert(root, tmp_path, surrogate_body_model_dir, '--split', 'p2')
    _, _, meta, _ = read_back(out, root, str(tmp_path / 'cache'), 'smpl_49')
    got = set(zip(meta['subject'].tolist(), meta['camera'].tolist(), meta['frame'].tolist()))
    assert got == {(s, 4, f) for s in (9, 11) for f in (0, 64, 128)}
    assert summary['samples'] == 6
    out, summary = _convert(root, tmp_path, surrogate_body_model_dir, '--split', 'p2',
                            '--subjects', '11', '--cameras', '2', '3', '--frame-stride', '50')
    assert summary['samples'] == 1 * 2 * 3  # frames 0, 50, 100


def test_missing_fits_nan_and_orphans_are_counted(release, tmp_path, surrogate_body_model_dir):
    root, _ = release
    ann = osp.join(root, 'annotations')
    fits_file = osp.join(ann, 'Human36M_subject1_SMPL_NeuralAnnot.json')
    fits = json.load(open(fits_file))
    del fits['2']['1']['5']
    fits['2']['1']['10']['shape'][3] = float('nan')
    json.dump(fits, open(fits_file, 'w'))
    data_file = osp.join(ann, 'Human36M_subject5_data.json')
    data = json.load(open(data_file))
    data['annotations'][0]['image_id'] = 424242
    data['annotations'][21]['bbox'] = [2000, 2000, 50, 50]  # frame 5: outside the image
    json.dump(data, open(data_file, 'w'))
    out, summary = _convert(root, tmp_path, surrogate_body_model_dir)
    assert summary['skipped'] == {
        'frame without a NeuralAnnot fit (kept, has_smpl=0)': 4,
        'non-finite NeuralAnnot fit (kept, has_smpl=0)': 4,
        'annotation without an image': 1, 'box with no area inside the image': 1}
    ds, infos, meta, _ = read_back(out, root, str(tmp_path / 'cache'), 'smpl_49')
    assert len(ds) == 60 - 2
    no_smpl = {(int(s), int(f)) for s, f, i in zip(meta['subject'], meta['frame'], infos)
               if not i['has_smpl']}
    assert no_smpl == {(1, 5), (1, 10)}


def test_missing_file_and_camera_name_file_and_key(release, tmp_path, surrogate_body_model_dir):
    root, _ = release
    cam_file = osp.join(root, 'annotations', 'Human36M_subject5_camera.json')
    cams = json.load(open(cam_file))
    del cams['3']
    json.dump(cams, open(cam_file, 'w'))
    with pytest.raises(ConversionError, match=r"subject5_camera\.json: missing camera '3'"):
        _convert(root, tmp_path, surrogate_body_model_dir)
    os.remove(osp.join(root, 'annotations', 'Human36M_subject1_joint_3d.json'))
    with pytest.raises(ConversionError, match=r'subject1_joint_3d\.json: annotation file not'):
        _convert(root, tmp_path, surrogate_body_model_dir)


@pytest.mark.slow
def test_command_line(release, tmp_path, surrogate_body_model_dir):
    root, _ = release
    out = str(tmp_path / 'cli.npz')
    proc = run_tool(['tools/dataset_converters/h36m.py', '--root', root, '--out', out,
                     '--split', 'train', '--subjects', '5', '--body-model',
                     surrogate_body_model_dir])
    assert f'wrote 12 samples -> {out}' in proc.stdout and 'nothing skipped' in proc.stdout
    data = np.load(out, allow_pickle=True)
    assert data['keypoints2d'].shape == (12, 17, 3) and data['bbox_xywh'].shape == (12, 5)
    assert data['keypoints2d_mask'].shape == (190, ) and data['keypoints2d_mask'].sum() == 17
    assert bool(data['__keypoints_compressed__']) and int(data['__data_len__']) == 12
