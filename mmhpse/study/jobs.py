"""Run the jobs of a study: one config per job, resumable, through the project's own tools.

Every job gets a folder with the exact config it runs (``job_config.py``, dumped by mmengine after
the study's overrides are applied), its log (``job.log``) and, once it succeeded, ``done.json``.
A job with ``done.json`` is never rerun; a job with a checkpoint but no ``done.json`` (killed) is
resumed with ``--resume``. ``done.json`` records the sha256 of the job's config: a finished job
whose config has changed since (another study setting, another mmhpse) is refused with
:class:`StaleJobError` instead of being reused with results of the old settings. Jobs run through ``tools/train.py`` locally, ``tools/dist_train.sh``
(``launcher='pytorch'``) or ``tools/slurm_train.sh`` (``launcher='slurm'``).
"""
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable, List, Optional

from mmengine.config import Config

_EPOCH = re.compile(r'Epoch\(train\)\s*\[(\d+)\]\[\s*(\d+)/(\d+)\].*?eta: (\S+)')
_ITER = re.compile(r'Iter\(train\)\s*\[\s*(\d+)/(\d+)\].*?eta: (\S+)')


class StaleJobError(RuntimeError):
    """A finished job folder holds the results of another config than the one asked for."""


def _sha256(path: str) -> str:
    import hashlib
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


@dataclass
class JobResult:
    ok: bool
    job_dir: str
    log: str
    seconds: float = 0.0
    output: Optional[str] = None  # a checkpoint (train) or a metrics JSON (test)
    error: str = ''


