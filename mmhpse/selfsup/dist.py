"""Row gathering across ranks for the contrastive losses of the self-supervised algorithms."""
from typing import List, Tuple

import torch
from mmengine.dist import all_gather, get_rank, get_world_size
from mmpretrain.models.selfsup.simclr import GatherLayer


def _gather(x: torch.Tensor) -> Tuple[List[torch.Tensor], List[int]]:
    sizes = [int(s) for s in all_gather(torch.tensor([x.shape[0]], device=x.device))]
    pad = max(sizes) - x.shape[0]
    if pad:
        x = torch.cat([x, x.new_zeros((pad, ) + tuple(x.shape[1:]))])
    parts = GatherLayer.apply(x) if x.requires_grad else all_gather(x)
    return [p[:s] for p, s in zip(parts, sizes)], sizes


def gather_rows(x: torch.Tensor) -> torch.Tensor:
    """Concatenate the ``(n_r, ...)`` tensors of all ranks in rank order (``n_r`` may differ).

    The local rows keep their gradient (mmpretrain's ``GatherLayer``); remote rows are constants.
    Without a process group the input is returned as it is.

    Args:
        x (Tensor): ``(n_r, ...)`` rows of this rank.

    Returns:
        Tensor: ``(sum_r n_r, ...)``.
    """
    if get_world_size() == 1:
        return x
    return torch.cat(_gather(x)[0])


def gather_rows_with_offset(x: torch.Tensor) -> Tuple[torch.Tensor, int]:
    """:func:`gather_rows` and the global index of this rank's first row."""
    if get_world_size() == 1:
        return x, 0
    parts, sizes = _gather(x)
    return torch.cat(parts), sum(sizes[:get_rank()])
