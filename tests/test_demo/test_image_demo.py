"""demo/image_demo.py: overlay / side view / .obj on a generated image with the surrogate model."""
import os.path as osp
import pickle
import shutil

import cv2
import numpy as np
import pytest
import torch
from scipy.ndimage import distance_transform_edt
from helpers.tool_runner import load_tool, run_tool

DEMO = 'demo/image_demo.py'

TINY_CONFIG = """
default_scope = 'mmhpse'
body_model_dir = {body_model_dir!r}
model = dict(
    type='ImageMeshEstimator',
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='mmpretrain.ResNet', depth=18, stem_channels=8, base_channels=8,
                  out_indices=(3, )),
    head=dict(type='PAREC5Head', in_channels=64, num_filters=(8, 8), num_smpl_features=4,
              smpl_mean_params=f'{{body_model_dir}}/smpl_mean_params.npz'),
    body_model=dict(type='SMPL', model_path=f'{{body_model_dir}}/smpl', gender='neutral',
                    joint_regressor_extra=f'{{body_model_dir}}/J_regressor_extra.npy'),
    img_res=(64, 48))
test_dataloader = dict(dataset=dict(type='HumanImageDataset', pipeline=[
    dict(type='LoadHumanImage'),
    dict(type='HumanGetBBoxCenterScale', padding=1.25),
    dict(type='HumanTopdownAffine', input_size=(48, 64)),
    dict(type='PackHumanInputs'),
]))
"""
BOX = (50, 30, 70, 130)  # x, y, w, h in a 200 x 160 image


def _demo_module():
    return load_tool(DEMO)


@pytest.fixture(scope='module')
def demo_run(tmp_path_factory, surrogate_body_model_dir):
    """One demo run through the command line: SMPL missing -> surrogate (pre-filled cache)."""
    root = tmp_path_factory.mktemp('demo')
    config = root / 'pare_tiny.py'
    config.write_text(TINY_CONFIG.format(body_model_dir=str(root / 'no_smpl_here')))
    surrogate = root / 'cache' / 'surrogate'
    shutil.copytree(surrogate_body_model_dir, surrogate)
    rng = np.random.default_rng(0)
    img = np.full((200, 160, 3), 90, np.uint8) + rng.integers(0, 40, (200, 160, 3),
                                                               dtype=np.uint8)
    img_path = root / 'person.png'
    cv2.imwrite(str(img_path), img)
    # a checkpoint of the (untrained) model, so that this process can rebuild the same model
    from mmengine.config import Config

    from mmhpse.apis import init_model
    cfg = Config.fromfile(str(config))
    _demo_module().prepare_body_model(cfg, surrogate_dir=str(surrogate))
    ckpt = str(root / 'tiny.pth')
    torch.save({'state_dict': init_model(cfg).state_dict()}, ckpt)
    out_dir = root / 'out'
    proc = run_tool([DEMO, str(img_path), str(config), ckpt, '--bbox', *map(str, BOX),
                     '--out-dir', str(out_dir), '--surrogate-dir', str(surrogate)], timeout=300)
    return dict(proc=proc, img=img, out=out_dir, config=str(config), surrogate=str(surrogate),
                ckpt=ckpt)


def test_demo_says_it_uses_the_surrogate(demo_run):
    out = demo_run['proc'].stdout
    assert 'SURROGATE body model' in out and demo_run['surrogate'] in out
    assert 'not SMPL' in out


def _expected_projection(demo_run):
    """Image pixels of the mesh vertices: the estimator's own crop projection, mapped back
    through the inverse crop affine (independent of the demo's camera factorisation)."""
    from mmhpse.apis import inference_mesh_model, init_model
    from mmhpse.models.utils import perspective_projection
    demo = _demo_module()
    from mmengine.config import Config
    cfg = Config.fromfile(demo_run['config'])
    demo.prepare_body_model(cfg, surrogate_dir=demo_run['surrogate'])
    model = init_model(cfg, demo_run['ckpt'])
    sample = inference_mesh_model(model, demo_run['img'], np.array([BOX], np.float32))[0]
    h, w = sample.img_shape
    crop_px = perspective_projection(sample.pred_vertices[None], sample.pred_transl[None],
                                     model.head.camera.focal_length, (w / 2, h / 2))[0].numpy()
    inv = cv2.invertAffineTransform(np.asarray(sample.warp_mat, np.float64))
    return crop_px @ inv[:, :2].T + inv[:, 2], sample, model


def _rasterise(pix, faces, hw):
    """Pixels (integer centres) inside any projected triangle: a sign test per triangle."""
    mask = np.zeros(hw, bool)
    for tri in pix[faces]:
        x0, y0 = np.maximum(np.floor(tri.min(0)).astype(int), 0)
        x1, y1 = np.minimum(np.ceil(tri.max(0)).astype(int), [hw[1] - 1, hw[0] - 1])
        if x1 < x0 or y1 < y0:
            continue
        ys, xs = np.mgrid[y0:y1 + 1, x0:x1 + 1]
        pts = np.stack([xs, ys], -1).astype(np.float64)
        sides = []
        for a, b in ((0, 1), (1, 2), (2, 0)):
            edge, rel = tri[b] - tri[a], pts - tri[a]
            sides.append(edge[0] * rel[..., 1] - edge[1] * rel[..., 0])
        sides = np.stack(sides)
        mask[y0:y1 + 1, x0:x1 + 1] |= (sides >= 0).all(0) | (sides <= 0).all(0)
    return mask


