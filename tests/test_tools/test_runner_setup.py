"""What tools/train.py and tools/test.py do to a config before the Runner sees it."""
import numpy as np
from mmengine.config import Config
from mmengine.registry import FUNCTIONS

from mmhpse.engine.runner_setup import (add_safe_checkpoint_hook, fix_inherited_collate_fn,
                                        merge_common_args)


def test_inherited_collate_fn_loses_its_scope_key(tmp_path):
    path = tmp_path / 'c.py'
    path.write_text("_base_ = 'mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py'\n")
    cfg = Config.fromfile(str(path))
    assert cfg.train_dataloader.collate_fn == dict(type='default_collate', _scope_='mmpretrain')
    fix_inherited_collate_fn(cfg)
    assert cfg.train_dataloader.collate_fn == dict(type='default_collate')
    # the name resolves under the config's scope to the function the base config meant
    from mmengine.dataset import default_collate
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        assert FUNCTIONS.get(cfg.train_dataloader.collate_fn['type']) is default_collate


def test_common_args_and_the_hook_are_applied_once(tmp_path):
    path = tmp_path / 'my_cfg.py'
    path.write_text("train_cfg = dict(max_iters=4)\ncustom_hooks = [dict(type='EMAHook')]\n")
    cfg = merge_common_args(Config.fromfile(str(path)), str(path), None, 'none',
                            {'train_cfg.max_iters': 2})
    assert cfg.train_cfg.max_iters == 2
    assert cfg.work_dir.endswith('work_dirs/my_cfg') and cfg.launcher == 'none'
    add_safe_checkpoint_hook(cfg)
    add_safe_checkpoint_hook(cfg)
    assert [h['type'] for h in cfg.custom_hooks] == ['EMAHook', 'mmhpse.SafeCheckpointHook']


def test_allow_partial_sets_the_config_key(tmp_path):
    path = tmp_path / 'c.py'
    path.write_text('x = 1\n')
    cfg = Config.fromfile(str(path))
    add_safe_checkpoint_hook(cfg)
    assert cfg.get('allow_partial_load', False) is False
    add_safe_checkpoint_hook(cfg, allow_partial=True)
    assert cfg.allow_partial_load is True
    assert [h['type'] for h in cfg.custom_hooks] == ['mmhpse.SafeCheckpointHook']


def _loader_cfg(tmp_path, train_cfg):
    path = tmp_path / 'loop.py'
    path.write_text(f'train_cfg = {train_cfg!r}\nrandomness = dict(seed=None)\n'
                    'train_dataloader = dict(num_workers=2, persistent_workers=True)\n')
    return Config.fromfile(str(path))


def test_reproducible_training_restarts_workers_of_epoch_loops_only(tmp_path):
    from mmhpse.engine.runner_setup import configure_reproducible_training
    cfg = _loader_cfg(tmp_path, dict(by_epoch=True, max_epochs=2))
    configure_reproducible_training(cfg)
    configure_reproducible_training(cfg)
    assert cfg.train_dataloader.persistent_workers is False
    assert [h['type'] for h in cfg.custom_hooks] == ['mmhpse.EpochSeedHook']
    # an iteration-based loop keeps persistent workers: its workers start before any hook runs
    cfg = _loader_cfg(tmp_path, dict(type='IterBasedTrainLoop', max_iters=4))
    configure_reproducible_training(cfg)
    assert cfg.train_dataloader.persistent_workers is True


def test_a_resumed_run_without_seed_takes_the_checkpoint_seed(tmp_path):
    """mmengine restores the checkpoint's seed only after the train sampler drew its shuffling
    seed; the tool sets it before the Runner is built."""
    import torch

    from mmhpse.engine.runner_setup import configure_reproducible_training
    from mmhpse.utils.checkpoint import encode_safe
    ckpt = tmp_path / 'epoch_2.pth'
    torch.save(encode_safe({'state_dict': {}, 'meta': {'seed': np.int64(1234)}}), ckpt)
    cfg = _loader_cfg(tmp_path, dict(by_epoch=True, max_epochs=2))
    cfg.resume, cfg.load_from, cfg.work_dir = True, str(ckpt), str(tmp_path)
    configure_reproducible_training(cfg)
    assert cfg.randomness.seed == 1234
    # auto resume (no path): the work dir's last_checkpoint
    cfg = _loader_cfg(tmp_path, dict(by_epoch=True, max_epochs=2))
    (tmp_path / 'last_checkpoint').write_text(str(ckpt))
    cfg.resume, cfg.load_from, cfg.work_dir = True, None, str(tmp_path)
    configure_reproducible_training(cfg)
    assert cfg.randomness.seed == 1234
    # a seed in the config wins; no resume: untouched
    cfg = _loader_cfg(tmp_path, dict(by_epoch=True, max_epochs=2))
    cfg.randomness = dict(seed=7)
    cfg.resume, cfg.load_from, cfg.work_dir = True, str(ckpt), str(tmp_path)
    configure_reproducible_training(cfg)
    assert cfg.randomness.seed == 7
