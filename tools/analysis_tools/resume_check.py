"""Does an interrupted and resumed run end where an uninterrupted one does?

Trains CONFIG three times with ``tools/train.py``: uninterrupted for ``--epochs`` epochs; stopped
after ``--stop-after`` epochs (``train_cfg.max_epochs``); then resumed from that run's last
checkpoint with ``--resume`` up to ``--epochs``. Prints the difference of the final weights
(``max_abs``, ``rel_l2``, see ``compare_checkpoints.py``) as JSON::

    python tools/analysis_tools/resume_check.py CONFIG --work-dir /tmp/resume_check \
        --epochs 8 --stop-after 2 --cfg-options train_dataloader.num_workers=0 ...

``--repo`` runs the tools and the package of another checkout (e.g. to measure before a change).
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))


def train(repo, config, work_dir, options, *extra):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (repo, os.environ.get('PYTHONPATH', '')) if p))
    cmd = [sys.executable, osp.join(repo, 'tools', 'train.py'), config, '--work-dir', work_dir,
           *extra, '--cfg-options', *options]
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f'{" ".join(cmd)} exited {proc.returncode}:\n{proc.stderr[-3000:]}')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--epochs', type=int, default=8)
    parser.add_argument('--stop-after', type=int, default=2)
    parser.add_argument('--repo', default=REPO, help='checkout whose tools/train.py runs')
    parser.add_argument('--cfg-options', nargs='*', default=[])
    args = parser.parse_args(argv)
    common = [*args.cfg_options, 'default_hooks.checkpoint.interval=1',
              'default_hooks.checkpoint.max_keep_ckpts=-1']
    full, split = osp.join(args.work_dir, 'full'), osp.join(args.work_dir, 'split')
    train(args.repo, args.config, full, [*common, f'train_cfg.max_epochs={args.epochs}'])
    train(args.repo, args.config, split, [*common, f'train_cfg.max_epochs={args.stop_after}'])
    train(args.repo, args.config, split, [*common, f'train_cfg.max_epochs={args.epochs}'],
          '--resume')
    sys.path.insert(0, HERE)
    from compare_checkpoints import main as compare
    name = f'epoch_{args.epochs}.pth'
    result = compare([osp.join(full, name), osp.join(split, name)])
    with open(osp.join(args.work_dir, 'resume_check.json'), 'w') as f:
        json.dump(dict(result, repo=args.repo, epochs=args.epochs, stop_after=args.stop_after,
                       cfg_options=args.cfg_options), f, indent=2)


if __name__ == '__main__':
    main()
