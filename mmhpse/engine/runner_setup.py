"""What ``tools/train.py`` and ``tools/test.py`` do to a config before building mmengine's Runner.

Kept here, not in the scripts, so the study runner and the tests use the very same steps. It works
for configs of any scope (``mmhpse``, ``mmpretrain``, ``mmpose``): the config's ``default_scope``
decides where its components are looked up; mmhpse adds its hooks (safe and strict checkpoints,
per-epoch seeding) and fixes two things.
"""
import os
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop, find_latest_checkpoint

from mmhpse.utils.checkpoint import decode_safe

SAFE_CHECKPOINT_HOOK = 'mmhpse.SafeCheckpointHook'
EPOCH_SEED_HOOK = 'mmhpse.EpochSeedHook'


def _add_hook_once(cfg: Config, type_name: str) -> None:
    hooks = list(cfg.get('custom_hooks', None) or [])
    short = type_name.split('.')[-1]
    if not any(str(h.get('type', '')).split('.')[-1] == short for h in hooks):
        hooks.append(dict(type=type_name))
    cfg.custom_hooks = hooks


def add_safe_checkpoint_hook(cfg: Config, allow_partial: bool = False) -> None:
    """Append :class:`~mmhpse.engine.hooks.SafeCheckpointHook` to ``custom_hooks`` once.

    Args:
        cfg (Config): The config.
        allow_partial (bool): ``--allow-partial``: sets ``allow_partial_load=True``, so that a
            checkpoint leaving model weights unfilled is accepted with a warning.
    """
    _add_hook_once(cfg, SAFE_CHECKPOINT_HOOK)
    if allow_partial:
        cfg.allow_partial_load = True


def _checkpoint_seed(path: str) -> Optional[int]:
    """``meta.seed`` of a checkpoint (memory-mapped, ``weights_only``), None if unreadable: the
    resume itself then reports the file."""
    try:
        meta = torch.load(path, map_location='cpu', weights_only=True, mmap=True).get('meta')
        seed = decode_safe(meta or {}).get('seed')
    except Exception:  # noqa: BLE001  (the Runner's resume names the problem)
        return None
    return None if seed is None else int(seed)


def configure_reproducible_training(cfg: Config) -> None:
    """Make ``--resume`` repeat an uninterrupted run bit for bit (CPU, same thread count).

    * :class:`~mmhpse.engine.hooks.EpochSeedHook` seeds every epoch, workers included, from
      ``(seed, epoch, rank[, worker])``;
    * train workers of an epoch-based loop are started per epoch (``persistent_workers=False``):
      persistent workers keep a random state that no hook can reset, so a resumed run would draw
      other augmentations;
    * a resumed run of a config without a seed takes the checkpoint's seed before the Runner is
      built (mmengine restores it only after the sampler drew its shuffling seed).
    """
    _add_hook_once(cfg, EPOCH_SEED_HOOK)
    train_cfg = cfg.get('train_cfg', None) or {}
    epoch_based = train_cfg.get('type', 'EpochBasedTrainLoop') in (
        'EpochBasedTrainLoop', EpochBasedTrainLoop) and train_cfg.get('by_epoch', True)
    loader = cfg.get('train_dataloader', None)
    if (epoch_based and loader and loader.get('num_workers', 0)
            and loader.get('persistent_workers', False)):
        loader.persistent_workers = False
        print_log('train_dataloader.persistent_workers=False: train workers start every epoch so '
                  'that EpochSeedHook seeds them from (seed, epoch, rank, worker).',
                  logger='current')
    randomness = cfg.get('randomness', None) or {}
    if cfg.get('resume', False) and randomness.get('seed', None) is None:
        path = cfg.get('load_from', None) or find_latest_checkpoint(cfg.work_dir)
        seed = _checkpoint_seed(path) if path and osp.isfile(path) else None
        if seed is not None:
            cfg.randomness = dict(randomness, seed=seed)


def setup_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Start torch.distributed with gloo where mmengine's ``init_dist`` cannot (no CUDA).

    mmengine 0.10.7's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` unconditionally, so
    ``dist_train.sh`` dies on a CPU-only machine. The Runner only calls ``init_dist`` when no process
    group exists yet, so the group is created here from torchrun's environment, and DDP is told not
    to pin a device (``device_ids=None``). On a machine with CUDA nothing is changed.

    Args:
        cfg (Config): The config; ``env_cfg.dist_cfg`` and ``model_wrapper_cfg`` are updated.
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise RuntimeError(f'--launcher {launcher} needs CUDA; on a CPU-only machine use '
                           '--launcher pytorch (tools/dist_train.sh) with the gloo backend.')
    cfg.setdefault('env_cfg', ConfigDict())
    cfg.env_cfg.setdefault('dist_cfg', ConfigDict())
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend='gloo', init_method='env://')
    wrapper = dict(type='MMDistributedDataParallel', broadcast_buffers=False,
                   find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.update(cfg.get('model_wrapper_cfg', None) or {})
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def fix_inherited_collate_fn(cfg: Config) -> None:
    """Drop the ``_scope_`` that config inheritance adds to ``collate_fn``.

    A config inheriting ``mmpretrain::...`` gets ``collate_fn=dict(type='default_collate',
    _scope_='mmpretrain')``; mmengine's Runner passes every key but ``type`` to the function, and
    ``default_collate`` rejects ``_scope_``. The Runner looks the name up in mmengine's
    ``FUNCTIONS`` under the config's default scope anyway (mmpretrain and mmpose register no
    collate functions of their own), so the key carries nothing and is removed.
    """
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name, None)
        collate = loader.get('collate_fn', None) if loader else None
        if isinstance(collate, dict):
            collate.pop('_scope_', None)


def merge_common_args(cfg: Config, config_path: str, work_dir: Optional[str], launcher: str,
                      cfg_options: Optional[dict]) -> Config:
    """Apply ``--work-dir``, ``--launcher`` and ``--cfg-options`` the OpenMMLab way, then the
    config's evaluation-protocol switches (:mod:`mmhpse.evaluation.protocol_switches`)."""
    from mmhpse.evaluation.protocol_switches import apply_protocol_switches
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    apply_protocol_switches(cfg)  # e.g. pw3d_gt_gender reaches val and test evaluators alike
    fix_inherited_collate_fn(cfg)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = '0'
    return cfg


def build_runner(cfg: Config):
    """Build the Runner named by ``runner_type`` (mmengine's default otherwise)."""
    import mmhpse  # noqa: F401  (installs the safe checkpoint loader before anything loads)
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    setup_cpu_distributed(cfg, cfg.get('launcher', 'none'))
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
