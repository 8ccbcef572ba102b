"""The crop and flip agree with mmpose's top-down transforms on real COCO people."""
import json
import os.path as osp

import numpy as np
import pytest

from mmhpse.datasets.transforms import (HumanGetBBoxCenterScale, HumanRandomFlip,
                                        HumanTopdownAffine, LoadHumanImage)

from helpers.fixtures import COCO_FIXTURES as COCO  # noqa: E402
pytestmark = pytest.mark.skipif(
    not osp.isfile(osp.join(COCO, 'test_coco.json')), reason=f'COCO fixtures not found at {COCO}')


def _people():
    with open(osp.join(COCO, 'test_coco.json')) as f:
        coco = json.load(f)
    files = {im['id']: osp.join(COCO, im['file_name']) for im in coco['images']}
    return [(files[a['image_id']], np.array(a['bbox'], np.float32),
             np.array(a['keypoints'], np.float32).reshape(17, 3)) for a in coco['annotations']
            if a['num_keypoints'] > 0]


@pytest.mark.parametrize('flip', [False, True])
@pytest.mark.parametrize('rotation', [0., 23.])
def test_same_crop_and_keypoints_as_mmpose(flip, rotation):
    from mmpose.datasets.transforms import GetBBoxCenterScale as MMPoseCenterScale
    from mmpose.datasets.transforms import LoadImage as MMPoseLoadImage
    from mmpose.datasets.transforms import RandomFlip as MMPoseFlip
    from mmpose.datasets.transforms import TopdownAffine as MMPoseAffine

    coco_flip = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]
    for path, (x, y, w, h), kps in _people():
        theirs = MMPoseLoadImage()(dict(
            img_path=path, bbox=np.array([[x, y, x + w, y + h]], np.float32),
            keypoints=kps[None, :, :2].copy(), keypoints_visible=kps[None, :, 2].copy(),
            flip_indices=coco_flip))
        theirs = MMPoseCenterScale(padding=1.25)(theirs)
        if flip:
            theirs = MMPoseFlip(prob=1.)(theirs)
        theirs['bbox_rotation'] = np.array([rotation], np.float32)
        theirs = MMPoseAffine(input_size=(192, 256))(theirs)

        ours = LoadHumanImage()(dict(img_path=path, bbox_xywh=np.array([x, y, w, h], np.float32),
                                keypoints2d=kps.copy(), keypoints_convention='coco_17'))
        ours = HumanGetBBoxCenterScale(padding=1.25)(ours)
        if flip:
            ours = HumanRandomFlip(prob=1.)(ours)
        ours['rotation'] = rotation
        ours = HumanTopdownAffine(input_size=(192, 256))(ours)

        np.testing.assert_allclose(ours['keypoints2d'][:, :2], theirs['transformed_keypoints'][0],
                                   atol=1e-3)
        np.testing.assert_array_equal(ours['keypoints2d'][:, 2], theirs['keypoints_visible'][0])
        np.testing.assert_allclose(ours['center'], theirs['bbox_center'][0], atol=1e-4)
        np.testing.assert_allclose(ours['scale'], theirs['bbox_scale'][0], rtol=1e-6)
        diff = np.abs(ours['img'].astype(int) - theirs['img'].astype(int))
        if flip:  # mmpose flips the pixels first; ours folds the flip into the warp
            assert diff.mean() < 1.0 and np.percentile(diff, 99) <= 12
        else:  # float rounding of the matrix moves a few 1/32-px interpolation steps
            assert diff.mean() < 0.02 and (diff > 0).mean() < 0.005
