"""Single-image 3D human mesh estimator: backbone -> (neck) -> head (SMPL, camera, losses)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModel

from mmhpse.registry import MODELS
from mmhpse.structures import HumanDataSample

__all__ = ['ImageMeshEstimator']


@MODELS.register_module()
class ImageMeshEstimator(BaseModel):
    """Regress SMPL parameters and a camera from a person crop (wiring, as mmpose's
    ``TopdownPoseEstimator``): the head owns the body model, the camera and the losses.

    Args:
        backbone (dict): Backbone config, e.g. ``dict(type='mmpretrain.ResNet', depth=50,
            out_indices=(3, ))``; a frozen backbone is ResNet's ``frozen_stages=4`` and
            ``norm_eval=True``.
        head (dict): ``PAREHead`` / ``PAREC5Head`` / ``HMRHead`` config
            (:class:`~mmhpse.models.heads.MeshRegressionHead`).
        body_model (dict, optional): ``SMPL`` config, handed to the head as its ``body_model``
            (the way mmdet hands ``train_cfg`` to its heads).
        neck (dict, optional): e.g. ``MultiScaleFuseNeck`` for HRNet.
        data_preprocessor (dict, optional): e.g. ``dict(type='ImgDataPreprocessor', mean=...,
            std=..., bgr_to_rgb=True)``.
        img_res (int | tuple[int, int], optional): Crop size ``(H, W)``, handed to the head as
            its ``img_size``; inputs of another size are refused.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 body_model: Optional[dict] = None,
                 neck: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 img_res: Optional[Union[int, Sequence[int]]] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        head = dict(head)
        if body_model is not None:
            head['body_model'] = body_model
        if img_res is not None:
            head['img_size'] = img_res
        self.head = MODELS.build(head)

    def extract_feat(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Backbone (+ neck) features of ``inputs (B, 3, H, W)``."""
        size = tuple(inputs.shape[-2:])
        if self.head.img_size is not None and size != self.head.img_size:
            raise ValueError(f'inputs have size {size} but the estimator was configured with '
                             f'img_res={self.head.img_size}')
        feats = self.backbone(inputs)
        return self.neck(feats) if self.neck is not None else feats

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[HumanDataSample]] = None,
                mode: str = 'tensor'):
        """``'loss'``: dict of losses; ``'predict'``: data samples with ``pred_*`` fields;
        ``'tensor'``: the head's outputs decoded (mesh, joints, translation, 2D joints)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.head.decode(self.head(self.extract_feat(inputs)))
        raise ValueError(f'mode must be "loss", "predict" or "tensor", got "{mode}"')

    def loss(self, inputs: torch.Tensor,
             data_samples: List[HumanDataSample]) -> Dict[str, torch.Tensor]:
        """Losses of one batch (see the head's ``loss``)."""
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[HumanDataSample]] = None) -> List[HumanDataSample]:
        """Fill ``pred_*`` fields of each data sample (new samples when None)."""
        return self.head.predict(self.extract_feat(inputs), data_samples)
