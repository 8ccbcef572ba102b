"""tools/model_converters/publish_model.py: strips runtime state, names the file by its sha256."""
import hashlib
import os
import re
from collections import OrderedDict

import numpy as np
import pytest
import torch
from helpers.tool_runner import run_tool

from mmhpse.utils.checkpoint import encode_safe

TOOL = 'tools/model_converters/publish_model.py'


def _training_checkpoint(path, experiment_name='pare_tiny_8xb2-5e_mix_20261126_101112'):
    """A checkpoint shaped like mmengine's Runner writes it (through SafeCheckpointHook)."""
    from mmengine.logging import HistoryBuffer
    gen = torch.Generator().manual_seed(0)
    state_dict = OrderedDict([
        ('backbone.conv1.weight', torch.randn(8, 3, 3, 3, generator=gen)),
        ('backbone.bn1.running_mean', torch.randn(8, generator=gen)),
        ('head.cam_regressor.weight', torch.randn(3, 16, generator=gen)),
        ('body_model.body.v_template', torch.randn(50, 3, generator=gen)),
        ('body_model.J_regressor_extra', torch.randn(9, 50, generator=gen)),
    ])
    checkpoint = dict(
        meta=dict(cfg='model = dict(...)\n' * 200, seed=3, experiment_name=experiment_name,
                  time='20261126_101112', mmengine_version='0.10.7', epoch=5, iter=50,
                  dataset_meta=dict(dataset_name='h36m', num_keypoints=np.int64(49))),
        state_dict=state_dict,
        message_hub=dict(log_scalars={'train/loss': HistoryBuffer([1., 0.5], [1, 1])},
                         runtime_info={'epoch': 5}),
        optimizer=dict(state={0: dict(exp_avg=torch.ones(8, 3, 3, 3))},
                       param_groups=[dict(lr=1e-4, params=[0])]),
        param_schedulers=[dict(milestones={90: 1}, gamma=0.1)],
        ema_state_dict=OrderedDict((k, v + 1) for k, v in state_dict.items()),
    )
    torch.save(encode_safe(checkpoint), path)
    return state_dict


def _load_tool():
    from helpers.tool_runner import load_tool
    return load_tool(TOOL)


def _sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_publish_strips_state_and_names_by_hash(tmp_path):
    src = str(tmp_path / 'epoch_5.pth')
    state_dict = _training_checkpoint(src)
    out_dir = tmp_path / 'zoo'
    old_umask = os.umask(0o022)
    try:
        proc = run_tool([TOOL, src, str(out_dir), '--date', '20261127'])
    finally:
        os.umask(old_umask)
    out_file = proc.stdout.strip().splitlines()[-1]

    assert os.listdir(out_dir) == [os.path.basename(out_file)]  # no temporary file left
    match = re.fullmatch(r'pare_tiny_8xb2-5e_mix_20261127-([0-9a-f]{8})\.pth',
                         os.path.basename(out_file))
    assert match, out_file
    assert match.group(1) == _sha256(out_file)[:8]

    published = torch.load(out_file, map_location='cpu', weights_only=True)  # plain safe load
    assert set(published) == {'state_dict', 'meta'}
    assert list(published['state_dict']) == [
        'backbone.conv1.weight', 'backbone.bn1.running_mean', 'head.cam_regressor.weight']
    for key, value in published['state_dict'].items():
        assert torch.equal(value, state_dict[key])
    meta = published['meta']
    assert set(meta) == {'epoch', 'iter', 'seed', 'dataset_meta', 'mmengine_version',
                         'mmhpse_version', 'source_experiment', 'config_name', 'published'}
    assert (meta['epoch'], meta['iter'], meta['config_name'], meta['published']) == (
        5, 50, 'pare_tiny_8xb2-5e_mix', '20261127')
    assert meta['source_experiment'] == 'pare_tiny_8xb2-5e_mix_20261126_101112'
    assert os.path.getsize(out_file) < os.path.getsize(src) / 1.5
    assert os.stat(out_file).st_mode & 0o044 == 0o044  # readable by others (umask 022)


def test_publish_config_name_from_option_and_default_date(tmp_path):
    import datetime
    src = str(tmp_path / 'latest.pth')
    _training_checkpoint(src)
    proc = run_tool([TOOL, src, str(tmp_path), '--config', 'configs/pare/pare_r50_h36m.py'])
    name = os.path.basename(proc.stdout.strip().splitlines()[-1])
    today = datetime.date.today().strftime('%Y%m%d')
    assert re.fullmatch(rf'pare_r50_h36m_{today}-[0-9a-f]{{8}}\.pth', name), name


def test_publish_is_deterministic(tmp_path):
    src = str(tmp_path / 'epoch_5.pth')
    _training_checkpoint(src)
    publish = _load_tool().publish
    first = publish(src, str(tmp_path / 'a'), date='20261127')
    second = publish(src, str(tmp_path / 'b'), date='20261127')
    assert os.path.basename(first) == os.path.basename(second)


@pytest.mark.parametrize('args, message', [
    ([], 'has no meta.experiment_name'),
    (['--config', 'x.py', '--date', '2026-11-27'], '--date must be YYYYMMDD'),
])
def test_publish_errors_name_the_file(tmp_path, args, message):
    src = str(tmp_path / 'bare.pth')
    torch.save({'state_dict': {'w': torch.zeros(2)}}, src)
    with pytest.raises(AssertionError) as err:
        run_tool([TOOL, src, str(tmp_path / 'out'), *args])
    assert f'publish_model: {src}: ' in str(err.value) and message in str(err.value)
