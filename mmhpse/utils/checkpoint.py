"""Checkpoint loading that stays safe under torch >= 2.6 (``weights_only=True`` by default).

torch 2.6 made ``torch.load`` refuse arbitrary unpickling. mmengine 0.10.7 still pickles
objects into its own checkpoints (the message hub's ``HistoryBuffer``, numpy arrays and scalars in
``meta``), so its ``resume`` and ``load_checkpoint`` break on its own files. mmhpse mends this at
both ends without turning safety off:

* **Saving** (:class:`~mmhpse.engine.hooks.SafeCheckpointHook`, added by ``tools/train.py``):
  :func:`encode_safe` rewrites the non-tensor objects of a checkpoint into tagged dicts of tensors
  and plain Python values, which ``weights_only=True`` accepts.
* **Loading**: mmengine's loader of local files (scheme ``''`` of ``CheckpointLoader``, used by
  ``Runner.resume``, ``load_checkpoint`` and ``init_cfg=dict(type='Pretrained')``) is replaced by
  :func:`load_local_checkpoint`: ``weights_only=True`` always, then :func:`decode_safe` restores the
  tagged objects. A file that needs arbitrary unpickling (for example a checkpoint written by plain
  mmengine, or a file from elsewhere holding pickled classes) is refused with
  :class:`UnsafeCheckpointError`, which names the offending global and says what to do. A file
  that is no checkpoint at all (text, empty, truncated) gets :class:`UnreadableCheckpointError`
  naming it, and model weights holding NaN / Inf are refused (:class:`NonFiniteWeightsError`,
  naming the file and the tensors), whichever path loads them (``StrictPretrained``,
  ``load_from``, ``--resume``, ``tools/test.py``, ``init_model``, the converters).
"""
import os.path as osp
import pickle
import re
import struct
from collections import OrderedDict
from typing import Any, Callable, List, Mapping, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader

