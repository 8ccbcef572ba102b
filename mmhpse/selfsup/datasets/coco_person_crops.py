"""COCO person crops for self-supervised pre-training on human data (mmpretrain scope).

``CocoPersonCrops`` lists the person boxes of a COCO annotation file (one sample per person);
``CropPersonBox`` cuts the box, enlarged by ``padding`` (and, optionally, to an aspect ratio),
out of the image and of its ``gt_seg_map`` when present (DetCon). The SSL view pipelines of
mmpretrain (``RandomResizedCrop``, colour, blur...) then run on the crop.
"""
import json
import os.path as osp
from typing import List, Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS, TRANSFORMS

PERSON_CATEGORY_ID = 1


@DATASETS.register_module()
class CocoPersonCrops(BaseDataset):
    """One sample per person box of a COCO annotation file.

    Args:
        ann_file (str): COCO json (e.g. ``annotations/person_keypoints_train2017.json``).
        data_root (str): Root joined to ``ann_file`` and ``data_prefix``.
        data_prefix (str | dict): Image folder (``'train2017/'``).
        min_size (float): Minimum box width and height in pixels. Defaults to 32.
        min_keypoints (int): Minimum ``num_keypoints`` of the annotation (0 keeps boxes without
            keypoints). Defaults to 0.
        **kwargs: Passed to mmpretrain's ``BaseDataset`` (``pipeline``, ``indices``...).
    """

    def __init__(self, ann_file: str, data_root: str = '', data_prefix='',
                 min_size: float = 32, min_keypoints: int = 0, **kwargs) -> None:
        self.min_size = min_size
        self.min_keypoints = min_keypoints
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         **kwargs)

    def load_data_list(self) -> List[dict]:
        with open(self.ann_file) as f:
            coco = json.load(f)
        images = {im['id']: im for im in coco.get('images', [])}
        img_dir = self.data_prefix.get('img_path', '') or ''
        data_list = []
        for i, ann in enumerate(coco.get('annotations', [])):
            if ann.get('category_id') != PERSON_CATEGORY_ID or ann.get('iscrowd', 0):
                continue
            for key in ('image_id', 'bbox'):
                if key not in ann:
                    raise KeyError(f'{self.ann_file}: annotation {i} (id {ann.get("id")}) has no '
                                   f'"{key}"')
            if ann['image_id'] not in images:
                raise KeyError(f'{self.ann_file}: annotation {i} (id {ann.get("id")}) refers to '
                               f'image_id {ann["image_id"]}, which is not in "images"')
            bbox = np.asarray(ann['bbox'], dtype=np.float32)
            if bbox.shape != (4, ) or not np.isfinite(bbox).all():
                raise ValueError(f'{self.ann_file}: annotation {i} (id {ann.get("id")}) has bbox '
                                 f'{ann["bbox"]}, expected 4 finite numbers (x, y, w, h)')
            if bbox[2] < self.min_size or bbox[3] < self.min_size:
                continue
            if ann.get('num_keypoints', 0) < self.min_keypoints:
                continue
            data_list.append(dict(
                img_path=osp.join(img_dir, images[ann['image_id']]['file_name']),
                bbox_xywh=bbox, ann_id=ann.get('id', i)))
        return data_list


@TRANSFORMS.register_module()
class CropPersonBox(BaseTransform):
    """Crop ``img`` (and ``gt_seg_map``) to ``bbox_xywh`` enlarged around its centre.

    Args:
        padding (float): Scale of the box side lengths. Defaults to 1.25.
        aspect_ratio (float, optional): Target width / height; the shorter side is extended to
            it before padding (0.75 for 192x256 crops). Defaults to None (keep the box's).

    The crop is clipped to the image, so crops near the border are smaller (no padding pixels).
    """

    def __init__(self, padding: float = 1.25, aspect_ratio: Optional[float] = None) -> None:
        self.padding = padding
        self.aspect_ratio = aspect_ratio

    def crop_box(self, bbox_xywh: np.ndarray, img_hw) -> np.ndarray:
        """Integer ``[x0, y0, x1, y1)`` of the enlarged, clipped box."""
        x, y, w, h = [float(v) for v in bbox_xywh]
        cx, cy = x + w / 2, y + h / 2
        if self.aspect_ratio is not None:
            if w > self.aspect_ratio * h:
                h = w / self.aspect_ratio
            else:
                w = h * self.aspect_ratio
        w, h = w * self.padding, h * self.padding
        H, W = img_hw
        x0, y0 = int(max(np.floor(cx - w / 2), 0)), int(max(np.floor(cy - h / 2), 0))
        x1, y1 = int(min(np.ceil(cx + w / 2), W)), int(min(np.ceil(cy + h / 2), H))
        return np.array([x0, y0, x1, y1])

    def transform(self, results: dict) -> dict:
        img = results['img']
        x0, y0, x1, y1 = self.crop_box(results['bbox_xywh'], img.shape[:2])
        if x1 - x0 < 1 or y1 - y0 < 1:
            raise ValueError(f'{results.get("img_path")} (sample {results.get("sample_idx")}): '
                             f'bbox_xywh {results["bbox_xywh"]} lies outside the '
                             f'{img.shape[1]}x{img.shape[0]} image')
        results['img'] = img[y0:y1, x0:x1]
        results['img_shape'] = results['img'].shape[:2]
        if results.get('gt_seg_map') is not None:
            results['gt_seg_map'] = results['gt_seg_map'][y0:y1, x0:x1]
        results['person_crop_box'] = np.array([x0, y0, x1, y1], dtype=np.float32)
        return results
