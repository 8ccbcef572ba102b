"""PA-MPJPE speed: batched (mmhpse) vs a per-sample loop, at the 3DPW test size.

Example::

    python tools/benchmarks/pa_mpjpe_speed.py            # 35,515 samples x 14 joints
    python tools/benchmarks/pa_mpjpe_speed.py --reference loop --repeat 5

The per-sample reference is mmpose's ``keypoint_mpjpe(..., alignment='procrustes')`` called on one
sample at a time (``--reference mmpose``, the default) or the same SVD Procrustes written as a
plain numpy loop (``--reference loop``, no mmpose needed). Inputs are synthetic joint sets in
metres (GT ~ N(0, 0.3 m), prediction = a random similarity transform of GT plus 5 cm noise);
errors are compared in mm.
"""
import argparse
import time

import numpy as np

from mmhpse.evaluation.functional import pa_mpjpe


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--num-samples', type=int, default=35515, help='3DPW test size')
    parser.add_argument('--num-joints', type=int, default=14)
    parser.add_argument('--reference', choices=['mmpose', 'loop'], default='mmpose')
    parser.add_argument('--repeat', type=int, default=3,
                        help='timings are the best of this many runs')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def make_data(num_samples, num_joints, seed):
    rng = np.random.default_rng(seed)
    gt = rng.normal(scale=0.3, size=(num_samples, num_joints, 3))
    q, r = np.linalg.qr(rng.normal(size=(num_samples, 3, 3)))
    q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]
    q[np.linalg.det(q) < 0, :, 0] *= -1
    scale = rng.uniform(0.8, 1.2, size=(num_samples, 1, 1))
    pred = scale * gt @ q.transpose(0, 2, 1) + rng.normal(size=(num_samples, 1, 3))
    pred += rng.normal(scale=0.05, size=pred.shape)
    return pred * 1000., gt * 1000.  # mm


def _loop_similarity(src, dst):
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    cov = a.T @ b
    u, _, vt = np.linalg.svd(cov)
    z = np.eye(3)
    z[2, 2] = np.sign(np.linalg.det(u @ vt))
    rot = vt.T @ z @ u.T
    scale = np.trace(rot @ cov) / (a**2).sum()
    return scale * src @ rot.T + (mu_d - scale * rot @ mu_s)


def per_sample_reference(kind):
    if kind == 'mmpose':
        from mmpose.evaluation.functional import keypoint_mpjpe

        def run(pred, gt):
            mask = np.ones(gt.shape[:2], dtype=bool)
            return np.array([
                keypoint_mpjpe(pred[i:i + 1], gt[i:i + 1], mask[i:i + 1], alignment='procrustes')
                for i in range(len(gt))
            ])
    else:

        def run(pred, gt):
            return np.array([
                np.linalg.norm(_loop_similarity(p, g) - g, axis=1).mean()
                for p, g in zip(pred, gt)
            ])

    return run


def best_time(fn, repeat):
    """Best wall-clock and best CPU (this process) time of ``repeat`` runs, and the output."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return min(walls), min(cpus), out


def main():
    args = parse_args()
    pred, gt = make_data(args.num_samples, args.num_joints, args.seed)
    reference = per_sample_reference(args.reference)
    wall_b, cpu_b, (per_batched, mean_batched) = best_time(lambda: pa_mpjpe(pred, gt),
                                                           args.repeat)
    wall_l, cpu_l, per_loop = best_time(lambda: reference(pred, gt), args.repeat)
    print(f'PA-MPJPE over {args.num_samples} x {args.num_joints} joints '
          f'(best of {args.repeat} runs; wall-clock, and CPU time of this process)')
    print(f'  batched (mmhpse pa_mpjpe):   wall {wall_b * 1e3:9.1f} ms   cpu {cpu_b * 1e3:9.1f} ms')
    print(f'  per-sample loop ({args.reference:6s}):   wall {wall_l * 1e3:9.1f} ms   '
          f'cpu {cpu_l * 1e3:9.1f} ms')
    print(f'  speed-up: wall {wall_l / wall_b:.1f}x, cpu {cpu_l / cpu_b:.1f}x')
    print(f'  mean PA-MPJPE: batched {mean_batched:.6f} mm, loop {per_loop.mean():.6f} mm')
    print(f'  max abs difference per sample: {np.abs(per_batched - per_loop).max():.3e} mm')


if __name__ == '__main__':
    main()
