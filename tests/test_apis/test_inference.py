"""mmhpse.apis: init_model (checkpoint loading, hash check) and inference_mesh_model."""
import hashlib
import os.path as osp
import pickle

import cv2
import numpy as np
import pytest
import torch

from mmhpse.apis import CheckpointHashError, inference_mesh_model, init_model

CROP_HW = (64, 48)

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
              smpl_mean_params=body_model_dir + '/smpl_mean_params.npz'),
    body_model=dict(type='SMPL', model_path=body_model_dir + '/smpl', gender='neutral',
                    joint_regressor_extra=body_model_dir + '/J_regressor_extra.npy'),
    img_res=(64, 48))
test_pipeline = [
    dict(type='LoadHumanImage'),
    dict(type='HumanGetBBoxCenterScale', padding=1.25),
    dict(type='HumanTopdownAffine', input_size=(48, 64)),
    dict(type='PackHumanInputs'),
]
test_dataloader = dict(batch_size=2, dataset=dict(type='HumanImageDataset',
                                                  pipeline=test_pipeline))
"""


def write_config(folder, body_model_dir):
    path = osp.join(str(folder), 'pare_tiny.py')
    with open(path, 'w') as f:
        f.write(TINY_CONFIG.format(body_model_dir=body_model_dir))
    return path


def num_vertices(body_model_dir):
    with open(osp.join(body_model_dir, 'smpl', 'SMPL_NEUTRAL.pkl'), 'rb') as f:
        return len(pickle.load(f)['v_template'])


def save_trained(config, path, seed=1):
    """A model of ``config`` with all weights randomised (not the init), saved as a checkpoint."""
    model = init_model(config)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.is_floating_point() and not name.startswith('body_model.'):
                tensor.copy_(torch.randn(tensor.shape, generator=gen) * 0.05 + tensor)
    torch.save({'state_dict': model.state_dict(), 'meta': {'epoch': 1}}, path)
    return model.state_dict()


@pytest.fixture(scope='module')
def tiny(tmp_path_factory, surrogate_body_model_dir):
    folder = tmp_path_factory.mktemp('tiny')
    config = write_config(folder, surrogate_body_model_dir)
    ckpt = str(folder / 'trained.pth')
    state = save_trained(config, ckpt)
    return dict(config=config, ckpt=ckpt, state=state, folder=folder)


def _hashed_copy(src, folder, name='pare_tiny_20261127'):
    with open(src, 'rb') as f:
        data = f.read()
    path = osp.join(str(folder), f'{name}-{hashlib.sha256(data).hexdigest()[:8]}.pth')
    with open(path, 'wb') as f:
        f.write(data)
    return path


def test_init_model_loads_every_weight(tiny):
    model = init_model(tiny['config'], tiny['ckpt'])
    assert not model.training and model.cfg.filename == tiny['config']
    for name, value in model.state_dict().items():
        if not name.startswith('body_model.'):
            assert torch.equal(value, tiny['state'][name]), name


def test_init_model_verifies_hash_in_name(tiny, tmp_path):
    good = _hashed_copy(tiny['ckpt'], tmp_path)
    init_model(tiny['config'], good)  # matching hash: loads

    with open(good, 'rb') as f:
        data = bytearray(f.read())
    data[len(data) // 2] ^= 0x01  # one bit of one byte
    with open(good, 'wb') as f:
        f.write(bytes(data))
    expected = osp.basename(good)[-12:-4]
    actual = hashlib.sha256(bytes(data)).hexdigest()[:8]
    with pytest.raises(CheckpointHashError) as err:
        init_model(tiny['config'], good)
    msg = str(err.value)
    assert f'expected {expected}, actual {actual}' in msg and good in msg


def test_init_model_without_hash_suffix_skips_the_check(tiny, tmp_path):
    # eight hex digits without the dash, or another length: not a zoo name, loaded as is
    for name in ('epoch_12345678.pth', 'model-1234567.pth'):
        path = osp.join(str(tmp_path), name)
        with open(tiny['ckpt'], 'rb') as src, open(path, 'wb') as dst:
            dst.write(src.read())
        init_model(tiny['config'], path)


def test_init_model_refuses_checkpoint_of_another_model(tiny, tmp_path):
    state = dict(tiny['state'])
    del state['head.cam_regressor.weight']
    state['head.shape_regressor.bias'] = torch.zeros(11)
    path = str(tmp_path / 'other.pth')
    torch.save({'state_dict': state}, path)
    with pytest.raises(KeyError, match=r'1 missing keys \[\'head.cam_regressor.weight\'\], '
                       r'1 shape mismatches \[\'head.shape_regressor.bias: checkpoint \(11,\) vs '
                       r'model \(10,\)\'\]'):
        init_model(tiny['config'], path)


def test_body_model_comes_from_config_not_checkpoint(tiny, surrogate_body_model_dir, tmp_path):
    """A checkpoint trained with another body model (here 300 vertices) still loads; the mesh
    has the vertices of the config's body model."""
    from mmhpse.models.body_models.surrogate import write_surrogate_body_model
    other_dir = str(tmp_path / 'other_body')
    write_surrogate_body_model(other_dir, num_vertices=300, seed=1)
    other_ckpt = str(tmp_path / 'other_body.pth')
    save_trained(write_config(tmp_path, other_dir), other_ckpt)
    model = init_model(tiny['config'], other_ckpt)
    sample = inference_mesh_model(model, _image())[0]
    assert tuple(sample.pred_vertices.shape) == (num_vertices(surrogate_body_model_dir), 3)
    assert num_vertices(other_dir) != num_vertices(surrogate_body_model_dir)


