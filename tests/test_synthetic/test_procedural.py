import os.path as osp

import numpy as np
import pytest
import torch

from mmhpse.synthetic.procedural import (POSE_LIMITS, generate_procedural_dataset, project,
                                        sample_body_pose)

SIZE = (120, 96)  # height, width
NUM = 10


def _renderer_problem():
    try:
        from mmhpse.synthetic.render import load_pyrender
        pyrender = load_pyrender()
        r = pyrender.OffscreenRenderer(8, 8)
        r.delete()
    except Exception as e:  # any failure to get an OSMesa context
        return f'{type(e).__name__}: {e}'
    return None


_PROBLEM = _renderer_problem()
needs_renderer = pytest.mark.skipif(
    _PROBLEM is not None,
    reason=f'off-screen rendering (pyrender + OSMesa, libosmesa6) unavailable: {_PROBLEM}')


def _load_humandata(path):
    """Read an npz the way mmhuman3d's HumanData.load does (0-d arrays unwrapped)."""
    with np.load(path, allow_pickle=True) as f:
        return {k: f[k].item() if f[k].ndim == 0 else f[k] for k in f.files}


@pytest.fixture(scope='module')
def dataset(surrogate_body_model_dir, tmp_path_factory):
    if _PROBLEM is not None:
        pytest.skip(f'off-screen rendering unavailable: {_PROBLEM}')
    out = str(tmp_path_factory.mktemp('procedural') / 'train.npz')
    generate_procedural_dataset(out, surrogate_body_model_dir, NUM, SIZE, seed=5,
                                image_ext='.png', pose_prior='uniform')
    return out, _load_humandata(out)


def _meshes(data, body_model_dir):
    """Vertices and joints recomputed from the stored SMPL parameters, gender and transl."""
    from mmhpse.models.body_models.smpl import SMPL
    smpl, verts, joints = data['smpl'], [], []
    for i, gender in enumerate(data['meta']['gender']):
        model = SMPL(body_model_dir, gender=str(gender))
        with torch.no_grad():
            out = model(*(torch.from_numpy(smpl[k][i:i + 1]) for k in
                          ('global_orient', 'body_pose', 'betas')),
                        transl=torch.from_numpy(smpl['transl'][i:i + 1]))
        verts.append(out['vertices'][0].numpy())
        joints.append(out['joints'][0].numpy())
    return np.stack(verts), np.stack(joints)


def test_pose_sampler_respects_limits_and_mirror():
    pose = sample_body_pose(np.random.default_rng(0), 2000)
    assert pose.shape == (2000, 23, 3)
    lo, hi = np.array(POSE_LIMITS[16]).T  # left shoulder
    assert np.all(pose[:, 15] >= lo) and np.all(pose[:, 15] <= hi)
    # right shoulder (17): mirrored ranges (x, -y, -z)
    assert np.all(pose[:, 16, 1] >= -hi[1]) and np.all(pose[:, 16, 1] <= -lo[1])
    assert np.all(pose[:, 16, 2] >= -hi[2]) and np.all(pose[:, 16, 2] <= -lo[2])
    assert np.all(pose[:, 3, 0] >= 0)  # the left knee only bends backwards
    assert np.ptp(pose[:, 3, 0]) > 1.5


@needs_renderer
def test_humandata_layout(dataset):
    path, data = dataset
    assert data['image_path'].shape == (NUM, )
    assert data['bbox_xywh'].shape == (NUM, 5) and np.all(data['bbox_xywh'][:, 4] == 1)
    assert data['keypoints2d'].shape == (NUM, 49, 3) and data['keypoints2d_mask'].shape == (49, )
    assert data['keypoints3d'].shape == (NUM, 49, 4) and data['keypoints3d_mask'].shape == (49, )
    assert data['keypoints2d_convention'] == data['keypoints3d_convention'] == 'smpl_49'
    assert set(data['smpl']) == {'global_orient', 'body_pose', 'betas', 'transl'}
    assert data['smpl']['body_pose'].shape == (NUM, 23, 3)
    assert data['meta']['gender'].shape == (NUM, )
    assert set(data['meta']['gender']) <= {'neutral', 'male', 'female'}
    assert data['cam_param']['focal_length'].shape == (NUM, 2)
    assert data['__data_len__'] == NUM
    for rel in data['image_path']:
        img = __import__('cv2').imread(osp.join(osp.dirname(path), rel))
        assert img.shape == SIZE + (3, )


@needs_renderer
def test_project_reader_takes_the_file(dataset):
    path, data = dataset
    try:
        from mmhpse.datasets.human_data import HumanAnnotations
    except ImportError as e:
        pytest.skip(f'HumanAnnotations unavailable: {e}')
    ann = HumanAnnotations(path)
    s = ann.sample(3, 'smpl_49')
    np.testing.assert_allclose(s['keypoints2d'], data['keypoints2d'][3], atol=1e-5)
    np.testing.assert_allclose(s['smpl_betas'], data['smpl']['betas'][3], atol=1e-6)


