"""Kill + ``--resume`` repeats an uninterrupted CPU run bit for bit, random augmentation included.

Each run is the procedural PARE config with its default random pipeline (flip, bbox scale /
rotation, colour jitter) on a narrow ResNet-18, validated every epoch (validation draws random
numbers too, in the uninterrupted run only). The interrupted run is killed with SIGKILL right
after its epoch-2 checkpoint is written, then resumed with ``--resume``.
"""
import json
import os
import os.path as osp
import random
import subprocess
import sys

import numpy as np
import pytest
import torch

from helpers.procedural_run import as_args, derived_config, make_procedural_data, tiny_options
from helpers.tool_runner import HELPERS, REPO, run_tool, tool_env
from mmhpse.engine.hooks.epoch_seed_hook import EpochWorkerInit, epoch_seeds, seed_generators
from mmhpse.utils.checkpoint import load_external_checkpoint

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
from compare_checkpoints import compare_state_dicts  # noqa: E402

EPOCHS, KILL_AFTER = 4, 2
KILL = dict(custom_imports=dict(imports=['kill_hook'], allow_failed_imports=False),
            custom_hooks=[dict(type='KillAfterEpoch')])


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory, surrogate_body_model_dir):
    return make_procedural_data(str(tmp_path_factory.mktemp('procedural')),
                                surrogate_body_model_dir)


def _train(config, work_dir, options, *extra, kill=False):
    args = [sys.executable, osp.join(REPO, 'tools/train.py'), config, '--work-dir', work_dir,
            *extra, '--cfg-options', *as_args(options)]
    env = tool_env()
    if kill:
        env['MMHPSE_TEST_KILL_AFTER_EPOCH'] = str(KILL_AFTER)
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)


