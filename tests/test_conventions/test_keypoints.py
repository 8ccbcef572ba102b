import numpy as np
import pytest
import torch

from mmhpse.conventions import (H36M_TO_LSP14, KEYPOINTS, convert_kps, get_flip_indices,
                                get_keypoint_names, get_mapping, names_to_indices,
                                resolve_convention)

REQUIRED = {
    'smpl_24': 24, 'spin_24': 24, 'smpl_49': 49, 'h36m_17': 17, 'lsp_14': 14, 'coco_17': 17,
    'coco_19': 19, 'mpii_16': 16, 'mpi_inf_3dhp_17': 17, 'human_data': 190
}


def test_sizes_and_unique_names():
    for name, k in REQUIRED.items():
        names = KEYPOINTS[name]
        assert len(names) == k, name
        assert len(set(names)) == k, f'{name} has duplicate joint names'


def test_known_facts_of_the_tables():
    # SPIN's 49 = OpenPose 25 + its 24 ground-truth joints (part order).
    assert KEYPOINTS['smpl_49'][25:] == KEYPOINTS['spin_24']
    assert KEYPOINTS['smpl_49'][1] == 'neck_openpose'
    assert KEYPOINTS['spin_24'][:14] == KEYPOINTS['lsp_14']
    assert KEYPOINTS['coco_19'][:17] == KEYPOINTS['coco_17']
    assert KEYPOINTS['human_data'][:22] == KEYPOINTS['smpl_24'][:22]
    # mmhuman3d's human_data positions of a few joints (facts of that table).
    hd = KEYPOINTS['human_data']
    assert hd.index('right_hip_extra') == 144 and hd.index('head_extra') == 152
    assert hd.index('nose_openpose') == 153 and hd[-2:] == ['left_hand', 'right_hand']
    # every joint of the smaller sets exists in the human_data superset (so files convert)
    for name in REQUIRED:
        assert set(KEYPOINTS[name]) <= set(hd), name


def test_h36m_to_lsp14_constant_matches_name_mapping():
    idx = names_to_indices('h36m_17', KEYPOINTS['lsp_14'])
    assert tuple(idx) == H36M_TO_LSP14
    kps = np.random.RandomState(0).randn(5, 17, 3)
    out, mask = convert_kps(kps, 'h36m_17', 'lsp_14')
    assert mask.all()
    np.testing.assert_array_equal(out, kps[:, list(H36M_TO_LSP14)])


def _brute_force_convert(kps, src, dst):
    src_names, dst_names = KEYPOINTS[src], KEYPOINTS[dst]
    out = np.zeros(kps.shape[:-2] + (len(dst_names), kps.shape[-1]), kps.dtype)
    mask = np.zeros(len(dst_names), np.uint8)
    for d, n in enumerate(dst_names):
        for s, m in enumerate(src_names):
            if n == m:
                out[..., d, :] = kps[..., s, :]
                mask[d] = 1
    return out, mask


@pytest.mark.parametrize('src', sorted(REQUIRED))
@pytest.mark.parametrize('dst', ['smpl_49', 'h36m_17', 'coco_19', 'human_data', 'lsp_14'])
def test_convert_by_names_matches_brute_force(src, dst):
    kps = np.random.RandomState(1).rand(2, 3, len(KEYPOINTS[src]), 4).astype(np.float32)
    out, mask = convert_kps(kps, src, dst)
    ref, ref_mask = _brute_force_convert(kps, src, dst)
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(mask, ref_mask)
    assert out.dtype == np.float32


@pytest.mark.parametrize('name', sorted(REQUIRED))
def test_round_trip_through_superset_is_identity(name):
    kps = np.random.RandomState(2).randn(4, len(KEYPOINTS[name]), 3)
    sup, mask = convert_kps(kps, name, 'human_data')
    assert mask.sum() == len(KEYPOINTS[name])
    back, mask_back = convert_kps(sup, 'human_data', name, src_mask=mask)
    np.testing.assert_array_equal(back, kps)
    assert mask_back.all()


def test_round_trip_through_subset_zeroes_unmapped():
    kps = np.random.RandomState(3).randn(2, 49, 3) + 10
    lsp, _ = convert_kps(kps, 'smpl_49', 'lsp_14')
    back, mask = convert_kps(lsp, 'lsp_14', 'smpl_49')
    kept = [KEYPOINTS['smpl_49'].index(n) for n in KEYPOINTS['lsp_14']]
    assert sorted(np.flatnonzero(mask).tolist()) == sorted(kept)
    np.testing.assert_array_equal(back[:, kept], kps[:, kept])
    assert not back[:, mask == 0].any()


