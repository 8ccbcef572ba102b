"""Base of the SMPL regression heads: body model, crop camera and losses built from config.

As mmpose's ``RegressionHead``: a head's ``forward`` gives the network outputs; :meth:`loss` and
:meth:`predict` decode them (SMPL mesh and joints, camera translation, 2D joints) and compare them
with the ground truth of the data samples, or write them into the samples.
"""
from typing import Callable, Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import BaseModule

from mmhpse.conventions import get_keypoint_num, same_joints
from mmhpse.registry import MODELS
from mmhpse.structures import HumanDataSample
from .. import body_models, losses  # noqa: F401  (register the SMPL and loss types built here)
from ..utils import WeakPerspectiveCamera, load_smpl_mean_params

__all__ = ['MeshRegressionHead']

Feats = Union[torch.Tensor, Sequence[torch.Tensor]]


class MeshRegressionHead(BaseModule):
    """Owns the body model, the camera and the loss terms of an SMPL regressor.

    Subclasses implement :meth:`forward`, returning at least ``pred_pose (B, 24, 3, 3)``,
    ``pred_betas (B, 10)`` and ``pred_cam (B, 3)``.

    Args:
        body_model (dict, optional): ``SMPL`` config; its ``joints_convention`` is the
            convention the GT keypoints must have (compared by joint names). Needed by
            :meth:`loss` and :meth:`predict`.
        camera (dict): Crop camera (``mmhpse.models.utils.camera``). Defaults to
            ``WeakPerspectiveCamera`` with focal length 5000 px.
        img_size (int | tuple[int, int], optional): Crop size ``(H, W)``; the estimator passes
            its ``img_res``.
        loss_keypoints3d (dict, optional): GT 3D keypoints vs predicted joints, root-centred
            (``Keypoint3DLoss``), samples with ``has_keypoints3d`` only.
        loss_smpl_joints (dict, optional): joints of the GT SMPL parameters vs predicted joints,
            samples with ``has_smpl`` only.
        loss_keypoints2d (dict, optional): GT 2D keypoints vs projected joints.
        loss_smpl_pose (dict, optional): SMPL pose (``SMPLPoseLoss``).
        loss_smpl_betas (dict, optional): SMPL shape (``SMPLBetasLoss``).
        loss_camera (dict, optional): camera prior (``CameraPriorLoss``).
        normalize_keypoints2d (bool): Compare 2D keypoints in normalised crop coordinates
            (``camera.normalize``, SPIN / PARE) instead of crop pixels. Defaults to True.
        gt_betas_limit (float, optional): A GT shape with any ``|beta|`` above it is replaced
            by the mean shape (zeros) in the shape and SMPL-joint terms (3 in Choi et al.'s
            code); None keeps every GT shape. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    LOSS_TERMS = ('keypoints3d', 'smpl_joints', 'keypoints2d', 'smpl_pose', 'smpl_betas',
                  'camera')

    def __init__(self,
                 body_model: Optional[dict] = None,
                 camera: dict = dict(type='WeakPerspectiveCamera', focal_length=5000.),
                 img_size: Optional[Union[int, Sequence[int]]] = None,
                 loss_keypoints3d: Optional[dict] = None,
                 loss_smpl_joints: Optional[dict] = None,
                 loss_keypoints2d: Optional[dict] = None,
                 loss_smpl_pose: Optional[dict] = None,
                 loss_smpl_betas: Optional[dict] = None,
                 loss_camera: Optional[dict] = None,
                 normalize_keypoints2d: bool = True,
                 gt_betas_limit: Optional[float] = None,
                 init_cfg: Optional[Union[dict, list]] = None):
        super().__init__(init_cfg=init_cfg)
        self.body_model = MODELS.build(body_model) if body_model is not None else None
        self.camera = MODELS.build(camera)
        if isinstance(img_size, int):
            img_size = (img_size, img_size)
        self.img_size = tuple(img_size) if img_size is not None else None
        cfgs = (loss_keypoints3d, loss_smpl_joints, loss_keypoints2d, loss_smpl_pose,
                loss_smpl_betas, loss_camera)
        self.losses = torch.nn.ModuleDict({
            name: MODELS.build(cfg)
            for name, cfg in zip(self.LOSS_TERMS, cfgs) if cfg is not None
        })
        self.normalize_keypoints2d = normalize_keypoints2d
        self.gt_betas_limit = gt_betas_limit
        if 'camera' in self.losses and not isinstance(self.camera, WeakPerspectiveCamera):
            raise ValueError(f'loss_camera keeps a weak-perspective scale positive, but the '
                             f'camera is {type(self.camera).__name__}; drop loss_camera')

    def _register_mean_params(self, path: Optional[str], num_joints: int) -> None:
        """Buffers ``init_pose (1, J * 6)``, ``init_shape (1, 10)``, ``init_cam (1, 3)``."""
        mean = load_smpl_mean_params(path, num_joints)
        for key in ('pose', 'shape', 'cam'):
            self.register_buffer(f'init_{key}', mean[key][None])

    @staticmethod
    def _small_init(*layers: torch.nn.Linear) -> None:
        """Xavier-uniform weights with gain 0.01 and zero biases (SPIN's init of its final
        regression layers)."""
        for layer in layers:
            torch.nn.init.xavier_uniform_(layer.weight, gain=0.01)
            torch.nn.init.zeros_(layer.bias)

    @staticmethod
    def _last_map(feats: Feats) -> torch.Tensor:
        """The last feature map of a tuple / list, or the tensor itself."""
        return feats[-1] if isinstance(feats, (tuple, list)) else feats

    # ------------------------------------------------------------------ decoding
    def _body(self):
        if self.body_model is None:
            raise ValueError(f'{type(self).__name__} has no body_model: give head.body_model '
                             '(or the estimator\'s body_model) to decode meshes')
        if self.img_size is None:
            raise ValueError(f'{type(self).__name__} has no img_size: give the crop size '
                             '(H, W) as head.img_size or the estimator\'s img_res')
        return self.body_model

    def decode(self, out: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Add the SMPL mesh and joints, the camera translation and 2D joints to ``out``.

        Adds ``pred_vertices (B, V, 3)``, ``pred_joints (B, J, 3)`` (body frame, metres),
        ``joints_mask (J,)`` (joints the body model can give), ``pred_transl (B, 3)`` and
        ``pred_keypoints2d (B, J, 2)`` (crop pixels).
        """
        body = self._body()
        rotmat = out['pred_pose']
        smpl = body(global_orient=rotmat[:, :1], body_pose=rotmat[:, 1:],
                    betas=out['pred_betas'], pose2rot=False)
        joints = smpl['joints']
        transl = self.camera.translation(out['pred_cam'], self.img_size)
        out.update(
            joints_mask=smpl['joints_mask'].to(joints).reshape(joints.shape[1]),
            pred_vertices=smpl['vertices'],
            pred_joints=joints,
            pred_transl=transl,
            pred_keypoints2d=self.camera.project(joints, transl, self.img_size))
        return out

    # ------------------------------------------------------------------ mmpose-style API
    def loss(self, feats: Feats, data_samples: List[HumanDataSample]) -> Dict[str, torch.Tensor]:
        """Losses of one batch, each weighted by its config's ``loss_weight``."""
        out = self.decode(self.forward(feats))
        gt = _Stacker(data_samples, out['pred_joints'], dict(gt_betas=self._limit_betas))
        return {
            f'loss_{name}': loss(**getattr(self, f'_inputs_{name}')(out, gt))
            for name, loss in self.losses.items()
        }

    def predict(self, feats: Feats,
                data_samples: Optional[List[HumanDataSample]] = None) -> List[HumanDataSample]:
        """Fill the ``pred_*`` fields (detached) of each data sample (new samples when None)."""
        out = self.decode(self.forward(feats))
        if data_samples is None:
            data_samples = [HumanDataSample() for _ in range(out['pred_cam'].shape[0])]
        for i, sample in enumerate(data_samples):
            for key in ('pred_pose', 'pred_betas', 'pred_cam', 'pred_vertices', 'pred_joints',
                        'pred_keypoints2d'):
                setattr(sample, key, out[key][i].detach())
            sample.set_field(out['pred_transl'][i].detach(), 'pred_transl')
        return data_samples

    # ------------------------------------------------------------------ loss inputs
    def _limit_betas(self, betas: torch.Tensor) -> torch.Tensor:
        """``(B, 10)`` GT shapes, those with any ``|beta| > gt_betas_limit`` set to zeros."""
        if self.gt_betas_limit is None:
            return betas
        far = (betas.abs() > self.gt_betas_limit).any(dim=1, keepdim=True)
        return torch.where(far, torch.zeros_like(betas), betas)

    def _gt_keypoints(self, gt: '_Stacker', key: str) -> torch.Tensor:
        """Stacked GT keypoints whose convention names the body model's joints."""
        conv = self.body_model.joints_convention
        for i, sample in enumerate(gt.samples):
            name = sample.metainfo.get('convention')
            if name is None or not same_joints(name, conv):
                raise ValueError(
                    f'data sample {i} (sample_idx={sample.get("sample_idx")}, img_path='
                    f'{sample.get("img_path")}): {key} has keypoint convention {name!r} but the '
                    f'body model gives {conv!r} joints; set the dataset\'s convention to {conv!r}')
        kps = gt(key)
        if kps.shape[1] != get_keypoint_num(conv):
            raise ValueError(f'{key} has {kps.shape[1]} keypoints but the body model gives '
                             f'{get_keypoint_num(conv)} joints ({conv})')
        return kps

    def _inputs_keypoints3d(self, out, gt) -> dict:
        kps = self._gt_keypoints(gt, 'gt_keypoints3d')
        weight = kps[..., 3] * out['joints_mask'] * gt('has_keypoints3d').reshape(-1, 1)
        return dict(pred=out['pred_joints'], target=kps[..., :3], weight=weight,
                    convention=self.body_model.joints_convention)

    def _inputs_smpl_joints(self, out, gt) -> dict:
        pose = gt('gt_pose')
        with torch.no_grad():
            target = self.body_model(global_orient=pose[:, 0], body_pose=pose[:, 1:].flatten(1),
                                     betas=gt('gt_betas'), pose2rot=True)['joints']
        weight = out['joints_mask'][None] * gt('has_smpl').reshape(-1, 1)
        return dict(pred=out['pred_joints'], target=target, weight=weight,
                    convention=self.body_model.joints_convention)

    def _inputs_keypoints2d(self, out, gt) -> dict:
        kps = self._gt_keypoints(gt, 'gt_keypoints2d')
        pred, target = out['pred_keypoints2d'], kps[..., :2]
        if self.normalize_keypoints2d:
            pred = self.camera.normalize(pred, self.img_size)
            target = self.camera.normalize(target, self.img_size)
        return dict(pred=pred, target=target, weight=kps[..., 2] * out['joints_mask'])

    def _inputs_smpl_pose(self, out, gt) -> dict:
        return dict(pred_rotmat=out['pred_pose'], gt_pose=gt('gt_pose'),
                    has_smpl=gt('has_smpl').reshape(-1))

    def _inputs_smpl_betas(self, out, gt) -> dict:
        return dict(pred_betas=out['pred_betas'], gt_betas=gt('gt_betas'),
                    has_smpl=gt('has_smpl').reshape(-1))

    def _inputs_camera(self, out, gt) -> dict:
        return dict(pred_cam=out['pred_cam'])


class _Stacker:
    """Batch tensors of data-sample fields, stacked once on the device / dtype of ``like`` and
    passed through ``edits[key]`` where given."""

    def __init__(self, samples: List[HumanDataSample], like: torch.Tensor,
                 edits: Optional[Dict[str, Callable]] = None):
        self.samples = samples
        self._like = like
        self._edits = edits or {}
        self._cache: Dict[str, torch.Tensor] = {}

    def __call__(self, key: str) -> torch.Tensor:
        if key not in self._cache:
            value = HumanDataSample.stack(self.samples, key, self._like.device)
            value = value.to(self._like.dtype)
            self._cache[key] = self._edits[key](value) if key in self._edits else value
        return self._cache[key]
