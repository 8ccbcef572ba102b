"""Export a HumanData / SPIN ``.npz`` as a COCO person-keypoints ``.json`` (for 2D pre-training).

    python tools/misc/humandata_to_coco.py data/procedural/train.npz data/procedural/images \
        data/procedural/train_coco.json
"""
import argparse

from mmhpse.datasets.coco_export import humandata_to_coco


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='HumanData or SPIN .npz')
    parser.add_argument('img_dir', help='folder the image paths of ANN_FILE are relative to')
    parser.add_argument('out_file', help='COCO .json to write')
    parser.add_argument('--convention', default='coco_17')
    parser.add_argument('--min-keypoints', type=int, default=1)
    args = parser.parse_args()
    summary = humandata_to_coco(args.ann_file, args.img_dir, args.out_file, args.convention,
                                args.min_keypoints)
    print(f'wrote {summary["images"]} person annotations to {summary["out_file"]} '
          f'({summary["skipped"]} samples without enough visible joints skipped)')


if __name__ == '__main__':
    main()
