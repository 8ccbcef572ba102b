"""COCO person crops: one sample per non-crowd person box, the crop box, bad annotations."""
import json

import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS

import mmhpse.selfsup  # noqa: F401  registers CocoPersonCrops / CropPersonBox (mmpretrain scope)
from mmhpse.selfsup.datasets import CropPersonBox


def _write_coco(root, anns=None):
    """3 images of 240x320 with 3 persons each (boxes (40 + 80 j, 30, 60, 180)) and one crowd."""
    (root / 'images').mkdir(parents=True)
    images = []
    for i in range(3):
        cv2.imwrite(str(root / 'images' / f'{i:012d}.jpg'), np.full((240, 320, 3), 40 * i,
                                                                      np.uint8))
        images.append(dict(id=i + 1, file_name=f'{i:012d}.jpg', height=240, width=320))
    if anns is None:
        anns = [dict(id=10 * i + j + 1, image_id=i + 1, category_id=1, iscrowd=0,
                     bbox=[40 + 80 * j, 30, 60, 180], num_keypoints=17)
                for i in range(3) for j in range(3)]
        anns.append(dict(id=99, image_id=1, category_id=1, iscrowd=1, bbox=[0, 0, 50, 50],
                         num_keypoints=0))
    (root / 'person_keypoints.json').write_text(json.dumps(dict(images=images,
                                                                annotations=anns)))
    return root


def _build(root):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return DATASETS.build(dict(type='CocoPersonCrops', data_root=str(root),
                                   ann_file='person_keypoints.json', data_prefix='images/',
                                   pipeline=[dict(type='LoadImageFromFile'),
                                             dict(type='CropPersonBox', padding=1.25)]))


def test_coco_person_crops_dataset(tmp_path):
    ds = _build(_write_coco(tmp_path))
    assert len(ds) == 9  # the crowd box is left out
    sample = ds[0]
    # box (40, 30, 60, 180) x1.25 around its centre (70, 120) -> [32.5, 107.5] x [7.5, 232.5]
    np.testing.assert_array_equal(sample['person_crop_box'], [32, 7, 108, 233])
    assert sample['img'].shape == (226, 76, 3)


def test_crop_box_aspect_ratio_and_clipping():
    # a 40x40 box centred at (30, 40) extended to w/h 0.75 (40 x 53.3), x1.25 (50 x 66.7):
    # [5, 55] x [6.7, 73.3] -> floor / ceil, clipped to the 100x60 image
    box = CropPersonBox(padding=1.25, aspect_ratio=0.75).crop_box(
        np.array([10., 20., 40., 40.]), (60, 100))
    np.testing.assert_array_equal(box, [5, 6, 55, 60])


@pytest.mark.parametrize('ann,message', [
    (dict(id=5, image_id=1, category_id=1), r'annotation 0 \(id 5\) has no "bbox"'),
    (dict(id=6, image_id=7, category_id=1, bbox=[0, 0, 40, 40]), 'image_id 7'),
    (dict(id=8, image_id=1, category_id=1, bbox=[0, 0, 40]), 'expected 4 finite numbers'),
])
def test_bad_annotations_name_file_and_annotation(tmp_path, ann, message):
    root = _write_coco(tmp_path, anns=[ann])
    with pytest.raises((KeyError, ValueError), match=message) as err:
        _build(root)
    assert 'person_keypoints.json' in str(err.value)
