"""MPI-INF-3DHP test set -> HumanData, on ``annot_data.mat`` files written here in the official
layout (MATLAB shapes 2/3 x 17 x 1 x n, valid_frame, activity_annotation; frames 1-based), as
MATLAB v7.3 (HDF5) files like the release and as v5 files of the same variables."""
import os.path as osp
import sys

import numpy as np
import pytest

from helpers.humandata_checks import read_back
from helpers.official_layouts import project, write_3dhp
from helpers.tool_runner import REPO
from mmhpse.utils.safe_pickle import safe_npz_member

sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
import mpi_inf_3dhp  # noqa: E402
from _common import ConversionError  # noqa: E402

SEQUENCES, INVALID = ((1, 5), (5, 4)), ((1, 2), (5, 0), (5, 3))


@pytest.fixture
def release(tmp_path):
    root = str(tmp_path / '3dhp')
    truth = write_3dhp(root, sequences=SEQUENCES, invalid=INVALID, images=True)
    return root, truth


def test_valid_frames_read_back_and_reproject(release, tmp_path):
    root, truth = release
    out = str(tmp_path / '3dhp.npz')
    summary = mpi_inf_3dhp.main(['--root', root, '--out', out])
    assert summary['samples'] == 4 + 2 and summary['skipped'] == {'frame with valid_frame = 0': 3}
    ds, infos, meta, _ = read_back(out, root, str(tmp_path / 'cache'), 'mpi_inf_3dhp_17')
    assert len(ds) == 6 and all(osp.isfile(i['img_path']) for i in infos)
    assert {i['gender'] for i in infos} == {'neutral'}
    assert list(zip(meta['sequence'].tolist(), meta['frame'].tolist())) == [
        (1, 0), (1, 1), (1, 3), (1, 4), (5, 1), (5, 2)]
    for k, info in enumerate(infos):
        s, t = int(meta['sequence'][k]), int(meta['frame'][k])
        tr = truth[s]
        assert info['img_path'].endswith(f'TS{s}/imageSequence/img_{t + 1:06d}.jpg')
        np.testing.assert_allclose(info['keypoints2d'][:, :2], tr['annot2'][t], atol=1e-3)
        # default: the universal-skeleton joints, as the official test protocol
        np.testing.assert_allclose(info['keypoints3d'][:, :3], tr['univ'][t] / 1000, atol=1e-6)
        np.testing.assert_allclose(meta['annot3'][k], tr['annot3'][t] / 1000, atol=1e-6)
        assert meta['activity'][k] == tr['activity'][t]
        uv = project(meta['annot3'][k], meta['focal'][k], meta['principal_point'][k])
        assert np.linalg.norm(uv - info['keypoints2d'][:, :2], axis=1).max() < 1.0
        np.testing.assert_allclose(meta['focal'][k], tr['f'], rtol=1e-6)


def test_bad_files(release, tmp_path):
    root, _ = release
    path = osp.join(root, 'mpi_inf_3dhp_test_set', 'TS5', 'annot_data.mat')
    from scipy.io import savemat
    savemat(path, dict(annot2=np.zeros((2, 17, 1, 4)), annot3=np.ones((3, 16, 1, 4)),
                       univ_annot3=np.ones((3, 17, 1, 4)), valid_frame=np.ones((1, 4))))
    with pytest.raises(ConversionError, match=r"TS5/annot_data\.mat: variable 'annot3' has "
                                              r'shape \(3, 16, 1, 4\)'):
        mpi_inf_3dhp.main(['--root', root, '--out', str(tmp_path / 'x.npz')])


def test_v73_release_converts_as_the_v5_one(release, tmp_path, monkeypatch):
    """The release's MATLAB v7.3 files (HDF5, read with h5py) give the same HumanData file as
    v5 files of the same variables (read with scipy)."""
    import h5py
    root_v5, _ = release
    root = str(tmp_path / '3dhp_v73')
    write_3dhp(root, sequences=SEQUENCES, invalid=INVALID, images=True, mat73=True)
    path = osp.join(root, 'mpi_inf_3dhp_test_set', 'TS1', 'annot_data.mat')
    with h5py.File(path, 'r') as f:  # MATLAB's column-major layout of 2 x 17 x 1 x 5
        assert f['annot2'].shape == (5, 1, 17, 2) and f['valid_frame'].shape == (5, 1)
    outs = [str(tmp_path / 'v5.npz'), str(tmp_path / 'v73.npz')]
    sums = [mpi_inf_3dhp.main(['--root', r, '--out', o, '--joints3d', 'annot3'])
            for r, o in zip((root_v5, root), outs)]
    assert sums[0]['samples'] == sums[1]['samples'] == 6
    assert sums[0]['skipped'] == sums[1]['skipped']
    with np.load(outs[0]) as a, np.load(outs[1]) as b:
        assert sorted(a.files) == sorted(b.files)
        members = a.files
    for key in members:  # object members (the meta dict) through the restricted unpickler
        va, vb = safe_npz_member(outs[0], key), safe_npz_member(outs[1], key)
        if va.dtype == object:
            va, vb = va.item(), vb.item()
            assert sorted(va) == sorted(vb), key
            for sub in va:
                np.testing.assert_array_equal(va[sub], vb[sub], err_msg=f'{key}.{sub}')
        else:
            np.testing.assert_array_equal(va, vb, err_msg=key)
    # without h5py: the clear error, naming the file
    monkeypatch.setitem(sys.modules, 'h5py', None)
    with pytest.raises(ConversionError, match=r'TS1/annot_data\.mat: a MATLAB v7\.3 \(HDF5\) '
                                              r'file; reading it needs h5py'):
        mpi_inf_3dhp.main(['--root', root, '--out', str(tmp_path / 'x.npz')])
