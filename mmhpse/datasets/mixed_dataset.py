"""Mix several datasets in fixed proportions, deterministically per seed and epoch.

The paper trains on Human3.6M and COCO "sampled 50/50" (mmhuman3d's ``MixedDataset`` draws a
random sample from the concatenation on every ``__getitem__``, ignoring the index). Here the
samples of an epoch are a deterministic function of ``(seed, epoch)``:

* ``length`` positions (``num_data``, default: the largest dataset) are split among the datasets
  in proportion to ``partition`` (largest-remainder rounding, so the counts are exact), and the
  datasets' positions are shuffled together;
* dataset ``k`` contributes ``c_k`` samples per epoch, read from an endless stream of seeded
  permutations of its indices: epoch ``e`` takes entries ``[e * c_k, (e + 1) * c_k)``. Across
  epochs every sample of a dataset is used equally often (never more than once above another).

The epoch lives in the sampler, as in mmengine: :class:`MixedEpochSampler` (a ``DefaultSampler``
whose ``set_epoch`` the training loop calls) takes epoch ``e``'s draw from
:meth:`MixedDataset.epoch_map` and yields ``(dataset index, index in that dataset)`` pairs, which
``MixedDataset.__getitem__`` reads. A plain integer index ``i`` reads position ``i`` of the
epoch-0 draw, so with a plain sampler (or at val/test time) every epoch reads the epoch-0 draw.
"""
import copy
from typing import Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import DefaultSampler

from mmhpse.registry import DATA_SAMPLERS, DATASETS

__all__ = ['MixedDataset', 'MixedEpochSampler', 'partition_counts']


def partition_counts(partition: Sequence[float], length: int) -> np.ndarray:
    """Split ``length`` into integers proportional to ``partition`` (largest remainder)."""
    p = np.asarray(partition, dtype=np.float64)
    exact = p / p.sum() * length
    counts = np.floor(exact).astype(np.int64)
    rest = length - counts.sum()
    order = np.argsort(-(exact - counts), kind='stable')
    counts[order[:rest]] += 1
    return counts


