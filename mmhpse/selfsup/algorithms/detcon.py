"""DetCon-B: contrastive detection with a BYOL-style target network (Hénaff et al., ICCV 2021).

As in DeepMind's code (github deepmind/detcon, ``detcon_b.py``, ``utils/losses.py``): each image
comes with an unsupervised segmentation (Felzenszwalb masks, see
``mmhpse/selfsup/transforms/masks.py``) cropped together with each of its two views. In each view
the label map is reduced to the C5 grid, each cell taking the mask that covers most of it (ties:
the smallest id), and ``num_samples`` mask ids are drawn uniformly, with replacement, among the
masks on that view's grid, independently for the two views (the target network reuses the online
network's draws). The C5 map is averaged over the cells of each drawn mask, projected (MLP 2048 →
4096 → 256) and, on the online side, passed through a predictor. The loss is NCE with temperature
``tau``: an online (image, mask) embedding of one view must pick the target embeddings of the same
mask of the same image in the other view among the target embeddings of all drawn masks of all
images of the global batch in both views (the same mask in its own view excluded); anchors whose
mask was not drawn in the other view have no positive and weigh 0, the others weigh 1 / (times
their id was drawn in their view). Each direction is the mean over all ``B * num_samples``
anchors; both directions are summed.
"""
from typing import Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.models.utils import CosineEMA
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from ..dist import gather_rows_with_offset


