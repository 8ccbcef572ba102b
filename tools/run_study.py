"""Run a study: pre-trainings × label fractions → fine-tuning → evaluation → tables and curves.

    python tools/run_study.py configs/studies/quickstart.py
    python tools/run_study.py configs/studies/paper.py --launcher pytorch --gpus 8
    python tools/run_study.py configs/studies/paper.py --launcher slurm --gpus 8 --partition p

A killed study resumes where it stopped when run again: finished jobs are reused.
"""
import argparse
import os.path as osp
import sys
import warnings

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('study', help='study config (configs/studies/*.py)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none',
                        help='how each job is launched: in sequence here (none), '
                        'tools/dist_train.sh (pytorch) or tools/slurm_train.sh (slurm)')
    parser.add_argument('--gpus', type=int, default=1, help='GPUs per job (pytorch / slurm)')
    parser.add_argument('--partition', help='slurm partition')
    args = parser.parse_args()
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated')
    from mmhpse.study import StudyConfigError, run_study
    from mmhpse.study.jobs import StaleJobError
    try:
        code = run_study(args.study, REPO, args.launcher, args.gpus, args.partition,
                         progress=lambda line: print(line, flush=True))
    except (StudyConfigError, StaleJobError) as err:
        print(f'error: {err}', file=sys.stderr)
        code = 2
    sys.exit(code)


if __name__ == '__main__':
    main()
