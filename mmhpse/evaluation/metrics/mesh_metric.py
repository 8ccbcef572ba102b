"""MPJPE / PA-MPJPE / MPVPE of 3D human meshes under the 3DPW, Human3.6M and MuPoTS protocols."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmhpse.conventions import convert_kps, get_keypoint_names, names_to_indices
from mmhpse.registry import METRICS, MODELS
from .. import mupots
from ..functional import mpjpe, mpvpe, pa_mpjpe
from ..protocol_switches import PW3D_GT_GENDER, gt_gender_flag

_GENDERS = {'neutral': 'neutral', 'n': 'neutral', 'male': 'male', 'm': 'male',
            'female': 'female', 'f': 'female'}

# per protocol: prefix of the logged keys, where the GT comes from, the convention the regressor
# (and the GT) is read in, the convention whose joints are evaluated and the root joint (names)
PROTOCOLS = {
    '3dpw': dict(prefix='3dpw', gt='mesh', eval_convention='h36m_17', joints='lsp_14',
                 root='pelvis_extra'),
    'h36m_p1': dict(prefix='h36m_p1', gt='keypoints3d', eval_convention='h36m_17',
                    joints='lsp_14', root='pelvis_extra'),
    'h36m_p2': dict(prefix='h36m', gt='keypoints3d', eval_convention='h36m_17',
                    joints='lsp_14', root='pelvis_extra'),
    'mupots': dict(prefix='mupots', gt='keypoints3d', eval_convention=mupots.MUPOTS_CONVENTION,
                   joints=mupots.MUPOTS_CONVENTION, root=mupots.ROOT),
}
MPI_INF_3DHP_REGRESSOR = 'J_regressor_mi_smpl.npy'  # file name of the authors' code


def _field(sample: dict, key: str, where: str):
    """A field of a data-sample dict (``key`` or its property storage ``'_' + key``)."""
    for name in (key, '_' + key):
        if name in sample:
            return sample[name]
    raise KeyError(f'{where}: the data sample has no "{key}"')


def _as_tensor(value) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().float()
    return torch.as_tensor(np.asarray(value), dtype=torch.float32)


def _to_image(points: np.ndarray, warp_mat, where: str) -> np.ndarray:
    """Crop pixels ``(K, 2)`` back to image pixels through the inverse of ``warp_mat`` (2, 3)."""
    mat = np.asarray(warp_mat, dtype=np.float64)
    if mat.shape != (2, 3):
        raise ValueError(f'{where}: "warp_mat" must be (2, 3), got {mat.shape}')
    return (np.asarray(points, np.float64) - mat[:, 2]) @ np.linalg.inv(mat[:, :2]).T


@METRICS.register_module()
class MeshMetric(BaseMetric):
    """MPJPE, PA-MPJPE and MPVPE (mmhuman3d names ``mpjpe``, ``pa-mpjpe``, ``pve``), in mm; for
    MuPoTS-3D also the official 3DPCK and AUC (%).

    Logged keys are ``<prefix>/<name>``; the prefix defaults to ``'3dpw'``, ``'h36m'``
    (``h36m_p2``), ``'h36m_p1'`` or ``'mupots'``, so a run's ``vis_data/scalars.json`` holds e.g.
    ``"3dpw/pa-mpjpe"``. Keypoints are read in the convention named by each data sample's
    metainfo ``convention`` (set by ``PackHumanInputs``) and converted by joint name.

    Protocols (``dataset``):

    - ``'3dpw'``: GT mesh from the GT SMPL parameters (``gt_pose``, ``gt_betas``) with the neutral
      model (``gt_gender='neutral'``, the authors' code) or each sample's GT gender
      (``'gendered'``, mmhuman3d); joints = H36M regressor on each mesh, the 14 LSP joints;
      prediction and GT each centred on their own pelvis. MPVPE over all vertices, each mesh
      centred on its own regressed pelvis. Configs set the top-level switch ``pw3d_gt_gender``
      instead (:mod:`mmhpse.evaluation.protocol_switches`), which reaches val and test alike.
    - ``'h36m_p2'`` / ``'h36m_p1'``: GT joints from ``gt_keypoints3d`` read as H36M-17 by joint
      name, the same 14 joints and pelvis centring; prediction from the H36M regressor on
      ``pred_vertices``; no MPVPE. SPIN-made files keep the H36M head top in SPIN's
      ``head_extra`` slot and leave ``headtop`` empty: for ``smpl_49`` / ``spin_24`` GT, a sample
      whose ``headtop`` has no confidence uses ``head_extra`` (as SPIN's ``J24_TO_J14``).
    - ``'mupots'``: 17 MPI-INF-3DHP test joints, pelvis centred, MPJPE / PA-MPJPE per sample;
      prediction from an MPI-INF-3DHP regressor ``(>= 17, V)`` (first 17 rows, as the authors'
      code), found at ``joint_regressor_mpi_inf_3dhp`` or as ``J_regressor_mi_smpl.npy`` beside
      the body model. Plus ``3dpck`` / ``auc`` (all annotated people) and ``3dpck-matched`` /
      ``auc-matched`` as the official evaluation computes them (:mod:`mmhpse.evaluation.mupots`),
      which needs the sequence and frame in ``img_path`` (``TS<s>/img_<frame>.jpg``),
      ``pred_keypoints2d`` and ``gt_keypoints2d`` (crop pixels) and ``warp_mat``. With
      ``export_dir`` the predictions are also written in the official script's layout.

    GT joints with zero confidence are left out of MPJPE / PA-MPJPE (and of the Procrustes fit);
    a sample without a GT pelvis is an error. A protocol asked of a file that lacks what it needs
    fails when the loop hands the dataset's metainfo over (gendered GT without a gender key) or at
    the first batch (no ``convention``, no MuPoTS sequence id), naming the file and the key.

    Args:
        dataset (str): ``'3dpw'``, ``'h36m_p2'``, ``'h36m_p1'`` or ``'mupots'``.
        body_model (dict): Config of ``mmhpse.models.body_models.SMPL`` (``type='SMPL'``,
            ``model_path``, ``joint_regressor_h36m``, ...); its ``gender`` is set per use.
        gt_gender (str | bool, optional): 3DPW GT meshes: ``'neutral'`` (or False) or
            ``'gendered'`` (or True). Required for ``'3dpw'``; usually set through the config's
            ``pw3d_gt_gender``.
        joint_regressor_mpi_inf_3dhp (str, optional): ``.npy`` regressor for ``'mupots'``.
        export_dir (str, optional): ``'mupots'``: folder for the official-layout export.
        collect_device (str): ``'cpu'`` or ``'gpu'``. prefix (str, optional): overrides the
            protocol's prefix. collect_dir (str, optional): see mmengine's ``BaseMetric``.
    """

    def __init__(self,
                 dataset: str = '3dpw',
                 body_model: Optional[dict] = None,
                 gt_gender: Optional[Union[str, bool]] = None,
                 joint_regressor_mpi_inf_3dhp: Optional[str] = None,
                 export_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        if dataset not in PROTOCOLS:
            raise KeyError(f'MeshMetric: unknown dataset {dataset!r}; known: {sorted(PROTOCOLS)}')
        if body_model is None:
            raise ValueError('MeshMetric needs body_model=dict(type="SMPL", model_path=..., '
                             'joint_regressor_h36m=...)')
        self.protocol = PROTOCOLS[dataset]
        super().__init__(collect_device=collect_device, prefix=prefix or self.protocol['prefix'],
                         collect_dir=collect_dir)
        self.dataset = dataset
        self.body_model_cfg = dict(body_model)
        self.gt_gender = gt_gender_flag(gt_gender, 'MeshMetric gt_gender')
        if self.protocol['gt'] == 'mesh' and self.gt_gender is None:
            raise ValueError(
                f"MeshMetric({dataset}) needs gt_gender ('neutral': the authors' code, "
                f"'gendered': mmhuman3d); configs set the top-level key {PW3D_GT_GENDER}, which "
                'tools/train.py and tools/test.py apply to every 3DPW evaluator')
        self.export_dir = export_dir
        self._eval_idx = names_to_indices(self.protocol['eval_convention'],
                                          get_keypoint_names(self.protocol['joints']))
        self._root = names_to_indices(self.protocol['eval_convention'], [self.protocol['root']])[0]
        self._body_models: Dict[str, torch.nn.Module] = {}
        self._mpi_regressor = None
        if dataset == 'mupots':
            self._mpi_regressor = self._load_mpi_regressor(joint_regressor_mpi_inf_3dhp)
        print_log(f'MeshMetric({dataset}): {self._gt_description()}', logger='current')

    @property
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict) -> None:
        """Set by the val / test loop at start: check that the file has what the protocol needs."""
        self._dataset_meta = dataset_meta
        meta = dataset_meta or {}
        if self.protocol['gt'] == 'mesh' and self.gt_gender and 'gender_key' in meta \
                and meta['gender_key'] is None:
            raise ValueError(
                f'MeshMetric({self.dataset}) with gendered GT meshes: {meta.get("ann_file")} has '
                'no per-sample gender (HumanData key "meta.gender", SPIN key "gender"); use a '
                f"file with genders or {PW3D_GT_GENDER}='neutral'")

    # ------------------------------------------------------------------ helpers
    def _gt_description(self) -> str:
        if self.protocol['gt'] == 'mesh':
            kind, name = ('gendered (per-sample GT gender)', 'gendered') if self.gt_gender \
                else ('neutral', 'neutral')
            return f'GT meshes from the {kind} SMPL model (gt_gender={name!r})'
        return 'GT joints from gt_keypoints3d (in each sample\'s convention)'

    def _body_model(self, gender: str) -> torch.nn.Module:
        if gender not in self._body_models:
            import mmhpse.models.body_models  # noqa: F401  (registers SMPL)
            cfg = dict(self.body_model_cfg, gender=gender)
            cfg.setdefault('_scope_', 'mmhpse')  # whatever scope the runner is in
            model = MODELS.build(cfg)
            model.eval()
            self._body_models[gender] = model
        return self._body_models[gender]

    def _load_mpi_regressor(self, path: Optional[str]) -> torch.Tensor:
        model = self._body_model('neutral')
        if path is None:
            folders = [osp.dirname(osp.abspath(model.model_file))]
            folders.append(osp.dirname(folders[0]))
            if model.regressor_files.get('h36m'):
                folders.append(osp.dirname(osp.abspath(model.regressor_files['h36m'])))
            cands = [osp.join(f, MPI_INF_3DHP_REGRESSOR) for f in dict.fromkeys(folders)]
            path = next((c for c in cands if osp.isfile(c)), None)
            if path is None:
                raise FileNotFoundError(
                    'MeshMetric(mupots) needs an MPI-INF-3DHP joint regressor (>= 17 x V, the '
                    f'authors\' {MPI_INF_3DHP_REGRESSOR}); the body model folder has none '
                    f'(looked for {cands}). Put it there or pass '
                    'joint_regressor_mpi_inf_3dhp=<path>.')
        reg = np.load(path, allow_pickle=False)
        if reg.ndim != 2 or reg.shape[0] < 17 or reg.shape[1] != model.num_vertices:
            raise ValueError(f'MeshMetric(mupots): {path} must hold a (>=17, {model.num_vertices}) '
                             f'joint regressor for this body model, got shape {reg.shape}')
        return torch.as_tensor(reg[:17], dtype=torch.float32)

    def _regress(self, vertices: torch.Tensor) -> torch.Tensor:
        """Joints of the protocol's convention, (B, 17, 3), from vertices (B, V, 3)."""
        num_vertices = self._body_model('neutral').num_vertices
        if vertices.shape[1] != num_vertices:
            raise ValueError(f'MeshMetric({self.dataset}): meshes of {vertices.shape[1]} vertices '
                             f'do not fit the body model ({num_vertices} vertices)')
        if self._mpi_regressor is not None:
            return torch.einsum('jv,bvc->bjc', self._mpi_regressor, vertices)
        return self._body_model('neutral').regress(vertices, 'h36m_17')

    def _pred_vertices(self, samples: List[dict], where: List[str]) -> torch.Tensor:
        if all('pred_vertices' in s or '_pred_vertices' in s for s in samples):
            verts = [_as_tensor(_field(s, 'pred_vertices', w)) for s, w in zip(samples, where)]
            return torch.stack(verts)
        # no vertices stored by the estimator: rebuild them from the predicted parameters
        pose = torch.stack([_as_tensor(_field(s, 'pred_pose', w)) for s, w in zip(samples, where)])
        betas = torch.stack(
            [_as_tensor(_field(s, 'pred_betas', w)) for s, w in zip(samples, where)])
        with torch.no_grad():
            out = self._body_model('neutral')(global_orient=pose[:, :1], body_pose=pose[:, 1:],
                                              betas=betas, pose2rot=False)
        return out['vertices'].float()

    def _gt_vertices(self, samples: List[dict], where: List[str]) -> torch.Tensor:
        genders, poses, betas = [], [], []
        for s, w in zip(samples, where):
            if not bool(np.asarray(s.get('has_smpl', s.get('_has_smpl', True)))):
                raise ValueError(f'{w}: has_smpl is False, but the {self.dataset} protocol builds '
                                 'the GT mesh from "gt_pose" / "gt_betas"')
            gender = 'neutral'
            if self.gt_gender:
                raw = str(np.asarray(s.get('gender', ''))).lower()
                if raw not in _GENDERS:
                    raise ValueError(f'{w}: "gender" is {raw!r}; expected one of '
                                     f'{sorted(_GENDERS)} (or set gt_gender=False)')
                gender = _GENDERS[raw]
            pose = _as_tensor(_field(s, 'gt_pose', w))
            if pose.numel() != 72:
                raise ValueError(f'{w}: "gt_pose" must hold 24 x 3 axis-angle values, got shape '
                                 f'{tuple(pose.shape)}')
            genders.append(gender)
            poses.append(pose.reshape(24, 3))
            betas.append(_as_tensor(_field(s, 'gt_betas', w)).reshape(-1))
        pose, beta = torch.stack(poses), torch.stack(betas)
        verts = None
        for gender in sorted(set(genders)):
            idx = torch.tensor([i for i, g in enumerate(genders) if g == gender])
            with torch.no_grad():
                out = self._body_model(gender)(global_orient=pose[idx, 0],
                                               body_pose=pose[idx, 1:].reshape(-1, 69),
                                               betas=beta[idx])
            v = out['vertices'].float()
            if verts is None:
                verts = v.new_zeros((len(samples), ) + tuple(v.shape[1:]))
            verts[idx] = v
        return verts

    @staticmethod
    def _convention(sample: dict, where: str) -> str:
        name = sample.get('convention')
        if name is None:
            raise KeyError(f'{where}: the data sample has no metainfo "convention" (the keypoint '
                           'convention, set by PackHumanInputs from the dataset)')
        get_keypoint_names(name)  # unknown names raise, listing the known ones
        return name

    def _keypoints(self, sample: dict, key: str, dim: int, where: str):
        """``key`` of ``sample`` in the eval convention: ``(17, dim)`` values and validity."""
        conv = self._convention(sample, where)
        k = np.asarray(_as_tensor(_field(sample, key, where)), dtype=np.float64)
        if k.shape != (len(get_keypoint_names(conv)), dim):
            raise ValueError(f'{where}: "{key}" of shape {k.shape} is not (K, {dim}) in '
                             f'convention {conv!r}')
        out, mask = convert_kps(k, conv, self.protocol['eval_convention'])
        return out, mask > 0

    def _gt_joints(self, samples: List[dict], where: List[str]):
        """GT joints of the eval convention (B, 17, 3) and their validity (B, 17)."""
        names = get_keypoint_names(self.protocol['eval_convention'])
        kps, masks = [], []
        for s, w in zip(samples, where):
            if not bool(np.asarray(s.get('has_keypoints3d', s.get('_has_keypoints3d', True)))):
                raise ValueError(f'{w}: has_keypoints3d is False, but the {self.dataset} '
                                 'protocol reads GT joints from "gt_keypoints3d"')
            conv, valid = self._keypoints(s, 'gt_keypoints3d', 4, w)
            valid &= conv[:, 3] > 0
            top, extra = names_to_indices(self.protocol['eval_convention'],
                                          ['headtop', 'head_extra'])
            if self.protocol['eval_convention'] == 'h36m_17' and s['convention'] in (
                    'smpl_49', 'spin_24') and not valid[top] and valid[extra]:
                conv[top], valid[top] = conv[extra], True  # SPIN files: head top in head_extra
            if not valid[self._root]:
                raise ValueError(f'{w}: "gt_keypoints3d" has no valid pelvis '
                                 f'({names[self._root]})')
            kps.append(conv[:, :3])
            masks.append(valid)
        return np.stack(kps), np.stack(masks)

    def _mupots_records(self, samples: List[dict], where: List[str], pred_j: np.ndarray,
                        gt_j: np.ndarray, valid: np.ndarray) -> List[dict]:
        """Per sample: what the official MuPoTS evaluation needs (see ``mupots.frame_errors``)."""
        out = []
        for i, (s, w) in enumerate(zip(samples, where)):
            ids = mupots.parse_mupots_path(s.get('img_path', ''))
            if ids is None:
                raise ValueError(
                    f'{w}: MuPoTS 3DPCK needs the sequence and frame of every sample, read from '
                    f'key "image_path" as .../TS<s>/img_<frame>.jpg (file '
                    f'{(self.dataset_meta or {}).get("ann_file", "unknown")})')
            if not valid[i].all():
                raise ValueError(f'{w}: MuPoTS 3DPCK needs all 17 GT joints in "gt_keypoints3d"')
            if bool(s.get('flip', False)):
                raise ValueError(f'{w}: a flipped test sample cannot be matched in the image')
            gt2d, gt_vis = self._keypoints(s, 'gt_keypoints2d', 3, w)
            gt_vis &= gt2d[:, 2] > 0
            pred2d, pred_vis = self._keypoints(s, 'pred_keypoints2d', 2, w)
            warp = _field(s, 'warp_mat', w)
            gt2d = _to_image(gt2d[:, :2], warp, w)
            pred2d = np.where(pred_vis[:, None], _to_image(pred2d, warp, w), 0.)
            pred_vis &= (pred2d != 0).any(-1)  # (0, 0) is "not predicted" to the official code
            out.append(dict(sequence=ids[0], frame=ids[1], order=_field(s, 'sample_idx', w),
                            gt3d=gt_j[i] * 1000., pred3d=pred_j[i] * 1000., gt2d=gt2d,
                            gt_vis=gt_vis, pred2d=pred2d, pred_vis=pred_vis))
        return out

    # ------------------------------------------------------------------ BaseMetric API
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Store root-centred pred / GT joints (metres), their mask and the per-sample MPVPE."""
        samples = [s.to_dict() if hasattr(s, 'to_dict') else s for s in data_samples]
        where = [f'MeshMetric({self.dataset}) sample_idx={s.get("sample_idx")} '
                 f'img_path={s.get("img_path")}' for s in samples]
        joints, root = self._eval_idx, self._root
        pred_v = self._pred_vertices(samples, where)
        with torch.no_grad():
            pred_j = self._regress(pred_v).double().numpy()
        pred_root = pred_j[:, root:root + 1]
        pve, records = [None] * len(samples), [None] * len(samples)
        if self.protocol['gt'] == 'mesh':
            gt_v = self._gt_vertices(samples, where)
            if gt_v.shape != pred_v.shape:
                raise ValueError(f'MeshMetric({self.dataset}): predicted meshes '
                                 f'{tuple(pred_v.shape)} and GT meshes {tuple(gt_v.shape)} differ')
            with torch.no_grad():
                gt_j = self._regress(gt_v).double().numpy()
            gt_root = gt_j[:, root:root + 1]
            valid = np.ones(gt_j.shape[:2], dtype=bool)
            pve, _ = mpvpe(pred_v.double().numpy() - pred_root, gt_v.double().numpy() - gt_root)
        else:
            gt_j, valid = self._gt_joints(samples, where)
            gt_root = gt_j[:, root:root + 1]
        if self.dataset == 'mupots':
            records = self._mupots_records(samples, where, pred_j - pred_root, gt_j - gt_root,
                                           valid)
        pred, gt, mask = pred_j[:, joints] - pred_root, gt_j[:, joints] - gt_root, valid[:, joints]
        for i, s in enumerate(samples):
            self.results.append(dict(sample_idx=s.get('sample_idx'), pred=pred[i], gt=gt[i],
                                     mask=mask[i], pve=pve[i], mupots=records[i]))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """MPJPE / PA-MPJPE over all samples (MPVPE for 3DPW, 3DPCK / AUC for MuPoTS)."""
        if not results:
            raise ValueError(f'MeshMetric({self.dataset}): no results to evaluate')
        pred = np.stack([r['pred'] for r in results])
        gt = np.stack([r['gt'] for r in results])
        mask = np.stack([r['mask'] for r in results])
        metrics = OrderedDict()
        metrics['mpjpe'] = mpjpe(pred, gt, mask)[1] * 1000.
        metrics['pa-mpjpe'] = pa_mpjpe(pred, gt, mask)[1] * 1000.
        if self.protocol['gt'] == 'mesh':
            metrics['pve'] = float(np.mean([r['pve'] for r in results])) * 1000.
        if self.dataset == 'mupots':
            metrics.update(self._mupots_metrics([r['mupots'] for r in results]))
        skipped = int(mask.size - mask.sum())
        print_log(f'MeshMetric({self.dataset}): {len(results)} samples, {mask.shape[1]} joints, '
                  f'{skipped} GT joint entries without confidence left out; '
                  f'{self._gt_description()}', logger='current')
        return metrics

    def _mupots_metrics(self, records: List[dict]) -> Dict[str, float]:
        errors, matched, frames = mupots.frame_errors(records)
        scores = mupots.sequence_scores(errors, matched)
        people = sum(len(m) for m in matched.values())
        hits = sum(int(m.sum()) for m in matched.values())
        print_log(f'MeshMetric(mupots): {len(errors)} sequences, {len(frames)} frames, '
                  f'{people} annotated people, {people - hits} without a matched prediction '
                  f'(misses in 3dpck / auc; left out of the "-matched" values, which average '
                  f'{scores["sequences-matched"]} sequences)', logger='current')
        if self.export_dir is not None:
            paths = mupots.export_official(self.export_dir, frames)
            print_log(f'MeshMetric(mupots): predictions for the official evaluation written to '
                      f'{paths[0]} and {paths[1]}', logger='current')
        return {k: scores[k] for k in ('3dpck', 'auc', '3dpck-matched', 'auc-matched')}
