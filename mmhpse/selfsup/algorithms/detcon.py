"""DetCon-B: contrastive detection with a BYOL-style target network (Hénaff et al., ICCV 2021).

Each image comes with an unsupervised segmentation (Felzenszwalb masks, see
``mmhpse/selfsup/transforms/masks.py``) cropped together with each of its two views. Per image,
``num_samples`` mask ids present in both views are drawn (uniformly, with replacement); the C5
feature map is averaged inside each mask (mask area per feature cell as weights), projected
(MLP 2048 → 4096 → 256) and, on the online side, passed through a predictor. The loss is NCE
with temperature ``tau``: an online (image, mask) embedding of one view must pick the target embedding
of the same mask of the same image in the other view among the target embeddings of all masks of
all images of the global batch in both views. Both directions are summed.
"""
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.models.utils import CosineEMA
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from ..dist import gather_rows_with_offset


def detcon_nce_direction(pred: torch.Tensor, ids: torch.Tensor, valid: torch.Tensor,
                         tgt_other: torch.Tensor, tgt_same: torch.Tensor, tgt_ids: torch.Tensor,
                         tgt_valid: torch.Tensor, img_offset: int,
                         temperature: float) -> torch.Tensor:
    """NCE of the online embeddings of one view against the targets of both views.

    Args:
        pred (Tensor): ``(B, S, D)`` L2-normalised online predictions of view a (local batch).
        ids (Tensor): ``(B, S)`` mask ids of ``pred``.
        valid (Tensor): ``(B, S)`` bool, the mask exists in both views.
        tgt_other (Tensor): ``(N, S, D)`` normalised targets of view b, global batch.
        tgt_same (Tensor): ``(N, S, D)`` normalised targets of view a, global batch.
        tgt_ids (Tensor): ``(N, S)`` mask ids of the targets (same in both views).
        tgt_valid (Tensor): ``(N, S)`` bool.
        img_offset (int): Global index of local image 0.
        temperature (float): NCE temperature.

    Returns:
        Tensor: scalar, the mean over anchors of ``CE / area`` where ``area`` is how often the
        anchor's mask id was drawn for its image (each distinct (image, mask) weighs 1), over the
        anchors that have a positive.
    """
    B, S, _ = pred.shape
    N = tgt_other.shape[0]
    img = torch.arange(B, device=pred.device) + img_offset
    tgt_img = torch.arange(N, device=pred.device)
    same_img = img[:, None, None, None] == tgt_img[None, None, :, None]          # B,1,N,1
    same_id = ids[:, :, None, None] == tgt_ids[None, None, :, :]                  # B,S,N,S
    same_obj = same_img & same_id
    tv = tgt_valid[None, None]
    positives = same_obj & tv
    logits_other = torch.einsum('bsd,ntd->bsnt', pred, tgt_other) / temperature
    logits_same = torch.einsum('bsd,ntd->bsnt', pred, tgt_same) / temperature
    neg_inf = torch.finfo(logits_other.dtype).min
    logits_other = logits_other.masked_fill(~tv, neg_inf)
    # the same object in the same view is neither a positive nor a negative
    logits_same = logits_same.masked_fill(same_obj | ~tv, neg_inf)
    logits = torch.cat([logits_other.flatten(2), logits_same.flatten(2)], dim=2)
    labels = torch.cat([positives.flatten(2), torch.zeros_like(positives.flatten(2))], dim=2)
    num_pos = labels.sum(-1)
    labels = labels.to(logits.dtype) / num_pos.clamp(min=1)[..., None]
    ce = -(labels * F.log_softmax(logits, dim=-1)).sum(-1)                        # B,S
    area = (ids[:, :, None] == ids[:, None, :]).sum(-1).to(ce.dtype)              # B,S
    weight = (valid & (num_pos > 0)).to(ce.dtype) / area
    return (weight * ce).sum() / weight.sum().clamp(min=1e-12)


def detcon_nce_loss(pred1, pred2, tgt1, tgt2, ids, valid, tgt_ids, tgt_valid, img_offset,
                    temperature=0.1) -> torch.Tensor:
    """Symmetric DetCon NCE (view 1 → 2 plus view 2 → 1); see :func:`detcon_nce_direction`."""
    return (detcon_nce_direction(pred1, ids, valid, tgt2, tgt1, tgt_ids, tgt_valid, img_offset,
                                 temperature)
            + detcon_nce_direction(pred2, ids, valid, tgt1, tgt2, tgt_ids, tgt_valid, img_offset,
                                   temperature))


