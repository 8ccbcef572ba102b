"""MuPoTS-3D test set -> HumanData, on ``annot.mat`` / ``occlusion.mat`` written here in the
official layout (cells of frames x persons holding 1x1 structs, joints 2/3 x 17 in mm)."""
import os
import os.path as osp
import sys

import numpy as np
import pytest
from scipy.io import savemat

from helpers.humandata_checks import read_back
from helpers.official_layouts import project, write_mupots
from helpers.tool_runner import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
import mupots3d  # noqa: E402
from _common import ConversionError  # noqa: E402


@pytest.fixture
def release(tmp_path):
    root = str(tmp_path / 'mupots')
    truth = write_mupots(root, sequences=((1, 4, 2), (2, 3, 3), (10, 2, 1)),
                         invalid=((1, 0, 1), (2, 2, 0)), images=True)
    return root, truth


def test_sequences_persons_and_reprojection(release, tmp_path):
    root, truth = release
    out = str(tmp_path / 'mupots.npz')
    summary = mupots3d.main(['--root', root, '--out', out])
    assert summary['samples'] == 4 * 2 + 3 * 3 + 2 - 2 and summary['sequences'] == [1, 2, 10]
    assert summary['skipped'] == {'annotation with isValidFrame = 0': 2}
    ds, infos, meta, _ = read_back(out, root, str(tmp_path / 'cache'), 'mpi_inf_3dhp_17')
    assert len(ds) == 17 and {i['gender'] for i in infos} == {'neutral'}
    assert all(osp.isfile(i['img_path']) for i in infos)
    ids = list(zip(meta['sequence'].tolist(), meta['frame'].tolist(), meta['person'].tolist()))
    assert (1, 0, 1) not in ids and (2, 2, 0) not in ids and (10, 1, 0) in ids
    for k, (s, f, p) in enumerate(ids):
        t = truth[s]
        assert infos[k]['img_path'].endswith(f'MultiPersonTestSet/TS{s}/img_{f:06d}.jpg')
        np.testing.assert_allclose(infos[k]['keypoints2d'][:, :2], t['annot2'][f, p], atol=1e-3)
        # default: the universal-skeleton joints, the GT of the official 3DPCK evaluation
        np.testing.assert_allclose(infos[k]['keypoints3d'][:, :3], t['univ'][f, p] / 1000,
                                   atol=1e-6)
        np.testing.assert_allclose(meta['annot3'][k], t['annot3'][f, p] / 1000, atol=1e-6)
        np.testing.assert_array_equal(meta['occlusion'][k], t['occlusion'][f, p])
        # fitted intrinsics: the 3D joints project onto the 2D joints, and match the camera
        np.testing.assert_allclose(meta['focal'][k], t['f'], rtol=1e-6)
        np.testing.assert_allclose(meta['principal_point'][k], t['c'], atol=1e-3)
        uv = project(meta['annot3'][k], meta['focal'][k], meta['principal_point'][k])
        assert np.linalg.norm(uv - infos[k]['keypoints2d'][:, :2], axis=1).max() < 1.0
    # the 3DPCK evaluation reads the same (sequence, frame) from the image paths
    from mmhpse.evaluation.mupots import parse_mupots_path
    assert [parse_mupots_path(i['img_path']) for i in infos] == [(s, f) for s, f, _ in ids]
    # root joint 14 is the pelvis in mmhpse's mpi_inf_3dhp_17
    assert ds.metainfo['keypoint_names'][14] == 'pelvis_extra'


def test_metric_joints_option(release, tmp_path):
    root, truth = release
    out = str(tmp_path / 'annot3.npz')
    mupots3d.main(['--root', root, '--out', out, '--joints3d', 'annot3'])
    _, infos, meta, _ = read_back(out, root, str(tmp_path / 'cache'), 'mpi_inf_3dhp_17')
    np.testing.assert_allclose(infos[0]['keypoints3d'][:, :3], truth[1]['annot3'][0, 0] / 1000,
                               atol=1e-6)
    np.testing.assert_allclose(meta['univ_annot3'][0], truth[1]['univ'][0, 0] / 1000, atol=1e-6)


def test_missing_files_and_fields(release, tmp_path):
    root, _ = release
    out = str(tmp_path / 'm.npz')
    os.remove(osp.join(root, 'MultiPersonTestSet', 'TS2', 'occlusion.mat'))
    with pytest.raises(ConversionError, match=r'TS2/occlusion\.mat: MATLAB file not found'):
        mupots3d.main(['--root', root, '--out', out])
    cell = np.empty((1, 1), object)
    cell[0, 0] = dict(annot2=np.zeros((2, 17)), isValidFrame=np.array([[1]]))
    savemat(osp.join(root, 'MultiPersonTestSet', 'TS2', 'annot.mat'), dict(annotations=cell))
    occ = np.empty((1, 1), object)
    occ[0, 0] = np.zeros((1, 17))
    savemat(osp.join(root, 'MultiPersonTestSet', 'TS2', 'occlusion.mat'),
            dict(occlusion_labels=occ))
    with pytest.raises(ConversionError, match=r"TS2/annot\.mat annotations\{1,1\}: missing "
                                              r"field 'annot3'"):
        mupots3d.main(['--root', root, '--out', out])
    with pytest.raises(ConversionError, match='no TS<k> sequence folder'):
        mupots3d.main(['--root', str(tmp_path), '--out', out])