def test_source_mask_is_carried_over():
    kps = np.ones((17, 3))
    src_mask = np.ones(17, np.uint8)
    src_mask[KEYPOINTS['coco_17'].index('left_knee')] = 0
    _, mask = convert_kps(kps, 'coco_17', 'smpl_49', src_mask=src_mask)
    assert mask[KEYPOINTS['smpl_49'].index('left_knee')] == 0
    assert mask[KEYPOINTS['smpl_49'].index('right_knee')] == 1
    assert mask[KEYPOINTS['smpl_49'].index('left_knee_openpose')] == 0


def test_torch_input():
    kps = torch.randn(3, 17, 3, dtype=torch.float64)
    out, mask = convert_kps(kps, 'coco_17', 'mpii_16')
    ref, ref_mask = _brute_force_convert(kps.numpy(), 'coco_17', 'mpii_16')
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(mask.numpy(), ref_mask)


def test_identity_mapping():
    dst_idx, src_idx = get_mapping('smpl_49', 'smpl_49')
    np.testing.assert_array_equal(dst_idx, np.arange(49))
    np.testing.assert_array_equal(src_idx, np.arange(49))


def test_wrong_joint_count_is_an_error():
    with pytest.raises(ValueError, match="do not have 17 joints of convention 'coco_17'"):
        convert_kps(np.zeros((2, 16, 3)), 'coco_17', 'smpl_49')


@pytest.mark.parametrize('name', sorted(REQUIRED))
def test_flip_indices_are_involutions_swapping_sides(name):
    flip = get_flip_indices(name)
    names = KEYPOINTS[name]
    assert sorted(flip) == list(range(len(names)))
    assert [flip[f] for f in flip] == list(range(len(names)))
    for i, j in enumerate(flip):
        a, b = names[i], names[j]
        if 'left' in a.split('_'):
            assert b == a.replace('left', 'right')
        elif 'right' in a.split('_'):
            assert b == a.replace('right', 'left')
        else:
            assert i == j


def test_flip_indices_of_smpl_24_known_values():
    assert get_flip_indices('smpl_24')[:9] == [0, 2, 1, 3, 5, 4, 6, 8, 7]
    assert get_flip_indices('coco_17') == [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16,
                                           15]


def test_flip_commutes_with_conversion():
    # flipping in coco_19 then converting equals converting then flipping in smpl_49
    kps = np.random.RandomState(4).randn(19, 3)
    a, ma = convert_kps(kps[get_flip_indices('coco_19')], 'coco_19', 'smpl_49')
    b, mb = convert_kps(kps, 'coco_19', 'smpl_49')
    np.testing.assert_array_equal(a, b[get_flip_indices('smpl_49')])
    np.testing.assert_array_equal(ma, mb[get_flip_indices('smpl_49')])


def test_unknown_convention_lists_known_ones():
    with pytest.raises(KeyError) as e:
        convert_kps(np.zeros((17, 3)), 'coco', 'smpl_49')
    assert "Unknown keypoint convention 'coco'" in str(e.value)
    assert "'smpl_49'" in str(e.value) and "'h36m_17'" in str(e.value)
    with pytest.raises(KeyError, match='known conventions'):
        get_flip_indices('nope')
    with pytest.raises(KeyError, match='known conventions'):
        get_keypoint_names('smpl')


def test_file_aliases_of_mmhuman3d():
    assert resolve_convention('coco') == 'coco_17'
    assert resolve_convention('h36m') == 'h36m_17'
    assert resolve_convention('human_data') == 'human_data'
    assert resolve_convention('smpl_49') == 'smpl_49'
    with pytest.raises(KeyError, match='known conventions'):
        resolve_convention('smplx')


def test_loose_smpl24_layout_roots_and_same_joints():
    from mmhpse.conventions import get_root_indices, same_joints
    loose, smpl = KEYPOINTS['smpl_24_loose'], KEYPOINTS['smpl_24']
    assert len(loose) == 24 and set(loose) <= set(KEYPOINTS['human_data'])
    changed = {s: lo for s, lo in zip(smpl, loose) if s != lo}
    assert changed == {'pelvis': 'pelvis_extra', 'left_hip': 'left_hip_extra',
                       'right_hip': 'right_hip_extra', 'spine_1': 'spine_extra',
                       'neck': 'neck_extra', 'head': 'head_extra'}
    assert get_flip_indices('smpl_24_loose') == get_flip_indices('smpl_24')
    assert get_root_indices('smpl_24_loose') == get_root_indices('smpl_24') == [0]
    assert get_root_indices('smpl_49') == [27, 28]
    assert same_joints('smpl_24_loose', 'smpl_24') and same_joints('smpl_24', 'smpl_24_loose')
    assert not same_joints('smpl_49', 'smpl_24') and not same_joints('h36m_17', 'smpl_24')
    with pytest.raises(KeyError, match='Unknown keypoint convention'):
        same_joints('smpl_24', 'nope')
