"""Turn a training checkpoint into a model-zoo file named ``{config}_{YYYYMMDD}-{sha256[:8]}.pth``.

The optimizer, parameter schedulers, message hub, EMA copy and every other piece of runtime state
are dropped, and so are the body model's buffers (``body_model.*``: SMPL's template, blend shapes
and regressors are licensed data and come from the files that the config names); ``state_dict``
and a small ``meta`` (config name, epoch / iteration, versions,
dataset meta) are kept. The eight hex digits in the name are the first eight of the sha256 of the
written file, which :func:`mmhpse.apis.init_model` checks when it loads the file::

    python tools/model_converters/publish_model.py work_dirs/pare_r50/epoch_120.pth zoo/ \\
        --config configs/pare/pare_r50_mixed.py

The input is read with ``weights_only=True`` (see ``mmhpse/utils/checkpoint.py``).
"""
import argparse
import datetime
import hashlib
import io
import os
import os.path as osp
import pickle
import re
import sys
import tempfile

import torch

from mmhpse.apis.inference import file_sha256
from mmhpse.utils.checkpoint import encode_safe, load_external_checkpoint

#: ``meta`` entries that are kept (everything else, e.g. the full config text, is dropped).
KEPT_META = ('epoch', 'iter', 'seed', 'dataset_meta', 'mmengine_version', 'mmhpse_version')
#: Buffers of the SMPL body model (template, blend shapes, regressors): the body model is read
#: from the files the config names, and the licensed SMPL data must not travel in a zoo file.
BODY_MODEL_PREFIXES = ('body_model.', 'module.body_model.')
#: mmengine's experiment names end with the run's timestamp.
_TIMESTAMP = re.compile(r'_\d{8}_\d{6}$')
#: A config name is one plain file-name component (no folder, no leading dot).
_PLAIN_NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9._+-]*')


def config_name_from(checkpoint: dict, config: str = None) -> str:
    """The config name of the published file: ``config``'s stem, or the run's experiment name.

    Raises:
        ValueError: Neither a config was given nor an mmengine experiment name is in the meta,
            or the name is not a plain file name (e.g. an experiment name holding ``../``,
            which would place the file outside the output folder).
    """
    if config:
        name, origin = osp.splitext(osp.basename(config))[0], f'--config {config!r}'
    else:
        experiment = (checkpoint.get('meta') or {}).get('experiment_name')
        if not experiment:
            raise ValueError('the checkpoint has no meta.experiment_name to take the config '
                             'name from; pass --config CONFIG (a path or a name)')
        name = _TIMESTAMP.sub('', str(experiment))
        origin = f'meta.experiment_name {str(experiment)!r}'
    if not _PLAIN_NAME.fullmatch(name):
        raise ValueError(f'{origin} gives the config name {name!r}, which is not a plain file '
                         'name (letters, digits, ".", "_", "+", "-"; no folder, no leading dot); '
                         'pass --config CONFIG to name the published file')
    return name


def strip_checkpoint(checkpoint: dict, config_name: str, date: str) -> dict:
    """Keep ``state_dict`` and a small ``meta`` of a training checkpoint.

    Args:
        checkpoint (dict): As saved by mmengine's Runner, or a bare state dict.
        config_name (str): Stored as ``meta['config_name']``.
        date (str): ``YYYYMMDD``, stored as ``meta['published']``.

    Returns:
        dict: ``{'state_dict': ..., 'meta': {...}}``.
    """
    if 'state_dict' in checkpoint:
        state_dict = checkpoint['state_dict']
        meta = checkpoint.get('meta') or {}
    elif checkpoint and all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
        state_dict, meta = checkpoint, {}  # a bare state dict
    else:
        raise KeyError(f'the checkpoint has no "state_dict" (keys: {sorted(checkpoint)})')
    kept = {k: meta[k] for k in KEPT_META if k in meta}
    if 'experiment_name' in meta:
        kept['source_experiment'] = meta['experiment_name']
    kept.update(config_name=config_name, published=date)
    if 'mmhpse_version' not in kept:
        from mmhpse.version import __version__
        kept['mmhpse_version'] = __version__
    state_dict = type(state_dict)((k, v.detach().clone().contiguous())
                                  for k, v in state_dict.items()
                                  if not k.startswith(BODY_MODEL_PREFIXES))
    return {'state_dict': state_dict, 'meta': kept}


def publish(in_file: str, out_dir: str, config: str = None, date: str = None) -> str:
    """Write the published checkpoint into ``out_dir`` and return its path."""
    checkpoint = load_external_checkpoint(in_file)
    if not isinstance(checkpoint, dict):
        raise TypeError(f'{in_file} holds a {type(checkpoint).__name__}, not a checkpoint dict')
    name = config_name_from(checkpoint, config)
    date = date or datetime.date.today().strftime('%Y%m%d')
    if not re.fullmatch(r'\d{8}', date):
        raise ValueError(f'--date must be YYYYMMDD, got {date!r}')
    published = encode_safe(strip_checkpoint(checkpoint, name, date))

    # Serialised in memory: a file's zip archive would embed the (temporary) file name, so the
    # same input would not always give the same bytes and hash.
    buffer = io.BytesIO()
    torch.save(published, buffer)
    data = buffer.getvalue()
    torch.load(io.BytesIO(data), map_location='cpu', weights_only=True)  # must load safely

    os.makedirs(out_dir, exist_ok=True)
    out_file = osp.join(out_dir, f'{name}_{date}-{hashlib.sha256(data).hexdigest()[:8]}.pth')
    if osp.dirname(osp.realpath(out_file)) != osp.realpath(out_dir):  # never outside out_dir
        raise ValueError(f'{out_file} would not be written into {out_dir}')
    fd, tmp = tempfile.mkstemp(suffix='.part', dir=out_dir)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        if file_sha256(tmp) != hashlib.sha256(data).hexdigest():
            raise OSError(f'{tmp} was not written completely')
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a zoo file is for sharing
        os.replace(tmp, out_file)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return out_file


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('in_file', help='training checkpoint (e.g. work_dirs/x/epoch_120.pth)')
    parser.add_argument('out_dir', help='folder that receives the published file')
    parser.add_argument('--config', help='config path or name that names the file (default: '
                        "the checkpoint's meta.experiment_name without its timestamp)")
    parser.add_argument('--date', help='YYYYMMDD in the file name (default: today)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        out_file = publish(args.in_file, args.out_dir, args.config, args.date)
    except (KeyError, TypeError, ValueError, OSError, pickle.UnpicklingError) as err:
        sys.exit(f'publish_model: {args.in_file}: {err}')
    print(out_file)


if __name__ == '__main__':
    main()
