"""JointCon cost figures.

(a) data: one JointCon two-view sample (config pipeline) against one mmpose top-down sample
    (mmpose's COCO SimpleBaseline train pipeline, heatmap target included) on the same person
    annotations, one process (= one data worker), rounds interleaved, medians reported;
(b) loss: CPU time of the JointCon SupCon loss for B images x K joints x 2 views of D-d
    embeddings (forward, and forward + backward).

Example::

    python tools/benchmarks/jointcon_speed.py                    # ../shared/fixtures/coco
    python tools/benchmarks/jointcon_speed.py --data-root data/coco/ \
        --ann-file annotations/person_keypoints_val2017.json --img-prefix val2017/ --max-samples 200
"""
import argparse
import os.path as osp
import statistics
import time

import cv2
import torch
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.registry import DefaultScope

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
JOINTCON_CFG = osp.join(REPO, 'configs/jointcon/jointcon_resnet50_4xb32-140e_coco-256x192.py')
MMPOSE_CFG = 'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py'
FIXTURES = osp.normpath(osp.join(REPO, osp.pardir, 'shared', 'fixtures', 'coco'))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data-root', default=FIXTURES)
    p.add_argument('--ann-file', default='test_coco.json')
    p.add_argument('--img-prefix', default='')
    p.add_argument('--max-samples', type=int, default=100)
    p.add_argument('--rounds', type=int, default=15)
    p.add_argument('--loss-batch', type=int, default=128)
    p.add_argument('--loss-joints', type=int, default=19)
    p.add_argument('--loss-dim', type=int, default=128)
    p.add_argument('--loss-reps', type=int, default=10)
    p.add_argument('--threads', type=int, default=1, help='torch CPU threads for (b)')
    return p.parse_args()


def build_dataset(scope, pipeline, args):
    from mmengine.registry import DATASETS
    import mmhpse.selfsup  # noqa: F401  (JointCon's transforms)
    with DefaultScope.overwrite_default_scope(scope):
        return DATASETS.build(
            dict(type='mmpose.CocoDataset', data_root=args.data_root, ann_file=args.ann_file,
                 data_prefix=dict(img=args.img_prefix), data_mode='topdown', pipeline=pipeline,
                 serialize_data=False))


def time_round(dataset, n):
    t = time.perf_counter()
    for i in range(n):
        dataset[i]
    return (time.perf_counter() - t) / n


def bench_data(args):
    cv2.setNumThreads(0)  # as in mmengine's data workers (opencv_num_threads=0)
    jointcon = build_dataset('mmpretrain', Config.fromfile(JOINTCON_CFG).train_pipeline, args)
    mmpose = build_dataset('mmpose', get_config(MMPOSE_CFG).train_pipeline, args)
    n = min(len(jointcon), args.max_samples)
    time_round(jointcon, n), time_round(mmpose, n)  # warm the file cache and imports
    tj, tp = [], []
    for _ in range(args.rounds):
        tj.append(time_round(jointcon, n))
        tp.append(time_round(mmpose, n))
    mj, mp = statistics.median(tj), statistics.median(tp)
    print(f'(a) data, {n} persons from {osp.join(args.data_root, args.ann_file)}, '
          f'{args.rounds} rounds, 1 process')
    print(f'    mmpose top-down sample : {mp * 1e3:7.2f} ms (median per sample)')
    print(f'    JointCon two-view      : {mj * 1e3:7.2f} ms (median per sample)')
    print(f'    ratio                  : {mj / mp:7.2f} x (target <= 2.2)')


def bench_loss(args):
    from mmhpse.selfsup.heads import supcon_loss
    torch.set_num_threads(args.threads)
    b, k, d = args.loss_batch, args.loss_joints, args.loss_dim
    n = 2 * b * k
    emb = torch.nn.functional.normalize(torch.randn(n, d), dim=1)
    labels = torch.arange(k).repeat(2 * b)
    fwd, fwd_bwd = [], []
    for _ in range(args.loss_reps + 1):
        x = emb.clone().requires_grad_(True)
        t0 = time.perf_counter()
        loss = supcon_loss(x, labels, 0.07)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        fwd.append(t1 - t0)
        fwd_bwd.append(t2 - t0)
    fwd, fwd_bwd = fwd[1:], fwd_bwd[1:]  # first call warms up
    print(f'(b) loss, {b} images x {k} joints x 2 views = {n} embeddings of {d}-d, '
          f'{args.threads} thread(s), {args.loss_reps} reps')
    print(f'    forward            : {statistics.median(fwd) * 1e3:8.1f} ms (median)')
    print(f'    forward + backward : {statistics.median(fwd_bwd) * 1e3:8.1f} ms (median)')


def main():
    args = parse_args()
    if not osp.isfile(osp.join(args.data_root, args.ann_file)):
        raise FileNotFoundError(f'annotation file {osp.join(args.data_root, args.ann_file)} '
                                'not found; pass --data-root/--ann-file/--img-prefix')
    print(f'torch {torch.__version__}, cv2 {cv2.__version__}')
    bench_data(args)
    bench_loss(args)


if __name__ == '__main__':
    main()
