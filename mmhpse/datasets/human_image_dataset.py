"""Dataset of person images with SMPL / keypoint labels from HumanData or SPIN ``.npz`` files."""
import copy
import logging
import os.path as osp
from typing import Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmhpse.conventions import check_midpoint_joints, get_flip_indices, get_keypoint_names
from mmhpse.registry import DATASETS
from .human_data import AnnotationError, HumanAnnotations
from .label_fraction import load_indices
from .sample_filter import select_h36m_rows
from .transforms.loading import last_bad_image

__all__ = ['HumanImageDataset']


@DATASETS.register_module()
class HumanImageDataset(BaseDataset):
    """Samples of an mmhuman3d HumanData or SPIN ``.npz`` file (format detected from its keys).

    Annotations stay column-wise in memory-mapped arrays (:class:`HumanAnnotations`); no python
    dict per sample is built or serialized, so a 1 M-sample file opens in about the time of a few
    ``np.load`` calls and the memory of a worker does not grow with the number of samples.
    :meth:`get_data_info` builds the results dict of one sample (docs/architecture.md,
    "Data sample"), keypoints converted to ``convention`` by joint name.

    Args:
        ann_file (str): the ``.npz`` file (joined to ``data_root`` when relative).
        data_prefix (dict): ``img``: folder the file's image paths are relative to.
        pipeline (list): transforms.
        convention (str): keypoint convention of the results. Defaults to ``'smpl_49'``.
        dataset_name (str, optional): put into each sample and the metainfo; default: the file
            name without extension.
        indices_file (str, optional): label-fraction index file (``.npy`` / ``.txt`` of rows of
            ``ann_file``, see :mod:`mmhpse.datasets.label_fraction`); only these rows are used.
        test_mode (bool): no refetch on a failed sample: a sample that the pipeline skips (bad
            image or box) raises an error naming the file and the sample.
        drop_invalid (bool): drop samples with bad annotations (counted, logged) instead of
            raising :class:`~mmhpse.datasets.human_data.AnnotationError`.
        cache_dir (str, optional): where compressed members are extracted (default: next to the
            file).
        data_root (str, optional): root joined to relative ``ann_file`` / prefixes.
        metainfo (dict, optional): extra meta information.
        indices (int | Sequence[int], optional): mmengine's subset argument, applied after
            ``indices_file``, ``drop_invalid`` and ``sample_filter``.
        sample_filter (dict, optional): Human3.6M selection read from the image paths, e.g.
            protocol 2 of the authors' code: ``dict(subjects=['S9', 'S11'],
            cameras=['60457274'], frame_stride=64)`` (see
            :func:`~mmhpse.datasets.sample_filter.select_h36m_rows`; a path without the ids, or
            a stride the file's frame grid cannot give, is an error naming the file).
        max_refetch (int): samples tried after a transform returned ``None`` (missing image).
        lazy_init (bool): defer reading ``ann_file`` to :meth:`full_init`.
        midpoint_joints (dict, optional): ``{slot: (parent_a, parent_b)}`` joint names: a slot of
            ``convention`` that the file has no joint for is filled with the midpoint of the
            file's two parents, confidence the smaller of theirs (0 unless both are labelled),
            before the pipeline (:mod:`mmhpse.conventions.midpoints`). The paper recipe's COCO:
            ``dict(pelvis_extra=('left_hip_extra', 'right_hip_extra'),
            neck_extra=('left_shoulder', 'right_shoulder'))`` (the authors' COCO "Pelvis" and
            "Neck"). A slot the file has neither a joint nor both parents for is an error.
    """

    def __init__(self,
                 ann_file: str,
                 data_prefix: dict = dict(img=''),
                 pipeline: Sequence = (),
                 convention: str = 'smpl_49',
                 dataset_name: Optional[str] = None,
                 indices_file: Optional[str] = None,
                 test_mode: bool = False,
                 drop_invalid: bool = False,
                 cache_dir: Optional[str] = None,
                 data_root: Optional[str] = '',
                 metainfo: Optional[dict] = None,
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 max_refetch: int = 1000,
                 lazy_init: bool = False,
                 sample_filter: Optional[dict] = None,
                 midpoint_joints: Optional[dict] = None):
        names = get_keypoint_names(convention)  # KeyError listing the known conventions
        self.convention = convention
        try:
            self.midpoint_joints = check_midpoint_joints(convention, midpoint_joints or {})
        except ValueError as err:
            raise ValueError(f'{ann_file}: midpoint_joints: {err}') from None
        self.dataset_name = dataset_name or osp.splitext(osp.basename(ann_file))[0]
        self.indices_file = indices_file
        self.drop_invalid = drop_invalid
        self.cache_dir = cache_dir
        self.sample_filter = dict(sample_filter) if sample_filter else None
        self.annotations: Optional[HumanAnnotations] = None
        self._rows: Optional[np.ndarray] = None
        super().__init__(
            ann_file=ann_file, metainfo=metainfo, data_root=data_root or '',
            data_prefix=dict(data_prefix), indices=indices, serialize_data=False,
            pipeline=list(pipeline), test_mode=test_mode, lazy_init=lazy_init,
            max_refetch=max_refetch)
        # set after BaseDataset, whose metainfo loader takes every string for a file name
        self._metainfo.update(
            dataset_name=self.dataset_name, convention=convention, num_keypoints=len(names),
            keypoint_names=names, flip_indices=get_flip_indices(convention))
        self._metainfo.update(metainfo or {})

    def full_init(self):
        """Open and validate the annotation file; select rows (drop, index file, indices).

        Raises:
            AnnotationError: a bad file, or no sample left (naming the file and the step that
                left none: mmengine's samplers would divide by zero later).
        """
        if self._fully_initialized:
            return
        ann = HumanAnnotations(self.ann_file, self.cache_dir, self.drop_invalid)
        self.annotations = ann
        self._rows = None  # all kept rows, without an O(N) index array
        if ann.num_raw == 0:
            self._refuse_empty('the file holds no samples')
        if ann.num_kept == 0:
            self._refuse_empty(f'all {ann.num_raw} samples were dropped as invalid '
                               '(drop_invalid=True)')
        if self.indices_file is not None:
            wanted = load_indices(self.indices_file, ann.num_raw)
            self._rows = wanted[~np.isin(wanted, ann.bad_rows)]
            if not len(self._rows):
                self._refuse_empty(f'the index file {self.indices_file} selects none of the '
                                   f'{ann.num_kept} valid samples')
        if self.midpoint_joints:
            self._check_midpoints(ann)
        if self.sample_filter is not None:
            key = 'image_path' if ann.fmt == 'humandata' else 'imgname'
            self._rows = select_h36m_rows(ann.img_names, self._current_rows(),
                                          self.sample_filter, self.ann_file, key)
        # what evaluation protocols check at start (e.g. gendered GT needs the gender key)
        gender_key = 'meta.gender' if ann.fmt == 'humandata' else 'gender'
        self._metainfo.update(ann_file=self.ann_file,
                              gender_key=gender_key if ann.gender_strings is not None else None)
        if self._indices is not None:
            self._rows = self._subset_rows(self._indices)
            if not len(self._rows):
                self._refuse_empty(f'indices={self._indices!r} selects none of the samples')
        self._fully_initialized = True

    def _check_midpoints(self, ann: HumanAnnotations):
        """Log where ``midpoint_joints`` apply; a slot without its joint or parents is an
        error naming the file, the key and the missing parents."""
        plan = ann.midpoint_plan(self.convention, self.midpoint_joints)
        names = get_keypoint_names(self.convention)
        own = {n for kp in ann.kp2d + ann.kp3d for n in kp.names}
        done = []
        for kind, entries in plan.items():
            done += [(names[d], kind) for _, m in entries for d in m[0]]
        for slot, parents in self.midpoint_joints:
            if slot not in own and slot not in {d for d, _ in done}:
                missing = [p for p in parents if p not in own]
                raise AnnotationError(
                    f"{self.ann_file}: midpoint_joints: the file has no joint '{slot}' and "
                    f'no keypoint array holding both parents {parents} (missing: {missing})')
        print_log(f'{self.ann_file}: midpoint_joints: ' + '; '.join(
            [f'{slot} = mid{dict(self.midpoint_joints)[slot]} in {kind}' for slot, kind in done] +
            [f'{slot} from the file' for slot, _ in self.midpoint_joints if slot in own]),
            logger='current', level=logging.INFO)

    def _refuse_empty(self, why: str):
        raise AnnotationError(f'{self.ann_file}: no sample to use: {why}')

    def _current_rows(self) -> np.ndarray:
        return self.annotations.rows if self._rows is None else self._rows

    def _subset_rows(self, indices: Union[int, Sequence[int]]) -> np.ndarray:
        rows = self._current_rows()
        if isinstance(indices, int):
            return rows[:indices] if indices >= 0 else rows[indices:]
        return rows[np.asarray(indices, dtype=np.int64)]

    def __len__(self) -> int:
        if not self._fully_initialized:
            self.full_init()
        return self.annotations.num_kept if self._rows is None else len(self._rows)

    @property
    def rows(self) -> np.ndarray:
        """Rows of ``ann_file`` that samples ``0 .. len(self) - 1`` read (int64 array)."""
        if not self._fully_initialized:
            self.full_init()
        return self._current_rows()

    def get_data_info(self, idx: int) -> dict:
        """Results dict of sample ``idx`` (before the pipeline).

        Returns:
            dict: ``img_path``, ``bbox_xywh (4,)``, ``keypoints2d (K, 3)``,
            ``keypoints3d (K, 4)``, ``smpl_global_orient (3,)``, ``smpl_body_pose (23, 3)``,
            ``smpl_betas (10,)``, ``has_smpl``, ``has_keypoints2d``, ``has_keypoints3d``,
            ``gender``, ``sample_idx`` (= ``idx``), ``ann_idx`` (row in ``ann_file``),
            ``dataset_name``, ``keypoints_convention`` (float32 arrays, keypoints in
            ``convention``).
        """
        if not self._fully_initialized:
            self.full_init()
        if idx < 0:
            idx += len(self)
        if not 0 <= idx < len(self):
            raise IndexError(f'{self.ann_file}: index {idx} out of range for {len(self)} samples')
        row = self.annotations.kept_row(idx) if self._rows is None else int(self._rows[idx])
        info = self.annotations.sample(row, self.convention, self.midpoint_joints)
        info['img_path'] = osp.join(self.data_prefix.get('img', ''), info.pop('img_name'))
        info.update(sample_idx=idx, ann_idx=row, dataset_name=self.dataset_name,
                    keypoints_convention=self.convention)
        info['convention'] = self.convention  # PackHumanInputs keeps it as metainfo
        return info

    def __getitem__(self, idx: int) -> dict:
        """The sample after the pipeline; in training mode a skipped sample (``None`` from the
        pipeline) is replaced by another (mmengine's refetch), at test time it is an error."""
        if not self.test_mode:
            return super().__getitem__(idx)
        if not self._fully_initialized:
            self.full_init()
        data = self.prepare_data(idx)
        if data is None:
            info = self.get_data_info(idx)
            last = last_bad_image()
            why = last[1] if last is not None and last[0] == info['img_path'] else \
                'the pipeline returned None'
            raise RuntimeError(
                f'{self.ann_file}: test sample {idx} (row {info["ann_idx"]} of the file, image '
                f'"{info["img_path"]}") cannot be used: {why}. Test sets are not thinned out '
                'silently: fix the image or remove the sample from the file.')
        return data

    def get_subset_(self, indices: Union[Sequence[int], int]) -> None:
        """Keep only the given samples (positions in this dataset)."""
        self.full_init()
        self._rows = self._subset_rows(indices)

    def get_subset(self, indices: Union[Sequence[int], int]) -> 'HumanImageDataset':
        """A copy holding the given samples (annotations shared, not copied)."""
        self.full_init()
        other = self._copy_without_annotation()
        other.annotations = self.annotations
        other._rows = self._subset_rows(indices)
        return other

    def _copy_without_annotation(self, memo=None) -> 'HumanImageDataset':
        other = self.__class__.__new__(self.__class__)
        for key, value in self.__dict__.items():
            if key not in ('annotations', '_rows'):
                setattr(other, key, copy.deepcopy(value))
        other.annotations, other._rows = None, None
        return other
