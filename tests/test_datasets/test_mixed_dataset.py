import numpy as np
import pytest

from mmhpse.datasets.mixed_dataset import MixedDataset, MixedEpochSampler, partition_counts
from mmhpse.registry import DATASETS


class ListDataset:
    """A tiny dataset: sample i is ``(name, i)``."""

    def __init__(self, name, n, convention='smpl_49'):
        self.name, self.n = name, n
        self.metainfo = dict(dataset_name=name, convention=convention)
        self.inited = False

    def full_init(self):
        self.inited = True

    def __len__(self):
        return self.n

    def get_data_info(self, i):
        return dict(dataset_name=self.name, idx=i)

    def __getitem__(self, i):
        assert 0 <= i < self.n
        return (self.name, i)


def draws(mixed, epoch):
    """The samples of an epoch, in draw order, read through ``(dataset, index)`` pairs."""
    ids, local = mixed.epoch_map(epoch)
    return [mixed[(int(k), int(i))] for k, i in zip(ids, local)]


def test_partition_counts_exact():
    assert partition_counts([0.5, 0.5], 11).tolist() in ([6, 5], [5, 6])
    assert partition_counts([0.5, 0.233, 0.046, 0.021, 0.2], 1000).tolist() == \
        [500, 233, 46, 21, 200]
    for length in range(1, 60):
        c = partition_counts([3, 1, 1.5], length)
        assert c.sum() == length
        assert np.all(np.abs(c - np.array([3, 1, 1.5]) / 5.5 * length) < 1)


def test_each_epoch_has_the_partition_and_valid_indices():
    a, b = ListDataset('h36m', 300), ListDataset('coco', 120)
    mixed = MixedDataset([a, b], partition=[0.5, 0.5], seed=0)
    assert a.inited and b.inited
    assert len(mixed) == 300
    for epoch in range(4):
        samples = draws(mixed, epoch)
        names = [s[0] for s in samples]
        assert names.count('h36m') == 150 and names.count('coco') == 150
        # the datasets are interleaved, not in two blocks
        assert 'coco' in names[:50] and 'h36m' in names[-50:]


def test_deterministic_per_seed_and_epoch():
    mk = lambda seed: MixedDataset([ListDataset('a', 50), ListDataset('b', 20)],  # noqa: E731
                                   partition=[0.7, 0.3], seed=seed)
    m1, m2, m3 = mk(0), mk(0), mk(1)
    assert draws(m1, 2) == draws(m2, 2)
    assert draws(m1, 0) != draws(m1, 1)
    assert draws(m1, 0) != draws(m3, 0)
    # the cache of the last epoch does not leak into another epoch's answers
    m1.epoch_map(5)
    assert [tuple(a) for a in np.stack(m1.epoch_map(3), 1)] == \
        [tuple(a) for a in np.stack(m2.epoch_map(3), 1)]
    assert m1.get_data_info(5) == dict(dataset_name=m1[5][0], idx=m1[5][1])
    # a plain integer index reads the epoch-0 draw, whatever epoch was drawn last
    assert [m1[i] for i in range(len(m1))] == draws(m2, 0)


def test_every_sample_used_equally_often_across_epochs():
    a = ListDataset('a', 37)
    mixed = MixedDataset([a, ListDataset('b', 11)], partition=[0.4, 0.6], num_data=25)
    count_a, count_b = np.zeros(37, int), np.zeros(11, int)
    for epoch in range(9):
        for name, i in draws(mixed, epoch):
            (count_a if name == 'a' else count_b)[i] += 1
        # at any time usage differs by at most one sample-use within a dataset
        assert count_a.max() - count_a.min() <= 1
        assert count_b.max() - count_b.min() <= 1
    assert count_a.sum() == 9 * 10 and count_b.sum() == 9 * 15


def test_zero_weight_and_num_data():
    mixed = MixedDataset([ListDataset('a', 5), ListDataset('b', 40)], partition=[1, 0],
                         num_data=12)
    assert len(mixed) == 12
    assert {s[0] for s in draws(mixed, 0)} == {'a'}


def test_errors():
    with pytest.raises(ValueError, match='2 datasets but 1 partition weights'):
        MixedDataset([ListDataset('a', 3), ListDataset('b', 3)], partition=[1])
    with pytest.raises(ValueError, match='partition weights must be >= 0'):
        MixedDataset([ListDataset('a', 3)], partition=[-1])
    with pytest.raises(ValueError, match='is empty but has partition weight 0.5'):
        MixedDataset([ListDataset('a', 0), ListDataset('b', 3)], partition=[0.5, 0.5])
    with pytest.raises(ValueError, match=r"different keypoint conventions \['h36m_17', "
                       r"'smpl_49'\]"):
        MixedDataset([ListDataset('a', 3), ListDataset('b', 3, 'h36m_17')], partition=[1, 1])
    mixed = MixedDataset([ListDataset('a', 3), ListDataset('b', 2)], partition=[1, 1])
    with pytest.raises(IndexError, match='negative index -1'):
        mixed[-1]
    # the epoch is not carried by the index any more
    with pytest.raises(IndexError, match='index 3 out of range for 3 samples'):
        mixed[3]
    with pytest.raises(IndexError, match=r'pair \(1, 2\) out of range for datasets of sizes '
                       r'\[3, 2\]'):
        mixed[(1, 2)]
    with pytest.raises(IndexError, match='neither a position nor a'):
        mixed[(0, 1, 2)]
    with pytest.raises(TypeError, match='MixedEpochSampler needs a MixedDataset, got '
                       'ListDataset'):
        MixedEpochSampler(ListDataset('a', 3))


