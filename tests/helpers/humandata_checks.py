"""Reading a converted HumanData file back: the mmhuman3d layout check and the samples as
``HumanImageDataset`` gives them (for the converter tests)."""
import numpy as np


def check_humandata_layout(path):
    """Assert the keys, shapes and dtypes mmhuman3d's ``HumanData.load`` / ``HumanImageDataset``
    expect (``_HumanData_SUPPORTED_KEYS``: ``bbox_xywh (N, 5)``, keypoints ``(N, K, 3|4)`` with
    ``(190,)`` masks in ``human_data``, ``smpl`` / ``meta`` dicts, ``__data_len__``)."""
    from mmhpse.utils.safe_pickle import safe_npz_member
    with np.load(path) as data:
        keys = set(data.files)
        n = int(data['__data_len__'])
        assert data['image_path'].shape == (n, ) and data['image_path'].dtype.kind == 'U'
        assert data['bbox_xywh'].shape == (n, 5) and data['bbox_xywh'].dtype == np.float32
        assert np.all(data['bbox_xywh'][:, 4] == 1) and str(data['config'])
        assert bool(data['__keypoints_compressed__']) and not bool(data['__key_strict__'])
        for key, dim in (('keypoints2d', 3), ('keypoints3d', 4)):
            if key in keys:
                mask = data[f'{key}_mask']
                assert mask.shape == (190, ) and str(data[f'{key}_convention']) == 'human_data'
                assert data[key].shape == (n, int(mask.sum()), dim)
                assert data[key].dtype == np.float32
    assert keys <= {'__key_strict__', '__data_len__', '__keypoints_compressed__', 'image_path',
                    'bbox_xywh', 'config', 'keypoints2d', 'keypoints2d_mask',
                    'keypoints2d_convention', 'keypoints3d', 'keypoints3d_mask',
                    'keypoints3d_convention', 'smpl', 'has_smpl', 'meta'}, keys
    if 'smpl' in keys:
        smpl = safe_npz_member(path, 'smpl').item()
        assert set(smpl) == {'global_orient', 'body_pose', 'betas', 'transl'}
        shapes = dict(global_orient=(n, 3), body_pose=(n, 23, 3), betas=(n, 10), transl=(n, 3))
        assert all(smpl[k].shape == v and smpl[k].dtype == np.float32 for k, v in shapes.items())
    meta = safe_npz_member(path, 'meta').item()
    assert all(len(v) == n for v in meta.values())
    return n


def read_back(out, img_root, cache_dir, convention):
    """``(dataset, infos, meta, transl)`` of a converted file read through ``HumanImageDataset``:
    ``infos`` = ``get_data_info`` of every sample, ``meta`` = the file's ``meta`` arrays and
    ``transl`` = ``smpl.transl`` (``None`` if absent), both in dataset order."""
    from mmhpse.datasets import HumanImageDataset
    check_humandata_layout(out)
    ds = HumanImageDataset(ann_file=out, data_prefix=dict(img=img_root), convention=convention,
                           cache_dir=cache_dir, test_mode=True)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    rows = ds.rows
    meta = {k: np.asarray(v)[rows] for k, v in (ds.annotations.store.get('meta') or {}).items()}
    smpl = ds.annotations.smpl or {}
    transl = None if smpl.get('transl') is None else np.asarray(smpl['transl'])[rows]
    return ds, infos, meta, transl
