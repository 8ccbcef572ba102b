"""Human3.6M protocol-2 frame selection (``HumanImageDataset(sample_filter=...)``) against a
brute-force selection written out with plain loops and string splits."""
import numpy as np
import pytest

from mmhpse.datasets import HumanImageDataset

SERIALS = ['54138969', '55011271', '58860488', '60457274']
SUBJECTS = ['S1', 'S9', 'S11']
ACTIONS = ['Directions_1', 'Walking_2']
P2 = dict(subjects=['S9', 'S11'], cameras=['60457274'], frame_stride=64)


def _videos(num_frames, step=1):
    """(subject, action, camera index 0-3, 0-based frame) of every stored image."""
    out = []
    for subject in SUBJECTS:
        for action in ACTIONS:
            for cam in range(4):
                # sequences of different lengths, as in the dataset
                length = num_frames + 7 * cam + (13 if action == ACTIONS[1] else 0)
                out += [(subject, action, cam, f) for f in range(0, length, step)]
    return out


def _path(layout, subject, action, cam, frame):
    serial, number = SERIALS[cam], frame + 1  # file numbers are 1-based
    if layout == 'mmhuman3d':
        seq = f'{subject}_{action}.{serial}'
        return f'{subject}/images/{seq}/{seq}_{number:06d}.jpg'
    if layout == 'spin':
        return f'images/{subject}_{action}.{serial}_{number:06d}.jpg'
    # the Human3.6M release of the authors' code: s_09_act_02_subact_01_ca_04_000001.jpg
    act, sub = ACTIONS.index(action) + 2, 1
    seq = f's_{int(subject[1:]):02d}_act_{act:02d}_subact_{sub:02d}_ca_{cam + 1:02d}'
    return f'{seq}/{seq}_{number:06d}.jpg'


def _write(tmp_path, paths, layout, name='h36m_valid_protocol2.npz'):
    n = len(paths)
    path = str(tmp_path / name)
    if layout == 'spin':
        np.savez(path, imgname=np.array(paths), center=np.full((n, 2), 100.),
                 scale=np.ones(n), part=np.zeros((n, 24, 3)))
    else:
        np.savez(path, image_path=np.array(paths), bbox_xywh=np.tile([0., 0., 50., 80.], (n, 1)))
    return path


def _brute_force(paths, subjects, serials, stride):
    """Rows whose path names a wanted subject and camera and a 0-based frame % stride == 0."""
    keep = []
    for row, p in enumerate(paths):
        base = p.split('/')[-1][:-len('.jpg')]
        if base.startswith('s_'):  # s_09_act_02_subact_01_ca_04_000001
            parts = base.split('_')
            subject = 'S' + str(int(parts[1]))
            serial = SERIALS[int(parts[7]) - 1]
            number = int(parts[8])
        else:  # S9_Directions_1.60457274_000001
            head, tail = base.rsplit('.', 1)
            subject = head.split('_')[0]
            serial, number = tail.split('_')[0], int(tail.split('_')[1])
        if subject in subjects and serial in serials and (number - 1) % stride == 0:
            keep.append(row)
    return keep


@pytest.mark.parametrize('layout', ['mmhuman3d', 'spin', 'release'])
def test_protocol2_keeps_exactly_the_brute_force_set(tmp_path, layout):
    videos = _videos(300)
    paths = [_path(layout, *v) for v in videos]
    ds = HumanImageDataset(ann_file=_write(tmp_path, paths, layout), sample_filter=P2,
                           test_mode=True)
    expected = _brute_force(paths, {'S9', 'S11'}, {'60457274'}, 64)
    assert ds.rows.tolist() == expected
    # 2 subjects x 2 actions, camera 4 (lengths 321 and 334): frames 0, 64, .., 320
    assert len(expected) == 2 * 2 * 6
    kept = {videos[r] for r in expected}
    assert {v[3] for v in kept} == {0, 64, 128, 192, 256, 320}
    assert {(v[0], v[2]) for v in kept} == {('S9', 3), ('S11', 3)}
    info = ds.get_data_info(5)
    assert info['ann_idx'] == expected[5] and info['img_path'].endswith(paths[expected[5]])


