"""Bad checkpoints fail when they are loaded, naming the file and what is wrong with it.

Each bad file is built here: a checkpoint that leaves weights unfilled (backbone only), one of
another depth, NaN / Inf weights, text, empty and truncated files. They are given to every path
that loads weights: ``tools/test.py``, ``load_from`` and ``--resume`` of ``tools/train.py``,
``StrictPretrained`` and ``init_model``.
"""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from helpers.procedural_run import CONFIG, as_args, make_procedural_data, tiny_options
from helpers.tool_runner import REPO, tool_env
from mmhpse.apis import init_model
from mmhpse.utils.checkpoint import (NonFiniteWeightsError, UnreadableCheckpointError,
                                     UnsafeCheckpointError, load_external_checkpoint)
from mmhpse.utils.strict_load import IncompleteCheckpointError


@pytest.fixture(scope='module')
def tiny(tmp_path_factory, surrogate_body_model_dir):
    """Data, options and a complete checkpoint (all weights randomised) of a tiny PARE."""
    folder = tmp_path_factory.mktemp('ckpt_tiny')
    data = make_procedural_data(str(folder / 'data'), surrogate_body_model_dir)
    options = tiny_options(data, surrogate_body_model_dir)
    cfg = Config.fromfile(osp.join(REPO, CONFIG))
    cfg.merge_from_dict(options)
    model = init_model(cfg)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, value in model.state_dict().items():
            if value.is_floating_point() and not name.startswith('body_model.'):
                value.add_(torch.randn(value.shape, generator=gen) * 0.01)
    state = {k: v for k, v in model.state_dict().items() if not k.startswith('body_model.')}
    good = str(folder / 'good.pth')
    torch.save({'state_dict': state, 'meta': {'epoch': 1, 'iter': 2}}, good)
    return dict(options=options, cfg=cfg, state=state, good=good, folder=folder)


def _tool(tool, *args, options=None):
    cmd = [sys.executable, osp.join(REPO, 'tools', tool), *args]
    if options:
        cmd += ['--cfg-options', *as_args(options)]
    return subprocess.run(cmd, cwd=REPO, env=tool_env(), capture_output=True, text=True,
                          timeout=600)


def _save(path, state, **extra):
    torch.save(dict(state_dict=state, meta=dict(epoch=1, iter=2), **extra), path)
    return str(path)


