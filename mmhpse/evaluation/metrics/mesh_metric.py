"""MPJPE / PA-MPJPE / MPVPE of 3D human meshes under the 3DPW, Human3.6M and MuPoTS protocols."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmhpse.conventions import H36M_TO_LSP14, convert_kps, get_keypoint_names
from mmhpse.registry import METRICS, MODELS
from ..functional import mpjpe, mpvpe, pa_mpjpe

_GENDERS = {'neutral': 'neutral', 'n': 'neutral', 'male': 'male', 'm': 'male',
            'female': 'female', 'f': 'female'}

# per protocol: prefix of the logged keys, where the GT comes from, the convention the regressor
# (and the GT) is read in, the evaluated joints of that convention and the root joint
PROTOCOLS = {
    '3dpw': dict(prefix='3dpw', gt='mesh', eval_convention='h36m_17',
                 joints=list(H36M_TO_LSP14), root=0),
    'h36m_p1': dict(prefix='h36m_p1', gt='keypoints3d', eval_convention='h36m_17',
                    joints=list(H36M_TO_LSP14), root=0),
    'h36m_p2': dict(prefix='h36m', gt='keypoints3d', eval_convention='h36m_17',
                    joints=list(H36M_TO_LSP14), root=0),
    'mupots': dict(prefix='mupots', gt='keypoints3d', eval_convention='mpi_inf_3dhp_17',
                   joints=list(range(17)), root=14),
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


@METRICS.register_module()
class MeshMetric(BaseMetric):
    """MPJPE, PA-MPJPE and MPVPE (mmhuman3d names ``mpjpe``, ``pa-mpjpe``, ``pve``), in mm.

    Logged keys are ``<prefix>/mpjpe``, ``<prefix>/pa-mpjpe`` and, for 3DPW, ``<prefix>/pve``;
    the prefix defaults to ``'3dpw'``, ``'h36m'`` (``h36m_p2``), ``'h36m_p1'`` or ``'mupots'``, so a
    run's ``vis_data/scalars.json`` holds e.g. ``"3dpw/pa-mpjpe"``.

    Protocols (``dataset``):

    - ``'3dpw'``: GT mesh from the GT SMPL parameters (``gt_pose``, ``gt_betas``) with the GT
      gender (``gt_gender=True``, as mmhuman3d) or the neutral model (``gt_gender=False``, as the
      authors' code); joints = H36M regressor on each mesh -> 17 -> 14 LSP joints; prediction and
      GT are each centred on their own pelvis (H36M joint 0). MPVPE over all vertices, each mesh
      centred on its own regressed pelvis.
    - ``'h36m_p2'`` / ``'h36m_p1'``: GT joints from ``gt_keypoints3d`` (convention
      ``gt_convention``) read as H36M-17 by joint name, the same 14 joints and pelvis centring;
      prediction from the H36M regressor on ``pred_vertices``; no MPVPE. SPIN-made files keep the
      H36M head top in SPIN's ``Head (H36M)`` slot (``head_extra``) and leave ``headtop`` empty:
      for ``smpl_49`` / ``spin_24`` GT, a sample whose ``headtop`` has no confidence uses
      ``head_extra`` (which is what SPIN's ``J24_TO_J14`` evaluates).
    - ``'mupots'``: 17 MPI-INF-3DHP test joints, pelvis (joint 14) centred; prediction from an
      MPI-INF-3DHP regressor ``(>= 17, V)`` (first 17 rows, as the authors' code), found at
      ``joint_regressor_mpi_inf_3dhp`` or as ``J_regressor_mi_smpl.npy`` beside the body model.

    GT joints with zero confidence are left out of the errors (and of the Procrustes fit); a
    sample without a GT pelvis is an error.

    Args:
        dataset (str): ``'3dpw'``, ``'h36m_p2'``, ``'h36m_p1'`` or ``'mupots'``.
        body_model (dict): Config of ``mmhpse.models.body_models.SMPL`` (``type='SMPL'``,
            ``model_path``, ``joint_regressor_h36m``, ...); its ``gender`` is set per use.
        gt_gender (bool): 3DPW GT meshes from the gendered (True) or neutral (False) model.
        gt_convention (str): Keypoint convention of ``gt_keypoints3d``. Defaults to ``'smpl_49'``.
        joint_regressor_mpi_inf_3dhp (str, optional): ``.npy`` regressor for ``'mupots'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``. prefix (str, optional): overrides the
            protocol's prefix. collect_dir (str, optional): see mmengine's ``BaseMetric``.
    """

    def __init__(self,
                 dataset: str = '3dpw',
                 body_model: Optional[dict] = None,
                 gt_gender: bool = True,
                 gt_convention: str = 'smpl_49',
                 joint_regressor_mpi_inf_3dhp: Optional[str] = None,
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
        self.gt_gender = bool(gt_gender)
        self.gt_convention = gt_convention
        get_keypoint_names(gt_convention)  # unknown names raise, listing the known ones
        self._body_models: Dict[str, torch.nn.Module] = {}
        self._mpi_regressor = None
        if dataset == 'mupots':
            self._mpi_regressor = self._load_mpi_regressor(joint_regressor_mpi_inf_3dhp)
        print_log(f'MeshMetric({dataset}): {self._gt_description()}', logger='current')

    # ------------------------------------------------------------------ helpers
    def _gt_description(self) -> str:
        if self.protocol['gt'] == 'mesh':
            kind = 'gendered (per-sample GT gender)' if self.gt_gender else 'neutral'
            return f'GT meshes from the {kind} SMPL model (gt_gender={self.gt_gender})'
        return f'GT joints from gt_keypoints3d ({self.gt_convention})'

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

    def _gt_joints(self, samples: List[dict], where: List[str]):
        """GT joints of the eval convention (B, 17, 3) and their validity (B, 17)."""
        dst = self.protocol['eval_convention']
        kps, masks = [], []
        for s, w in zip(samples, where):
            if not bool(np.asarray(s.get('has_keypoints3d', s.get('_has_keypoints3d', True)))):
                raise ValueError(f'{w}: has_keypoints3d is False, but the {self.dataset} '
                                 'protocol reads GT joints from "gt_keypoints3d"')
            k = np.asarray(_as_tensor(_field(s, 'gt_keypoints3d', w)), dtype=np.float64)
            if k.ndim != 2 or k.shape != (len(get_keypoint_names(self.gt_convention)), 4):
                raise ValueError(f'{w}: "gt_keypoints3d" of shape {k.shape} is not (K, 4) in '
                                 f'convention {self.gt_convention!r}')
            conv, mask = convert_kps(k, self.gt_convention, dst)
            valid = (mask > 0) & (conv[:, 3] > 0)
            if dst == 'h36m_17' and self.gt_convention in ('smpl_49', 'spin_24') \
                    and not valid[10] and valid[9]:
                conv[10], valid[10] = conv[9], True  # SPIN files: head top in 'head_extra'
            if not valid[self.protocol['root']]:
                raise ValueError(f'{w}: "gt_keypoints3d" has no valid pelvis '
                                 f'({get_keypoint_names(dst)[self.protocol["root"]]})')
            kps.append(conv[:, :3])
            masks.append(valid)
        return np.stack(kps), np.stack(masks)

    # ------------------------------------------------------------------ BaseMetric API
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Store root-centred pred / GT joints (metres), their mask and the per-sample MPVPE."""
        samples = [s.to_dict() if hasattr(s, 'to_dict') else s for s in data_samples]
        where = [f'MeshMetric({self.dataset}) sample_idx={s.get("sample_idx")} '
                 f'img_path={s.get("img_path")}' for s in samples]
        joints, root = self.protocol['joints'], self.protocol['root']
        pred_v = self._pred_vertices(samples, where)
        with torch.no_grad():
            pred_j = self._regress(pred_v).double().numpy()
        pred_root = pred_j[:, root:root + 1]
        pred = pred_j[:, joints] - pred_root
        pve = [None] * len(samples)
        if self.protocol['gt'] == 'mesh':
            gt_v = self._gt_vertices(samples, where)
            if gt_v.shape != pred_v.shape:
                raise ValueError(f'MeshMetric({self.dataset}): predicted meshes '
                                 f'{tuple(pred_v.shape)} and GT meshes {tuple(gt_v.shape)} differ')
            with torch.no_grad():
                gt_j = self._regress(gt_v).double().numpy()
            gt_root = gt_j[:, root:root + 1]
            gt, mask = gt_j[:, joints] - gt_root, np.ones(pred.shape[:2], dtype=bool)
            pve, _ = mpvpe(pred_v.double().numpy() - pred_root, gt_v.double().numpy() - gt_root)
        else:
            gt_j, valid = self._gt_joints(samples, where)
            gt, mask = gt_j[:, joints] - gt_j[:, root:root + 1], valid[:, joints]
        for i, s in enumerate(samples):
            self.results.append(dict(sample_idx=s.get('sample_idx'), pred=pred[i], gt=gt[i],
                                     mask=mask[i], pve=pve[i]))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Batched MPJPE / PA-MPJPE over all samples (and mean MPVPE for 3DPW), in mm."""
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
        skipped = int(mask.size - mask.sum())
        print_log(f'MeshMetric({self.dataset}): {len(results)} samples, {mask.shape[1]} joints, '
                  f'{skipped} GT joint entries without confidence left out; '
                  f'{self._gt_description()}', logger='current')
        return metrics
