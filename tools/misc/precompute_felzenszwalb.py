"""Precompute DetCon's Felzenszwalb masks of an image folder (one 16-bit PNG label map per image).

The output mirrors the relative paths of the images, which is where
``LoadFelzenszwalbMask(mask_root=OUT, img_root=IMG_ROOT)`` looks for them::

    python tools/misc/precompute_felzenszwalb.py data/imagenet/train data/imagenet/fh_masks \
        --workers 16
"""
import argparse
import os
import os.path as osp
import sys
from multiprocessing import Pool

import cv2

from mmhpse.selfsup.transforms.masks import (FH_DEFAULTS, felzenszwalb_mask, mask_path_for,
                                              save_mask)

IMG_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.JPEG', '.JPG', '.PNG')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('img_root', help='image folder (searched recursively)')
    parser.add_argument('out_root', help='mask folder to write')
    parser.add_argument('--scale', type=float, default=FH_DEFAULTS['scale'])
    parser.add_argument('--sigma', type=float, default=FH_DEFAULTS['sigma'])
    parser.add_argument('--min-size', type=int, default=FH_DEFAULTS['min_size'])
    parser.add_argument('--workers', type=int, default=1)
    parser.add_argument('--overwrite', action='store_true', help='recompute existing masks')
    return parser.parse_args(argv)


def list_images(root):
    for folder, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if name.endswith(IMG_EXTS):
                yield osp.join(folder, name)


def _process(job):
    img_path, out_path, fh = job
    img = cv2.imread(img_path, cv2.IMREAD_COLOR)
    if img is None:
        return img_path, 'unreadable image'
    labels = felzenszwalb_mask(img, **fh)
    save_mask(out_path, labels)
    return img_path, int(labels.max()) + 1


def main(argv=None):
    args = parse_args(argv)
    fh = dict(scale=args.scale, sigma=args.sigma, min_size=args.min_size)
    jobs = []
    for img_path in list_images(args.img_root):
        out_path = mask_path_for(img_path, args.out_root, args.img_root)
        if args.overwrite or not osp.isfile(out_path):
            jobs.append((img_path, out_path, fh))
    print(f'{len(jobs)} images to segment into {args.out_root}')
    if args.workers > 1:
        with Pool(args.workers) as pool:
            results = list(pool.imap_unordered(_process, jobs, chunksize=16))
    else:
        results = [_process(job) for job in jobs]
    failed = [(p, r) for p, r in results if isinstance(r, str)]
    counts = [r for _, r in results if not isinstance(r, str)]
    if counts:
        print(f'wrote {len(counts)} masks, {min(counts)}-{max(counts)} segments per image '
              f'(mean {sum(counts) / len(counts):.1f})')
    for path, why in failed:
        print(f'skipped {path}: {why}', file=sys.stderr)
    return dict(written=len(counts), failed=len(failed))


if __name__ == '__main__':
    main()
