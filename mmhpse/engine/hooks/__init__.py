from .epoch_seed_hook import EpochSeedHook, EpochWorkerInit, epoch_seeds
from .safe_checkpoint_hook import SafeCheckpointHook

__all__ = ['SafeCheckpointHook', 'EpochSeedHook', 'EpochWorkerInit', 'epoch_seeds']
