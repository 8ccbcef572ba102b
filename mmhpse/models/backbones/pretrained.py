"""Strict loading of a pre-trained backbone: the run fails at start when any weight is missing.

mmengine's ``init_cfg=dict(type='Pretrained', prefix='backbone.')`` loads with ``strict=False`` and
only logs mismatched keys, so a fine-tuning run can silently start from a partly random backbone.
``StrictPretrained`` is the drop-in replacement used by every fine-tuning config of the study::

    model = dict(backbone=dict(init_cfg=dict(
        type='StrictPretrained', checkpoint='work_dirs/x/backbone.pth', prefix='backbone.')))

It is registered in mmhpse's ``WEIGHT_INITIALIZERS`` (found by ``type='StrictPretrained'`` in an
``mmhpse``-scope config and by ``type='mmhpse.StrictPretrained'`` from any other scope).
"""
from typing import Dict, Mapping, Optional

import torch
from mmengine.logging import print_log
from mmengine.model.weight_init import update_init_info
from torch import nn

from mmhpse.registry import WEIGHT_INITIALIZERS
from mmhpse.utils.strict_load import IncompleteCheckpointError, load_state_dict_strict
from .extract import extract_resnet_backbone, unwrap_state_dict

__all__ = ['IncompleteCheckpointError', 'StrictPretrainedInit', 'load_state_dict_strict',
           'select_prefix']


def _load_file(path: str):
    """Load a checkpoint with ``weights_only=True`` through mmhpse's safe loader."""
    from mmhpse.utils.checkpoint import load_external_checkpoint
    return load_external_checkpoint(path)


def select_prefix(checkpoint: Mapping, prefix: Optional[str], source: str
                  ) -> Dict[str, torch.Tensor]:
    """The tensors of ``checkpoint`` under ``prefix`` with the prefix removed.

    With ``prefix=None`` the ResNet backbone is located by
    :func:`~mmhpse.models.backbones.extract.extract_resnet_backbone` (any release, any depth).
    """
    if prefix is None:
        state_dict, _ = extract_resnet_backbone(checkpoint, depth=None, source=source)
        return dict(state_dict)
    tensors = unwrap_state_dict(checkpoint)
    selected = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    if not selected:
        heads = sorted({k.split('.')[0] + '.' for k in tensors})
        raise IncompleteCheckpointError(
            f'{source} has no key starting with "{prefix}" (first components found: {heads[:10]}). '
            'Extract the backbone with tools/model_converters/extract_backbone.py, or set '
            'prefix=None to detect a ResNet backbone.')
    return selected


@WEIGHT_INITIALIZERS.register_module(name='StrictPretrained')
class StrictPretrainedInit:
    """Initialise a module from a checkpoint and fail when any of its weights is not provided.

    Args:
        checkpoint (str): Path of the checkpoint (any release that
            :func:`~mmhpse.models.backbones.extract.extract_resnet_backbone` reads, or an mmhpse
            checkpoint).
        prefix (str, optional): Prefix of the module's keys in the checkpoint, removed before
            loading. ``None`` locates a ResNet backbone automatically. Defaults to ``'backbone.'``
            (the layout of ``extract_backbone.py`` outputs and of mmhpse / mmpretrain / mmpose
            checkpoints).
        allow_unexpected (bool): Tolerate keys under the prefix that the module lacks (e.g.
            ``fc.`` of a torchvision file read with ``prefix=''``). Defaults to False.

    Note:
        mmengine runs initialisers other than ``type='Pretrained'`` *before* the children's
        ``init_weights``, and the ResNets of mmpretrain / mmpose zero the last BN of every block
        afterwards when ``zero_init_residual`` is set (they skip it only for ``'Pretrained'``).
        This initialiser therefore turns ``zero_init_residual`` off on the module it loads.
    """

    def __init__(self, checkpoint: str, prefix: Optional[str] = 'backbone.',
                 allow_unexpected: bool = False):
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.allow_unexpected = allow_unexpected

    def __call__(self, module: nn.Module) -> None:
        checkpoint = _load_file(self.checkpoint)
        state_dict = select_prefix(checkpoint, self.prefix, self.checkpoint)
        loaded = load_state_dict_strict(module, state_dict, self.checkpoint,
                                        allow_unexpected=self.allow_unexpected)
        if getattr(module, 'zero_init_residual', False):
            module.zero_init_residual = False
        print_log(f'StrictPretrained: loaded all {len(loaded)} tensors of '
                  f'{type(module).__name__} from {self.checkpoint} (prefix {self.prefix!r})',
                  logger='current')
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint}'
