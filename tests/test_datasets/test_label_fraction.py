import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmhpse.datasets.label_fraction import (draw_label_fractions, fraction_file_name,
                                            fraction_percent, fraction_tag, load_indices,
                                            save_indices)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_sizes_nesting_and_sorted_unique():
    subsets = draw_label_fractions(1003, (0.1, 0.2, 0.3, 0.6), seed=3)
    sizes = {f: len(v) for f, v in subsets.items()}
    assert sizes == {0.1: 100, 0.2: 201, 0.3: 301, 0.6: 602}
    fracs = sorted(subsets)
    for small, big in zip(fracs, fracs[1:]):
        assert set(subsets[small]) < set(subsets[big])
    for idx in subsets.values():
        assert idx.dtype == np.int64 and (np.diff(idx) > 0).all()
        assert idx.min() >= 0 and idx.max() < 1003


def test_same_seed_same_subset_other_seed_other_subset():
    a = draw_label_fractions(500, (0.1, ), seed=0)[0.1]
    b = draw_label_fractions(500, (0.1, ), seed=0)[0.1]
    c = draw_label_fractions(500, (0.1, ), seed=1)[0.1]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # independent of which other fractions are drawn alongside
    np.testing.assert_array_equal(a, draw_label_fractions(500, (0.6, 0.1), seed=0)[0.1])


def test_subset_is_uniform_not_a_prefix():
    idx = draw_label_fractions(10000, (0.1, ), seed=0)[0.1]
    counts = np.bincount(idx // 1000, minlength=10)
    assert counts.min() > 70 and counts.max() < 130  # ~100 per tenth


def test_bad_arguments():
    with pytest.raises(ValueError, match=r'label fractions must be in \(0, 1\], got 1.5'):
        draw_label_fractions(10, (1.5, ))
    with pytest.raises(ValueError, match='num_samples must be positive, got 0'):
        draw_label_fractions(0)


@pytest.mark.parametrize('ext', ['.npy', '.txt'])
def test_save_load_round_trip(tmp_path, ext):
    idx = draw_label_fractions(77, (0.3, ), seed=2)[0.3]
    path = str(tmp_path / f'sub{ext}')
    save_indices(path, idx)
    np.testing.assert_array_equal(load_indices(path, 77), idx)


def test_load_errors(tmp_path):
    p = str(tmp_path / 'a.txt')
    with open(p, 'w') as f:
        f.write('1\n2\nx3\n')
    with pytest.raises(ValueError) as e:
        load_indices(p)
    assert str(e.value) == f"{p}: entry 2 ('x3') is not an integer"
    save_indices(p, [3, 0, 9])
    with pytest.raises(ValueError) as e:
        load_indices(p, 9)
    assert str(e.value) == f'{p}: entry 2 (9) is out of range for a dataset of 9 samples'
    save_indices(p, [5, 1, 7, 1, 5])
    with pytest.raises(ValueError) as e:
        load_indices(p)
    assert str(e.value) == f'{p}: entry 3 (1) is a duplicate'
    q = str(tmp_path / 'b.npy')
    np.save(q, np.zeros((2, 2), np.int64))
    with pytest.raises(ValueError, match=r'expected a 1-D integer array, got int64 \(2, 2\)'):
        load_indices(q)
    with pytest.raises(ValueError, match='index files end with .npy or .txt'):
        load_indices(str(tmp_path / 'c.json'))


def test_file_names():
    assert fraction_file_name('h36m_train', 0.1, 0) == 'h36m_train_frac10_seed0.npy'
    assert fraction_file_name('coco', 0.6, 3, '.txt') == 'coco_frac60_seed3.txt'
    assert fraction_file_name('coco', 0.025, 0) == 'coco_frac2p5_seed0.npy'
    assert fraction_file_name('coco', 0.125, 0) == 'coco_frac12p5_seed0.npy'


def test_fraction_tag_and_percent():
    cases = {0.1: '10', 0.125: '12.5', 0.3: '30', 0.6: '60', 1.0: '100', 0.07: '7',
             1 / 3: '33.3333'}
    for frac, text in cases.items():
        assert fraction_percent(frac) == text
        assert fraction_tag(frac) == text.replace('.', 'p')
    with pytest.raises(ValueError, match=r'label fractions must be in \(0, 1\], got 0'):
        fraction_tag(0)


def test_tool_writes_identical_files(tmp_path):
    ann = str(tmp_path / 'tiny_train.npz')
    np.savez_compressed(ann, imgname=np.array([f'{i}.jpg' for i in range(50)]),
                        center=np.ones((50, 2)), scale=np.ones(50), part=np.ones((50, 24, 3)))
    outs = []
    for run in range(2):
        out_dir = str(tmp_path / f'run{run}')
        subprocess.run([sys.executable, osp.join(ROOT, 'tools/misc/make_label_fractions.py'), ann,
                        '--fractions', '0.1', '0.6', '0.125', '--seed', '7', '--out-dir',
                        out_dir],
                       check=True, cwd=ROOT, capture_output=True,
                       env=dict(os.environ, PYTHONPATH=ROOT))
        outs.append([np.load(osp.join(out_dir, f'tiny_train_frac{p}_seed7.npy'))
                     for p in ('10', '60', '12p5')])
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
    ref = draw_label_fractions(50, (0.1, 0.6, 0.125), seed=7)
    np.testing.assert_array_equal(outs[0][0], ref[0.1])
    np.testing.assert_array_equal(outs[0][1], ref[0.6])
    np.testing.assert_array_equal(outs[0][2], ref[0.125])