def _image(h=120, w=100, seed=0):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    cv2.rectangle(img, (30, 20), (70, 110), (40, 200, 90), -1)
    return img


def _reference_crop(model, img, box):
    """Crop + model forward written independently of the pipeline (similarity warp by hand)."""
    h, w = CROP_HW
    x, y, bw, bh = box
    centre = np.array([x + bw / 2, y + bh / 2])
    sw, sh = bw * 1.25, bh * 1.25
    sw, sh = (sw, sw * h / w) if sw > sh * w / h else (sh * w / h, sh)
    k = w / sw
    mat = np.array([[k, 0, w / 2 - k * centre[0]], [0, k, h / 2 - k * centre[1]]])
    crop = cv2.warpAffine(img, mat, (w, h), flags=cv2.INTER_LINEAR)
    batch = model.data_preprocessor(
        {'inputs': [torch.from_numpy(crop).permute(2, 0, 1)]}, training=False)
    with torch.no_grad():
        return model(batch['inputs'], mode='tensor'), mat


def test_inference_boxes_match_a_hand_made_crop(tiny, surrogate_body_model_dir, tmp_path):
    model = init_model(tiny['config'], tiny['ckpt'])
    img = _image()
    boxes = np.array([[30, 20, 40, 90], [5, 10, 60, 50]], dtype=np.float32)
    samples = inference_mesh_model(model, img, boxes)
    assert len(samples) == 2
    num_v = num_vertices(surrogate_body_model_dir)
    for sample, box in zip(samples, boxes):
        assert tuple(sample.pred_vertices.shape) == (num_v, 3)
        assert tuple(sample.pred_joints.shape) == (49, 3)
        assert tuple(sample.pred_keypoints2d.shape) == (49, 2)
        assert tuple(sample.pred_pose.shape) == (24, 3, 3)
        assert tuple(sample.pred_betas.shape) == (10, ) and tuple(sample.pred_cam.shape) == (3, )
        ref, mat = _reference_crop(model, img, box)
        np.testing.assert_allclose(sample.metainfo['warp_mat'], mat, rtol=1e-5, atol=1e-4)
        torch.testing.assert_close(sample.pred_vertices, ref['pred_vertices'][0],
                                   rtol=1e-4, atol=1e-5)

    # a path gives the same as the array; no box = the whole image
    path = str(tmp_path / 'img.png')
    cv2.imwrite(path, img)
    from_path = inference_mesh_model(model, path, boxes[:1])[0]
    torch.testing.assert_close(from_path.pred_vertices, samples[0].pred_vertices)
    assert from_path.img_path == path
    whole = inference_mesh_model(model, img)[0]
    ref, _ = _reference_crop(model, img, (0, 0, img.shape[1], img.shape[0]))
    torch.testing.assert_close(whole.pred_vertices, ref['pred_vertices'][0], rtol=1e-4,
                               atol=1e-5)


@pytest.mark.parametrize('boxes, message', [
    ([[0, 0, 10, 10], [5, 5, 0, 10]], r'bboxes\[1\] = \[5.0, 5.0, 0.0, 10.0\]'),
    ([[0, 0, 10]], r'bboxes must have shape \(N, 4\)'),
    ([[0, 0, np.nan, 10]], r'bboxes\[0\]'),
])
def test_inference_rejects_bad_boxes(tiny, boxes, message):
    model = init_model(tiny['config'])
    with pytest.raises(ValueError, match=message):
        inference_mesh_model(model, _image(), boxes)


def test_inference_unreadable_image_names_the_path(tiny, tmp_path):
    model = init_model(tiny['config'])
    missing = str(tmp_path / 'missing.jpg')
    with pytest.raises(FileNotFoundError, match=f'cannot read image {missing}'):
        inference_mesh_model(model, missing)


def test_published_checkpoint_round_trip(tiny, tmp_path):
    """publish_model -> init_model: hash verified, body-model buffers not shipped, same weights."""
    from helpers.tool_runner import load_tool
    tool = load_tool('tools/model_converters/publish_model.py')
    published = tool.publish(tiny['ckpt'], str(tmp_path), config=tiny['config'], date='20261127')
    assert osp.basename(published).startswith('pare_tiny_20261127-')
    shipped = torch.load(published, weights_only=True)['state_dict']
    assert not [k for k in shipped if k.startswith('body_model.')]
    model = init_model(tiny['config'], published)
    for name, value in model.state_dict().items():
        if not name.startswith('body_model.'):
            assert torch.equal(value, tiny['state'][name]), name
