"""Benchmark: time of each dataset converter per 10 K samples, on generated releases.

Writes a release of about ``--num`` samples per dataset in its official layout (the generators
the converter tests use, ``tests/helpers/official_layouts.py``; bodies posed with a surrogate SMPL
written here), then runs each converter's ``main`` in this process and reports the wall time of
the conversion alone (generation excluded) and the time per 10 K samples. Images are not written,
except the first frame of each 3DPW sequence (its size bounds the authors' boxes).

Example::

    python tools/benchmarks/converter_speed.py --num 10000 --work-dir /tmp/convert_bench
"""
import argparse
import contextlib
import io
import os.path as osp
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path[:0] = [osp.join(REPO, 'tools', 'dataset_converters'), osp.join(REPO, 'tests'), REPO]


def releases(num):
    """name -> (writer(root, body), converter args after --root/--out)."""
    from helpers import official_layouts as L
    seq = max(1, num // 1000)
    return {
        'h36m': (lambda r, b: L.write_h36m(r, b, subjects=(1, ), frames=range(num // 4)),
                 ['--split', 'train', '--subjects', '1', '--frame-stride', '1']),
        'coco_neuralannot': (lambda r, b: L.write_coco(r, b, num=num), []),
        'pw3d': (lambda r, b: L.write_pw3d(r, b, sequences=[(f'seq_{i:02d}', num // (2 * seq))
                                                            for i in range(seq)],
                                           images='first'), []),
        'mupots3d': (lambda r, b: L.write_mupots(r, sequences=[(k, num // 40, 2)
                                                               for k in range(1, 21)]), []),
        'mpi_inf_3dhp': (lambda r, b: L.write_3dhp(r, sequences=[(k, num // 4)
                                                                 for k in range(1, 5)],
                                                   mat73=True), []),  # v7.3, as released
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--num', type=int, default=10000, help='samples per dataset (about)')
    parser.add_argument('--work-dir', help='folder for the generated releases (default: temp)')
    parser.add_argument('--datasets', nargs='+', help='subset of the converters')
    parser.add_argument('--body-vertices', type=int, default=1500,
                        help='vertices of the surrogate SMPL used to generate and convert')
    args = parser.parse_args(argv)
    import importlib

    from mmhpse.models.body_models.surrogate import write_surrogate_body_model
    work = args.work_dir or tempfile.mkdtemp(prefix='convert_bench_')
    body = osp.join(work, 'body_models')
    write_surrogate_body_model(body, num_vertices=args.body_vertices, seed=0)
    rows = []
    for name, (write, extra) in releases(args.num).items():
        if args.datasets and name not in args.datasets:
            continue
        root, out = osp.join(work, name), osp.join(work, f'{name}.npz')
        t0 = time.perf_counter()
        write(root, body)
        t_gen = time.perf_counter() - t0
        module = importlib.import_module(name)
        argv_ = ['--root', root, '--out', out, *extra]
        if hasattr(module.parse_args(['--root', '.', '--out', 'x']), 'body_model'):
            argv_ += ['--body-model', body]
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            summary = module.main(argv_)
        t_conv = time.perf_counter() - t0
        rows.append((name, summary['samples'], t_gen, t_conv,
                     t_conv / summary['samples'] * 1e4))
    print(f'{"converter":18s} {"samples":>8s} {"generate s":>11s} {"convert s":>10s} '
          f'{"s / 10K":>8s}')
    for name, n, t_gen, t_conv, per in rows:
        print(f'{name:18s} {n:8d} {t_gen:11.1f} {t_conv:10.1f} {per:8.1f}')
    return rows


if __name__ == '__main__':
    main()
