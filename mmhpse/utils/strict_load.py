"""Strict weight loading: the one comparison of a checkpoint's tensors with what a model expects.

Every place that puts weights into a model uses it: ``StrictPretrained`` (backbone
initialisation), :func:`mmhpse.apis.init_model`, the runner's ``load_from`` / ``--resume`` /
``tools/test.py`` (through :class:`~mmhpse.engine.hooks.SafeCheckpointHook`) and the backbone
extractor, which compares a file with the key table of mmpretrain's own ResNet.

A weight counts as provided when the checkpoint has its name with the model's shape. Names that may
be absent are ``num_batches_tracked`` counters (old releases do not store them; they do not change
a forward pass) and whatever the caller declares optional (e.g. the body model's buffers, which
come from the body-model files of the config).
"""
import logging
from dataclasses import dataclass, field
from typing import Iterable, List, Mapping, Sequence, Tuple, Union

import torch
from mmengine.logging import print_log
from torch import nn

__all__ = [
    'IGNORED_SUFFIXES', 'IncompleteCheckpointError', 'StateDictDiff', 'diff_state_dict',
    'load_state_dict_strict'
]

# Buffers that some releases (pre-0.4 torch, caffe converts) do not store; they do not affect
# the forward pass of a BN layer with momentum, so they never count as missing weights.
IGNORED_SUFFIXES = ('num_batches_tracked', )

#: How many keys a message lists per kind before it says how many more there are.
MAX_LISTED = 30

Shape = Union[torch.Size, Tuple[int, ...]]


class IncompleteCheckpointError(KeyError):
    """A checkpoint does not provide every weight of the module it is loaded into (a
    ``KeyError``: keys are missing, or their tensors do not fit)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ''


def _listed(keys: Sequence[str]) -> str:
    shown = list(keys[:MAX_LISTED])
    more = f' (+{len(keys) - MAX_LISTED} more)' if len(keys) > MAX_LISTED else ''
    return f'{shown}{more}'


@dataclass
class StateDictDiff:
    """What a checkpoint's tensors lack, or have in excess, against a model's.

    Attributes:
        missing (list[str]): Names the model needs and the checkpoint lacks.
        wrong_shape (list[str]): ``'name: checkpoint (a, b) vs model (c, d)'``.
        unexpected (list[str]): Names of the checkpoint that the model does not have (sorted).
        matched (list[str]): Names present with the model's shape (model order).
    """
    missing: List[str] = field(default_factory=list)
    wrong_shape: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    matched: List[str] = field(default_factory=list)

    def fits(self, allow_unexpected: bool = False) -> bool:
        """Whether every needed weight is provided with its shape (and nothing else, unless
        ``allow_unexpected``)."""
        return not (self.missing or self.wrong_shape or (self.unexpected and not allow_unexpected))

    def describe(self, allow_unexpected: bool = False) -> str:
        """``'N missing keys [...], N shape mismatches [...], N unexpected keys [...]'`` (the
        kinds that occur; unexpected keys only when they are not allowed)."""
        parts = []
        if self.missing:
            parts.append(f'{len(self.missing)} missing keys {_listed(self.missing)}')
        if self.wrong_shape:
            parts.append(f'{len(self.wrong_shape)} shape mismatches {_listed(self.wrong_shape)}')
        if self.unexpected and not allow_unexpected:
            parts.append(f'{len(self.unexpected)} unexpected keys {_listed(self.unexpected)}')
        return ', '.join(parts)


def _optional(key: str, optional_prefixes: Iterable[str]) -> bool:
    return key.endswith(IGNORED_SUFFIXES) or key.startswith(tuple(optional_prefixes))


def diff_state_dict(expected: Mapping[str, Union[torch.Tensor, Shape]],
                    given: Mapping[str, torch.Tensor],
                    optional_prefixes: Sequence[str] = ()) -> StateDictDiff:
    """Compare the tensors of a checkpoint with the names and shapes a model expects.

    Args:
        expected (Mapping): Name -> tensor or shape, e.g. ``module.state_dict()``.
        given (Mapping): Name -> tensor of the checkpoint (names relative to the module).
        optional_prefixes (Sequence[str]): Names starting with one of these may be absent
            (``num_batches_tracked`` counters always may).

    Returns:
        StateDictDiff: The missing, wrongly shaped, unexpected and matched names.
    """
    diff = StateDictDiff()
    for key, value in expected.items():
        shape = tuple(value.shape) if isinstance(value, torch.Tensor) else tuple(value)
        if key not in given:
            if not _optional(key, optional_prefixes):
                diff.missing.append(key)
        elif tuple(given[key].shape) != shape:
            diff.wrong_shape.append(
                f'{key}: checkpoint {tuple(given[key].shape)} vs model {shape}')
        else:
            diff.matched.append(key)
    diff.unexpected = sorted(k for k in given if k not in expected)
    return diff


def load_state_dict_strict(module: nn.Module,
                           state_dict: Mapping[str, torch.Tensor],
                           source: str,
                           allow_unexpected: bool = False,
                           optional_prefixes: Sequence[str] = (),
                           context: str = 'StrictPretrained') -> List[str]:
    """Copy ``state_dict`` into ``module``; raise unless every parameter and buffer is provided.

    Args:
        module (nn.Module): Module to load into.
        state_dict (Mapping): Names relative to ``module``.
        source (str): File name for messages.
        allow_unexpected (bool): Whether checkpoint keys that ``module`` lacks are tolerated
            (they are logged and ignored).
        optional_prefixes (Sequence[str]): Names of ``module`` that the checkpoint may lack
            (they keep their current values).
        context (str): Who loads, the first word of messages.

    Returns:
        list[str]: The keys of ``module`` that were loaded.

    Raises:
        IncompleteCheckpointError: missing keys, wrong shapes (or unexpected keys), all listed.
    """
    own = module.state_dict()
    diff = diff_state_dict(own, state_dict, optional_prefixes)
    if not diff.fits(allow_unexpected):
        raise IncompleteCheckpointError(
            f'{context}: {source} does not initialise {type(module).__name__} completely '
            f'({len(own)} tensors expected): {diff.describe(allow_unexpected)}')
    with torch.no_grad():
        module.load_state_dict({k: state_dict[k] for k in diff.matched}, strict=False)
    if diff.unexpected:
        print_log(f'{context}: ignored {len(diff.unexpected)} keys of {source} that '
                  f'{type(module).__name__} has no use for: {_listed(diff.unexpected)}',
                  logger='current', level=logging.WARNING)
    return diff.matched
