"""What ``tools/train.py`` and ``tools/test.py`` do to a config before building mmengine's Runner.

Kept here, not in the scripts, so the study runner and the tests use the very same steps. It works
for configs of any scope (``mmhpse``, ``mmpretrain``, ``mmpose``): the config's ``default_scope``
decides where its components are looked up; mmhpse only adds a hook and fixes two things.
"""
import os
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config, ConfigDict

SAFE_CHECKPOINT_HOOK = 'mmhpse.SafeCheckpointHook'


def add_safe_checkpoint_hook(cfg: Config) -> None:
    """Append :class:`~mmhpse.engine.hooks.SafeCheckpointHook` to ``custom_hooks`` once."""
    hooks = list(cfg.get('custom_hooks', None) or [])
    if not any(str(h.get('type', '')).endswith('SafeCheckpointHook') for h in hooks):
        hooks.append(dict(type=SAFE_CHECKPOINT_HOOK))
    cfg.custom_hooks = hooks


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
