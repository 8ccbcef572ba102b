"""tools/dist_train.sh: two CPU processes (gloo) under torchrun through mmengine."""
import json
import os.path as osp
import socket

from helpers.tool_runner import run_tool


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_dist_train_two_cpu_processes(tiny_cls_config, tmp_path):
    work_dir = str(tmp_path / 'dist')
    with open(tiny_cls_config, 'a') as f:
        f.write("\ncustom_imports = dict(imports=['rank_step_recorder'], "
                "allow_failed_imports=False)\n"
                "custom_hooks = [dict(type='RankStepRecorder')]\n")
    proc = run_tool(['bash', 'tools/dist_train.sh', tiny_cls_config, '2', '--work-dir', work_dir,
                     '--cfg-options', 'train_cfg.max_iters=3'],
                    env_update={'PORT': str(_free_port())})
    for rank in (0, 1):
        with open(osp.join(work_dir, f'rank{rank}_steps.txt')) as f:
            steps = [line.split() for line in f]
        assert steps == [['1', '2'], ['2', '2'], ['3', '2']], (rank, steps)
    # DDP all-reduced the gradients: both ranks saw different samples yet hold equal weights.
    sums = [json.load(open(osp.join(work_dir, f'rank{r}_params.json')))['param_sum']
            for r in (0, 1)]
    assert abs(sums[0] - sums[1]) < 1e-6 * max(1.0, abs(sums[0])), sums
    assert 'Distributed training is not used' not in proc.stdout + proc.stderr
