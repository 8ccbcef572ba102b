"""tools/train.py on an mmpretrain-scope config: training, and --resume under torch 2.14."""
import json
import os.path as osp

import torch

from helpers.tool_runner import run_tool
from mmhpse.utils.checkpoint import load_external_checkpoint


def _scalar_steps(work_dir):
    """Logged training steps of each run in ``work_dir`` (one ``scalars.json`` per run)."""
    import glob
    runs = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            runs.append([json.loads(line)['step'] for line in f if '"loss"' in line])
    return runs


def test_resume_reaches_the_weights_of_an_uninterrupted_run(tiny_cls_config, tmp_path):
    full, split = str(tmp_path / 'full'), str(tmp_path / 'split')
    run_tool(['tools/train.py', tiny_cls_config, '--work-dir', full])
    run_tool(['tools/train.py', tiny_cls_config, '--work-dir', split,
              '--cfg-options', 'train_cfg.max_iters=2'])
    assert osp.exists(osp.join(split, 'iter_2.pth'))
    assert not osp.exists(osp.join(split, 'iter_4.pth'))
    # The interrupted run's checkpoint loads with weights_only=True (no arbitrary unpickling).
    ckpt = torch.load(osp.join(split, 'iter_2.pth'), map_location='cpu', weights_only=True)
    assert 'message_hub' in ckpt and 'optimizer' in ckpt

    run_tool(['tools/train.py', tiny_cls_config, '--work-dir', split, '--resume'])

    a = load_external_checkpoint(osp.join(full, 'iter_4.pth'))
    b = load_external_checkpoint(osp.join(split, 'iter_4.pth'))
    assert a['meta']['iter'] == b['meta']['iter'] == 4
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key, value in a['state_dict'].items():
        torch.testing.assert_close(b['state_dict'][key], value, rtol=0, atol=1e-6, msg=key)
    # The resumed run logged iterations 3 and 4 only: it continued, it did not start over.
    assert _scalar_steps(split) == [[1, 2], [3, 4]]
    # and the message hub came back: the resumed log holds the history of the first run.
    assert b['message_hub']['log_scalars']['train/loss'].data[0].shape[0] == 4


def test_resume_from_an_explicit_path(tiny_cls_config, tmp_path):
    first, second = str(tmp_path / 'first'), str(tmp_path / 'second')
    run_tool(['tools/train.py', tiny_cls_config, '--work-dir', first,
              '--cfg-options', 'train_cfg.max_iters=2'])
    run_tool(['tools/train.py', tiny_cls_config, '--work-dir', second,
              '--resume', osp.join(first, 'iter_2.pth')])
    ckpt = load_external_checkpoint(osp.join(second, 'iter_4.pth'))
    assert ckpt['meta']['iter'] == 4
    assert not osp.exists(osp.join(second, 'iter_2.pth'))
