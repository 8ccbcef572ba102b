"""Images/s of the 3DHPSE fine-tuning pipeline vs mmpose's top-down pipeline, same images/boxes.

mmhpse: LoadHumanImage -> HumanGetBBoxCenterScale -> HumanRandomFlip -> HumanRandomBBoxTransform
        -> ColorJitterScale -> HumanTopdownAffine -> PackHumanInputs (with 2D + 3D keypoints and
        SMPL annotations)
mmpose: LoadImage -> GetBBoxCenterScale -> RandomFlip -> RandomBBoxTransform -> TopdownAffine
        -> PackPoseInputs (2D keypoints)

Both run in this one process on the same person boxes of the same image files (the COCO
fixtures when present, else generated 640x480 JPEGs), alternating rounds; the median rate over
rounds is reported.

Example:
    python tools/benchmarks/pipeline_speed.py --rounds 5 --reps 40
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import tempfile
import time
from collections import defaultdict

import cv2
import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)  # run from a checkout without `pip install -e .`
COCO = osp.join(REPO, '..', 'shared', 'fixtures', 'coco')
COCO_FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--coco', default=COCO, help='folder with test_coco.json and images')
    parser.add_argument('--rounds', type=int, default=5, help='alternating timing rounds')
    parser.add_argument('--reps', type=int, default=40, help='passes over the boxes per round')
    parser.add_argument('--input-size', type=int, nargs=2, default=(192, 256), metavar=('W', 'H'))
    parser.add_argument('--breakdown', action='store_true', help='time each transform as well')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def coco_people(folder):
    """(img_path, bbox_xywh, keypoints (17, 3)) of every annotated COCO person."""
    with open(osp.join(folder, 'test_coco.json')) as f:
        coco = json.load(f)
    files = {im['id']: osp.join(folder, im['file_name']) for im in coco['images']}
    return [(files[a['image_id']], np.array(a['bbox'], np.float32),
             np.array(a['keypoints'], np.float32).reshape(17, 3)) for a in coco['annotations']
            if a['bbox'][2] > 1 and a['bbox'][3] > 1]


def generated_people(folder, num_images=4, per_image=3, seed=0):
    """Write smooth random 640x480 JPEGs and draw person boxes with keypoints inside them."""
    rng = np.random.default_rng(seed)
    people = []
    for i in range(num_images):
        small = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
        img = cv2.resize(small, (640, 480), interpolation=cv2.INTER_CUBIC)
        path = osp.join(folder, f'generated_{i}.jpg')
        cv2.imwrite(path, img)
        for _ in range(per_image):
            w, h = rng.uniform(60, 250), rng.uniform(120, 400)
            x, y = rng.uniform(0, 640 - w), rng.uniform(0, 480 - h)
            kps = np.concatenate([rng.uniform([x, y], [x + w, y + h], (17, 2)),
                                  np.full((17, 1), 2.)], 1)
            people.append((path, np.array([x, y, w, h], np.float32), kps.astype(np.float32)))
    return people


def mmpose_inputs(people):
    out = []
    for path, (x, y, w, h), kps in people:
        out.append(dict(img_path=path, bbox=np.array([[x, y, x + w, y + h]], np.float32),
                        bbox_score=np.ones(1, np.float32), keypoints=kps[None, :, :2],
                        keypoints_visible=(kps[None, :, 2] > 0).astype(np.float32),
                        flip_indices=COCO_FLIP, id=0, img_id=0, category_id=1))
    return out


def mmhpse_inputs(people, seed):
    rng = np.random.default_rng(seed)
    out = []
    for i, (path, bbox, kps) in enumerate(people):
        out.append(dict(
            img_path=path, bbox_xywh=bbox,
            keypoints2d=np.concatenate([kps[:, :2], (kps[:, 2:] > 0)], 1).astype(np.float32),
            keypoints3d=np.concatenate([rng.normal(0, .5, (17, 3)) + [0, 0, 5], np.ones((17, 1))],
                                       1).astype(np.float32),
            smpl_global_orient=rng.normal(0, 1, 3).astype(np.float32),
            smpl_body_pose=rng.normal(0, .2, (23, 3)).astype(np.float32),
            smpl_betas=rng.normal(0, 1, 10).astype(np.float32), has_smpl=True,
            gender='neutral', sample_idx=i, dataset_name='bench', keypoints_convention='coco_17'))
    return out


def build_pipelines(input_size):
    from mmpose.datasets.transforms import GetBBoxCenterScale as PGetBBoxCenterScale
    from mmpose.datasets.transforms import LoadImage as PLoadImage
    from mmpose.datasets.transforms import PackPoseInputs
    from mmpose.datasets.transforms import RandomBBoxTransform as PRandomBBoxTransform
    from mmpose.datasets.transforms import RandomFlip as PRandomFlip
    from mmpose.datasets.transforms import TopdownAffine as PTopdownAffine

    from mmhpse.datasets.transforms import (ColorJitterScale, HumanGetBBoxCenterScale,
                                            HumanRandomBBoxTransform, HumanRandomFlip,
                                            HumanTopdownAffine, LoadHumanImage, PackHumanInputs)
    mmpose = [
        PLoadImage(), PGetBBoxCenterScale(padding=1.25), PRandomFlip(prob=0.5),
        PRandomBBoxTransform(shift_prob=0., scale_factor=(0.75, 1.25), rotate_factor=30.,
                             rotate_prob=0.6),
        PTopdownAffine(input_size=tuple(input_size)), PackPoseInputs()
    ]
    ours = [
        LoadHumanImage(), HumanGetBBoxCenterScale(padding=1.25), HumanRandomFlip(prob=0.5),
        HumanRandomBBoxTransform(scale_factor=0.25, rotate_factor=30., rotate_prob=0.6),
        ColorJitterScale(factor=0.2), HumanTopdownAffine(input_size=tuple(input_size)),
        PackHumanInputs()
    ]
    return mmpose, ours


def run(pipeline, inputs, reps, timings=None):
    """Images/s of ``reps`` passes of ``pipeline`` over ``inputs`` (fresh dicts each time)."""
    start = time.perf_counter()
    for _ in range(reps):
        for base in inputs:
            results = dict(base)
            for t in pipeline:
                if timings is None:
                    results = t(results)
                else:
                    t0 = time.perf_counter()
                    results = t(results)
                    timings[type(t).__name__] += time.perf_counter() - t0
            assert results is not None
    return reps * len(inputs) / (time.perf_counter() - start)


def main():
    args = parse_args()
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    cv2.setNumThreads(1)
    np.random.seed(args.seed)
    tmp = tempfile.TemporaryDirectory()
    if osp.isfile(osp.join(args.coco, 'test_coco.json')):
        people, source = coco_people(args.coco), f'COCO fixtures ({osp.realpath(args.coco)})'
    else:
        people, source = generated_people(tmp.name, seed=args.seed), 'generated 640x480 JPEGs'
    mmpose, ours = build_pipelines(args.input_size)
    p_inputs, o_inputs = mmpose_inputs(people), mmhpse_inputs(people, args.seed)
    run(mmpose, p_inputs, 2)  # warm-up (file cache, lazy imports)
    run(ours, o_inputs, 2)
    rates = defaultdict(list)
    for _ in range(args.rounds):
        rates['mmpose'].append(run(mmpose, p_inputs, args.reps))
        rates['mmhpse'].append(run(ours, o_inputs, args.reps))
    mp, mh = statistics.median(rates['mmpose']), statistics.median(rates['mmhpse'])
    print(f'data: {source}: {len(people)} person boxes, {args.reps} passes x {args.rounds} '
          f'rounds, crop {args.input_size[0]}x{args.input_size[1]}, 1 process, '
          f'cv2 threads {cv2.getNumThreads()}')
    print(f'{"pipeline":<8} {"median img/s":>13} {"min":>9} {"max":>9}')
    for name in ('mmpose', 'mmhpse'):
        r = rates[name]
        print(f'{name:<8} {statistics.median(r):>13.1f} {min(r):>9.1f} {max(r):>9.1f}')
    print(f'ratio mmhpse / mmpose: {mh / mp:.3f}x')
    if args.breakdown:
        for name, pipeline, inputs in (('mmpose', mmpose, p_inputs), ('mmhpse', ours, o_inputs)):
            timings = defaultdict(float)
            n = args.reps * len(inputs)
            run(pipeline, inputs, args.reps, timings)
            parts = ', '.join(f'{k} {v / n * 1e6:.0f}' for k, v in timings.items())
            print(f'{name} us/image: {parts}')
    tmp.cleanup()


if __name__ == '__main__':
    main()