_TAG = '__mmhpse_safe__'
# where checkpoints keep model weights (mmengine / mmpretrain / torchvision-style releases)
_WEIGHT_KEYS = ('state_dict', 'model', 'model_state_dict', 'ema_state_dict')
_MAX_LISTED = 20


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint that cannot be loaded with ``weights_only=True``."""


class UnreadableCheckpointError(ValueError):
    """A file that is no checkpoint: text, empty, truncated or corrupt."""


class NonFiniteWeightsError(ValueError):
    """A checkpoint whose model weights hold NaN or Inf values."""


def encode_safe(obj: Any, path: str = 'checkpoint') -> Any:
    """Return a copy of ``obj`` that ``torch.load(..., weights_only=True)`` accepts.

    numpy arrays and scalars and mmengine ``HistoryBuffer`` objects become tagged dicts of tensors
    and plain values; containers are rebuilt; tensors and plain values are kept as they are.

    Args:
        obj: A checkpoint or a part of it.
        path (str): Where ``obj`` sits in the checkpoint, for the error message.

    Raises:
        TypeError: ``obj`` holds an object of another class, which could only be stored by pickling
            it (so it could never be loaded safely). The message names its key path.
    """
    # numpy scalars first: np.float64 and np.str_ are subclasses of float and str.
    if isinstance(obj, np.generic):
        return {_TAG: 'np_scalar', 'dtype': obj.dtype.str, 'value': obj.item()}
    if isinstance(obj, (torch.Tensor, str, bytes, bool, int, float, complex, type(None))):
        return obj
    if isinstance(obj, (torch.dtype, torch.device, torch.Size)):
        return obj
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in 'biufc':
            return {_TAG: 'ndarray', 'data': torch.from_numpy(np.ascontiguousarray(obj).copy())}
        return {_TAG: 'ndarray_list', 'data': encode_safe(obj.tolist(), path),
                'dtype': obj.dtype.str}
    if isinstance(obj, HistoryBuffer):
        log, count = obj.data
        return {_TAG: 'HistoryBuffer', 'log_history': torch.from_numpy(np.array(log)),
                'count_history': torch.from_numpy(np.array(count)),
                'max_length': obj.max_length}
    if isinstance(obj, OrderedDict):
        return OrderedDict((k, encode_safe(v, f'{path}.{k}')) for k, v in obj.items())
    if isinstance(obj, dict):
        return {k: encode_safe(v, f'{path}.{k}') for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        items = [encode_safe(v, f'{path}[{i}]') for i, v in enumerate(obj)]
        if isinstance(obj, set):
            return {_TAG: 'set', 'items': items}
        return items if isinstance(obj, list) else tuple(items)
    raise TypeError(
        f'{path} holds a {type(obj).__module__}.{type(obj).__qualname__}, which can only be saved '
        'by pickling the object and could then never be loaded with weights_only=True. Store it '
        'as tensors, numpy arrays or plain Python values instead.')


def decode_safe(obj: Any) -> Any:
    """Inverse of :func:`encode_safe`; plain checkpoints pass through unchanged."""
    if isinstance(obj, dict):
        tag = obj.get(_TAG) if not isinstance(obj, OrderedDict) else None
        if tag == 'ndarray':
            return obj['data'].numpy()
        if tag == 'ndarray_list':
            return np.array(decode_safe(obj['data']), dtype=np.dtype(obj['dtype']))
        if tag == 'np_scalar':
            return np.dtype(obj['dtype']).type(obj['value'])
        if tag == 'HistoryBuffer':
            return HistoryBuffer(obj['log_history'].numpy(), obj['count_history'].numpy(),
                                 obj['max_length'])
        if tag == 'set':
            return {decode_safe(v) for v in obj['items']}
        return type(obj)((k, decode_safe(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(decode_safe(v) for v in obj)
    return obj


def _weight_dicts(checkpoint: Any) -> List[Tuple[str, Mapping]]:
    """``(where, tensors)`` of the model weights a checkpoint holds: its ``state_dict`` (or
    ``model`` / ``model_state_dict`` / ``ema_state_dict``), and tensors at the top level."""
    if not isinstance(checkpoint, Mapping):
        return []
    found = [(f'{key}.', checkpoint[key]) for key in _WEIGHT_KEYS
             if isinstance(checkpoint.get(key), Mapping)]
    top = {k: v for k, v in checkpoint.items() if isinstance(v, torch.Tensor)}
    if top:
        found.append(('', top))
    return found


def check_finite_weights(checkpoint: Any, filename: str) -> None:
    """Raise :class:`NonFiniteWeightsError` when a model weight of ``checkpoint`` holds NaN or
    Inf values (optimizer states and other entries are not weights and are not checked).

    Args:
        checkpoint: A loaded checkpoint.
        filename (str): Its file, for the message.
    """
    bad = []
    for where, tensors in _weight_dicts(checkpoint):
        for key, value in tensors.items():
            if not (isinstance(value, torch.Tensor)
                    and (value.is_floating_point() or value.is_complex())):
                continue
            finite = torch.isfinite(value)
            if not bool(finite.all()):
                nan = int(torch.isnan(value).sum())
                bad.append(f'{where}{key} ({nan} NaN, {int((~finite).sum()) - nan} Inf of '
                           f'{value.numel()})')
    if bad:
        shown = bad[:_MAX_LISTED] + ([f'... {len(bad) - _MAX_LISTED} more']
                                     if len(bad) > _MAX_LISTED else [])
        raise NonFiniteWeightsError(
            f'{filename}: {len(bad)} weight tensors hold NaN or Inf values: '
            f'{", ".join(shown)}. A model loaded from it would only produce NaN; use a '
            'checkpoint saved before training diverged.')


def _unreadable(filename: str, err: Exception, hint: str = '') -> UnreadableCheckpointError:
    reason = str(err).strip()
    found = re.search(r'(Unsupported operand \d+|failed reading zip archive[^.]*)', reason)
    reason = found.group(1) if found else (reason.splitlines() or [''])[0][:200]
    with open(filename, 'rb') as f:
        head = f.read(16)
    is_pickle = head[:1] == b'\x80'  # the PROTO opcode that starts every binary pickle
    return UnreadableCheckpointError(
        f'{filename} cannot be read as a checkpoint ({type(err).__name__}: {reason}): it is '
        f'empty, truncated or corrupt, or not a file written by torch.save (it starts with '
        f'{head!r}, {osp.getsize(filename)} bytes).{hint if is_pickle else ""}')


def load_external_checkpoint(filename: str,
                             map_location: Union[str, torch.device, Callable, None] = 'cpu',
                             check_finite: bool = True) -> Any:
    """Load a checkpoint file with ``weights_only=True`` (and decode mmhpse's tagged objects).

    This is the loader for every file: the run's own checkpoints (saved through
    ``SafeCheckpointHook``), model-zoo files, downloads and converters' inputs.

    Args:
        filename (str): Path of the file.
        map_location: As for :func:`torch.load`. Defaults to ``'cpu'``.
        check_finite (bool): Refuse NaN / Inf model weights. Defaults to True.

    Returns:
        The loaded object (usually a dict with ``state_dict``).

    Raises:
        FileNotFoundError: The file does not exist.
        UnsafeCheckpointError: The file holds pickled objects other than tensors and plain values.
        UnreadableCheckpointError: The file is no checkpoint (text, truncated, corrupt).
        NonFiniteWeightsError: Model weights hold NaN or Inf values (names the tensors).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found.')
    try:
        checkpoint = torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r'GLOBAL ([\w.]+)', str(err))
        if found is None:
            raise _unreadable(
                filename, err, ' A pickle that you wrote yourself and trust can be converted '
                'with tools/model_converters/sanitize_checkpoint.py --trust.') from err
        raise UnsafeCheckpointError(
            f'Refusing to load {filename}: it holds a pickled object of type '
            f'`{found.group(1)}`, and loading it would run arbitrary '
            'code from the file (torch.load(weights_only=True) refuses it). mmhpse loads every '
            'checkpoint with weights_only=True. If the file is a checkpoint you wrote yourself, '
            'with plain mmengine or an older mmhpse, and you trust it, convert it once with '
            f'`python tools/model_converters/sanitize_checkpoint.py {filename} OUT.pth --trust` '
            '(keeps tensors and plain values, rewrites the rest safely), then use OUT.pth.'
        ) from err
    except (EOFError, KeyError, IndexError, ValueError, TypeError, AttributeError,
            UnicodeDecodeError, OverflowError, struct.error) as err:
        raise _unreadable(filename, err) from err
    except RuntimeError as err:
        if 'PytorchStreamReader' not in str(err) and 'zip archive' not in str(err):
            raise
        raise _unreadable(filename, err) from err
    checkpoint = decode_safe(checkpoint)
    if check_finite:
        check_finite_weights(checkpoint, filename)
    return checkpoint


def load_local_checkpoint(filename: str, map_location: Optional[Any] = None) -> Any:
    """mmengine ``CheckpointLoader`` scheme for local files, see :func:`load_external_checkpoint`."""
    return load_external_checkpoint(filename, map_location=map_location)


def load_trusted_checkpoint(filename: str) -> Any:
    """Load a file with full unpickling. Only for the explicit ``--trust`` of the sanitizer."""
    print_log(f'Unpickling {filename} with weights_only=False because it was marked trusted.',
              logger='current')
    return torch.load(filename, map_location='cpu', weights_only=False)


# Every mmengine load of a local path (resume, load_checkpoint, Pretrained init) goes through here.
CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