class JobRunner:
    """Runs train / test jobs as subprocesses of the repo's tools and reports progress.

    Args:
        repo (str): Repository root (where ``tools/`` lives).
        launcher (str): ``'none'``, ``'pytorch'`` or ``'slurm'``.
        gpus (int): Processes per job for ``pytorch`` / tasks for ``slurm``.
        partition (str, optional): Slurm partition.
        progress (callable): Called with one line of progress text.
        threads (int, optional): ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` of every job (set
            when jobs share the CPUs; unset keeps the environment's).
    """

    def __init__(self, repo: str, launcher: str = 'none', gpus: int = 1,
                 partition: Optional[str] = None, progress: Callable[[str], None] = print,
                 threads: Optional[int] = None):
        if launcher == 'slurm' and not partition:
            raise ValueError('launcher slurm needs a partition (--partition)')
        self.repo, self.launcher, self.gpus, self.partition = repo, launcher, gpus, partition
        self.progress, self.threads = progress, threads

    @staticmethod
    def is_done(job_dir: str) -> bool:
        return osp.exists(osp.join(job_dir, 'done.json'))

    @staticmethod
    def read_done(job_dir: str) -> dict:
        with open(osp.join(job_dir, 'done.json')) as f:
            return json.load(f)

    @staticmethod
    def write_job_config(base_config: str, job_dir: str, cfg_options: dict,
                         edit: Optional[Callable[[Config], None]] = None) -> str:
        """Dump ``base_config`` with ``cfg_options`` (dotted keys) and ``edit`` applied."""
        cfg = Config.fromfile(base_config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        if edit is not None:
            edit(cfg)
        cfg.work_dir = job_dir
        os.makedirs(job_dir, exist_ok=True)
        path = osp.join(job_dir, 'job_config.py')
        cfg.dump(path)
        return path

    def _command(self, tool: str, args: List[str], job_name: str) -> List[str]:
        if self.launcher == 'none':
            return [sys.executable, osp.join(self.repo, 'tools', f'{tool}.py'), *args]
        if self.launcher == 'pytorch':
            return ['bash', osp.join(self.repo, 'tools', f'dist_{tool}.sh'), args[0],
                    *([args[1]] if tool == 'test' else []), str(self.gpus),
                    *args[(2 if tool == 'test' else 1):]]
        script = osp.join(self.repo, 'tools', f'slurm_{tool}.sh')
        if tool == 'train':  # PARTITION JOB_NAME CONFIG WORK_DIR ...
            work_dir = args[args.index('--work-dir') + 1]
            rest = [a for i, a in enumerate(args[1:], 1)
                    if a != '--work-dir' and args[i - 1] != '--work-dir']
            return ['bash', script, self.partition, job_name, args[0], work_dir, *rest]
        return ['bash', script, self.partition, job_name, *args]

    def _run(self, cmd: List[str], log_path: str, label: str) -> int:
        env = dict(os.environ, PYTHON=sys.executable, GPUS=str(self.gpus),
                   PYTHONPATH=os.pathsep.join(
                       p for p in (self.repo, os.environ.get('PYTHONPATH', '')) if p))
        if self.threads:
            env.update(OMP_NUM_THREADS=str(self.threads), MKL_NUM_THREADS=str(self.threads))
        last = 0.0
        with open(log_path, 'a') as log:
            log.write(f'\n$ {" ".join(cmd)}\n')
            log.flush()
            proc = subprocess.Popen(cmd, cwd=self.repo, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, bufsize=1)
            for line in proc.stdout:
                log.write(line)
                m, n = _EPOCH.search(line), _ITER.search(line)
                now = time.time()
                if (m or n) and now - last > 5:
                    last = now
                    where = (f'epoch {m.group(1)} iter {m.group(2)}/{m.group(3)}, eta {m.group(4)}'
                             if m else f'iter {n.group(1)}/{n.group(2)}, eta {n.group(3)}')
                    self.progress(f'  {label}: {where}')
            return proc.wait()

    def check_fresh(self, config: str, job_dir: str) -> None:
        """Refuse a finished job whose recorded config is not ``config`` (see module doc)."""
        if not self.is_done(job_dir):
            return
        recorded = self.read_done(job_dir).get('config_sha256')
        if recorded != _sha256(config):
            why = ('was run by an older mmhpse that did not record its config' if recorded is None
                   else 'was run with another config')
            raise StaleJobError(f'{job_dir} {why}; its results would not match {config}. '
                                'Delete the folder (or use another study work_dir) to rerun it.')

    def train(self, config: str, job_dir: str, label: str) -> JobResult:
        """Train (or resume) ``config`` in ``job_dir``; returns the last checkpoint."""
        log = osp.join(job_dir, 'job.log')
        self.check_fresh(config, job_dir)
        if self.is_done(job_dir):
            return JobResult(True, job_dir, log, output=self.read_done(job_dir)['checkpoint'])
        # hashed before the run: mmengine's Runner.dump_config overwrites <work_dir>/job_config.py
        # with its runtime version (hooks, launcher), which is not what the next check compares
        sha = _sha256(config)
        args = [config, '--work-dir', job_dir]
        if osp.exists(osp.join(job_dir, 'last_checkpoint')):
            args.append('--resume')
            self.progress(f'  {label}: resuming from its last checkpoint')
        start = time.time()
        code = self._run(self._command('train', args, label.replace(' ', '_')), log, label)
        seconds = time.time() - start
        last = osp.join(job_dir, 'last_checkpoint')
        if code != 0 or not osp.exists(last):
            return JobResult(False, job_dir, log, seconds,
                             error=f'exit code {code}' if code else 'no checkpoint written')
        with open(last) as f:
            checkpoint = f.read().strip()
        self._done(job_dir, checkpoint=checkpoint, seconds=seconds, config_sha256=sha)
        return JobResult(True, job_dir, log, seconds, output=checkpoint)

    def test(self, config: str, checkpoint: str, job_dir: str, label: str) -> JobResult:
        """Evaluate ``checkpoint``; returns the metrics JSON path."""
        log = osp.join(job_dir, 'job.log')
        out = osp.join(job_dir, 'metrics.json')
        self.check_fresh(config, job_dir)
        if self.is_done(job_dir):
            return JobResult(True, job_dir, log, output=out)
        sha = _sha256(config)  # before the run, as in :meth:`train`
        start = time.time()
        code = self._run(self._command('test', [config, checkpoint, '--work-dir', job_dir,
                                                '--out', out], label.replace(' ', '_')),
                         log, label)
        seconds = time.time() - start
        if code != 0 or not osp.exists(out):
            return JobResult(False, job_dir, log, seconds,
                             error=f'exit code {code}' if code else 'no metrics written')
        self._done(job_dir, metrics=out, seconds=seconds, config_sha256=sha)
        return JobResult(True, job_dir, log, seconds, output=out)

    @staticmethod
    def _done(job_dir: str, **info) -> None:
        with open(osp.join(job_dir, 'done.json'), 'w') as f:
            json.dump(info, f, indent=2)
