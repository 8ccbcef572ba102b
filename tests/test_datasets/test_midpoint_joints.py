"""``HumanImageDataset(midpoint_joints=...)``: slots the file has no joint for, filled with the
midpoint of two of its joints before the pipeline (mmhpse/conventions/midpoints.py)."""
import os.path as osp
import pickle
import sys

import numpy as np
import pytest

from helpers.tool_runner import REPO
from mmhpse.conventions import KEYPOINTS
from mmhpse.datasets import HumanImageDataset
from mmhpse.datasets.human_data import AnnotationError

sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
from _common import write_human_data  # noqa: E402

RULE = dict(pelvis_extra=('left_hip_extra', 'right_hip_extra'),
            neck_extra=('left_shoulder', 'right_shoulder'))
SLOTS = KEYPOINTS['smpl_24_loose']


def _write(tmp_path, names, n=4, seed=0, with_3d=False):
    rng = np.random.default_rng(seed)
    k = len(names)
    kps2d = np.concatenate([rng.uniform(0, 400, (n, k, 2)), rng.uniform(0, 1, (n, k, 1))], -1)
    kps2d[0, :, 2] = 1
    kps2d[1, ::3, 2] = 0  # COCO: right shoulder and right hip unlabelled
    kps3d = np.concatenate([rng.normal(size=(n, k, 3)) * 0.3, np.ones((n, k, 1))], -1)
    path = str(tmp_path / 'people.npz')
    write_human_data(path, [f'{i}.jpg' for i in range(n)], np.tile([[0, 0, 50, 80]], (n, 1)),
                     'people', keypoints2d=(kps2d, names),
                     keypoints3d=(kps3d, names) if with_3d else None)
    return path, kps2d.astype(np.float32), kps3d.astype(np.float32)


def _mid(kps, names, parents):
    a, b = (kps[names.index(p)].astype(np.float64) for p in parents)
    conf = min(a[-1], b[-1])
    return np.r_[(a[:-1] + b[:-1]) / 2, conf] if conf > 0 else np.zeros(len(a))


def test_2d_and_3d_slots_filled_from_the_parents(tmp_path, mmengine_log):
    names = KEYPOINTS['coco_17']
    path, kps2d, kps3d = _write(tmp_path, names, with_3d=True)
    ds = HumanImageDataset(path, convention='smpl_24_loose', midpoint_joints=RULE)
    plain = HumanImageDataset(path, convention='smpl_24_loose')
    for i in range(len(ds)):
        info, ref = ds.get_data_info(i), plain.get_data_info(i)
        for key, kps in (('keypoints2d', kps2d), ('keypoints3d', kps3d)):
            for slot, parents in RULE.items():
                np.testing.assert_allclose(info[key][SLOTS.index(slot)],
                                           _mid(kps[i], names, parents), rtol=1e-6)
            others = [j for j, n in enumerate(SLOTS) if n not in RULE]
            np.testing.assert_array_equal(info[key][others], ref[key][others])
    assert any('pelvis_extra = mid' in m and 'keypoints3d' in m for m in mmengine_log)
    # the rule travels with the dataset to the workers
    again = pickle.loads(pickle.dumps(ds))
    np.testing.assert_array_equal(again.get_data_info(1)['keypoints2d'],
                                  ds.get_data_info(1)['keypoints2d'])


def test_joints_of_the_file_are_kept(tmp_path, mmengine_log):
    # H36M-17 has a pelvis and a neck of its own: the rule changes nothing
    path, kps2d, _ = _write(tmp_path, KEYPOINTS['h36m_17'])
    ds = HumanImageDataset(path, convention='smpl_24_loose', midpoint_joints=RULE)
    plain = HumanImageDataset(path, convention='smpl_24_loose')
    for i in range(len(ds)):
        np.testing.assert_array_equal(ds.get_data_info(i)['keypoints2d'],
                                      plain.get_data_info(i)['keypoints2d'])
    assert any('pelvis_extra from the file; neck_extra from the file' in m
               for m in mmengine_log)


def test_a_slot_without_joint_or_parents_names_the_file(tmp_path):
    names = [n for n in KEYPOINTS['coco_17'] if n != 'right_shoulder']
    path, _, _ = _write(tmp_path, names)
    ds = HumanImageDataset(path, convention='smpl_24_loose', midpoint_joints=RULE,
                           lazy_init=True)
    with pytest.raises(AnnotationError, match=r"people.npz: midpoint_joints: the file has no "
                       r"joint 'neck_extra' .*missing: \['right_shoulder'\]"):
        ds.full_init()
    # without the slot in the rule the same file is fine
    HumanImageDataset(path, convention='smpl_24_loose',
                      midpoint_joints=dict(pelvis_extra=RULE['pelvis_extra']))


def test_a_bad_rule_names_the_file_and_the_key(tmp_path):
    path, _, _ = _write(tmp_path, KEYPOINTS['coco_17'])
    with pytest.raises(ValueError, match=r"people.npz: midpoint_joints: midpoint joint 'pelvis' "
                       r"is not a joint of convention 'smpl_24_loose'"):
        HumanImageDataset(path, convention='smpl_24_loose',
                          midpoint_joints=dict(pelvis=RULE['pelvis_extra']))
