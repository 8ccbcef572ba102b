"""Draw fixed, nested label fractions of a HumanData / SPIN annotation file and save index files.

Example::

    python tools/misc/make_label_fractions.py data/preprocessed_datasets/h36m_train.npz \
        --fractions 0.1 0.2 0.3 0.6 --seed 0 --out-dir data/label_fractions

writes ``h36m_train_frac10_seed0.npy`` ... ; use one with
``HumanImageDataset(indices_file=...)``. The subsets are nested (10 % ⊂ 20 % ⊂ ...), indices are
rows of the annotation file. Re-running with the same file and seed writes identical files.
"""
import argparse
import os.path as osp

from mmhpse.datasets.label_fraction import draw_label_fractions, fraction_file_name, save_indices
from mmhpse.datasets.lazy_npz import LazyNpz


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann_file', help='HumanData or SPIN .npz file')
    parser.add_argument('--fractions', type=float, nargs='+', default=[0.1, 0.2, 0.3, 0.6])
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out-dir', default='data/label_fractions')
    parser.add_argument('--format', choices=['npy', 'txt'], default='npy')
    parser.add_argument('--cache-dir', default=None, help='cache folder for compressed files')
    return parser.parse_args()


def count_samples(ann_file: str, cache_dir=None) -> int:
    """Number of rows of a HumanData (``image_path``) or SPIN (``imgname``) file."""
    store = LazyNpz(ann_file, cache_dir)
    for key in ('image_path', 'imgname'):
        if key in store:
            return len(store[key])
    raise KeyError(f"{ann_file}: missing key 'image_path' (HumanData) or 'imgname' (SPIN)")


def main():
    args = parse_args()
    num = count_samples(args.ann_file, args.cache_dir)
    prefix = osp.splitext(osp.basename(args.ann_file))[0]
    for frac, idx in draw_label_fractions(num, args.fractions, args.seed).items():
        path = osp.join(args.out_dir, fraction_file_name(prefix, frac, args.seed,
                                                         '.' + args.format))
        save_indices(path, idx)
        print(f'{path}: {len(idx)} of {num} samples ({frac:.0%})')


if __name__ == '__main__':
    main()