def test_killed_and_resumed_run_equals_the_uninterrupted_one(data_dir, surrogate_body_model_dir,
                                                            tmp_path):
    """Augmentation in the main process (``num_workers=0``); the study-job test below runs the
    same kill + resume with one worker process."""
    options = tiny_options(data_dir, surrogate_body_model_dir, epochs=EPOCHS, num_workers=0)
    config = derived_config(tmp_path, **KILL)
    full, split = str(tmp_path / 'full'), str(tmp_path / 'split')
    done = _train(config, full, options)
    assert done.returncode == 0, done.stderr[-3000:]

    killed = _train(config, split, options, kill=True)
    assert killed.returncode == -9, killed.stderr[-3000:]  # SIGKILL, right after epoch 2
    assert osp.exists(osp.join(split, f'epoch_{KILL_AFTER}.pth'))
    assert not osp.exists(osp.join(split, f'epoch_{KILL_AFTER + 1}.pth'))
    # the checkpoint a run writes loads without arbitrary unpickling
    torch.load(osp.join(split, f'epoch_{KILL_AFTER}.pth'), weights_only=True)
    resumed = _train(config, split, options, '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f'resumed epoch: {KILL_AFTER}' in resumed.stdout + resumed.stderr

    a = load_external_checkpoint(osp.join(full, f'epoch_{EPOCHS}.pth'))
    b = load_external_checkpoint(osp.join(split, f'epoch_{EPOCHS}.pth'))
    diff = compare_state_dicts(a['state_dict'], b['state_dict'])
    assert (diff['max_abs'], diff['rel_l2'], diff['num_different']) == (0.0, 0.0, 0)
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    state_a, state_b = a['optimizer']['state'], b['optimizer']['state']
    assert state_a.keys() == state_b.keys()
    for idx in state_a:
        for name, value in state_a[idx].items():
            assert torch.equal(value, state_b[idx][name]), (idx, name)
    # the runs did train: the weights moved away from the epoch-2 ones
    mid = load_external_checkpoint(osp.join(split, f'epoch_{KILL_AFTER}.pth'))['state_dict']
    assert compare_state_dicts(a['state_dict'], mid)['max_abs'] > 1e-4


def test_epoch_seeds_differ_per_epoch_rank_and_worker_and_repeat():
    keys = [(0, e, r, w) for e in range(3) for r in range(2) for w in (None, 0, 1)]
    seeds = [epoch_seeds(*k) for k in keys]
    assert len(set(seeds)) == len(keys)  # no two (epoch, rank, worker) share a seed
    assert seeds == [epoch_seeds(*k) for k in keys]  # a pure function of its arguments
    assert epoch_seeds(1, 0, 0) != epoch_seeds(0, 0, 0)
    assert all(0 <= t < 2**63 and 0 <= n < 2**32 for _, n, t in seeds)


def _draws():
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_worker_init_seeds_all_three_generators_from_its_epoch():
    init = EpochWorkerInit(seed=5, rank=0)
    init.epoch = 3
    init(1)
    first = _draws()
    seed_generators(epoch_seeds(5, 3, 0, 1))
    assert _draws() == first  # the same as seeding by hand
    init(0)
    other_worker = _draws()
    init.epoch = 4
    init(1)
    next_epoch = _draws()
    assert len({first, other_worker, next_epoch}) == 3  # workers and epochs draw anew


def test_workers_draw_new_augmentations_every_epoch(data_dir, surrogate_body_model_dir,
                                                    tmp_path):
    """mmengine seeds each worker with seed + worker id: workers started anew every epoch then
    flip, scale and jitter every sample the same way each epoch. Here they do not."""
    options = tiny_options(data_dir, surrogate_body_model_dir, epochs=2, num_workers=1)
    options.update({'train_dataloader.sampler.shuffle': False, 'train_cfg.val_interval': 10,
                    'train_dataloader.persistent_workers': False})
    config = derived_config(
        tmp_path, custom_imports=dict(imports=['augmentation_recorder'],
                                      allow_failed_imports=False),
        custom_hooks=[dict(type='AugmentationRecorder')])
    work = str(tmp_path / 'work')
    run_tool(['tools/train.py', config, '--work-dir', work, '--cfg-options', *as_args(options)],
             env_update={'PYTHONPATH': os.pathsep.join([REPO, HELPERS])})
    with open(osp.join(work, 'augmentations.json')) as f:
        epochs = json.load(f)
    assert len(epochs) == 2 and len(epochs['0']) == len(epochs['1']) == 8
    assert epochs['0'] != epochs['1']


def test_a_killed_study_job_resumes_to_the_uninterrupted_result(
        data_dir, surrogate_body_model_dir, tmp_path, monkeypatch):
    """The study's JobRunner resumes a killed job (checkpoint, no done.json): same weights and
    the same MPJPE as the job that was never interrupted."""
    from mmhpse.study import JobRunner
    jobs = JobRunner(REPO, progress=lambda line: None)
    base = derived_config(tmp_path, **KILL)
    options = tiny_options(data_dir, surrogate_body_model_dir, epochs=3, num_workers=1)
    monkeypatch.setenv('PYTHONPATH', os.pathsep.join([HELPERS, os.environ.get('PYTHONPATH', '')]))
    monkeypatch.syspath_prepend(HELPERS)  # the job config is read here too (custom_imports)
    results, metrics = {}, {}
    for name in ('uninterrupted', 'killed'):
        job_dir = str(tmp_path / name)
        config = jobs.write_job_config(base, job_dir, options)
        if name == 'killed':
            monkeypatch.setenv('MMHPSE_TEST_KILL_AFTER_EPOCH', str(KILL_AFTER))
            first = jobs.train(config, job_dir, name)
            assert not first.ok and first.error == 'exit code -9'
            assert osp.exists(osp.join(job_dir, 'last_checkpoint'))
            monkeypatch.delenv('MMHPSE_TEST_KILL_AFTER_EPOCH')
        results[name] = jobs.train(config, job_dir, name)
        assert results[name].ok, results[name].error
        test_dir = osp.join(job_dir, 'test')
        test_config = jobs.write_job_config(config, test_dir, {})  # as the study runner does
        tested = jobs.test(test_config, results[name].output, test_dir, name)
        assert tested.ok, tested.error
        with open(tested.output) as f:
            metrics[name] = json.load(f)
    with open(osp.join(str(tmp_path / 'killed'), 'job.log')) as f:
        assert '--resume' in f.read()  # the second call resumed, it did not start over
    a = load_external_checkpoint(results['uninterrupted'].output)['state_dict']
    b = load_external_checkpoint(results['killed'].output)['state_dict']
    assert compare_state_dicts(a, b)['num_different'] == 0
    assert metrics['killed'] == metrics['uninterrupted']
    assert set(metrics['killed']) == {'procedural/mpjpe', 'procedural/pa-mpjpe', 'procedural/pve'}