def test_backbone_only_checkpoint_fails_tools_test_and_allow_partial_evaluates(tiny, tmp_path):
    backbone = _save(tmp_path / 'backbone_only.pth',
                     {k: v for k, v in tiny['state'].items() if k.startswith('backbone.')})
    proc = _tool('test.py', CONFIG, backbone, '--work-dir', str(tmp_path / 'w1'),
                 options=tiny['options'])
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert 'IncompleteCheckpointError' in last and backbone in last
    assert 'does not fit ImageMeshEstimator' in last
    num_head = len([k for k in tiny['state'] if k.startswith('head.')
                    and not k.endswith('num_batches_tracked')])  # counters may be absent
    # every head weight is listed as missing (the first 30 by name, then how many more)
    assert f"{num_head} missing keys ['head." in last and f'(+{num_head - 30} more)' in last
    assert 'backbone.' not in last.split('missing keys')[1]
    assert 'procedural/mpjpe' not in proc.stdout  # no metrics printed

    proc = _tool('test.py', CONFIG, backbone, '--work-dir', str(tmp_path / 'w2'),
                 '--allow-partial', options=tiny['options'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'partial load allowed' in proc.stdout + proc.stderr
    assert 'procedural/mpjpe' in proc.stdout


def test_resnet50_checkpoint_on_a_resnet18_config_fails_with_shape_mismatches(tiny, tmp_path):
    from mmpretrain.models import ResNet
    r50 = {'backbone.' + k: v for k, v in
           ResNet(50, stem_channels=8, base_channels=8).state_dict().items()}
    state = {k: v for k, v in tiny['state'].items() if not k.startswith('backbone.')}
    path = _save(tmp_path / 'r50.pth', {**state, **r50})
    proc = _tool('test.py', CONFIG, path, '--work-dir', str(tmp_path / 'w'),
                 options=tiny['options'])
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert path in last and 'shape mismatches' in last
    assert 'backbone.layer1.0.conv1.weight: checkpoint (8, 8, 1, 1) vs model (8, 8, 3, 3)' in last


def test_load_from_is_strict_unless_the_config_allows_partial(tiny, tmp_path):
    partial = {k: v for k, v in tiny['state'].items() if not k.startswith('head.cam_')}
    path = _save(tmp_path / 'partial.pth', partial)
    options = dict(tiny['options'], load_from=path)
    proc = _tool('train.py', CONFIG, '--work-dir', str(tmp_path / 'strict'), options=options)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert path in last and "2 missing keys ['head.cam_regressor.weight', " \
                           "'head.cam_regressor.bias']" in last
    assert not osp.exists(tmp_path / 'strict' / 'epoch_1.pth')  # failed before training

    options['allow_partial_load'] = True
    proc = _tool('train.py', CONFIG, '--work-dir', str(tmp_path / 'partial'), options=options)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'partial load allowed' in proc.stdout + proc.stderr
    trained = load_external_checkpoint(str(tmp_path / 'partial' / 'epoch_1.pth'))['state_dict']
    assert trained.keys() >= tiny['state'].keys()


def _nan_state(tiny):
    state = dict(tiny['state'])
    bad = state['backbone.layer2.0.conv1.weight'].clone()
    bad[0, 0, 0, 0] = float('nan')
    bad[1, 0, 0, 0] = float('inf')
    state['backbone.layer2.0.conv1.weight'] = bad
    state['head.shape_regressor.bias'] = torch.full_like(state['head.shape_regressor.bias'],
                                                         float('nan'))
    return state


NAN_MESSAGE = ('2 weight tensors hold NaN or Inf values: state_dict.backbone.layer2.0.conv1.weight'
               ' (1 NaN, 1 Inf of ')


def test_nan_weights_fail_every_loader(tiny, tmp_path):
    path = _save(tmp_path / 'nan.pth', _nan_state(tiny))
    with pytest.raises(NonFiniteWeightsError) as err:
        load_external_checkpoint(path)
    assert str(err.value).startswith(f'{path}: {NAN_MESSAGE}')
    assert 'state_dict.head.shape_regressor.bias (10 NaN, 0 Inf of 10)' in str(err.value)

    with pytest.raises(NonFiniteWeightsError, match='nan.pth: 2 weight tensors'):
        init_model(tiny['cfg'], path)

    from mmengine.registry import DefaultScope

    from mmhpse.registry import MODELS
    backbone = dict(tiny['cfg'].model.backbone, init_cfg=dict(
        type='StrictPretrained', checkpoint=path, prefix='backbone.'))
    with DefaultScope.overwrite_default_scope('mmhpse'):
        model = MODELS.build(backbone)
        with pytest.raises(NonFiniteWeightsError, match='nan.pth: 2 weight tensors'):
            model.init_weights()

    runs = {
        'test': ('test.py', CONFIG, path, '--work-dir', str(tmp_path / 't')),
        'load_from': ('train.py', CONFIG, '--work-dir', str(tmp_path / 'l'), '--cfg-options',
                      f'load_from={path}'),
        'resume': ('train.py', CONFIG, '--work-dir', str(tmp_path / 'r'), '--resume', path),
    }
    for name, args in runs.items():
        proc = _tool(*args, options=tiny['options'])
        assert proc.returncode != 0, name
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith(f'mmhpse.utils.checkpoint.NonFiniteWeightsError: {path}: '
                               f'{NAN_MESSAGE}'), (name, last)


def test_a_text_file_as_checkpoint_is_named(tiny, tmp_path):
    text = tmp_path / 'notes.pth'
    text.write_text('epoch: 3\nlr: 0.1\n')  # torch.load alone: IndexError: pop from empty list
    with pytest.raises(UnreadableCheckpointError) as err:
        load_external_checkpoint(str(text))
    assert str(err.value).startswith(f'{text} cannot be read as a checkpoint (IndexError: pop '
                                     'from empty list): it is empty, truncated or corrupt, or '
                                     "not a file written by torch.save (it starts with b'epoch")
    proc = _tool('test.py', CONFIG, str(text), '--work-dir', str(tmp_path / 'w'),
                 options=tiny['options'])
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f'mmhpse.utils.checkpoint.UnreadableCheckpointError: {text} cannot '
                           'be read as a checkpoint')


def test_empty_truncated_and_corrupt_files_are_named(tiny, tmp_path):
    with open(tiny['good'], 'rb') as f:
        data = f.read()
    cases = {
        'empty.pth': (b'', 'EOFError'),
        'truncated.pth': (data[:len(data) // 2], 'failed reading zip archive'),
        'random.pth': (bytes(range(256)) * 4, 'UnpicklingError'),
        'json.pth': (b'{"state_dict": {}}', 'UnpicklingError'),
    }
    for name, (content, reason) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(UnreadableCheckpointError) as err:
            load_external_checkpoint(str(path))
        assert str(err.value).startswith(f'{path} cannot be read as a checkpoint'), name
        assert reason in str(err.value) and f'{len(content)} bytes' in str(err.value), name


def test_files_that_are_fine_still_load(tiny, tmp_path):
    """No false alarm: a legacy (non-zip) torch file, integer buffers, an Inf outside the
    weights (optimizer state is not checked)."""
    legacy = str(tmp_path / 'legacy.pth')
    torch.save({'state_dict': tiny['state']}, legacy, _use_new_zipfile_serialization=False)
    assert load_external_checkpoint(legacy)['state_dict'].keys() == tiny['state'].keys()
    extra = _save(tmp_path / 'extra.pth', tiny['state'],
                  optimizer={'state': {0: {'exp_avg': torch.tensor([float('inf')])}}})
    init_model(tiny['cfg'], extra)


def test_a_pickled_object_is_still_refused_as_unsafe(tmp_path):
    path = str(tmp_path / 'obj.pth')
    torch.save({'state_dict': {}, 'meta': {'when': __import__('datetime').date(2026, 1, 1)}}, path)
    with pytest.raises(UnsafeCheckpointError, match='datetime.date'):
        load_external_checkpoint(path)


def test_incomplete_checkpoint_error_is_a_key_error_with_a_plain_message():
    err = IncompleteCheckpointError('x.pth does not fit M')
    assert isinstance(err, KeyError) and str(err) == 'x.pth does not fit M'
