"""Supervised contrastive loss (Khosla et al., NeurIPS 2020, "all" anchor mode).

Used by :class:`mmhpse.models.selfsup.JointCon` with the joint type as label (the paper's JointCon
loss) and, with one unique id per (image, joint) or per image as label, for the instance-level joint
contrast and the image-level SimCLR (NT-Xent) ablations: NT-Xent is SupCon with exactly one positive
per anchor.
"""
import torch


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