def test_metainfo_passes_through():
    mixed = MixedDataset([ListDataset('h36m', 4), ListDataset('coco', 4)], partition=[1, 1])
    meta = mixed.metainfo
    assert meta['convention'] == 'smpl_49' and meta['dataset_name'] == 'h36m'
    assert meta['dataset_names'] == ['h36m', 'coco'] and meta['partition'] == [1.0, 1.0]


def test_built_from_configs_and_registered():
    DATASETS.register_module(name='_TestListDataset', module=ListDataset, force=True)
    mixed = DATASETS.build(dict(type='MixedDataset', partition=[0.5, 0.5], datasets=[
        dict(type='_TestListDataset', name='a', n=10),
        dict(type='_TestListDataset', name='b', n=6)]))
    assert isinstance(mixed, MixedDataset) and len(mixed) == 10


def test_epoch_sampler_keeps_the_epoch_and_yields_pairs():
    mixed = MixedDataset([ListDataset('a', 30), ListDataset('b', 10)], partition=[0.5, 0.5])
    sampler = MixedEpochSampler(mixed, shuffle=True, seed=3)
    assert len(sampler) == 30
    sampler.set_epoch(2)
    pairs = list(sampler)
    assert all(isinstance(p, tuple) and len(p) == 2 for p in pairs)
    assert sorted(mixed[p] for p in pairs) == sorted(draws(mixed, 2))
    # the same epoch gives the same order; another epoch another draw
    assert list(sampler) == pairs
    sampler.set_epoch(3)
    assert sorted(mixed[p] for p in sampler) == sorted(draws(mixed, 3))
    assert sorted(draws(mixed, 3)) != sorted(draws(mixed, 2))
    # without shuffling the pairs come in the draw's own order
    plain = MixedEpochSampler(mixed, shuffle=False)
    plain.set_epoch(1)
    assert [mixed[p] for p in plain] == draws(mixed, 1)


def test_epoch_sampler_splits_ranks_without_overlap(monkeypatch):
    import mmengine.dataset.sampler as sampler_mod
    mixed = MixedDataset([ListDataset('a', 31), ListDataset('b', 10)], partition=[0.5, 0.5])
    parts = []
    for rank in range(2):
        monkeypatch.setattr(sampler_mod, 'get_dist_info', lambda r=rank: (r, 2))
        sampler = MixedEpochSampler(mixed, shuffle=True, seed=5, round_up=False)
        sampler.set_epoch(4)
        parts.append(list(sampler))
    assert len(parts[0]) == 16 and len(parts[1]) == 15
    both = [mixed[p] for p in parts[0] + parts[1]]
    assert sorted(both) == sorted(draws(mixed, 4))


def _write_spin(path, num, seed):
    rng = np.random.default_rng(seed)
    np.savez(path, imgname=np.array([f'{i}.jpg' for i in range(num)]),
             center=rng.uniform(100, 200, (num, 2)), scale=np.ones(num),
             part=rng.uniform(1, 300, (num, 24, 3)))


def test_runner_dataloader_with_persistent_workers_redraws_each_epoch(tmp_path):
    from mmengine.runner import Runner

    from mmhpse.utils import register_all_modules
    register_all_modules()
    _write_spin(str(tmp_path / 'big.npz'), 40, 0)
    _write_spin(str(tmp_path / 'small.npz'), 8, 1)
    loader = Runner.build_dataloader(dict(
        batch_size=5, num_workers=1, persistent_workers=True,
        sampler=dict(type='MixedEpochSampler', shuffle=True, seed=0),
        collate_fn=dict(type='pseudo_collate'),
        dataset=dict(type='MixedDataset', partition=[0.5, 0.5], datasets=[
            dict(type='HumanImageDataset', ann_file=str(tmp_path / 'big.npz')),
            dict(type='HumanImageDataset', ann_file=str(tmp_path / 'small.npz'))])))
    epochs = []
    for epoch in range(3):
        loader.sampler.set_epoch(epoch)
        seen = [(name, row) for batch in loader
                for name, row in zip(batch['dataset_name'], batch['ann_idx'])]
        assert len(seen) == 40
        assert sum(name == 'big' for name, _ in seen) == 20
        epochs.append(sorted(row for name, row in seen if name == 'big'))
        # the small set (8 samples, 20 draws per epoch) is used 2 or 3 times per sample
        counts = np.bincount([row for name, row in seen if name == 'small'], minlength=8)
        assert counts.min() >= 2 and counts.max() <= 3
    # the big set's 40 rows are covered by two epochs of 20, then the stream goes on
    assert sorted(epochs[0] + epochs[1]) == list(range(40))
    assert epochs[2] != epochs[0] or epochs[2] != epochs[1]
