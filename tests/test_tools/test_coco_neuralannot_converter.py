"""COCO 2017 person keypoints + NeuralAnnot SMPL -> HumanData, on a small release written here in
the official layout (COCO json; NeuralAnnot json keyed by annotation id, camera-frame fits)."""
import json
import os.path as osp
import sys

import numpy as np
import pytest

from helpers.humandata_checks import read_back
from helpers.official_layouts import pose_smpl, project, write_coco
from helpers.tool_runner import REPO

from mmhpse.conventions import convert_kps

sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
import coco_neuralannot  # noqa: E402
from _common import ConversionError  # noqa: E402


@pytest.fixture
def release(tmp_path, surrogate_body_model_dir):
    root = str(tmp_path / 'coco')
    return root, write_coco(root, surrogate_body_model_dir, num=6, images=True)


def test_fits_pair_with_their_annotations(release, tmp_path, surrogate_body_model_dir):
    root, truth = release
    out = str(tmp_path / 'coco.npz')
    summary = coco_neuralannot.main(['--root', root, '--out', out])
    assert summary['samples'] == 6 and summary['skipped'] == {}
    ds, infos, meta, transl = read_back(out, root, str(tmp_path / 'cache'), 'coco_17')
    assert len(ds) == 6 and {i['gender'] for i in infos} == {'neutral'}
    assert all(osp.isfile(i['img_path']) and '/train2017/' in i['img_path'] for i in infos)
    for k, info in enumerate(infos):
        aid = int(meta['annotation_id'][k])
        pose, betas, trans, focal, princpt, kps = truth[aid]
        np.testing.assert_allclose(info['smpl_global_orient'], pose[:3], atol=1e-6)
        np.testing.assert_allclose(info['smpl_betas'], betas, atol=1e-6)
        np.testing.assert_allclose(transl[k], trans, atol=1e-6)
        np.testing.assert_allclose(meta['focal'][k], focal, atol=1e-3)
        labelled = kps[:, 2] > 0
        np.testing.assert_array_equal(info['keypoints2d'][:, 2], labelled.astype(np.float32))
        np.testing.assert_allclose(info['keypoints2d'][labelled, :2], kps[labelled, :2],
                                   atol=1e-3)
    # the stored fit, posed and projected with the stored camera, lands on the COCO joints
    go = np.stack([i['smpl_global_orient'] for i in infos])
    bp = np.stack([i['smpl_body_pose'] for i in infos]).reshape(-1, 69)
    betas = np.stack([i['smpl_betas'] for i in infos])
    joints = pose_smpl(surrogate_body_model_dir, 'neutral', go, bp, betas, transl)['smpl_49']
    coco, _ = convert_kps(joints, 'smpl_49', 'coco_17')
    uv = project(coco, meta['focal'][:, None], meta['principal_point'][:, None])
    kp2d = np.stack([i['keypoints2d'] for i in infos])
    err = np.linalg.norm(uv - kp2d[..., :2], axis=-1)[kp2d[..., 2] > 0]
    assert err.max() < 1.0, err.max()


def test_authors_filters_are_counted(release, tmp_path):
    root, truth = release
    ann_file = osp.join(root, 'annotations', 'person_keypoints_train2017.json')
    fits_file = osp.join(root, 'annotations', 'MSCOCO_train_SMPL_NeuralAnnot.json')
    coco, fits = json.load(open(ann_file)), json.load(open(fits_file))
    anns = coco['annotations']
    anns[0]['iscrowd'] = 1
    anns[1]['num_keypoints'] = 0
    anns[2]['image_id'] = 77  # no such image
    del fits[str(anns[3]['id'])]
    fits[str(anns[4]['id'])]['smpl_param']['pose'][5] = float('nan')
    fits['999'] = fits[str(anns[5]['id'])]  # a fit of no annotation of this file
    json.dump(coco, open(ann_file, 'w'))
    json.dump(fits, open(fits_file, 'w'))
    out = str(tmp_path / 'coco.npz')
    summary = coco_neuralannot.main(['--root', root, '--out', out, '--split', 'train'])
    assert summary['samples'] == 1
    assert summary['skipped'] == {
        'crowd annotation': 1, 'no labelled keypoint': 1, 'annotation id without an image': 1,
        'no NeuralAnnot fit': 1, 'non-finite NeuralAnnot fit': 1,
        'NeuralAnnot fit of an annotation not in the COCO file (unused)': 1}
    _, _, meta, _ = read_back(out, root, str(tmp_path / 'cache'), 'coco_17')
    assert meta['annotation_id'].tolist() == [anns[5]['id']]


def test_missing_files_and_keys(release, tmp_path):
    root, _ = release
    out = str(tmp_path / 'coco.npz')
    with pytest.raises(ConversionError, match=r'MSCOCO_val_SMPL_NeuralAnnot\.json|'
                                              r'person_keypoints_val2017\.json'):
        coco_neuralannot.main(['--root', root, '--out', out, '--split', 'val'])
    fits_file = osp.join(root, 'annotations', 'MSCOCO_train_SMPL_NeuralAnnot.json')
    fits = json.load(open(fits_file))
    key = next(iter(fits))
    del fits[key]['cam_param']['princpt']
    json.dump(fits, open(fits_file, 'w'))
    with pytest.raises(ConversionError, match=rf"NeuralAnnot\.json id {key}: missing key "
                                              r"'princpt'"):
        coco_neuralannot.main(['--root', root, '--out', out])