def grid_masks(masks: torch.Tensor, grid_size) -> torch.Tensor:
    """Reduce label maps to a feature grid: each cell takes the id covering most of its block.

    Args:
        masks (Tensor): ``(B, H, W)`` integer label maps.
        grid_size (tuple): ``(h, w)``, dividing ``(H, W)``.

    Returns:
        Tensor: ``(B, h, w)`` long; ties go to the smallest id (DeepMind's argmax over ids).
    """
    b, height, width = masks.shape
    h, w = grid_size
    if height % h or width % w:
        raise ValueError(f'DetCon: the {height}x{width} view masks do not divide into the {h}x{w} '
                         'feature grid')
    blocks = masks.long().reshape(b, h, height // h, w, width // w).permute(0, 1, 3, 2, 4)
    values = blocks.reshape(b, h * w, -1).sort(-1).values  # runs of equal ids, ascending
    starts = torch.ones_like(values, dtype=torch.bool)
    starts[..., 1:] = values[..., 1:] != values[..., :-1]
    run = starts.long().cumsum(-1) - 1  # index of each element's run
    counts = torch.zeros_like(values).scatter_add_(-1, run, torch.ones_like(values))
    ids = torch.zeros_like(values).scatter_(-1, run, values)  # id of each run
    best = counts.argmax(-1, keepdim=True)  # first maximum: the smallest id among ties
    return ids.gather(-1, best).reshape(b, h, w)


def sample_mask_ids(cells: torch.Tensor, num_samples: int,
                    generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Draw ``num_samples`` ids per image, uniformly with replacement, among those on the grid.

    Args:
        cells (Tensor): ``(B, h, w)`` grid label maps of one view (:func:`grid_masks`).
        num_samples (int): Ids per image.

    Returns:
        Tensor: ``(B, S)`` long.
    """
    ids = []
    for grid in cells:
        present = torch.unique(grid)
        pick = torch.randint(present.numel(), (num_samples, ), generator=generator)
        ids.append(present[pick.to(present.device)])
    return torch.stack(ids)


def mask_pool(feats: torch.Tensor, cells: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Mean of the feature map over the grid cells of each drawn mask.

    Args:
        feats (Tensor): ``(B, C, h, w)``.
        cells (Tensor): ``(B, h, w)`` grid label maps.
        ids (Tensor): ``(B, S)`` mask ids.

    Returns:
        Tensor: ``(B, S, C)``; zeros for an id that owns no cell.
    """
    binary = (cells.flatten(1)[:, None] == ids[:, :, None]).to(feats.dtype)  # B,S,hw
    pooled = torch.einsum('bsk,bck->bsc', binary, feats.flatten(2))
    return pooled / binary.sum(-1, keepdim=True).clamp(min=1.)


def detcon_nce_direction(pred: torch.Tensor, ids: torch.Tensor, tgt_other: torch.Tensor,
                         other_ids: torch.Tensor, tgt_same: torch.Tensor, same_ids: torch.Tensor,
                         img_offset: int, temperature: float) -> torch.Tensor:
    """NCE of the online embeddings of one view (a) against the targets of both views.

    Args:
        pred (Tensor): ``(B, S, D)`` L2-normalised online predictions of view a (local batch).
        ids (Tensor): ``(B, S)`` mask ids of ``pred``.
        tgt_other (Tensor): ``(N, S, D)`` normalised targets of view b, global batch.
        other_ids (Tensor): ``(N, S)`` their mask ids.
        tgt_same (Tensor): ``(N, S, D)`` normalised targets of view a, global batch.
        same_ids (Tensor): ``(N, S)`` their mask ids.
        img_offset (int): Global index of local image 0.
        temperature (float): NCE temperature.

    Returns:
        Tensor: scalar, the mean over the ``B * S`` anchors of ``w * CE`` with the target
        distribution uniform over the anchor's positives (same image, same id, view b) and
        ``w = [has a positive] / (times the anchor's id was drawn for its image in view a)``.
    """
    b, n = pred.shape[0], tgt_other.shape[0]
    img = torch.arange(b, device=pred.device) + img_offset
    same_img = (img[:, None] == torch.arange(n, device=pred.device)[None])[:, None, :, None]
    positives = same_img & (ids[:, :, None, None] == other_ids[None, None])  # B,S,N,S
    own = same_img & (ids[:, :, None, None] == same_ids[None, None])  # the anchor's own object
    logits_other = torch.einsum('bsd,ntd->bsnt', pred, tgt_other) / temperature
    logits_same = torch.einsum('bsd,ntd->bsnt', pred, tgt_same) / temperature
    logits_same = logits_same.masked_fill(own, torch.finfo(logits_same.dtype).min)
    logits = torch.cat([logits_other.flatten(2), logits_same.flatten(2)], dim=2)
    num_pos = positives.flatten(2).sum(-1)  # B,S
    labels = positives.flatten(2).to(logits.dtype) / num_pos.clamp(min=1)[..., None]
    ce = -(labels * F.log_softmax(logits, dim=-1)[..., :labels.shape[-1]]).sum(-1)  # B,S
    area = (ids[:, :, None] == ids[:, None, :]).sum(-1).to(ce.dtype)  # B,S
    return ((num_pos > 0).to(ce.dtype) / area * ce).mean()


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
        num_samples (int): Mask ids drawn per image and view. Defaults to 16.
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

    @staticmethod
    def _project(backbone: nn.Module, neck: nn.Module, img: torch.Tensor, masks: torch.Tensor,
                 ids: Optional[torch.Tensor], num_samples: int):
        """Backbone, grid masks, (draw ids,) mask pooling, projector -> ``(B, S, D)``, ids."""
        feats = backbone(img)[-1]
        cells = grid_masks(masks, feats.shape[-2:])
        if ids is None:
            ids = sample_mask_ids(cells, num_samples)
        pooled = mask_pool(feats, cells, ids)  # B,S,C
        return neck([pooled.flatten(0, 1)])[0].reshape(*ids.shape, -1), ids

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
            dict: ``loss`` and ``positive_ratio`` (fraction of anchors whose mask was also drawn
            in the other view).
        """
        assert isinstance(inputs, list) and len(inputs) == 2, 'DetCon needs two views'
        masks = self._masks(data_samples, inputs[0].device)
        if masks.shape[-2:] != inputs[0].shape[-2:]:
            raise ValueError(f'view masks {tuple(masks.shape[-2:])} do not match the views '
                             f'{tuple(inputs[0].shape[-2:])}')
        preds, ids = [], []
        for v in range(2):
            proj, view_ids = self._project(self.backbone, self.neck, inputs[v], masks[:, v], None,
                                           self.num_samples)
            preds.append(F.normalize(self.predictor([proj.flatten(0, 1)])[0], dim=-1)
                         .reshape(proj.shape))
            ids.append(view_ids)
        with torch.no_grad():
            self.target_net.update_parameters(nn.Sequential(self.backbone, self.neck))
            t_backbone, t_neck = self.target_net.module[0], self.target_net.module[1]
            tgts, tgt_ids = [], []
            for v in range(2):  # the target network reuses the online draws
                tgt = self._project(t_backbone, t_neck, inputs[v], masks[:, v], ids[v], 0)[0]
                tgt, offset = gather_rows_with_offset(F.normalize(tgt, dim=-1))
                tgts.append(tgt)
                tgt_ids.append(gather_rows_with_offset(ids[v])[0])
        loss = (detcon_nce_direction(preds[0], ids[0], tgts[1], tgt_ids[1], tgts[0], tgt_ids[0],
                                     offset, self.temperature)
                + detcon_nce_direction(preds[1], ids[1], tgts[0], tgt_ids[0], tgts[1],
                                       tgt_ids[1], offset, self.temperature))
        drawn_in_both = (ids[0][:, :, None] == ids[1][:, None, :]).any(-1)
        return dict(loss=loss, positive_ratio=drawn_in_both.float().mean())