def test_overlay_differs_where_the_mesh_projects(demo_run):
    overlay = cv2.imread(str(demo_run['out'] / 'person_mesh.png'))
    img = demo_run['img']
    assert overlay is not None and overlay.shape == img.shape
    pix, _, model = _expected_projection(demo_run)
    h, w = img.shape[:2]
    inside = (pix[:, 0] >= 0) & (pix[:, 0] < w) & (pix[:, 1] >= 0) & (pix[:, 1] < h)
    assert inside.mean() > 0.9  # the person box is in the image
    cols, rows = np.round(pix[inside]).astype(int).T
    changed = np.abs(overlay.astype(int) - img.astype(int)).sum(-1) > 0
    # mesh drawn where its vertices project: inside the drawn area, or (silhouette vertices,
    # thin parts) at most one pixel from it
    assert changed[rows, cols].mean() > 0.75
    distance = distance_transform_edt(~changed)
    assert distance[rows, cols].max() <= 1.0
    # ... and nowhere far from them
    far = np.ones((h, w), bool)
    x0, y0 = np.floor(pix.min(0)).astype(int) - 3
    x1, y1 = np.ceil(pix.max(0)).astype(int) + 3
    far[max(y0, 0):y1 + 1, max(x0, 0):x1 + 1] = False
    assert far.any() and not changed[far].any()
    # the drawn area is the silhouette of the projected triangles (rasterised here by brute force)
    silhouette = _rasterise(pix, np.asarray(model.head.body_model.faces), (h, w))
    iou = (silhouette & changed).sum() / (silhouette | changed).sum()
    assert iou > 0.98, iou  # a one-pixel shift gives about 0.92


def test_side_view_and_obj(demo_run):
    import trimesh
    side = cv2.imread(str(demo_run['out'] / 'person_side.png'))
    assert side is not None and side.shape == demo_run['img'].shape
    assert (side != 255).any(axis=-1).sum() > 200  # a rendered body on the white background

    _, sample, model = _expected_projection(demo_run)
    mesh = trimesh.load(str(demo_run['out'] / 'person.obj'), process=False)
    num_v = model.head.body_model.num_vertices
    assert mesh.vertices.shape == (num_v, 3)
    np.testing.assert_array_equal(mesh.faces, model.head.body_model.faces)
    np.testing.assert_allclose(mesh.vertices, sample.pred_vertices.numpy(), atol=1e-6)


def test_crop_camera_to_image_matches_the_affine():
    """K R X / Z equals the inverse affine of the crop projection, with a rotated crop."""
    from mmpose.structures.bbox import get_warp_matrix
    demo = _demo_module()
    mat = get_warp_matrix(np.array([100., 80.]), np.array([60., 80.]), 25., (48, 64))
    k, rot = demo.crop_camera_to_image(5000., (64, 48), mat)
    assert k[0, 1] == 0 and np.allclose(rot @ rot.T, np.eye(3)) and k[0, 0] > 0
    pts = np.random.default_rng(0).normal(size=(20, 3)) * 0.3 + [0, 0, 40]
    crop = pts[:, :2] / pts[:, 2:] * 5000. + [24., 32.]
    inv = cv2.invertAffineTransform(mat)
    expected = crop @ inv[:, :2].T + inv[:, 2]
    cam = (pts @ rot.T) @ k.T
    np.testing.assert_allclose(cam[:, :2] / cam[:, 2:], expected, atol=1e-6)


def test_prepare_body_model_generates_and_reuses_surrogate(tmp_path, monkeypatch, capsys):
    from mmengine.config import Config
    demo = _demo_module()
    cfg_path = tmp_path / 'c.py'
    cfg_path.write_text(TINY_CONFIG.format(body_model_dir=str(tmp_path / 'missing')))
    calls = []
    import mmhpse.models.body_models.surrogate as surrogate
    real = surrogate.write_surrogate_body_model
    monkeypatch.setattr(surrogate, 'write_surrogate_body_model',
                        lambda out, *a, **k: calls.append(out) or real(out, 200, 0))
    target = str(tmp_path / 'cache')
    for _ in range(2):
        cfg = Config.fromfile(str(cfg_path))
        assert demo.prepare_body_model(cfg, surrogate_dir=target) == target
        assert cfg.model.body_model.model_path == osp.join(target, 'smpl')
        assert cfg.model.head.smpl_mean_params == osp.join(target, 'smpl_mean_params.npz')
        assert cfg.model.body_model.joint_regressor_extra == osp.join(
            target, 'J_regressor_extra.npy')
    assert calls == [target]  # generated once, then reused
    assert capsys.readouterr().out.count('SURROGATE body model') == 2
    # a surrogate already at the config's path is used as it is, and said to be one
    cfg = Config.fromfile(str(cfg_path))
    assert demo.prepare_body_model(cfg, body_model_dir=target) == target
    assert cfg.model.body_model.model_path == osp.join(target, 'smpl')
    assert 'is a SURROGATE body model' in capsys.readouterr().out
    # SMPL files (no surrogate mark) are used without a note
    real = tmp_path / 'real'
    shutil.copytree(target, real)
    pkl = real / 'smpl' / 'SMPL_NEUTRAL.pkl'
    with open(pkl, 'rb') as f:
        data = pickle.load(f)
    del data['surrogate']
    with open(pkl, 'wb') as f:
        pickle.dump(data, f)
    cfg = Config.fromfile(str(cfg_path))
    assert demo.prepare_body_model(cfg, body_model_dir=str(real)) is None
    assert cfg.model.body_model.model_path == osp.join(str(real), 'smpl')
    assert 'SURROGATE' not in capsys.readouterr().out
