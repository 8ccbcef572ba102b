"""Supervised contrastive loss (Khosla et al., NeurIPS 2020, "all" anchor mode) and its head.

:class:`SupConHead` is JointCon's loss, built from config like mmpretrain's ``ContrastiveHead``:
with the joint type as label it is the paper's JointCon loss; with one id per image as label,
within each joint type, it is the authors' instance-level ablation (NT-Xent, i.e. SimCLR, which is
SupCon with exactly one positive per anchor).
"""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

from ..dist import gather_rows


def supcon_loss(embeddings: torch.Tensor,
                labels: torch.Tensor,
                temperature: float = 0.07) -> torch.Tensor:
    r"""Supervised contrastive loss over a set of embeddings, every embedding an anchor.

    For anchor :math:`i` with positives :math:`P(i) = \{p \ne i: y_p = y_i\}` and all others
    :math:`A(i) = \{a \ne i\}`:

    .. math::
        L_i = -\frac{1}{|P(i)|} \sum_{p \in P(i)}
              \log \frac{\exp(z_i \cdot z_p / \tau)}{\sum_{a \in A(i)} \exp(z_i \cdot z_a / \tau)}

    and the loss is the mean of :math:`L_i` over the anchors that have at least one positive
    (``L^{sup}_{out}`` of Khosla et al.; their ``base_temperature`` factor is 1 here).

    Args:
        embeddings (Tensor): ``(N, D)`` embeddings, usually L2-normalised (both views
            concatenated).
        labels (Tensor): ``(N,)`` integer labels; equal labels are positives.
        temperature (float): Softmax temperature :math:`\tau`. Defaults to 0.07.

    Returns:
        Tensor: scalar loss. When no anchor has a positive (e.g. ``N < 2``) it is
        ``0 * embeddings.sum()`` so that the graph (and DDP's parameter bookkeeping) stays intact.
    """
    if embeddings.dim() != 2:
        raise ValueError(f'supcon_loss: embeddings must be (N, D), got {tuple(embeddings.shape)}')
    if labels.shape != embeddings.shape[:1]:
        raise ValueError(f'supcon_loss: labels must be ({embeddings.shape[0]},), '
                         f'got {tuple(labels.shape)}')
    # the positive terms only need class sums: sum_{p in P(i)} z_i.z_p = z_i.(S_y(i) - z_i), so
    # the only (N, N) work is the log-sum-exp of the denominator
    _, inverse, counts = torch.unique(labels, return_inverse=True, return_counts=True)
    num_pos = counts[inverse] - 1
    has_pos = num_pos > 0
    if not bool(has_pos.any()):
        return embeddings.sum() * 0.

    class_sums = embeddings.new_zeros((counts.numel(), embeddings.shape[1]))
    class_sums = class_sums.index_add(0, inverse, embeddings)
    pos_logits = ((class_sums[inverse] - embeddings) * embeddings).sum(1) / temperature
    logits = (embeddings / temperature) @ embeddings.t()
    logits = logits.fill_diagonal_(float('-inf'))  # A(i) excludes the anchor itself
    log_denominator = torch.logsumexp(logits, dim=1)
    mean_log_prob_pos = pos_logits[has_pos] / num_pos[has_pos] - log_denominator[has_pos]
    return -mean_log_prob_pos.mean()


@MODELS.register_module()
class SupConHead(BaseModule):
    """L2-normalise, gather over ranks and apply the SupCon loss with the algorithm's labels.

    The algorithm passes a dict of integer label tensors, all ``(N,)`` and aligned with the
    embeddings (JointCon: ``'joint'`` = joint type, ``'image'`` = one id per person, unique
    across ranks). Embeddings with equal ``label`` values are positives. With ``group`` set, the
    loss is computed within each group (embeddings with equal ``group`` values) and averaged over
    the groups present in the global batch.

    The paper's JointCon loss is ``label='joint'``. The authors' instance-level ablation
    (``JointContrastiveLoss`` in Rethinking ``lib/core/loss.py``: per joint type, SimCLR among that
    type's joints, averaged over the types) is ``label='image', group='joint'``; the authors divide
    by all 19 types, which equals this mean when every type has a valid joint in the batch (their
    loss is NaN otherwise).

    Under DDP the embeddings and labels of all ranks are gathered (local rows with gradient), so
    every rank computes the loss over the global batch; like mmpretrain's SimCLR, gradients reach
    each rank only through its own embeddings and are averaged by DDP.

    Args:
        temperature (float): Softmax temperature. Defaults to 0.07.
        label (str): Key of the label that defines positives. Defaults to ``'joint'``.
        group (str, optional): Key of the label that splits the embeddings into groups contrasted
            separately. Defaults to None (one group).
        loss_weight (float): Factor of the loss. Defaults to 1.
        init_cfg (dict, optional): Initialisation config (the head has no weights).
    """

    def __init__(self, temperature: float = 0.07, label: str = 'joint',
                 group: Optional[str] = None, loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.temperature, self.label, self.group = temperature, label, group
        self.loss_weight = loss_weight

    def loss(self, embeddings: torch.Tensor, labels: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Args: embeddings ``(N, D)`` projections of this rank; labels: dict of ``(N,)``.

        Returns:
            Tensor: the weighted scalar loss over the global batch.
        """
        for key in (self.label, self.group):
            if key is not None and key not in labels:
                raise KeyError(f'SupConHead: label {key!r} is not among the labels the '
                               f'algorithm provides: {sorted(labels)}')
        emb = gather_rows(F.normalize(embeddings, dim=1))
        target = gather_rows(labels[self.label])
        if self.group is None:
            return self.loss_weight * supcon_loss(emb, target, self.temperature)
        groups = gather_rows(labels[self.group])
        per_group = [supcon_loss(emb[groups == g], target[groups == g], self.temperature)
                     for g in torch.unique(groups)]
        if not per_group:
            return emb.sum() * 0.
        return self.loss_weight * torch.stack(per_group).mean()
