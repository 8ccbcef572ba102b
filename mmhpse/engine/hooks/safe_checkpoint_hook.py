"""Checkpoints a run saves load with ``weights_only=True``; checkpoints a run loads are checked."""
import logging
import re

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import find_latest_checkpoint

from mmhpse.registry import HOOKS
from mmhpse.utils.checkpoint import encode_safe
from mmhpse.utils.strict_load import IncompleteCheckpointError, diff_state_dict

#: Model names a checkpoint may lack: the body model's buffers (template, blend shapes,
#: regressors) come from the body-model files of the config, never from a checkpoint.
OPTIONAL_PREFIXES = ('body_model.', )


def _loaded_file(runner) -> str:
    """The file that the runner's ``load_or_resume`` is loading (for messages)."""
    if getattr(runner, '_resume', False) and getattr(runner, '_load_from', None) is None:
        return find_latest_checkpoint(runner.work_dir) or 'the latest checkpoint'
    return getattr(runner, '_load_from', None) or 'the checkpoint'


@HOOKS.register_module()
class SafeCheckpointHook(Hook):
    """Make saved checkpoints safe to load, and loaded checkpoints safe and complete.

    Saving: mmengine stores the message hub (``HistoryBuffer`` objects) and numpy values in its
    checkpoints; torch >= 2.6 refuses to unpickle them by default. The non-tensor objects are
    encoded with :func:`mmhpse.utils.checkpoint.encode_safe`; mmhpse's checkpoint loader decodes
    them, so ``--resume`` works with ``weights_only=True``.

    Loading (``load_from``, ``--resume``, ``tools/test.py``; the file itself is read with
    ``weights_only=True`` and refused when its weights hold NaN / Inf):

    * ``meta['config']`` is removed: mmengine's ``Runner.resume`` would run it as Python
      (``Config.fromstring(text, '.py')``), and no text from a checkpoint is ever executed;
    * the state dict must give every parameter and buffer of the model with the model's shape
      (the body model's buffers may be absent). mmengine loads with ``strict=False`` and only
      warns, so a backbone-only file or a checkpoint of another depth would silently leave
      weights at their initialisation. With ``allow_partial`` the mismatch is logged instead.

    It runs last among the hooks (priority ``LOWEST``) so that other hooks' additions (EMA
    weights, ...) are encoded too. ``tools/train.py`` and ``tools/test.py`` add it to every run
    whatever the config's scope.

    Args:
        allow_partial (bool, optional): Accept a checkpoint that leaves model weights unfilled
            or has shape mismatches (they keep their initialisation; a warning lists them).
            None (default): the config's top-level ``allow_partial_load`` (default False).
    """

    priority = 'LOWEST'

    def __init__(self, allow_partial: bool = None):
        self.allow_partial = allow_partial

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        encoded = encode_safe(checkpoint)
        checkpoint.clear()
        checkpoint.update(encoded)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        source = _loaded_file(runner)
        meta = checkpoint.get('meta')
        if isinstance(meta, dict) and 'config' in meta:
            meta.pop('config')
            print_log(f'{source}: ignored meta["config"], a config text stored in the '
                      'checkpoint; mmhpse never executes config text from a file it loads '
                      '(the run uses its own config).', logger='current', level=logging.WARNING)
        self._check_weights(runner, checkpoint, source)

    def _check_weights(self, runner, checkpoint: dict, source: str) -> None:
        allow_partial = self.allow_partial
        if allow_partial is None:
            allow_partial = bool(runner.cfg.get('allow_partial_load', False))
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        state_dict = checkpoint.get('state_dict', checkpoint)
        # as mmengine's load: the prefix of a distributed wrapper is dropped
        given = {re.sub(r'^module\.', '', k): v for k, v in state_dict.items()
                 if hasattr(v, 'shape')}
        diff = diff_state_dict(model.state_dict(), given, optional_prefixes=OPTIONAL_PREFIXES)
        name = type(model).__name__
        if not diff.fits(allow_unexpected=True):
            text = (f'{source} does not fit {name} ({len(diff.matched)} of '
                    f'{len(diff.matched) + len(diff.missing) + len(diff.wrong_shape)} needed '
                    f'tensors match): {diff.describe(allow_unexpected=True)}')
            if not allow_partial:
                raise IncompleteCheckpointError(
                    f'{text}. Use a checkpoint of this config, or pass --allow-partial (config '
                    'key allow_partial_load=True) to keep the unfilled weights at their '
                    'initialisation.')
            print_log(f'partial load allowed: {text}; these weights keep their initialisation.',
                      logger='current', level=logging.WARNING)
        if diff.unexpected:
            print_log(f'{source}: {len(diff.unexpected)} tensors that {name} does not have are '
                      f'ignored: {diff.unexpected[:10]}', logger='current',
                      level=logging.WARNING)
