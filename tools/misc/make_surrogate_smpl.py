"""Write a surrogate SMPL body-model folder (official file layout, generated, licence-free).

Example::

    python tools/misc/make_surrogate_smpl.py --out-dir data/body_models --num-vertices 1500 --seed 0

Real users point their configs at a folder holding the licensed SMPL files instead.
"""
import argparse

from mmhpse.models.body_models.surrogate import write_surrogate_body_model


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out-dir', default='data/body_models', help='folder to write')
    parser.add_argument('--num-vertices', type=int, default=1500,
                        help='approximate number of mesh vertices')
    parser.add_argument('--seed', type=int, default=0, help='generator seed')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.num_vertices < 1:
        raise SystemExit(f'--num-vertices must be positive, got {args.num_vertices}')
    paths = write_surrogate_body_model(args.out_dir, args.num_vertices, args.seed)
    for kind, path in paths.items():
        print(f'{kind:12s} {path}')


if __name__ == '__main__':
    main()
