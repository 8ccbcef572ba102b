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
  :class:`UnsafeCheckpointError`, which names the offending global and says what to do.
"""
import os.path as osp
import pickle
import re
from collections import OrderedDict
from typing import Any, Callable, Optional, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader

_TAG = '__mmhpse_safe__'


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint that cannot be loaded with ``weights_only=True``."""


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


def load_external_checkpoint(filename: str,
                             map_location: Union[str, torch.device, Callable, None] = 'cpu'
                             ) -> Any:
    """Load a checkpoint file with ``weights_only=True`` (and decode mmhpse's tagged objects).

    This is the loader for every file: the run's own checkpoints (saved through
    ``SafeCheckpointHook``), model-zoo files, downloads and converters' inputs.

    Args:
        filename (str): Path of the file.
        map_location: As for :func:`torch.load`. Defaults to ``'cpu'``.

    Returns:
        The loaded object (usually a dict with ``state_dict``).

    Raises:
        FileNotFoundError: The file does not exist.
        UnsafeCheckpointError: The file holds pickled objects other than tensors and plain values.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found.')
    try:
        checkpoint = torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r'GLOBAL ([\w.]+)', str(err))
        what = f'a pickled object of type `{found.group(1)}`' if found else 'a pickled object'
        raise UnsafeCheckpointError(
            f'Refusing to load {filename}: it holds {what}, and loading it would run arbitrary '
            'code from the file (torch.load(weights_only=True) refuses it). mmhpse loads every '
            'checkpoint with weights_only=True. If the file is a checkpoint you wrote yourself, '
            'with plain mmengine or an older mmhpse, and you trust it, convert it once with '
            f'`python tools/model_converters/sanitize_checkpoint.py {filename} OUT.pth --trust` '
            '(keeps tensors and plain values, rewrites the rest safely), then use OUT.pth.'
        ) from err
    return decode_safe(checkpoint)


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
