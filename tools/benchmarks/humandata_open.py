"""Benchmark: open a large HumanData file, time it and measure resident memory.

Writes a synthetic HumanData file shaped like mmhuman3d's Human3.6M file (``image_path``,
``bbox_xywh (N, 5)``, ``keypoints2d/3d`` compressed to 17 of the 190 ``human_data`` joints,
``smpl`` dict, ``meta.gender``), then opens it with :class:`HumanImageDataset` in fresh
processes: the first open builds the cache (extraction of pickled / deflated members, one
validation scan), later opens only memory-map. Each child reports the open time and its resident
memory (VmRSS) before and after opening and after reading 1,000 random samples.

Example::

    python tools/benchmarks/humandata_open.py --num 1000000 --out /tmp/humandata_1m.npz
    python tools/benchmarks/humandata_open.py --num 1000000 --compressed \
        --out /tmp/humandata_1m_z.npz
"""
import argparse
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time

import numpy as np


def rss_mib() -> dict:
    """Resident memory of this process in MiB (``/proc/self/status``): ``total`` (VmRSS),
    ``anon`` (private memory) and ``file`` (mapped file pages: shared between workers and
    reclaimable by the kernel)."""
    out = {}
    with open('/proc/self/status') as f:
        for line in f:
            for key, name in (('VmRSS:', 'total'), ('RssAnon:', 'anon'), ('RssFile:', 'file')):
                if line.startswith(key):
                    out[name] = int(line.split()[1]) / 1024.
    return out


def write_file(path: str, num: int, compressed: bool, seed: int = 0) -> None:
    from mmhpse.conventions import KEYPOINTS
    rng = np.random.default_rng(seed)
    names = KEYPOINTS['human_data']
    mask = np.zeros(len(names), np.uint8)
    mask[[names.index(n) for n in KEYPOINTS['h36m_17']]] = 1
    k = int(mask.sum())
    xy = rng.uniform(0, 1000, (num, 4)).astype(np.float32)
    bbox = np.concatenate([xy[:, :2], 50 + xy[:, 2:] / 2, np.ones((num, 1), np.float32)], 1)
    image_path = np.char.add('images/s_01_act_02_subact_01_ca_01/frame_',
                             np.char.zfill(np.arange(num).astype(str), 8))
    data = dict(
        image_path=np.char.add(image_path, '.jpg'),
        bbox_xywh=bbox,
        keypoints2d=rng.standard_normal((num, k, 3), dtype=np.float32),
        keypoints2d_mask=mask,
        keypoints2d_convention='human_data',
        keypoints3d=rng.standard_normal((num, k, 4), dtype=np.float32),
        keypoints3d_mask=mask,
        keypoints3d_convention='human_data',
        smpl=dict(global_orient=rng.standard_normal((num, 3), dtype=np.float32),
                  body_pose=rng.standard_normal((num, 23, 3), dtype=np.float32),
                  betas=rng.standard_normal((num, 10), dtype=np.float32)),
        meta=dict(gender=np.where(rng.random(num) < 0.5, 'm', 'f')),
        config='h36m',
        __keypoints_compressed__=True,
        __data_len__=num,
        __key_strict__=False)
    (np.savez_compressed if compressed else np.savez)(path, **data)


def child(path: str) -> None:
    """Runs in a fresh process: open the file, report time and memory as json."""
    from mmhpse.datasets import HumanImageDataset
    rss0 = rss_mib()
    t0 = time.perf_counter()
    ds = HumanImageDataset(ann_file=path, convention='smpl_49')
    t_open = time.perf_counter() - t0
    rss1 = rss_mib()
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for i in rng.integers(0, len(ds), 1000):
        ds.get_data_info(int(i))
    t_read = time.perf_counter() - t0
    print(json.dumps(dict(num=len(ds), open_s=t_open, rss_before_mib=rss0, rss_open_mib=rss1,
                          rss_after_1000_reads_mib=rss_mib(), us_per_sample=t_read * 1e3)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--num', type=int, default=1_000_000)
    parser.add_argument('--out', default='/tmp/humandata_1m.npz')
    parser.add_argument('--compressed', action='store_true', help='np.savez_compressed')
    parser.add_argument('--opens', type=int, default=3, help='fresh-process opens')
    parser.add_argument('--keep', action='store_true', help='keep the file and its cache')
    parser.add_argument('--child', default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    t0 = time.perf_counter()
    write_file(args.out, args.num, args.compressed)
    print(f'wrote {args.out}: {args.num} samples, {os.path.getsize(args.out) / 2**20:.0f} MiB, '
          f'{"compressed" if args.compressed else "stored"}, {time.perf_counter() - t0:.1f} s')
    shutil.rmtree(args.out + '.cache', ignore_errors=True)
    try:
        for i in range(args.opens):
            out = subprocess.run([sys.executable, __file__, '--child', args.out], check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1]
            r = json.loads(out)
            kind = 'first open (builds cache)' if i == 0 else 'open with cache'
            b, o, a = r['rss_before_mib'], r['rss_open_mib'], r['rss_after_1000_reads_mib']
            print(f'{kind}: open {r["open_s"]:.3f} s, {r["us_per_sample"]:.1f} us/sample; '
                  f'RSS MiB (anon + file) after imports {b["anon"]:.0f} + {b["file"]:.0f}, '
                  f'after open {o["anon"]:.0f} + {o["file"]:.0f}, '
                  f'after 1000 random samples {a["anon"]:.0f} + {a["file"]:.0f}')
    finally:
        if not args.keep:
            os.remove(args.out)
            shutil.rmtree(args.out + '.cache', ignore_errors=True)


if __name__ == '__main__':
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    main()
