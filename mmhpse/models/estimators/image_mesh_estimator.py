"""Single-image 3D human mesh estimator: backbone -> (neck) -> head -> SMPL -> losses."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModel

from mmhpse.registry import MODELS
from mmhpse.structures import HumanDataSample
from mmhpse.utils.geometry import axis_angle_to_rotmat
from ..utils import perspective_projection, pixels_to_normalized, weak_perspective_to_translation

__all__ = ['ImageMeshEstimator']

_LOSS_NAMES = ('keypoints3d', 'smpl_joints', 'keypoints2d', 'smpl_pose', 'smpl_betas', 'camera')


@MODELS.register_module()
class ImageMeshEstimator(BaseModel):
    """Regress SMPL parameters and a camera from a person crop.

    Args:
        backbone (dict): Backbone config, e.g. ``dict(type='mmpretrain.ResNet', depth=50,
            out_indices=(3, ))``.
        head (dict): ``PAREHead`` / ``PAREC5Head`` / ``HMRHead`` config.
        body_model (dict): ``SMPL`` config (``mmhpse.models.body_models``); its ``joints``
            (``smpl_49``) are compared with the GT keypoints, which must use the same convention.
        neck (dict, optional): e.g. ``MultiScaleFuseNeck`` for HRNet.
        data_preprocessor (dict, optional): e.g. ``dict(type='ImgDataPreprocessor', mean=...,
            std=..., bgr_to_rgb=True)``.
        loss_keypoints3d (dict, optional): GT 3D keypoints vs predicted joints
            (``Keypoint3DLoss``, root-centred), samples with ``has_keypoints3d`` only.
        loss_smpl_joints (dict, optional): joints of the GT SMPL parameters vs predicted joints,
            samples with ``has_smpl`` only.
        loss_keypoints2d (dict, optional): GT 2D keypoints vs projected joints, both normalised
            by the crop (:func:`mmhpse.models.utils.pixels_to_normalized`).
        loss_smpl_pose (dict, optional): rotation matrices of the pose (``SMPLPoseLoss``).
        loss_smpl_betas (dict, optional): shape coefficients (``SMPLBetasLoss``).
        loss_camera (dict, optional): camera prior (``CameraPriorLoss``).
        focal_length (float): Focal length of the crop camera in pixels. Defaults to 5000.
        img_res (int | tuple[int, int], optional): Crop size ``(H, W)``; checked against the
            inputs. None: taken from the inputs.
        norm_size (float, optional): Normalising length of the camera rule; ``max(H, W)`` when
            None (see :mod:`mmhpse.models.utils.camera`).
        frozen_backbone (bool): Keep the backbone in eval mode without gradients (linear-probe
            style evaluation of a pre-training). Defaults to False.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 body_model: dict,
                 neck: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 loss_keypoints3d: Optional[dict] = None,
                 loss_smpl_joints: Optional[dict] = None,
                 loss_keypoints2d: Optional[dict] = None,
                 loss_smpl_pose: Optional[dict] = None,
                 loss_smpl_betas: Optional[dict] = None,
                 loss_camera: Optional[dict] = None,
                 focal_length: float = 5000.,
                 img_res: Optional[Union[int, Sequence[int]]] = None,
                 norm_size: Optional[float] = None,
                 frozen_backbone: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)
        self.body_model = MODELS.build(body_model)
        cfgs = (loss_keypoints3d, loss_smpl_joints, loss_keypoints2d, loss_smpl_pose,
                loss_smpl_betas, loss_camera)
        self.losses = torch.nn.ModuleDict(
            {name: MODELS.build(cfg)
             for name, cfg in zip(_LOSS_NAMES, cfgs) if cfg is not None})
        self.focal_length = float(focal_length)
        if isinstance(img_res, int):
            img_res = (img_res, img_res)
        self.img_res = tuple(img_res) if img_res is not None else None
        self.norm_size = norm_size
        self.frozen_backbone = frozen_backbone
        if frozen_backbone:
            self.backbone.requires_grad_(False)
            self.backbone.eval()

    def train(self, mode: bool = True):
        super().train(mode)
        if self.frozen_backbone:
            self.backbone.eval()
        return self

    # ------------------------------------------------------------------ forward pieces
    def extract_feat(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Backbone (+ neck) features of ``inputs (B, 3, H, W)``."""
        if self.frozen_backbone:
            with torch.no_grad():
                feats = self.backbone(inputs)
        else:
            feats = self.backbone(inputs)
        if self.neck is not None:
            feats = self.neck(feats)
        return feats

    def _crop_size(self, inputs: torch.Tensor) -> Tuple[int, int]:
        size = tuple(inputs.shape[-2:])
        if self.img_res is not None and size != self.img_res:
            raise ValueError(f'inputs have size {size} but the estimator was configured with '
                             f'img_res={self.img_res}')
        return size

    def _run(self, inputs: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Head outputs plus SMPL mesh/joints, camera translation and 2D joints (crop pixels).

        Adds ``pred_vertices (B, V, 3)``, ``pred_joints (B, J, 3)`` (body frame, metres),
        ``joints_mask (J,)``, ``pred_transl (B, 3)`` and ``pred_keypoints2d (B, J, 2)``.
        """
        h, w = self._crop_size(inputs)
        out = self.head(self.extract_feat(inputs))
        rotmat = out['pred_pose']
        smpl = self.body_model(
            global_orient=rotmat[:, :1], body_pose=rotmat[:, 1:], betas=out['pred_betas'],
            pose2rot=False)
        transl = weak_perspective_to_translation(
            out['pred_cam'], self.focal_length, (h, w), self.norm_size)
        joints = smpl['joints']
        mask = smpl.get('joints_mask')
        mask = joints.new_ones(joints.shape[1]) if mask is None else torch.as_tensor(
            mask, device=joints.device, dtype=joints.dtype).reshape(joints.shape[1])
        out.update(
            joints_mask=mask,
            pred_vertices=smpl['vertices'],
            pred_joints=joints,
            pred_transl=transl,
            pred_keypoints2d=perspective_projection(smpl['joints'], transl, self.focal_length,
                                                    (w / 2., h / 2.)))
        return out

    # ------------------------------------------------------------------ mmengine API
    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[HumanDataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._run(inputs)
        raise ValueError(f'mode must be "loss", "predict" or "tensor", got "{mode}"')

    def loss(self, inputs: torch.Tensor,
             data_samples: List[HumanDataSample]) -> Dict[str, torch.Tensor]:
        """Losses of one batch (each weighted by its config's ``loss_weight``)."""
        h, w = self._crop_size(inputs)
        out = self._run(inputs)
        dev, dtype = inputs.device, out['pred_joints'].dtype
        stack = lambda key: HumanDataSample.stack(data_samples, key, dev).to(dtype)  # noqa: E731
        pred_joints = out['pred_joints']
        num_joints = pred_joints.shape[1]
        jmask = out['joints_mask']  # (J,): joints the body model can give
        has_smpl = stack('has_smpl').reshape(-1)
        losses = {}
        for name in ('keypoints2d', 'keypoints3d'):
            if name not in self.losses:
                continue
            gt = stack('gt_' + name)
            if gt.shape[1] != num_joints:
                raise ValueError(
                    f'gt_{name} has {gt.shape[1]} keypoints but the body model gives '
                    f'{num_joints} joints: the dataset convention must match (smpl_49)')
            if name == 'keypoints2d':
                norm = lambda k: pixels_to_normalized(k, (h, w), self.norm_size)  # noqa: E731
                losses['loss_keypoints2d'] = self.losses[name](
                    norm(out['pred_keypoints2d']), norm(gt[..., :2]), gt[..., 2] * jmask)
            else:
                weight = gt[..., 3] * jmask * stack('has_keypoints3d').reshape(-1, 1)
                losses['loss_keypoints3d'] = self.losses[name](pred_joints, gt[..., :3], weight)
        gt_pose = stack('gt_pose') if {'smpl_joints', 'smpl_pose'} & set(self.losses) else None
        if 'smpl_joints' in self.losses:
            with torch.no_grad():
                gt_smpl = self.body_model(
                    global_orient=gt_pose[:, 0], body_pose=gt_pose[:, 1:].flatten(1),
                    betas=stack('gt_betas'), pose2rot=True)
            weight = jmask[None] * has_smpl[:, None]
            losses['loss_smpl_joints'] = self.losses['smpl_joints'](
                pred_joints, gt_smpl['joints'], weight)
        if 'smpl_pose' in self.losses:
            losses['loss_smpl_pose'] = self.losses['smpl_pose'](
                out['pred_pose'], axis_angle_to_rotmat(gt_pose), has_smpl)
        if 'smpl_betas' in self.losses:
            losses['loss_smpl_betas'] = self.losses['smpl_betas'](
                out['pred_betas'], stack('gt_betas'), has_smpl)
        if 'camera' in self.losses:
            losses['loss_camera'] = self.losses['camera'](out['pred_cam'])
        return losses

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[HumanDataSample]] = None) -> List[HumanDataSample]:
        """Fill ``pred_*`` fields (detached) of each data sample (new samples when None)."""
        out = self._run(inputs)
        if data_samples is None:
            data_samples = [HumanDataSample() for _ in range(inputs.shape[0])]
        for i, sample in enumerate(data_samples):
            for key in ('pred_pose', 'pred_betas', 'pred_cam', 'pred_vertices', 'pred_joints',
                        'pred_keypoints2d'):
                setattr(sample, key, out[key][i].detach())
            sample.set_field(out['pred_transl'][i].detach(), 'pred_transl')
        return data_samples
