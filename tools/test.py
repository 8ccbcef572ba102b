"""Evaluate a checkpoint on a config's test set and print the metric table.

The checkpoint must fill every weight of the config's model with the model's shapes (the body
model's buffers come from its files); ``--allow-partial`` accepts one that does not.
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import Config, DictAction

from mmhpse.engine.runner_setup import (add_safe_checkpoint_hook, build_runner,
                                        merge_common_args)


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save evaluation results')
    parser.add_argument('--out', help='write the metrics as JSON to this file')
    parser.add_argument(
        '--allow-partial', action='store_true',
        help='evaluate even when CHECKPOINT leaves model weights unfilled or has shape '
        'mismatches (a warning lists them). Default: such a checkpoint fails with the key lists')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. test_dataloader.batch_size=8')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def format_metrics(metrics: dict) -> str:
    """A two-column markdown table of the metrics (values as they are: mm for mesh metrics)."""
    width = max([len('metric')] + [len(k) for k in metrics])
    lines = [f'| {"metric".ljust(width)} | value |', f'|{"-" * (width + 2)}|-------|']
    for key, value in metrics.items():
        shown = f'{value:.2f}' if isinstance(value, float) else str(value)
        lines.append(f'| {key.ljust(width)} | {shown} |')
    return '\n'.join(lines)


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg = merge_common_args(cfg, args.config, args.work_dir, args.launcher, args.cfg_options)
    cfg.load_from = args.checkpoint
    add_safe_checkpoint_hook(cfg, allow_partial=args.allow_partial)
    runner = build_runner(cfg)
    metrics = runner.test()
    if runner.rank == 0:
        print(format_metrics(metrics))
        if args.out:
            os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
            with open(args.out, 'w') as f:
                json.dump(metrics, f, indent=2)


if __name__ == '__main__':
    main()