def test_filters_compose_with_indices_and_each_key_is_optional(tmp_path):
    paths = [_path('mmhuman3d', *v) for v in _videos(100)]
    ann = _write(tmp_path, paths, 'mmhuman3d')
    ds = HumanImageDataset(ann_file=ann, sample_filter=dict(cameras=['54138969']), indices=3)
    assert ds.rows.tolist() == _brute_force(paths, set(SUBJECTS), {'54138969'}, 1)[:3]
    ds = HumanImageDataset(ann_file=ann, sample_filter=dict(subjects=['S1'], frame_stride=10))
    assert ds.rows.tolist() == _brute_force(paths, {'S1'}, set(SERIALS), 10)


def test_every_5th_file_cannot_give_every_64th_frame(tmp_path):
    """mmhuman3d's / SPIN's protocol-2 file keeps every 5th frame: every 64th frame of it would
    be the frames at multiples of 320 only, so the filter refuses instead of thinning silently."""
    paths = [_path('mmhuman3d', *v) for v in _videos(700, step=5)]
    ann = _write(tmp_path, paths, 'mmhuman3d')
    with pytest.raises(ValueError, match=r'h36m_valid_protocol2.npz: sample_filter.frame_stride'
                       r'=64 .* grid of 5 .* multiples of 320'):
        HumanImageDataset(ann_file=ann, sample_filter=P2)
    # a stride on the file's grid is fine, and without a stride the file's own frames are used
    ds = HumanImageDataset(ann_file=ann, sample_filter=dict(P2, frame_stride=10))
    assert ds.rows.tolist() == _brute_force(paths, {'S9', 'S11'}, {'60457274'}, 10)
    ds = HumanImageDataset(ann_file=ann, sample_filter=dict(P2, frame_stride=None))
    assert ds.rows.tolist() == _brute_force(paths, {'S9', 'S11'}, {'60457274'}, 1)
    # an every-64th file (the authors' set already) passes the same filter unchanged
    paths = [_path('mmhuman3d', *v) for v in _videos(700, step=64)]
    ann = _write(tmp_path, paths, 'mmhuman3d', 'every64.npz')
    ds = HumanImageDataset(ann_file=ann, sample_filter=P2)
    assert ds.rows.tolist() == _brute_force(paths, {'S9', 'S11'}, {'60457274'}, 64)


def test_bad_input_names_the_file_and_the_key(tmp_path):
    paths = [_path('mmhuman3d', *v) for v in _videos(10)]
    paths[17] = 'S9/images/frame_000018.jpg'  # no camera id
    ann = _write(tmp_path, paths, 'mmhuman3d')
    with pytest.raises(ValueError, match=r"h36m_valid_protocol2.npz: key 'image_path' at row 17 "
                       r"\('S9/images/frame_000018.jpg'\) holds no Human3.6M subject / camera"):
        HumanImageDataset(ann_file=ann, sample_filter=P2)
    spin = _write(tmp_path, ['images/00001.jpg'] * 3, 'spin', 'spin.npz')
    with pytest.raises(ValueError, match=r"spin.npz: key 'imgname' at row 0"):
        HumanImageDataset(ann_file=spin, sample_filter=P2)
    paths = [_path('mmhuman3d', *v) for v in _videos(10)]
    ann = _write(tmp_path, paths, 'mmhuman3d', 'ok.npz')
    with pytest.raises(ValueError, match=r"cameras \['4'\] are not Human3.6M camera serials"):
        HumanImageDataset(ann_file=ann, sample_filter=dict(cameras=['4']))
    with pytest.raises(KeyError, match=r"unknown keys \['camera'\]"):
        HumanImageDataset(ann_file=ann, sample_filter=dict(camera=['60457274']))
    with pytest.raises(ValueError, match='keeps none of its'):
        HumanImageDataset(ann_file=ann, sample_filter=dict(subjects=['S5']))


def test_metainfo_names_the_file_and_its_gender_key(tmp_path):
    paths = [_path('spin', *v) for v in _videos(3)]
    ds = HumanImageDataset(ann_file=_write(tmp_path, paths, 'spin'))
    assert ds.metainfo['ann_file'].endswith('h36m_valid_protocol2.npz')
    assert ds.metainfo['gender_key'] is None
    path = str(tmp_path / 'pw3d.npz')
    np.savez(path, imgname=np.array(['a.jpg', 'b.jpg']), center=np.full((2, 2), 100.),
             scale=np.ones(2), part=np.zeros((2, 24, 3)), gender=np.array(['m', 'f']))
    assert HumanImageDataset(ann_file=path).metainfo['gender_key'] == 'gender'