def sample_mask_ids(masks: torch.Tensor, num_samples: int,
                    generator: Optional[torch.Generator] = None
                    ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Draw ``num_samples`` mask ids per image among those present in both views.

    Args:
        masks (Tensor): ``(B, 2, H, W)`` integer label maps of the two views (``-1``: no mask).
        num_samples (int): Ids per image (with replacement).

    Returns:
        tuple: ``ids (B, S)`` long and ``valid (B, S)`` bool (False for an image whose views share
        no mask; its ids are then 0 and it contributes no anchor and no target).
    """
    B = masks.shape[0]
    ids = masks.new_zeros((B, num_samples), dtype=torch.long)
    valid = torch.zeros((B, num_samples), dtype=torch.bool, device=masks.device)
    for b in range(B):
        v1, v2 = torch.unique(masks[b, 0]), torch.unique(masks[b, 1])
        common = v1[torch.isin(v1, v2) & (v1 >= 0)]
        if common.numel() == 0:
            continue
        pick = torch.randint(common.numel(), (num_samples, ), generator=generator,
                             device='cpu').to(masks.device)
        ids[b] = common[pick]
        valid[b] = True
    return ids, valid


def mask_pool(feats: torch.Tensor, masks: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Average of a feature map inside each selected mask.

    The label map is reduced to the feature grid as the fraction of each cell covered by the
    mask (adaptive average pooling of the binary mask), which weighs the cells.

    Args:
        feats (Tensor): ``(B, C, h, w)``.
        masks (Tensor): ``(B, H, W)`` integer label map of the view.
        ids (Tensor): ``(B, S)`` mask ids.

    Returns:
        Tensor: ``(B, S, C)``; zeros for a mask absent from this view.
    """
    binary = (masks[:, None] == ids[:, :, None, None]).to(feats.dtype)           # B,S,H,W
    weights = F.adaptive_avg_pool2d(binary, feats.shape[-2:]).flatten(2)          # B,S,hw
    pooled = torch.einsum('bsk,bck->bsc', weights, feats.flatten(2))
    return pooled / weights.sum(-1, keepdim=True).clamp(min=1e-6)


@MODELS.register_module()
class DetCon(BaseSelfSupervisor):
    """DetCon-B (BYOL variant of contrastive detection).

    Args:
        backbone (dict): Backbone config (its last output is the C5 map).
        neck (dict): Projector config applied to ``(B*S, C)`` mask features
            (``NonLinearNeck`` with ``with_avg_pool=False``: 2048 → 4096 → 256).
        predictor (dict): Predictor config (``NonLinearNeck``, 256 → 4096 → 256).
        base_momentum (float): Start EMA momentum in mmengine's convention (``0.004`` is the
            usual target decay 0.996), cosine-annealed to 0 by ``CosineEMA``. Defaults to 0.004.
        num_samples (int): Mask ids drawn per image. Defaults to 16.
        temperature (float): NCE temperature. Defaults to 0.1.
        mask_key (str): Data-sample field with the ``(2, H, W)`` label maps of the views.
            Defaults to ``'view_masks'``.
        data_preprocessor (dict, optional): Defaults to ``SelfSupDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, backbone: dict, neck: dict, predictor: dict,
                 base_momentum: float = 0.004, num_samples: int = 16, temperature: float = 0.1,
                 mask_key: str = 'view_masks', data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone=backbone, neck=neck, head=None,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.predictor = MODELS.build(predictor)
        self.num_samples = num_samples
        self.temperature = temperature
        self.mask_key = mask_key
        self.target_net = CosineEMA(nn.Sequential(self.backbone, self.neck),
                                    momentum=base_momentum)

    def _project(self, backbone: nn.Module, neck: nn.Module, img: torch.Tensor,
                 masks: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        feats = backbone(img)[-1]
        pooled = mask_pool(feats, masks, ids)                                      # B,S,C
        B, S, C = pooled.shape
        return neck([pooled.reshape(B * S, C)])[0].reshape(B, S, -1)

    def _masks(self, data_samples: List[DataSample], device) -> torch.Tensor:
        try:
            masks = [np.asarray(getattr(ds, self.mask_key)) for ds in data_samples]
        except AttributeError as err:
            raise KeyError(f'DetCon needs the data-sample field "{self.mask_key}" (2, H, W): pack '
                           f"it with PackInputs(algorithm_keys=['{self.mask_key}'])") from err
        return torch.as_tensor(np.stack(masks), dtype=torch.long, device=device)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Symmetric DetCon loss of a two-view batch.

        Args:
            inputs (list[Tensor]): Two ``(B, 3, H, W)`` views.
            data_samples (list[DataSample]): Each with ``view_masks (2, H, W)`` label maps aligned
                with the two views.

        Returns:
            dict: ``loss`` and ``valid_ratio`` (fraction of images whose views share a mask).
        """
        assert isinstance(inputs, list) and len(inputs) == 2, 'DetCon needs two views'
        img1, img2 = inputs
        masks = self._masks(data_samples, img1.device)
        if masks.shape[-2:] != img1.shape[-2:]:
            raise ValueError(f'view masks {tuple(masks.shape[-2:])} do not match the views '
                             f'{tuple(img1.shape[-2:])}')
        ids, valid = sample_mask_ids(masks, self.num_samples)
        pred1 = self.predictor([self._project(self.backbone, self.neck, img1, masks[:, 0], ids)
                                .flatten(0, 1)])[0].reshape(*ids.shape, -1)
        pred2 = self.predictor([self._project(self.backbone, self.neck, img2, masks[:, 1], ids)
                                .flatten(0, 1)])[0].reshape(*ids.shape, -1)
        with torch.no_grad():
            self.target_net.update_parameters(nn.Sequential(self.backbone, self.neck))
            t_backbone, t_neck = self.target_net.module[0], self.target_net.module[1]
            tgt1 = F.normalize(self._project(t_backbone, t_neck, img1, masks[:, 0], ids), dim=-1)
            tgt2 = F.normalize(self._project(t_backbone, t_neck, img2, masks[:, 1], ids), dim=-1)
            tgt1_all, offset = gather_rows_with_offset(tgt1)
            tgt2_all, _ = gather_rows_with_offset(tgt2)
            ids_all, _ = gather_rows_with_offset(ids)
            valid_all = gather_rows_with_offset(valid.to(torch.uint8))[0].bool()  # gloo: no bool
        loss = detcon_nce_loss(F.normalize(pred1, dim=-1), F.normalize(pred2, dim=-1),
                               tgt1_all, tgt2_all, ids, valid, ids_all, valid_all, offset,
                               self.temperature)
        return dict(loss=loss, valid_ratio=valid[:, 0].float().mean())
