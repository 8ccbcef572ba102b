"""Find the ResNet backbone inside a checkpoint of any of the usual releases.

Every pre-training of the study ends as a ResNet whose state-dict names follow torchvision /
mmpretrain / mmpose (``conv1``, ``bn1``, ``layer{1-4}.{j}.conv{1,2,3}``, ``bn{1,2,3}``,
``downsample.{0,1}``). The releases differ only in where that backbone sits in the file:

========================  =============================================
release                    backbone keys
========================  =============================================
mmhpse / mmpretrain        ``state_dict`` → ``backbone.``
mmpose (SimpleBaseline)    ``state_dict`` → ``backbone.``
torchvision / DetCon (*)   top level, no prefix, plus ``fc.``
MoCo (official)            ``state_dict`` → ``module.encoder_q.``
SwAV (official)            top level → ``module.``
SimpleBaseline (official)  ``module.backbone.`` or ``backbone.``
========================  =============================================

(*) the DeepMind DetCon release is a JAX checkpoint; its PyTorch conversions use torchvision names.

:func:`extract_resnet_backbone` finds the prefix, checks the layout against the expected names and
shapes of a ResNet of the detected (or requested) depth, and returns the backbone state dict with
the prefix removed.
"""
import functools
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Tuple

import torch

from mmhpse.utils.strict_load import IGNORED_SUFFIXES, diff_state_dict

# Prefixes of the releases, in the order they win when one checkpoint holds several backbones
# (e.g. MoCo's query and key encoders, BYOL's online and target networks).
KNOWN_PREFIXES = ('backbone.', 'module.encoder_q.', 'encoder_q.', 'module.backbone.', 'module.',
                  '', 'model.backbone.', 'online_net.backbone.')

_ANCHOR = 'layer1.0.conv1.weight'


class BackboneExtractionError(ValueError):
    """A checkpoint holds no ResNet backbone, or not the one asked for."""


def resnet_arch() -> Dict[int, Tuple[str, Tuple[int, ...]]]:
    """depth -> (block type name, blocks per stage), from mmpretrain's ``ResNet.arch_settings``."""
    from mmpretrain.models import ResNet
    return {depth: (block.__name__, tuple(counts))
            for depth, (block, counts) in ResNet.arch_settings.items()}


@functools.lru_cache(maxsize=None)
def _resnet_shapes(depth: int, stem_channels: int = 64,
                   base_channels: int = 64) -> Tuple[Tuple[str, Tuple[int, ...]], ...]:
    from mmpretrain.models import ResNet
    # built once per layout (cached); only names and shapes are kept
    model = ResNet(depth, stem_channels=stem_channels, base_channels=base_channels)
    return tuple((k, tuple(v.shape)) for k, v in model.state_dict().items())


def resnet_state_shapes(depth: int, stem_channels: int = 64,
                        base_channels: int = 64) -> 'OrderedDict[str, Tuple[int, ...]]':
    """Names and shapes of the state dict of mmpretrain's ``ResNet(depth)`` (the backbone names
    of torchvision / mmpose / mmhuman3d ResNets as well; no ``fc``).

    Args:
        depth (int): One of mmpretrain's depths (18, 34, 50, 101, 152).
        stem_channels (int), base_channels (int): widths of mmpretrain's ``ResNet`` (64 in
            every release; smaller in the CPU quickstart).

    Returns:
        OrderedDict: state-dict key -> tensor shape.
    """
    arch = resnet_arch()
    if depth not in arch:
        raise BackboneExtractionError(f'ResNet depth {depth} is not one of {sorted(arch)}.')
    return OrderedDict(_resnet_shapes(depth, stem_channels, base_channels))


def detect_widths(state_dict: Mapping[str, torch.Tensor]) -> Tuple[int, int]:
    """``(stem_channels, base_channels)`` of a prefix-free ResNet state dict (64, 64 when the
    stem or the first block is missing, so that the shape check reports it)."""
    stem = state_dict.get('conv1.weight')
    base = state_dict.get(_ANCHOR)
    return (int(stem.shape[0]) if stem is not None and stem.ndim == 4 else 64,
            int(base.shape[0]) if base is not None and base.ndim == 4 else 64)


