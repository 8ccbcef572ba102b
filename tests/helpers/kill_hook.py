"""A test hook (imported by tests' configs through ``custom_imports``) that kills its own process
with SIGKILL right after the checkpoint of epoch ``$MMHPSE_TEST_KILL_AFTER_EPOCH`` is written: a
hard kill at a known point, as when a job is pre-empted."""
import os
import signal

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class KillAfterEpoch(Hook):

    priority = 'LOWEST'  # after CheckpointHook ('VERY_LOW') has saved the epoch

    def after_train_epoch(self, runner):
        kill_at = os.environ.get('MMHPSE_TEST_KILL_AFTER_EPOCH')
        if kill_at and runner.epoch + 1 == int(kill_at):
            os.kill(os.getpid(), signal.SIGKILL)
