"""Random state of data augmentation as a function of ``(seed, epoch, rank, worker)``.

mmengine seeds python's ``random``, numpy and torch once when the Runner is built, and each
data-loader worker with ``seed + worker id`` (mmengine's ``worker_init_fn``). Two consequences:

* workers that are started anew every epoch repeat the same augmentations every epoch;
* a run resumed from a checkpoint starts from a fresh seeding, not from the random state that the
  uninterrupted run had reached, so its augmentations (and weights) differ from there on.

:class:`EpochSeedHook` seeds the three generators of the main process at the start of every
training epoch, and every worker of that epoch, from ``(seed, epoch, rank)`` and
``(seed, epoch, rank, worker id)`` (one ``numpy.random.SeedSequence`` each). The random state of an
epoch then depends on nothing that happened before it: ``--resume`` repeats the uninterrupted run
bit for bit (on the same machine and thread count), and workers draw new augmentations every epoch.
Workers must be started per epoch for this (``persistent_workers=False``; see
:func:`mmhpse.engine.runner_setup.configure_reproducible_training`).
"""
import random
import warnings
from functools import partial
from typing import Optional, Tuple

import numpy as np
import torch
from mmengine.dataset import worker_init_fn as mmengine_worker_init_fn
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop

from mmhpse.registry import HOOKS

__all__ = ['epoch_seeds', 'seed_generators', 'EpochWorkerInit', 'EpochSeedHook']


def epoch_seeds(seed: int, epoch: int, rank: int = 0,
                worker: Optional[int] = None) -> Tuple[int, int, int]:
    """Seeds of python ``random``, numpy and torch for one epoch of one process.

    Args:
        seed (int): The run's seed (``runner.seed``).
        epoch (int): 0-based training epoch.
        rank (int): Distributed rank.
        worker (int, optional): Data-loader worker id; None for the main process.

    Returns:
        tuple[int, int, int]: ``(python seed, numpy seed < 2**32, torch seed < 2**63)``.
    """
    entropy = [int(seed) % 2**63, int(epoch), int(rank), 0 if worker is None else worker + 1]
    words = np.random.SeedSequence(entropy).generate_state(4, dtype=np.uint32)
    torch_seed = (int(words[2]) << 31) | (int(words[3]) >> 1)  # below 2**63
    return int(words[0]), int(words[1]), torch_seed


def seed_generators(seeds: Tuple[int, int, int]) -> None:
    """Seed python ``random``, numpy's global generator and torch (all devices)."""
    random.seed(seeds[0])
    np.random.seed(seeds[1])
    torch.manual_seed(seeds[2])


class EpochWorkerInit:
    """``worker_init_fn`` seeding a worker from ``(seed, epoch, rank, worker id)``.

    The hook sets :attr:`epoch` before the epoch's workers start; a forked (or spawned) worker
    receives the value of that moment.

    Args:
        seed (int): The run's seed.
        rank (int): Distributed rank.
        disable_subprocess_warning (bool): Silence warnings in workers other than the first
            (as mmengine's ``worker_init_fn``).
    """

    def __init__(self, seed: int, rank: int = 0, disable_subprocess_warning: bool = False):
        self.seed, self.rank, self.epoch = seed, rank, 0
        self.disable_subprocess_warning = disable_subprocess_warning

    def __call__(self, worker_id: int) -> None:
        seed_generators(epoch_seeds(self.seed, self.epoch, self.rank, worker_id))
        if self.disable_subprocess_warning and worker_id != 0:
            warnings.simplefilter('ignore')


def _is_default_init(fn) -> bool:
    return fn is None or isinstance(fn, EpochWorkerInit) or (
        isinstance(fn, partial) and fn.func is mmengine_worker_init_fn)


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Seed every training epoch (main process and workers) from the run's seed and the epoch.

    Added to every run by ``tools/train.py``. It acts on epoch-based training loops only (an
    iteration-based loop starts its workers before any hook runs). A ``worker_init_fn`` that the
    config sets itself is kept (with a warning: resumed runs may then differ from uninterrupted
    ones).
    """

    priority = 'NORMAL'

    def __init__(self):
        self.worker_init: Optional[EpochWorkerInit] = None

    def before_train(self, runner) -> None:
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            return
        loader = runner.train_loop.dataloader
        if not _is_default_init(getattr(loader, 'worker_init_fn', None)):
            print_log('EpochSeedHook: the train dataloader has its own worker_init_fn; its '
                      'workers are not reseeded per epoch, so a resumed run may differ from an '
                      'uninterrupted one.', logger='current', level='WARNING')
            return
        if getattr(loader, 'persistent_workers', False) and loader.num_workers > 0:
            print_log('EpochSeedHook: persistent train workers keep their random state across '
                      'epochs and cannot be reseeded; a resumed run may differ from an '
                      'uninterrupted one (tools/train.py turns persistent_workers off for the '
                      'train dataloader).', logger='current', level='WARNING')
        quiet = getattr(loader.worker_init_fn, 'keywords', {}).get(
            'disable_subprocess_warning', False)
        self.worker_init = EpochWorkerInit(runner.seed, runner.rank, quiet)
        loader.worker_init_fn = self.worker_init

    def before_train_epoch(self, runner) -> None:
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            return
        seed_generators(epoch_seeds(runner.seed, runner.epoch, runner.rank))
        if self.worker_init is not None:
            self.worker_init.epoch = runner.epoch
