"""Fixed label fractions: seeded random subsets of a dataset saved as index files.

The paper's semi-supervised study fine-tunes on 10 / 20 / 30 / 60 % of Human3.6M and COCO. So that
every pre-trained backbone is fine-tuned on the identical subset, the subsets are drawn once with a
seed and saved; ``HumanImageDataset(indices_file=...)`` reads them.

Subsets are **nested**: one seeded permutation of all sample indices is drawn and the fraction
``f`` keeps its first ``round(f * N)`` entries, so 10 % ⊂ 20 % ⊂ 30 % ⊂ 60 %. Indices refer to
rows of the annotation file (before any ``drop_invalid``), are unique and stored sorted.
"""
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import numpy as np

__all__ = ['draw_label_fractions', 'save_indices', 'load_indices', 'fraction_percent',
           'fraction_tag', 'fraction_file_name']


def draw_label_fractions(num_samples: int, fractions: Sequence[float] = (0.1, 0.2, 0.3, 0.6),
                         seed: int = 0) -> Dict[float, np.ndarray]:
    """Nested random subsets of ``range(num_samples)``.

    Args:
        num_samples (int): size of the dataset.
        fractions (Sequence[float]): each in (0, 1].
        seed (int): seed of the permutation (``numpy.random.default_rng``).

    Returns:
        dict: fraction -> sorted int64 indices of ``round(fraction * num_samples)`` samples
        (at least one).
    """
    if num_samples <= 0:
        raise ValueError(f'num_samples must be positive, got {num_samples}')
    for f in fractions:
        if not 0 < f <= 1:
            raise ValueError(f'label fractions must be in (0, 1], got {f}')
    perm = np.random.default_rng(seed).permutation(num_samples)
    return {
        f: np.sort(perm[:max(1, int(round(f * num_samples)))]).astype(np.int64)
        for f in fractions
    }


def fraction_percent(fraction: float) -> str:
    """A label fraction as a percentage for people: ``0.1 -> '10'``, ``0.125 -> '12.5'``.

    Rounded to four decimals of a percent, so float noise (``0.3 * 100 = 30.000000000000004``)
    does not show.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f'label fractions must be in (0, 1], got {fraction}')
    return np.format_float_positional(round(fraction * 100, 4), trim='-')


def fraction_tag(fraction: float) -> str:
    """The label fraction as it appears in file and folder names: ``0.1 -> '10'``,
    ``0.125 -> '12p5'``, ``1.0 -> '100'``.

    The one naming rule of label fractions: the index files of
    ``tools/misc/make_label_fractions.py``, the ``{pct}`` placeholder of a study's
    ``fraction_cfg_options`` and the study's job folders all use it.
    """
    return fraction_percent(fraction).replace('.', 'p')


def fraction_file_name(prefix: str, fraction: float, seed: int, ext: str = '.npy') -> str:
    """``<prefix>_frac<tag>_seed<seed><ext>``, e.g. ``h36m_train_frac10_seed0.npy``,
    ``coco_frac12p5_seed0.npy`` (see :func:`fraction_tag`)."""
    return f'{prefix}_frac{fraction_tag(fraction)}_seed{seed}{ext}'


def save_indices(path: str, indices: np.ndarray) -> None:
    """Save indices as ``.npy`` (int64) or ``.txt`` (one index per line)."""
    indices = np.asarray(indices, dtype=np.int64)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    if path.endswith('.npy'):
        np.save(path, indices)
    elif path.endswith('.txt'):
        np.savetxt(path, indices, fmt='%d')
    else:
        raise ValueError(f'{path}: index files end with .npy or .txt')


def load_indices(path: str, num_samples: Optional[int] = None) -> np.ndarray:
    """Read an index file and check it against a dataset of ``num_samples`` samples.

    Returns:
        ndarray: int64 ``(M,)`` indices in file order.

    Raises:
        ValueError: naming the file and the first bad entry (not integer, out of range,
            duplicate).
    """
    if path.endswith('.npy'):
        raw = np.load(path, allow_pickle=False)
    elif path.endswith('.txt'):
        with open(path) as f:
            tokens = f.read().split()
        try:
            raw = np.array([int(t) for t in tokens], dtype=np.int64)
        except ValueError:
            bad = next(i for i, t in enumerate(tokens) if not t.lstrip('-').isdigit())
            raise ValueError(f'{path}: entry {bad} ({tokens[bad]!r}) is not an integer') from None
    else:
        raise ValueError(f'{path}: index files end with .npy or .txt')
    if raw.ndim != 1 or not np.issubdtype(raw.dtype, np.integer):
        raise ValueError(f'{path}: expected a 1-D integer array, got {raw.dtype} '
                         f'{tuple(raw.shape)}')
    idx = raw.astype(np.int64)
    if num_samples is not None:
        out = np.flatnonzero((idx < 0) | (idx >= num_samples))
        if len(out):
            raise ValueError(f'{path}: entry {out[0]} ({idx[out[0]]}) is out of range for a '
                             f'dataset of {num_samples} samples')
    order = np.argsort(idx, kind='stable')
    dup = np.flatnonzero(np.diff(idx[order]) == 0)
    if len(dup):
        first = int(order[dup + 1].min())
        raise ValueError(f'{path}: entry {first} ({idx[first]}) is a duplicate')
    return idx
