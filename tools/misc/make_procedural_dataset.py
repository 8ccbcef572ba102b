"""Render procedural humans (the surrogate or a real SMPL body) into a HumanData file + images.

Example (a train and a test split, different seeds, the same body model)::

    python tools/misc/make_procedural_dataset.py --out data/procedural/train.npz \
        --num-samples 1000 --img-size 256 256 --seed 0
    python tools/misc/make_procedural_dataset.py --out data/procedural/test.npz \
        --num-samples 200 --img-size 256 256 --seed 1

When ``--body-model-dir`` holds no SMPL files, a surrogate body model is generated there first
(``tools/misc/make_surrogate_smpl.py`` defaults), so every split shares it.
"""
import argparse
import os.path as osp
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', required=True, help='HumanData .npz to write')
    parser.add_argument('--num-samples', type=int, default=1000)
    parser.add_argument('--img-size', type=int, nargs='+', default=[256, 256],
                        help='image height and width (one value: square)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--body-model-dir', default='data/body_models',
                        help='SMPL folder; a surrogate is generated there when it is empty')
    parser.add_argument('--image-ext', default='.jpg', choices=['.jpg', '.png'])
    parser.add_argument('--pose-prior', default='primitives', choices=['primitives', 'uniform'],
                        help='correlated motion primitives (default) or independent uniform '
                        'angles (mmhpse/synthetic/pose_prior.py)')
    parser.add_argument('--clutter', type=float, default=0.3,
                        help='background contrast, 0 (flat) to 1 (full)')
    parser.add_argument('--workers', type=int, default=1,
                        help='rendering processes (the files do not depend on it)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if len(args.img_size) not in (1, 2) or min(args.img_size) < 16:
        raise SystemExit(f'--img-size takes 1 or 2 values >= 16, got {args.img_size}')
    if args.num_samples < 1:
        raise SystemExit(f'--num-samples must be positive, got {args.num_samples}')
    if not 0 <= args.clutter <= 1:
        raise SystemExit(f'--clutter must lie in [0, 1], got {args.clutter}')
    if args.workers < 1:
        raise SystemExit(f'--workers must be positive, got {args.workers}')
    size = tuple(args.img_size) * (3 - len(args.img_size))
    from mmhpse.synthetic.procedural import generate_procedural_dataset
    from mmhpse.models.body_models.surrogate import write_surrogate_body_model
    if not osp.isfile(osp.join(args.body_model_dir, 'smpl', 'SMPL_NEUTRAL.pkl')) and \
            not osp.isfile(osp.join(args.body_model_dir, 'SMPL_NEUTRAL.pkl')):
        print(f'no SMPL files in {args.body_model_dir}: writing the surrogate body model there')
        write_surrogate_body_model(args.body_model_dir)
    start, cpu = time.time(), time.process_time()
    data = generate_procedural_dataset(args.out, args.body_model_dir, args.num_samples, size,
                                       args.seed, args.image_ext, pose_prior=args.pose_prior,
                                       clutter=args.clutter, workers=args.workers)
    seconds = time.time() - start
    print(f'wrote {len(data["image_path"])} samples ({size[0]}x{size[1]}, {args.pose_prior} '
          f'poses) to {args.out} in {seconds:.1f} s ({1000 * seconds / args.num_samples:.1f} ms '
          f'per sample, {args.workers} worker(s); main process CPU '
          f'{time.process_time() - cpu:.1f} s)')


if __name__ == '__main__':
    main()
