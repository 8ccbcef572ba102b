"""Two-view, keypoint-consistent pipeline for JointCon (registered in mmpretrain's TRANSFORMS).

A source is any mmpose top-down dataset (``type='mmpose.CocoDataset'``, MPII, CrowdPose, AIC, ...):
its results dict holds ``img``, ``bbox_center / bbox_scale (1, 2)`` (after
``mmpose.GetBBoxCenterScale``), ``keypoints (1, K, 2)``, ``keypoints_visible (1, K)`` and
``flip_indices``. :class:`TwoViewPose` runs an mmpose view pipeline (``mmpose.RandomFlip``,
:class:`ClippedBBoxTransform`, ``mmpose.TopdownAffine``, :class:`RandomChannelScale`) twice on the
same person and writes ``img`` (list of 2 crops), ``view_keypoints (2, K, 2)`` (crop pixels),
``view_keypoints_visible (2, K)``, ``view_affine (2, 2, 3)`` (original image -> crop, flip
included) and ``view_flip (2,)``, ready for mmpretrain's ``PackInputs``. The same view
transforms make the augmentation of the 2D-pose pre-training (as in the authors' code).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform, Compose
from mmengine.logging import MMLogger
from mmpose.structures.bbox import get_warp_matrix
from mmpretrain.registry import TRANSFORMS

from mmhpse.conventions import KEYPOINTS

# COCO-17 -> COCO-19 (``pelvis_openpose`` = mid-hips, ``neck_openpose`` = mid-shoulders)
COCO_MID_JOINTS = (('left_hip_extra', 'right_hip_extra'), ('left_shoulder', 'right_shoulder'))


@TRANSFORMS.register_module()
class AddMidpointJoints(BaseTransform):
    """Append joints at the midpoint of two parents, valid only when both parents are.

    Modified keys: ``keypoints (1, K, 2) -> (1, K + P, 2)``, ``keypoints_visible``,
    ``flip_indices`` (a midpoint's mirror is the midpoint of its parents' mirrors). Added key:
    ``num_source_keypoints`` (K).

    Args:
        pairs (sequence of (str, str)): parent joint names of each new joint, in order. The
            default is COCO-19 (pelvis = mid-hips, neck = mid-shoulders).
        convention (str): the source keypoints' convention (``mmhpse.conventions.KEYPOINTS``),
            which turns the names into indices. Defaults to ``'coco_17'``.
    """

    def __init__(self, pairs: Sequence[Tuple[str, str]] = COCO_MID_JOINTS,
                 convention: str = 'coco_17') -> None:
        if convention not in KEYPOINTS:
            raise ValueError(f'AddMidpointJoints: unknown convention {convention!r}; known: '
                             f'{sorted(KEYPOINTS)}')
        names = KEYPOINTS[convention]
        unknown = [n for p in pairs for n in p if n not in names]
        if unknown or any(len(p) != 2 for p in pairs):
            raise ValueError(f'AddMidpointJoints: pairs {list(pairs)} must be pairs of joint names '
                             f'of {convention!r}; unknown: {unknown}')
        self.convention = convention
        self.pairs = [tuple(names.index(n) for n in p) for p in pairs]

    def transform(self, results: Dict) -> Dict:
        kpts, vis = results['keypoints'], results['keypoints_visible']
        num_src = kpts.shape[-2]
        for a, b in self.pairs:
            if not (0 <= a < num_src and 0 <= b < num_src):
                raise ValueError(f'AddMidpointJoints: pair ({a}, {b}) out of range for {num_src} '
                                 f'keypoints ({results.get("img_path")}, sample '
                                 f'{results.get("sample_idx")}, key "keypoints")')
        mids = np.stack([(kpts[..., a, :] + kpts[..., b, :]) / 2 for a, b in self.pairs], -2)
        mid_vis = np.stack([np.minimum(vis[..., a], vis[..., b]) for a, b in self.pairs], -1)
        results['keypoints'] = np.concatenate([kpts, mids.astype(kpts.dtype)], -2)
        results['keypoints_visible'] = np.concatenate([vis, mid_vis.astype(vis.dtype)], -1)
        flip = list(results['flip_indices'])
        lookup = {frozenset(p): num_src + i for i, p in enumerate(self.pairs)}
        for a, b in self.pairs:
            mirror = frozenset((flip[a], flip[b]))
            if mirror not in lookup:
                raise ValueError(f'AddMidpointJoints: the mirror ({flip[a]}, {flip[b]}) of pair '
                                 f'({a}, {b}) is not a pair; add it')
            flip.append(lookup[mirror])
        results['flip_indices'] = flip
        results['num_source_keypoints'] = num_src
        return results


@TRANSFORMS.register_module()
class ClippedBBoxTransform(BaseTransform):
    """Random bbox scale and rotation with clipped normals (the paper's JointCon augmentation).

    ``bbox_scale *= 1 + scale_factor * clip(N(0, 1), -scale_clip, scale_clip)`` and
    ``bbox_rotation = rotate_factor * clip(N(0, 1), -rotate_clip, rotate_clip)`` with probability
    ``rotate_prob`` (else 0), in degrees. ``mmpose.RandomBBoxTransform`` draws a *truncated*
    normal on [-1, 1] for both (so its rotation cannot reach the paper's 80 degrees and its
    distribution has no mass at the clip bounds), hence this transform. Same keys as mmpose's
    (read ``bbox_scale``; write ``bbox_scale``, ``bbox_rotation (1,)``), consumed by
    ``mmpose.TopdownAffine``.
    """

    def __init__(self, scale_factor: float = 0.3, scale_clip: float = 1.0,
                 rotate_factor: float = 40.0, rotate_clip: float = 2.0,
                 rotate_prob: float = 0.6) -> None:
        self.scale_factor, self.scale_clip = scale_factor, scale_clip
        self.rotate_factor, self.rotate_clip = rotate_factor, rotate_clip
        self.rotate_prob = rotate_prob

    def transform(self, results: Dict) -> Dict:
        num = results['bbox_scale'].shape[0]
        scale = 1 + self.scale_factor * np.clip(np.random.randn(num, 1), -self.scale_clip,
                                                self.scale_clip)
        rot = self.rotate_factor * np.clip(np.random.randn(num), -self.rotate_clip,
                                           self.rotate_clip)
        rot = np.where(np.random.rand(num) < self.rotate_prob, rot, 0.)
        results['bbox_scale'] = (results['bbox_scale'] * scale).astype(np.float32)
        results['bbox_rotation'] = rot.astype(np.float32)
        return results


@TRANSFORMS.register_module()
class RandomChannelScale(BaseTransform):
    """Multiply each colour channel of ``img`` by an independent ``U[low, high]`` factor.

    The result is clipped to [0, 255] and keeps the input dtype (uint8 rounded).
    """

    def __init__(self, low: float = 0.8, high: float = 1.2) -> None:
        self.low, self.high = low, high

    def transform(self, results: Dict) -> Dict:
        img = results['img']
        factors = np.random.uniform(self.low, self.high, size=img.shape[-1]).astype(np.float32)
        out = np.clip(img.astype(np.float32) * factors, 0, 255)
        results['img'] = (np.rint(out) if img.dtype == np.uint8 else out).astype(img.dtype)
        results['channel_scale'] = factors
        return results


def view_affine(view: Dict, orig_width: int) -> np.ndarray:
    """``(2, 3)`` affine from original-image pixels to crop pixels of one view, flip included."""
    for key in ('input_center', 'input_scale', 'input_size'):
        if key not in view:
            raise KeyError(f'TwoViewPose: the view pipeline left no {key!r}; it must end with '
                           f'mmpose.TopdownAffine ({view.get("img_path")}, sample '
                           f'{view.get("sample_idx")})')
    rot = float(view['bbox_rotation'][0]) if 'bbox_rotation' in view else 0.
    warp = get_warp_matrix(view['input_center'], view['input_scale'], rot,
                           output_size=view['input_size']).astype(np.float64)
    if view.get('flip', False):
        if view.get('flip_direction') != 'horizontal':
            raise ValueError(f'TwoViewPose: only horizontal flips are supported, got '
                             f'{view.get("flip_direction")!r}')
        flip = np.array([[-1., 0., orig_width - 1], [0., 1., 0.], [0., 0., 1.]])
        warp = warp @ flip
    return warp


@TRANSFORMS.register_module()
class TwoViewPose(BaseTransform):
    """Run a per-view pipeline twice on one person and keep the keypoints with each view.

    A joint is valid in a view when ``keypoints_visible > 0`` (after the view's flip), wherever
    the view puts it: joints outside the crop stay valid, and the model decides which of them reach
    its feature map (JointCon: while the joint's Gaussian window overlaps the map, as in the
    authors' code). A person with fewer than ``min_valid_joints`` visible source joints is skipped
    (returns ``None``; mmengine's dataset then fetches another sample); ``counts['few_joints']``
    counts the skips per worker process, which are logged (first one and every
    ``log_interval``-th).

    Args:
        transforms (list[dict]): per-view pipeline, ending with ``mmpose.TopdownAffine``.
        min_valid_joints (int): minimum number of visible source joints. Defaults to 1.
        log_interval (int): log every n-th skip. Defaults to 100.
    """

    def __init__(self, transforms: List[dict], min_valid_joints: int = 1,
                 log_interval: int = 100) -> None:
        # built in mmpretrain's registry so that mmhpse's transforms resolve without a default
        # scope; scoped names such as 'mmpose.TopdownAffine' resolve through the registry tree
        self.pipeline = Compose(
            [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in transforms])
        self.min_valid_joints, self.log_interval = min_valid_joints, log_interval
        self.counts = dict(few_joints=0)

    def _draw(self, results: Dict) -> Optional[Dict]:
        # shallow copy: the full image is shared, mmpose's transforms do not modify it in place
        view = {k: (v.copy() if isinstance(v, np.ndarray) and k != 'img' else v)
                for k, v in results.items()}
        return self.pipeline(view)

    def transform(self, results: Dict) -> Optional[Dict]:
        vis = np.asarray(results['keypoints_visible'])[0]
        num_src = results.get('num_source_keypoints', vis.shape[0])
        if int((vis[:num_src] > 0).sum()) < self.min_valid_joints:
            self.counts['few_joints'] += 1
            if self.counts['few_joints'] == 1 or self.counts['few_joints'] % self.log_interval == 0:
                MMLogger.get_current_instance().warning(
                    f'TwoViewPose skipped {results.get("img_path")} (sample '
                    f'{results.get("sample_idx")}, ann {results.get("id")}): fewer than '
                    f'{self.min_valid_joints} visible joints; counts in this worker: '
                    f'{self.counts}')
            return None
        views = [self._draw(results), self._draw(results)]
        if any(v is None for v in views):
            return None
        orig_w = results['img_shape'][1]
        results['img'] = [v['img'] for v in views]
        results['input_size'] = views[0]['input_size']
        results['view_keypoints'] = np.stack(
            [np.asarray(v['transformed_keypoints'], dtype=np.float32)[0] for v in views])
        results['view_keypoints_visible'] = np.stack(
            [np.asarray(v['keypoints_visible'])[0] > 0 for v in views]).astype(np.float32)
        results['view_affine'] = np.stack([view_affine(v, orig_w) for v in views]).astype(
            np.float32)
        results['view_flip'] = np.array([bool(v.get('flip', False)) for v in views])
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(pipeline={self.pipeline}, min_valid_joints='
                f'{self.min_valid_joints})')
