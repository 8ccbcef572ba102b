"""Train a model from a config of any scope (mmhpse, mmpretrain, mmpose) with mmengine's Runner."""
import argparse
import os

from mmengine.config import Config, DictAction

from mmhpse.engine.runner_setup import (add_safe_checkpoint_hook, build_runner,
                                        configure_reproducible_training, merge_common_args)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the latest checkpoint in the work dir (no value, or "auto") or from '
        'the given checkpoint path')
    parser.add_argument(
        '--allow-partial', action='store_true',
        help='accept a load_from / resume checkpoint that leaves model weights unfilled or has '
        'shape mismatches (they keep their initialisation; a warning lists them). Default: such '
        'a checkpoint fails with the key lists (config key allow_partial_load)')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--no-validate', action='store_true', help='skip validation')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by the actual / the base batch size')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. train_cfg.max_epochs=2 "key=[a,b]"')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg = merge_common_args(cfg, args.config, args.work_dir, args.launcher, args.cfg_options)
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    add_safe_checkpoint_hook(cfg, allow_partial=args.allow_partial)
    configure_reproducible_training(cfg)
    runner = build_runner(cfg)
    runner.train()


if __name__ == '__main__':
    main()
