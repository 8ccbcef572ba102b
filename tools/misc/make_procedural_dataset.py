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
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if len(args.img_size) not in (1, 2) or min(args.img_size) < 16:
        raise SystemExit(f'--img-size takes 1 or 2 values >= 16, got {args.img_size}')
    if args.num_samples < 1:
        raise SystemExit(f'--num-samples must be positive, got {args.num_samples}')
    size = tuple(args.img_size) * (3 - len(args.img_size))
    from mmhpse.synthetic.procedural import generate_procedural_dataset
    from mmhpse.models.body_models.surrogate import write_surrogate_body_model
    if not osp.isfile(osp.join(args.body_model_dir, 'smpl', 'SMPL_NEUTRAL.pkl')) and \
            not osp.isfile(osp.join(args.body_model_dir, 'SMPL_NEUTRAL.pkl')):
        print(f'no SMPL files in {args.body_model_dir}: writing the surrogate body model there')
        write_surrogate_body_model(args.body_model_dir)
    start = time.time()
    data = generate_procedural_dataset(args.out, args.body_model_dir, args.num_samples, size,
                                       args.seed, args.image_ext)
    print(f'wrote {len(data["image_path"])} samples ({size[0]}x{size[1]}) to {args.out} '
          f'in {time.time() - start:.1f} s')


if __name__ == '__main__':
    main()
