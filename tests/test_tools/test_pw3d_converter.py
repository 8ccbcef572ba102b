"""3DPW sequence files -> HumanData, on Python-2 pickles written here in the official layout
(world-frame SMPL and joints, per-frame world->camera poses, one list entry per person)."""
import os
import os.path as osp
import pickle
import sys

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from helpers.humandata_checks import read_back
from helpers.official_layouts import pose_smpl, project, py2_pickle, write_pw3d
from helpers.tool_runner import REPO, run_tool

from mmhpse.conventions import KEYPOINTS
from mmhpse.utils.safe_pickle import UnsafePickleError, safe_pickle_load

sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
import pw3d  # noqa: E402
from _common import ConversionError  # noqa: E402


@pytest.fixture
def release(tmp_path, surrogate_body_model_dir):
    root = str(tmp_path / '3dpw')
    truth = write_pw3d(root, surrogate_body_model_dir, 'test',
                       sequences=(('courtyard_a_00', 5), ('downtown_b_01', 3)), images=True)
    return root, truth


def _convert(root, tmp_path, body, *extra):
    out = str(tmp_path / 'pw3d.npz')
    return out, pw3d.main(['--root', root, '--out', out, '--body-model', body, *extra])


def test_py2_pickle_layout_reads_only_restricted():
    data = py2_pickle(dict(a=np.arange(3.), s='m'))
    assert b'numpy.core.multiarray' in data and pickle.SHORT_BINSTRING + b'\x01m' in data
    with pytest.raises(UnicodeDecodeError):  # numpy's byte strings need latin1, as in 3DPW
        pickle.loads(data)


def test_sequences_read_back_and_reproject(release, tmp_path, surrogate_body_model_dir):
    root, truth = release
    body = surrogate_body_model_dir
    out, summary = _convert(root, tmp_path, body)
    # person 1 of each sequence has no aligned camera pose in frames 0 and 1
    assert summary['samples'] == (5 + 3) + (5 + 3 - 4)
    assert summary['skipped'] == {
        'frame where the person has no aligned camera pose (campose_valid = 0)': 4}
    ds, infos, meta, transl = read_back(out, root, str(tmp_path / 'cache'), 'smpl_24')
    assert len(ds) == 12 and all(osp.isfile(i['img_path']) for i in infos)
    assert [i['gender'] for i in infos] == ['male'] * 5 + ['female'] * 3 + ['male'] * 3 + \
        ['female']  # sequences sorted by name, persons in file order
    assert infos[5]['img_path'].endswith('imageFiles/courtyard_a_00/image_00002.jpg')
    assert meta['sequence'][5] == 'courtyard_a_00' and meta['person'][5] == 1

    go = np.stack([i['smpl_global_orient'] for i in infos])
    bp = np.stack([i['smpl_body_pose'] for i in infos]).reshape(-1, 69)
    betas = np.stack([i['smpl_betas'] for i in infos])
    kp2d = np.stack([i['keypoints2d'] for i in infos])
    kp3d = np.stack([i['keypoints3d'] for i in infos])
    for gender in ('male', 'female'):
        sel = np.array([i['gender'] == gender for i in infos])
        # camera-frame SMPL (gendered model) reproduces the camera-frame jointPositions ...
        cam = pose_smpl(body, gender, go[sel], bp[sel], betas[sel], transl[sel])['smpl_24']
        assert np.abs(cam - kp3d[sel, :, :3]).max() < 1e-5
        # ... and projects onto the stored 2D joints
        uv = project(cam, meta['focal'][sel][:, None], meta['principal_point'][sel][:, None])
        assert np.linalg.norm(uv - kp2d[sel, :, :2], axis=-1).max() < 1.0
    for k in range(len(infos)):  # independent: world joints through the release's camera
        seq, p, t = meta['sequence'][k], int(meta['person'][k]), int(meta['frame'][k])
        cam_pose, K = truth[seq]['cam_poses'][t], truth[seq]['K']
        R = cam_pose[:3, :3]
        src = truth[seq]['persons'][p]
        expect = R @ Rotation.from_rotvec(src['poses'][t, :3]).as_matrix()
        np.testing.assert_allclose(Rotation.from_rotvec(go[k]).as_matrix(), expect, atol=1e-5)
        np.testing.assert_allclose(meta['focal'][k], K[[0, 1], [0, 1]])


