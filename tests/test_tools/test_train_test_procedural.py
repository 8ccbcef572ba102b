"""The 3DHPSE half through the command-line tools: tools/train.py trains the procedural PARE config
and validates it, tools/test.py evaluates the checkpoint and prints mpjpe / pa-mpjpe / pve."""
import json
import os.path as osp

import numpy as np

from helpers.tool_runner import run_tool

CONFIG = 'configs/pare/pare_resnet18-scratch_1xb16-24e_procedural-128x96.py'


def _options(data_dir, bm):
    opts = {
        'model.head.smpl_mean_params': osp.join(bm, 'smpl_mean_params.npz'),
        'model.body_model.model_path': osp.join(bm, 'smpl'),
        'model.body_model.joint_regressor_extra': osp.join(bm, 'J_regressor_extra.npy'),
        'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1,
        'default_hooks.checkpoint.interval': 1, 'default_hooks.checkpoint.save_best': None,
    }
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts.update({f'{loader}.dataset.data_root': data_dir, f'{loader}.batch_size': 4,
                     f'{loader}.num_workers': 0, f'{loader}.persistent_workers': False})
    for evaluator in ('val_evaluator', 'test_evaluator'):
        opts.update({f'{evaluator}.body_model.model_path': osp.join(bm, 'smpl'),
                     f'{evaluator}.body_model.joint_regressor_h36m':
                     osp.join(bm, 'J_regressor_h36m.npy')})
    return [f'{k}={v}' for k, v in opts.items()]


def test_train_then_test_prints_the_mesh_metrics(tmp_path, surrogate_body_model_dir):
    from mmhpse.synthetic.procedural import generate_procedural_dataset
    data_dir = str(tmp_path / 'procedural')
    bm = surrogate_body_model_dir
    generate_procedural_dataset(osp.join(data_dir, 'train.npz'), bm, 8, (96, 96), 0, '.jpg')
    generate_procedural_dataset(osp.join(data_dir, 'test.npz'), bm, 4, (96, 96), 1, '.jpg')
    work_dir = str(tmp_path / 'work')
    options = _options(data_dir, bm)
    run_tool(['tools/train.py', CONFIG, '--work-dir', work_dir, '--cfg-options', *options])
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    assert osp.exists(checkpoint)

    out = str(tmp_path / 'metrics.json')
    proc = run_tool(['tools/test.py', CONFIG, checkpoint, '--work-dir', str(tmp_path / 'test'),
                     '--out', out, '--cfg-options', *options])
    metrics = json.load(open(out))
    assert set(metrics) == {'procedural/mpjpe', 'procedural/pa-mpjpe', 'procedural/pve'}
    assert all(np.isfinite(v) and v > 0 for v in metrics.values())
    for key, value in metrics.items():  # the printed table holds the same numbers
        assert f'| {key.ljust(19)} | {value:.2f} |' in proc.stdout, proc.stdout[-2000:]
