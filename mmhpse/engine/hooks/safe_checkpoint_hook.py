"""Make every checkpoint a run saves loadable with ``torch.load(weights_only=True)``."""
from mmengine.hooks import Hook

from mmhpse.registry import HOOKS
from mmhpse.utils.checkpoint import encode_safe


@HOOKS.register_module()
class SafeCheckpointHook(Hook):
    """Rewrite the non-tensor objects of a checkpoint just before it is written.

    mmengine stores the message hub (``HistoryBuffer`` objects) and numpy values in its
    checkpoints; torch >= 2.6 refuses to unpickle them by default. This hook encodes them with
    :func:`mmhpse.utils.checkpoint.encode_safe`; mmhpse's checkpoint loader decodes them, so
    ``--resume`` works with ``weights_only=True``. It runs last among the hooks (priority
    ``LOWEST``) so that other hooks' additions (EMA weights, ...) are encoded too.
    ``tools/train.py`` adds it to every run whatever the config's scope.
    """

    priority = 'LOWEST'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        encoded = encode_safe(checkpoint)
        checkpoint.clear()
        checkpoint.update(encoded)