@needs_renderer
def test_gt_is_consistent(dataset, surrogate_body_model_dir):
    _, data = dataset
    verts, joints = _meshes(data, surrogate_body_model_dir)
    # the stored 3D joints are those of the stored SMPL parameters (gendered model, transl)
    np.testing.assert_allclose(data['keypoints3d'][..., :3], joints, atol=1e-4)
    cam = data['cam_param']
    uv = project(data['keypoints3d'][..., :3].astype(np.float64), cam['focal_length'],
                 cam['principal_point'])
    assert np.abs(uv - data['keypoints2d'][..., :2]).max() < 0.5
    # independent pinhole projection
    f, c = cam['focal_length'][2], cam['principal_point'][2]
    x, y, z = data['keypoints3d'][2, 8, :3]
    assert abs(f[0] * x / z + c[0] - data['keypoints2d'][2, 8, 0]) < 0.5
    assert abs(f[1] * y / z + c[1] - data['keypoints2d'][2, 8, 1]) < 0.5


@needs_renderer
def test_silhouette_matches_projected_mesh(dataset, surrogate_body_model_dir):
    _, data = dataset
    verts, _ = _meshes(data, surrogate_body_model_dir)
    cam = data['cam_param']
    uv_v = project(verts.astype(np.float64), cam['focal_length'], cam['principal_point'])
    for i in range(NUM):
        x, y, w, h, _ = data['bbox_xywh'][i]
        # the silhouette's box is the projected mesh's box (up to rasterisation)
        np.testing.assert_allclose([x, y, x + w - 1, y + h - 1],
                                   [*uv_v[i].min(0), *uv_v[i].max(0)], atol=1.5,
                                   err_msg=f'sample {i}')
        kp = data['keypoints2d'][i]
        vis = kp[:, 2] > 0
        assert vis.sum() >= 40
        # joints lie inside the silhouette's box (surface joints up to rasterisation: 1.5 px)
        assert np.all(kp[vis, 0] >= x - 1.5) and np.all(kp[vis, 0] <= x + w - 1 + 1.5)
        assert np.all(kp[vis, 1] >= y - 1.5) and np.all(kp[vis, 1] <= y + h - 1 + 1.5)
        assert h > 0.3 * SIZE[0]


@needs_renderer
def test_deterministic_per_seed(dataset, surrogate_body_model_dir, tmp_path):
    """The same seed gives the same files, whatever the number of rendering processes."""
    path, data = dataset
    again = generate_procedural_dataset(str(tmp_path / 'train.npz'), surrogate_body_model_dir,
                                        NUM, SIZE, seed=5, image_ext='.png',
                                        pose_prior='uniform', workers=2)
    for key in ('bbox_xywh', 'keypoints2d', 'keypoints3d'):
        np.testing.assert_array_equal(again[key], data[key])
    np.testing.assert_array_equal(again['smpl']['body_pose'], data['smpl']['body_pose'])
    for rel in data['image_path'][:3]:
        a = open(osp.join(osp.dirname(path), rel), 'rb').read()
        assert a == open(tmp_path / rel, 'rb').read()
    other = generate_procedural_dataset(str(tmp_path / 'other.npz'), surrogate_body_model_dir,
                                        3, SIZE, seed=6, image_ext='.png', pose_prior='uniform')
    assert np.abs(other['keypoints2d'] - data['keypoints2d'][:3]).max() > 1


@needs_renderer
def test_default_primitive_prior_dataset(surrogate_body_model_dir, tmp_path):
    """The default (motion-primitive) poses: stored GT is that of the stored parameters."""
    from mmhpse.synthetic.pose_prior import pose_limits
    data = generate_procedural_dataset(str(tmp_path / 'p.npz'), surrogate_body_model_dir, 4,
                                       SIZE, seed=3)
    assert data['misc']['pose_prior'] == 'primitives'
    lo, hi = pose_limits()
    pose = data['smpl']['body_pose']
    assert np.all(pose >= lo[1:] - 1e-6) and np.all(pose <= hi[1:] + 1e-6)
    _, joints = _meshes(data, surrogate_body_model_dir)
    np.testing.assert_allclose(data['keypoints3d'][..., :3], joints, atol=1e-4)
    cam = data['cam_param']
    uv = project(joints.astype(np.float64), cam['focal_length'], cam['principal_point'])
    assert np.abs(uv - data['keypoints2d'][..., :2]).max() < 0.5


@needs_renderer
def test_tool_writes_split_and_surrogate(tmp_path):
    import runpy
    import sys
    script = osp.join(osp.dirname(__file__), '../../tools/misc/make_procedural_dataset.py')
    body_dir = tmp_path / 'body_models'  # empty: the tool writes the surrogate there first
    argv = sys.argv
    sys.argv = [script, '--out', str(tmp_path / 'val.npz'), '--num-samples', '3', '--img-size',
                '64', '48', '--seed', '2', '--body-model-dir', str(body_dir)]
    try:
        runpy.run_path(script, run_name='__main__')
    finally:
        sys.argv = argv
    assert (body_dir / 'smpl' / 'SMPL_NEUTRAL.pkl').is_file()
    data = _load_humandata(tmp_path / 'val.npz')
    assert len(data['image_path']) == 3 and data['misc']['img_size'] == (64, 48)
    import cv2
    assert cv2.imread(str(tmp_path / data['image_path'][2])).shape == (64, 48, 3)
