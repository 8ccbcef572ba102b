"""MuPoTS-3D 3DPCK and AUC as the official evaluation computes them, and its prediction export.

The official evaluation (``mpii_mupots_multiperson_eval.m`` of the MuPoTS-3D release, with
``mpii_multiperson_get_identity_matching.m``, ``mpii_map_to_gt_bone_lengths.m``,
``mpii_evaluate_multiperson_errors.m`` and ``mpii_compute_3d_pck.m``), root-relative mode:

1. Per frame, the annotated people (in annotation order) are matched greedily to the predictions
   by their 2D joints: a joint agrees when ``|dx| < 40`` and ``|dy| < 40`` px, over the 13 joints
   neck .. left ankle; GT person ``k`` takes the not yet taken prediction with most agreeing
   visible joints (the first on ties), if that count is > 0. A predicted joint at (0, 0) is not
   visible.
2. A matched prediction and its GT (``univ_annot3``) are centred on their pelvis, the predicted
   bones are rescaled to the GT bone lengths from the pelvis outwards (directions kept), and the
   per-joint Euclidean error is taken. An unmatched person gets a miss on every joint.
3. Per sequence: 3DPCK = % of errors ``< 150`` mm, AUC = mean of the % ``< t`` for
   ``t = 0, 5, .., 150`` mm, both over the 14 joints head top .. left ankle (no pelvis, spine,
   head) of every considered person: all annotated people ("all") or only the matched ones
   ("matched"). The reported value is the mean over the sequences.

Joints are named (``mpi_inf_3dhp_17`` of :mod:`mmhpse.conventions`); no index is hard-coded.
"""
import os
import os.path as osp
import re
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmhpse.conventions import get_keypoint_names, names_to_indices

__all__ = ['MUPOTS_CONVENTION', 'rescale_to_gt_bones', 'match_people', 'pck_auc',
           'sequence_scores', 'frame_errors', 'parse_mupots_path', 'export_official']

MUPOTS_CONVENTION = 'mpi_inf_3dhp_17'
ROOT = 'pelvis_extra'
#: parent of every joint but the root (``o1`` of the official ``mpii_get_joints('relevant')``)
PARENTS = {
    'spine_extra': 'pelvis_extra', 'neck_extra': 'spine_extra', 'headtop': 'neck_extra',
    'head_extra': 'neck_extra', 'right_shoulder': 'neck_extra', 'right_elbow': 'right_shoulder',
    'right_wrist': 'right_elbow', 'left_shoulder': 'neck_extra', 'left_elbow': 'left_shoulder',
    'left_wrist': 'left_elbow', 'right_hip_extra': 'pelvis_extra',
    'right_knee': 'right_hip_extra', 'right_ankle': 'right_knee',
    'left_hip_extra': 'pelvis_extra', 'left_knee': 'left_hip_extra', 'left_ankle': 'left_knee'
}
#: the order the bones are rescaled in (the official ``safe_traversal_order`` without the root)
TRAVERSAL = ('spine_extra', 'neck_extra', 'headtop', 'head_extra', 'right_shoulder',
             'right_elbow', 'right_wrist', 'left_shoulder', 'left_elbow', 'left_wrist',
             'right_hip_extra', 'right_knee', 'right_ankle', 'left_hip_extra', 'left_knee',
             'left_ankle')
#: joints of the 3DPCK / AUC (``mpii_get_pck_auc_joint_groups``: head .. ankle groups)
SCORED = tuple(n for n in get_keypoint_names(MUPOTS_CONVENTION)
               if n not in ('pelvis_extra', 'spine_extra', 'head_extra'))
#: joints the 2D matching compares (the official ``matching_joints = 2:14``)
MATCHING = SCORED[1:]
PCK_THRESHOLD = 150.  # mm
AUC_THRESHOLDS = np.arange(0., 151., 5.)  # mm, 31 thresholds
MATCH_THRESHOLD = 40.  # px
_PATH = re.compile(r'TS(?P<seq>\d+)[/\\]img_(?P<frame>\d+)\.\w+$')


