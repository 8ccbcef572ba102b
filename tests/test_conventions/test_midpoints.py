import numpy as np
import pytest

from mmhpse.conventions import (KEYPOINTS, check_midpoint_joints, fill_midpoints,
                                midpoint_mappings)

COCO_RULE = dict(neck_extra=('left_shoulder', 'right_shoulder'),
                 pelvis_extra=('left_hip_extra', 'right_hip_extra'))


def test_rules_are_validated_and_ordered_by_the_convention():
    rules = check_midpoint_joints('smpl_24_loose', COCO_RULE)
    assert rules == (('pelvis_extra', ('left_hip_extra', 'right_hip_extra')),
                     ('neck_extra', ('left_shoulder', 'right_shoulder')))
    assert check_midpoint_joints('smpl_24_loose', {}) == ()
    hash(rules)  # a cache key


@pytest.mark.parametrize('rules,match', [
    (dict(pelvis=('left_hip_extra', 'right_hip_extra')), "'pelvis' is not a joint of"),
    (dict(pelvis_extra=('left_hip_extra', )), 'expected two parent joint names'),
    (dict(pelvis_extra='left_hip_extra'), 'expected two parent joint names'),
    (dict(pelvis_extra=('left_hip_extra', 'right_hipp')), r"unknown joint names \['right_hipp'\]"),
    (dict(pelvis_extra=('left_hip_extra', 'left_hip_extra')), 'must be two joints'),
    (dict(pelvis_extra=('pelvis_extra', 'left_hip_extra')), 'must be two joints'),
    ([('pelvis_extra', ('left_hip_extra', 'right_hip_extra'))], 'must be a dict'),
])
def test_bad_rules_name_the_entry(rules, match):
    with pytest.raises(ValueError, match=match):
        check_midpoint_joints('smpl_24_loose', rules)


def test_mapping_by_names():
    rules = check_midpoint_joints('smpl_24_loose', COCO_RULE)
    dst = KEYPOINTS['smpl_24_loose']
    coco = KEYPOINTS['coco_17']
    [(d, a, b)] = midpoint_mappings([coco], 'smpl_24_loose', rules)
    got = {dst[i]: (coco[j], coco[k]) for i, j, k in zip(d, a, b)}
    assert got == dict(COCO_RULE)
    # a file that has the slot's joint keeps it (H36M: pelvis and neck of its own)
    assert all(len(m[0]) == 0 for m in midpoint_mappings([KEYPOINTS['h36m_17']],
                                                         'smpl_24_loose', rules))
    # several arrays of one kind: a slot another array has is not filled; the first array with
    # both parents fills a slot once
    hips = ['left_hip_extra', 'right_hip_extra']
    shoulders = ['left_shoulder', 'right_shoulder']
    maps = midpoint_mappings([['neck_extra'] + hips, shoulders + hips], 'smpl_24_loose', rules)
    assert [dst[i] for i in maps[0][0]] == ['pelvis_extra'] and len(maps[1][0]) == 0
    # one parent missing: nothing to fill
    assert len(midpoint_mappings([hips[:1] + shoulders], 'smpl_24_loose', rules)[0][0]) == 1


def test_fill_is_the_midpoint_with_the_smaller_confidence():
    rng = np.random.default_rng(0)
    rules = check_midpoint_joints('smpl_24_loose', COCO_RULE)
    [mapping] = midpoint_mappings([KEYPOINTS['coco_17']], 'smpl_24_loose', rules)
    names = KEYPOINTS['coco_17']
    for conf in ([0.7, 0.4, 1., 1.], [0., 0.9, 0.3, 0.], [1., 1., 1., 1.]):
        src = np.concatenate([rng.uniform(0, 500, (17, 2)), np.ones((17, 1))], 1)
        for name, c in zip(('left_hip_extra', 'right_hip_extra', 'left_shoulder',
                            'right_shoulder'), conf):
            src[names.index(name), 2] = c
        out = np.full((24, 3), -7., np.float32)
        fill_midpoints(out, src.astype(np.float32), mapping)
        for slot, (pa, pb) in COCO_RULE.items():
            a, b = src[names.index(pa)], src[names.index(pb)]
            c = min(a[2], b[2])
            expected = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, c] if c > 0 else [0, 0, 0]
            np.testing.assert_allclose(out[KEYPOINTS['smpl_24_loose'].index(slot)], expected,
                                       rtol=1e-6)
        untouched = np.ones(24, bool)
        untouched[mapping[0]] = False
        assert (out[untouched] == -7).all()
    # 3D keypoints (x, y, z, confidence) alike
    src3 = np.concatenate([rng.normal(size=(17, 3)), np.ones((17, 1))], 1)
    out3 = fill_midpoints(np.zeros((24, 4)), src3, mapping)
    pelvis = KEYPOINTS['smpl_24_loose'].index('pelvis_extra')
    hips = [names.index(n) for n in COCO_RULE['pelvis_extra']]
    np.testing.assert_allclose(out3[pelvis], [*src3[hips, :3].mean(0), 1.])