@DATASETS.register_module()
class MixedDataset:
    """Datasets mixed in the proportions ``partition``.

    Args:
        datasets (list[dict | Dataset]): dataset configs (built from ``DATASETS``) or datasets.
        partition (list[float]): non-negative weights, one per dataset (normalised).
        num_data (int, optional): samples per epoch; default: the largest dataset's length.
        seed (int): seed of the draws.
        lazy_init (bool): defer building the map (and the datasets' ``full_init``).
    """

    def __init__(self,
                 datasets: List[Union[dict, object]],
                 partition: Sequence[float],
                 num_data: Optional[int] = None,
                 seed: int = 0,
                 lazy_init: bool = False):
        if len(datasets) != len(partition):
            raise ValueError(f'MixedDataset: {len(datasets)} datasets but {len(partition)} '
                             'partition weights')
        if min(partition) < 0 or sum(partition) <= 0:
            raise ValueError(f'MixedDataset: partition weights must be >= 0 with a positive '
                             f'sum, got {list(partition)}')
        self.datasets = [DATASETS.build(d) if isinstance(d, dict) else d for d in datasets]
        self.partition = [float(p) for p in partition]
        self.num_data = num_data
        self.seed = seed
        self._fully_initialized = False
        self._cache_epoch = None
        if not lazy_init:
            self.full_init()

    def full_init(self):
        """Initialise the datasets and fix the per-epoch counts."""
        if self._fully_initialized:
            return
        for ds in self.datasets:
            if hasattr(ds, 'full_init'):
                ds.full_init()
        self.sizes = np.array([len(ds) for ds in self.datasets], dtype=np.int64)
        for size, p, ds in zip(self.sizes, self.partition, self.datasets):
            if size == 0 and p > 0:
                raise ValueError(f'MixedDataset: {type(ds).__name__} '
                                 f'{getattr(ds, "dataset_name", "")!s} is empty but has '
                                 f'partition weight {p}')
        self.length = int(self.num_data) if self.num_data is not None else int(self.sizes.max())
        self.counts = partition_counts(self.partition, self.length)
        conventions = {ds.metainfo.get('convention') for ds in self.datasets
                       if hasattr(ds, 'metainfo')}
        if len(conventions) > 1:
            raise ValueError(f'MixedDataset: datasets use different keypoint conventions '
                             f'{sorted(map(str, conventions))}')
        self._fully_initialized = True

    @property
    def metainfo(self) -> dict:
        """The first dataset's metainfo, plus ``dataset_names`` and ``partition``."""
        meta = copy.deepcopy(getattr(self.datasets[0], 'metainfo', {}))
        meta['dataset_names'] = [
            getattr(ds, 'metainfo', {}).get('dataset_name', type(ds).__name__)
            for ds in self.datasets
        ]
        meta['partition'] = list(self.partition)
        return meta

    def __len__(self) -> int:
        self.full_init()
        return self.length

    def _stream(self, k: int, start: int, count: int) -> np.ndarray:
        """Entries ``[start, start + count)`` of dataset ``k``'s stream of permutations."""
        n = int(self.sizes[k])
        first, last = start // n, (start + count - 1) // n
        perms = [
            np.random.default_rng([self.seed, k, cycle, 1]).permutation(n)
            for cycle in range(first, last + 1)
        ]
        flat = np.concatenate(perms)
        return flat[start - first * n:start - first * n + count]

    def epoch_map(self, epoch: int):
        """``(dataset_ids (L,), local_indices (L,))`` of an epoch (cached for the last one)."""
        self.full_init()
        if self._cache_epoch != epoch:
            ids = np.repeat(np.arange(len(self.datasets), dtype=np.int64), self.counts)
            np.random.default_rng([self.seed, epoch, 0]).shuffle(ids)
            local = np.empty(self.length, dtype=np.int64)
            for k, c in enumerate(self.counts):
                if c:
                    local[ids == k] = self._stream(k, epoch * int(c), int(c))
            self._cache = (ids, local)
            self._cache_epoch = epoch
        return self._cache

    def locate(self, idx) -> Tuple[int, int]:
        """``(dataset index, index in that dataset)`` of ``idx``.

        Args:
            idx (int | tuple[int, int]): a position of the epoch-0 draw, or a
                ``(dataset index, index in that dataset)`` pair as :class:`MixedEpochSampler`
                yields it.
        """
        self.full_init()
        if isinstance(idx, (tuple, list)):
            if len(idx) != 2:
                raise IndexError(f'MixedDataset: index {idx!r} is neither a position nor a '
                                 '(dataset index, sample index) pair')
            k, i = (int(v) for v in idx)
            if not 0 <= k < len(self.datasets) or not 0 <= i < int(self.sizes[k]):
                raise IndexError(f'MixedDataset: pair {(k, i)} out of range for datasets of '
                                 f'sizes {self.sizes.tolist()}')
            return k, i
        pos = int(idx)
        if pos < 0:
            raise IndexError(f'MixedDataset: negative index {pos}')
        if pos >= self.length:
            raise IndexError(f'MixedDataset: index {pos} out of range for {self.length} samples '
                             '(the epoch is set on MixedEpochSampler, not carried by the index)')
        ids, local = self.epoch_map(0)
        return int(ids[pos]), int(local[pos])

    def get_data_info(self, idx) -> dict:
        k, i = self.locate(idx)
        return self.datasets[k].get_data_info(i)

    def __getitem__(self, idx):
        k, i = self.locate(idx)
        return self.datasets[k][i]


@DATA_SAMPLERS.register_module()
class MixedEpochSampler(DefaultSampler):
    """``DefaultSampler`` of a :class:`MixedDataset` that draws anew each epoch.

    The epoch (``set_epoch``, called by mmengine's training loop) selects the draw
    :meth:`MixedDataset.epoch_map`; the positions of that draw are ordered as ``DefaultSampler``
    orders indices (shuffled per seed and epoch, split over ranks) and yielded as
    ``(dataset index, index in that dataset)`` pairs.
    """

    def __init__(self, dataset, *args, **kwargs):
        if not callable(getattr(dataset, 'epoch_map', None)):
            raise TypeError(f'MixedEpochSampler needs a MixedDataset, got {type(dataset).__name__}')
        super().__init__(dataset, *args, **kwargs)

    def __iter__(self) -> Iterator[Tuple[int, int]]:
        ids, local = self.dataset.epoch_map(self.epoch)
        return ((int(ids[p]), int(local[p])) for p in super().__iter__())