def unwrap_state_dict(checkpoint: Mapping) -> Mapping[str, torch.Tensor]:
    """The tensor dict of a checkpoint (``state_dict``, ``model`` or the top level)."""
    if not isinstance(checkpoint, Mapping):
        raise BackboneExtractionError(
            f'expected a dict checkpoint, found a {type(checkpoint).__name__}')
    for key in ('state_dict', 'model', 'model_state_dict'):
        if isinstance(checkpoint.get(key), Mapping):
            checkpoint = checkpoint[key]
            break
    tensors = {k: v for k, v in checkpoint.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise BackboneExtractionError(
            f'the checkpoint holds no tensors (top-level keys: {sorted(checkpoint)[:10]})')
    return tensors


def find_backbone_prefixes(state_dict: Mapping[str, torch.Tensor]) -> List[str]:
    """All prefixes under which a ResNet ``layer1.0.conv1.weight`` occurs, best first."""
    found = [k[:-len(_ANCHOR)] for k in state_dict if k.endswith(_ANCHOR)]

    def rank(prefix):
        known = KNOWN_PREFIXES.index(prefix) if prefix in KNOWN_PREFIXES else len(KNOWN_PREFIXES)
        return (known, len(prefix), prefix)

    return sorted(found, key=rank)


def detect_resnet(state_dict: Mapping[str, torch.Tensor]) -> Tuple[str, Tuple[int, ...]]:
    """Block type and blocks per stage of a prefix-free ResNet state dict."""
    block = 'Bottleneck' if 'layer1.0.conv3.weight' in state_dict else 'BasicBlock'
    counts = []
    for stage in range(1, 5):
        ids = {int(k.split('.')[1]) for k in state_dict
               if k.startswith(f'layer{stage}.') and k.split('.')[1].isdigit()}
        counts.append(max(ids) + 1 if ids else 0)
    return block, tuple(counts)


def describe_resnet(block: str, counts: Tuple[int, ...]) -> str:
    for depth, arch in resnet_arch().items():
        if arch == (block, counts):
            return f'ResNet-{depth} ({block})'
    return (f'a ResNet-like layout with {block} blocks per stage {counts}, which is no '
            'standard depth')


def extract_resnet_backbone(checkpoint: Mapping,
                            depth: Optional[int] = 50,
                            prefix: Optional[str] = None,
                            source: str = 'checkpoint') -> Tuple[Dict[str, torch.Tensor], dict]:
    """Return the ResNet backbone of a checkpoint with torchvision / mmpretrain names.

    Args:
        checkpoint (Mapping): A loaded checkpoint (any release listed in the module docstring).
        depth (int, optional): Expected ResNet depth; None accepts the detected one.
            Defaults to 50.
        prefix (str, optional): Prefix of the backbone keys; None detects it. Defaults to None.
        source (str): Name of the checkpoint for messages. Defaults to ``'checkpoint'``.

    Returns:
        tuple: ``(state_dict, info)``. ``state_dict`` maps the expected names to tensors;
        ``info`` has ``prefix``, ``depth``, ``matched``, ``missing``, ``unexpected`` (lists of
        keys; ``unexpected`` are keys under the prefix that a ResNet does not have, e.g. ``fc.``)
        and ``other_prefixes``.

    Raises:
        BackboneExtractionError: no ResNet backbone, another depth than ``depth``, missing
            weights or wrong shapes. The message says what was found.
    """
    tensors = unwrap_state_dict(checkpoint)
    prefixes = find_backbone_prefixes(tensors)
    if prefix is None:
        if not prefixes:
            sample = ', '.join(sorted(tensors)[:5])
            raise BackboneExtractionError(
                f'{source} holds no ResNet backbone: no key ends with "{_ANCHOR}" '
                f'({len(tensors)} tensors, e.g. {sample}).')
        prefix = prefixes[0]
    sub = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    if _ANCHOR not in sub:
        raise BackboneExtractionError(
            f'{source} holds no ResNet backbone under the prefix "{prefix}" '
            f'(prefixes with one: {prefixes}).')
    block, counts = detect_resnet(sub)
    found = describe_resnet(block, counts)
    arch = resnet_arch()
    detected = next((d for d, a in arch.items() if a == (block, counts)), None)
    if depth is None:
        if detected is None:
            raise BackboneExtractionError(f'{source}: found {found}.')
        depth = detected
    elif detected != depth:
        raise BackboneExtractionError(
            f'{source}: found {found} keys under "{prefix}", expected ResNet-{depth} '
            f'({arch[depth][0]}).' if depth in arch else
            f'{source}: ResNet depth {depth} is not one of {sorted(arch)}.')
    widths = detect_widths(sub)
    expected = resnet_state_shapes(depth, *widths)
    diff = diff_state_dict(expected, sub)
    if not diff.fits(allow_unexpected=True):
        raise BackboneExtractionError(
            f'{source}: the ResNet-{depth} backbone under "{prefix}" is incomplete: '
            f'{diff.describe(allow_unexpected=True)}.')
    state_dict = OrderedDict((k, sub[k]) for k in diff.matched)
    info = dict(prefix=prefix, depth=depth, widths=widths, matched=diff.matched,
                missing=diff.missing,
                unexpected=diff.unexpected, other_prefixes=[p for p in prefixes if p != prefix],
                num_matched=len([k for k in diff.matched if not k.endswith(IGNORED_SUFFIXES)]),
                num_expected=len([k for k in expected if not k.endswith(IGNORED_SUFFIXES)]))
    return state_dict, info
