"""Export HumanData / SPIN annotations as a COCO person-keypoints file.

2D pre-training recipes (2D-pose heatmaps, JointCon, DetCon, SSL on person crops) read COCO-format
files through mmpose's ``CocoDataset``. This lets them pre-train on any HumanData source — the
procedural humans of the quickstart, or SURREAL after its converter — with the same configs.
"""
import json
import os.path as osp
from typing import Optional

import numpy as np
from PIL import Image

from mmhpse.conventions import KEYPOINTS
from .human_data import HumanAnnotations


def humandata_to_coco(ann_file: str, img_dir: str, out_file: str,
                      convention: str = 'coco_17', min_keypoints: int = 1,
                      indices: Optional[np.ndarray] = None) -> dict:
    """Write the samples of ``ann_file`` as COCO keypoint annotations, one image per sample.

    A joint is visible (``v = 2``) when its confidence is positive and it lies inside the image,
    otherwise it is ``(0, 0, 0)``. Samples with fewer than ``min_keypoints`` such joints are left
    out (counted in the returned summary).

    Args:
        ann_file (str): HumanData or SPIN ``.npz``.
        img_dir (str): Folder the file's image paths are relative to (to read image sizes).
        out_file (str): The COCO ``.json`` to write.
        convention (str): Keypoint convention of the output. Defaults to ``'coco_17'``.
        min_keypoints (int): Fewest visible joints for a sample to be kept.
        indices (ndarray, optional): Rows of the file to export (default: all valid rows).

    Returns:
        dict: ``{'images': n_written, 'skipped': n_skipped, 'out_file': out_file}``.
    """
    ann = HumanAnnotations(ann_file)
    rows = ann.rows if indices is None else np.asarray(indices)
    names = KEYPOINTS[convention]
    images, annotations, skipped = [], [], 0
    for row in rows:
        s = ann.sample(int(row), convention)
        path = osp.join(img_dir, s['img_name'])
        with Image.open(path) as im:  # reads the header only
            width, height = im.size
        kps = s['keypoints2d']
        inside = ((kps[:, 2] > 0) & (kps[:, 0] >= 0) & (kps[:, 0] < width) & (kps[:, 1] >= 0)
                  & (kps[:, 1] < height))
        if int(inside.sum()) < min_keypoints:
            skipped += 1
            continue
        coco_kps = np.zeros((len(names), 3), np.float64)
        coco_kps[inside, :2] = kps[inside, :2]
        coco_kps[inside, 2] = 2
        image_id = len(images) + 1
        x, y, w, h = (float(v) for v in s['bbox_xywh'])
        images.append(dict(id=image_id, file_name=s['img_name'], width=width, height=height))
        annotations.append(dict(
            id=image_id, image_id=image_id, category_id=1, iscrowd=0, bbox=[x, y, w, h],
            area=w * h, num_keypoints=int(inside.sum()),
            keypoints=[round(float(v), 2) for v in coco_kps.reshape(-1)]))
    categories = [dict(id=1, name='person', supercategory='person', keypoints=list(names),
                       skeleton=[])]
    with open(out_file, 'w') as f:
        json.dump(dict(images=images, annotations=annotations, categories=categories), f)
    return dict(images=len(images), skipped=skipped, out_file=out_file)