def parse_mupots_path(path: str) -> Optional[Tuple[int, int]]:
    """``(sequence, frame)`` of a MuPoTS-3D image path ``.../TS<s>/img_<frame>.jpg``, or None."""
    m = _PATH.search(str(path))
    return None if m is None else (int(m['seq']), int(m['frame']))


def _idx(names: Sequence[str]) -> np.ndarray:
    return np.asarray(names_to_indices(MUPOTS_CONVENTION, list(names)), dtype=np.int64)


def rescale_to_gt_bones(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Predicted joints with every bone scaled to the GT bone's length, root kept.

    Args:
        pred (ndarray): ``(N, 17, 3)`` predicted joints (``mpi_inf_3dhp_17``).
        gt (ndarray): ``(N, 17, 3)`` GT joints.

    Returns:
        ndarray: ``(N, 17, 3)``. A zero-length predicted bone gives ``nan`` (as the official
        code's division by zero), which scores as a miss.
    """
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    out = pred.copy()
    for name in TRAVERSAL:
        j, p = _idx([name, PARENTS[name]])
        bone = pred[:, j] - pred[:, p]  # direction from the prediction as it came
        gt_len = np.linalg.norm(gt[:, j] - gt[:, p], axis=-1, keepdims=True)
        with np.errstate(invalid='ignore', divide='ignore'):
            out[:, j] = out[:, p] + bone * gt_len / np.linalg.norm(bone, axis=-1, keepdims=True)
    return out


def match_people(gt2d: np.ndarray, gt_vis: np.ndarray, pred2d: np.ndarray,
                 pred_vis: np.ndarray, threshold: float = MATCH_THRESHOLD) -> np.ndarray:
    """Greedy 2D identity matching of one frame.

    Args:
        gt2d (ndarray): ``(M, 17, 2)`` GT joints in image pixels, annotation order.
        gt_vis (ndarray): ``(M, 17)`` bool.
        pred2d (ndarray): ``(P, 17, 2)`` predicted joints in image pixels.
        pred_vis (ndarray): ``(P, 17)`` bool.

    Returns:
        ndarray: ``(M,)`` int64, the prediction of each GT person or -1.
    """
    cols = _idx(MATCHING)
    out = -np.ones(len(gt2d), dtype=np.int64)
    taken = np.zeros(len(pred2d), dtype=bool)
    if len(pred2d) == 0:
        return out
    for k in range(len(gt2d)):
        close = np.all(np.abs(pred2d[:, cols] - gt2d[k, cols]) < threshold, axis=-1)  # (P, J)
        score = (close & gt_vis[k, cols] & pred_vis[:, cols]).sum(-1)
        score[taken] = 0
        best = int(np.argmax(score))
        if score[best] > 0:
            out[k], taken[best] = best, True
    return out


def pck_auc(errors: np.ndarray) -> Tuple[float, float]:
    """3DPCK and AUC (%) of ``(N, 17)`` per-joint errors in mm (``inf`` / ``nan`` = miss)."""
    err = np.asarray(errors, dtype=np.float64)[:, _idx(SCORED)]
    with np.errstate(invalid='ignore'):
        pck = 100. * float(np.mean(err < PCK_THRESHOLD))
        auc = 100. * float(np.mean([np.mean(err < t) for t in AUC_THRESHOLDS]))
    return pck, auc


def sequence_scores(errors: Dict[int, np.ndarray],
                    matched: Dict[int, np.ndarray]) -> Dict[str, float]:
    """Per-sequence 3DPCK / AUC averaged over the sequences, for all and for matched people.

    Args:
        errors (dict): sequence -> ``(N_s, 17)`` errors in mm of its annotated people.
        matched (dict): sequence -> ``(N_s,)`` bool, the person had a matched prediction.

    Returns:
        dict: ``3dpck``, ``auc`` (all annotated people), ``3dpck-matched``, ``auc-matched``
        (sequences without any matched person are left out of the matched means), and
        ``sequences-matched`` (how many sequences the matched means average).
    """
    scores = {'all': [], 'matched': []}
    for seq in sorted(errors):
        scores['all'].append(pck_auc(errors[seq]))
        if matched[seq].any():
            scores['matched'].append(pck_auc(errors[seq][matched[seq]]))
    out = {}
    for kind, suffix in (('all', ''), ('matched', '-matched')):
        vals = np.asarray(scores[kind], dtype=np.float64).reshape(-1, 2)
        out[f'3dpck{suffix}'] = float(vals[:, 0].mean()) if len(vals) else float('nan')
        out[f'auc{suffix}'] = float(vals[:, 1].mean()) if len(vals) else float('nan')
    out['sequences-matched'] = len(scores['matched'])
    return out


def frame_errors(records: List[dict]):
    """Match each frame's people and take the per-joint errors of the official evaluation.

    Args:
        records (list[dict]): One per annotated person: ``sequence``, ``frame``, ``order`` (the
            annotation order within the frame, e.g. the sample index), ``gt3d`` / ``pred3d``
            ``(17, 3)`` pelvis-relative mm (``pred3d`` of the prediction made for this person's
            box), ``gt2d`` / ``pred2d`` ``(17, 2)`` image pixels, ``gt_vis`` / ``pred_vis``
            ``(17,)`` bool.

    Returns:
        tuple: ``errors`` (sequence -> ``(N_s, 17)`` mm, ``inf`` for unmatched people),
        ``matched`` (sequence -> ``(N_s,)`` bool) and ``frames`` ((sequence, frame) ->
        ``(pred2d (P, 17, 2), pred3d (P, 17, 3))`` in annotation order, for the export).
    """
    by_frame = defaultdict(list)
    for r in records:
        by_frame[(r['sequence'], r['frame'])].append(r)
    errors, matched, frames = defaultdict(list), defaultdict(list), {}
    for key in sorted(by_frame):
        people = sorted(by_frame[key], key=lambda r: r['order'])
        stack = {k: np.stack([r[k] for r in people]) for k in
                 ('gt3d', 'pred3d', 'gt2d', 'pred2d', 'gt_vis', 'pred_vis')}
        frames[key] = (stack['pred2d'], stack['pred3d'])
        pair = match_people(stack['gt2d'], stack['gt_vis'], stack['pred2d'], stack['pred_vis'])
        err = np.full(stack['gt3d'].shape[:2], np.inf)
        hit = pair >= 0
        if hit.any():
            gt = stack['gt3d'][hit]
            pred = rescale_to_gt_bones(stack['pred3d'][pair[hit]], gt)
            err[hit] = np.linalg.norm(pred - gt, axis=-1)
        errors[key[0]].append(err)
        matched[key[0]].append(hit)
    return ({s: np.concatenate(v) for s, v in errors.items()},
            {s: np.concatenate(v) for s, v in matched.items()}, frames)


def export_official(out_dir: str, frames: Dict[Tuple[int, int], Tuple[np.ndarray, np.ndarray]]):
    """Write ``preds_2d_kpt_mupots.mat`` and ``preds_3d_kpt_mupots.mat`` for the official script.

    The layout the MATLAB evaluation reads (``mpii_mupots_multiperson_eval(eval_mode, 1)`` as
    distributed with 3DMPPE / used by the authors' code): one field per frame, named
    ``TS<sequence>_img_<frame:06d>``, holding ``(P, 17, 2)`` image pixels and ``(P, 17, 3)`` mm
    of the frame's ``P`` predictions in MuPoTS joint order. The 3D joints are pelvis-relative
    (no absolute root is predicted), so use the script's root-relative mode.

    Args:
        out_dir (str): Folder (created).
        frames (dict): ``(sequence, frame) -> (pred2d (P, 17, 2), pred3d_mm (P, 17, 3))``.

    Returns:
        tuple[str, str]: The two file paths.
    """
    from scipy.io import savemat
    os.makedirs(out_dir, exist_ok=True)
    two, three = {}, {}
    for (seq, frame), (p2d, p3d) in sorted(frames.items()):
        name = f'TS{int(seq)}_img_{int(frame):06d}'
        two[name] = np.asarray(p2d, dtype=np.float64)
        three[name] = np.asarray(p3d, dtype=np.float64)
    paths = (osp.join(out_dir, 'preds_2d_kpt_mupots.mat'),
             osp.join(out_dir, 'preds_3d_kpt_mupots.mat'))
    savemat(paths[0], two)
    savemat(paths[1], three)
    return paths
