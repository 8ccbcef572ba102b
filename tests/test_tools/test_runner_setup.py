"""What tools/train.py and tools/test.py do to a config before the Runner sees it."""
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