def test_boxes_as_the_authors_and_as_mmhuman3d(tmp_path, surrogate_body_model_dir):
    body = surrogate_body_model_dir
    root = str(tmp_path / '3dpw')
    # person 1 stands at the right image border, the camera turns: partly (or wholly) outside
    truth = write_pw3d(root, body, 'test', sequences=(('outdoors_a_00', 4), ), absent=(),
                       images='first', xs=(-0.8, 1.2))
    out, summary = _convert(root, tmp_path, body)
    data = np.load(out)
    seq = truth['outdoors_a_00']
    K, w, h = seq['K'], 1080, 1920
    src = safe_pickle_load(osp.join(root, 'sequenceFiles', 'test', 'outdoors_a_00.pkl'),
                           encoding='latin1')
    expect, partly = [], 0
    for p in range(2):  # the authors' box, written out: joints inside, x1.2, clipped
        for t in range(4):
            cam = seq['cam_poses'][t]
            X = src['jointPositions'][p][t].reshape(24, 3) @ cam[:3, :3].T + cam[:3, 3]
            uv = X[:, :2] / X[:, 2:] * K[[0, 1], [0, 1]] + K[:2, 2]
            uv = uv[(uv[:, 0] >= 0) & (uv[:, 0] < w) & (uv[:, 1] >= 0) & (uv[:, 1] < h)]
            if not len(uv):
                continue
            partly += len(uv) < 24
            lo, hi = uv.min(0), uv.max(0)
            c, s = (lo + hi) / 2, (hi - lo) * 1.2
            x1, y1 = max(0., c[0] - s[0] / 2), max(0., c[1] - s[1] / 2)
            x2 = min(w - 1., x1 + max(0., s[0] - 1))
            y2 = min(h - 1., y1 + max(0., s[1] - 1))
            expect.append([x1, y1, x2 - x1, y2 - y1])
    assert partly and summary['samples'] == len(expect)  # the cases under test occur
    assert summary['skipped'] == ({} if len(expect) == 8 else {
        'person with no projected SMPL joint inside the image': 8 - len(expect)})
    np.testing.assert_allclose(data['bbox_xywh'][:, :4], np.array(expect), atol=1e-2)

    # mmhuman3d's / SPIN's boxes: the OpenPose joints with confidence > 0, x1.0 here
    out, _ = _convert(root, tmp_path, body, '--bbox-source', 'openpose', '--bbox-scale', '1.0')
    data = np.load(out)
    _, infos, _, _ = read_back(out, root, str(tmp_path / 'cache'), 'smpl_49')
    op = [j for j, n in enumerate(KEYPOINTS['smpl_49']) if n.endswith('_openpose')
          and n != 'pelvis_openpose' and 'toe' not in n and 'heel' not in n]
    pts = np.stack([i['keypoints2d'][op, :2] for i in infos])
    lo, hi = pts.min(1), pts.max(1)
    np.testing.assert_allclose(data['bbox_xywh'][:, :4], np.concatenate([lo, hi - lo], 1),
                               atol=1e-3)

    # a person entirely outside the image has no box in the authors' protocol: dropped, counted
    root2 = str(tmp_path / '3dpw2')
    write_pw3d(root2, body, 'test', sequences=(('outdoors_b_00', 3), ), absent=(),
               images='first', xs=(-0.8, 4.0))
    _, summary = _convert(root2, tmp_path, body)
    assert summary['samples'] == 3
    assert summary['skipped'] == {'person with no projected SMPL joint inside the image': 3}
    os.remove(osp.join(root2, 'imageFiles', 'outdoors_b_00', 'image_00000.jpg'))
    with pytest.raises(ConversionError, match=r'outdoors_b_00/image_00000\.jpg: image'):
        _convert(root2, tmp_path, body)


def test_bad_sequences(release, tmp_path, surrogate_body_model_dir):
    root, _ = release
    path = osp.join(root, 'sequenceFiles', 'test', 'downtown_b_01.pkl')
    seq = safe_pickle_load(path, encoding='latin1')
    seq['poses'][0][1, 4] = np.nan
    with open(path, 'wb') as f:
        f.write(py2_pickle(seq))
    _, summary = _convert(root, tmp_path, surrogate_body_model_dir)
    assert summary['skipped']['non-finite pose, translation, joints or camera'] == 1
    del seq['cam_poses']
    with open(path, 'wb') as f:
        f.write(py2_pickle(seq))
    with pytest.raises(ConversionError, match=r"downtown_b_01\.pkl: missing key 'cam_poses'"):
        _convert(root, tmp_path, surrogate_body_model_dir)
    seq = safe_pickle_load(osp.join(root, 'sequenceFiles', 'test', 'courtyard_a_00.pkl'),
                           encoding='latin1')
    seq['trans'] = seq['trans'][:1]  # one person lost from one list
    with open(path, 'wb') as f:
        f.write(py2_pickle(seq))
    with pytest.raises(ConversionError, match=r"key 'trans' has 1 persons, genders 2"):
        _convert(root, tmp_path, surrogate_body_model_dir)
    with open(path, 'wb') as f:  # a pickle that would run code is refused, naming the file
        pickle.dump(dict(sequence=ConversionError('x')), f, protocol=2)
    with pytest.raises(UnsafePickleError, match='downtown_b_01.pkl'):
        _convert(root, tmp_path, surrogate_body_model_dir)
    with pytest.raises(ConversionError, match=r'sequenceFiles/train: no sequence file'):
        _convert(root, tmp_path, surrogate_body_model_dir, '--split', 'train')


@pytest.mark.slow
def test_command_line(release, tmp_path, surrogate_body_model_dir):
    root, _ = release
    out = str(tmp_path / 'cli.npz')
    proc = run_tool(['tools/dataset_converters/pw3d.py', '--root', root, '--out', out,
                     '--split', 'test', '--body-model', surrogate_body_model_dir])
    assert f'wrote 12 samples -> {out}' in proc.stdout
    assert '4 x frame where the person has no aligned camera pose' in proc.stdout
