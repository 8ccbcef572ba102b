"""The study runner: prepare data, pre-train, extract backbones, fine-tune, evaluate, report.

Layout under the study's ``work_dir``::

    pretrain/<name>/            training job of a pre-training config (+ backbone.pth)
    finetune/<name>/frac<tag>_seed<S>/        fine-tuning job (tag: fraction_tag, e.g. 12p5)
    finetune/<name>/frac<tag>_seed<S>/test_<benchmark>/   evaluation job
    reference/mean_pose/frac<tag>/            the mean-pose reference row (metrics.json)
    results.md  results.csv  convergence.png  failures.json  (published.json with ``publish``)

With ``parallel_jobs > 1`` (local launcher) independent jobs run at once, each with
``OMP_NUM_THREADS`` = CPUs / ``parallel_jobs``; the results do not depend on it.
"""
import json
import os
import os.path as osp
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, List, Optional

from mmengine.config import Config

from mmhpse.datasets.label_fraction import fraction_percent, fraction_tag

from .curves import curve_of, read_history
from .jobs import JobRunner
from .report import StudyReport
from .spec import FinetuneJob, Pretraining, Study, load_study

STRICT_INIT = 'StrictPretrained'


class StudyRunner:
    """Runs a :class:`~mmhpse.study.spec.Study` job by job; finished jobs are reused.

    Args:
        study (Study): The checked study.
        repo (str): Repository root.
        jobs (JobRunner): How jobs are launched.
        progress (callable): Receives progress lines.
    """

    def __init__(self, study: Study, repo: str, jobs: JobRunner,
                 progress: Callable[[str], None] = print):
        self.study, self.repo, self.jobs, self.progress = study, repo, jobs, progress
        self.work_dir = osp.abspath(osp.join(repo, study.work_dir))
        self.failures: List[dict] = []
        self.backbones: Dict[str, Optional[str]] = {}
        self.total = self._count_jobs()
        self.finished = 0
        self.durations: List[float] = []
        self.started = time.time()
        self.lock = threading.Lock()
        self.finetuned: Dict[str, dict] = {}  # job key -> checkpoint, config, metrics

    # ------------------------------------------------------------------ helpers
    def _path(self, rel: str) -> str:
        return rel if osp.isabs(rel) else osp.join(self.repo, rel)

    def _count_jobs(self) -> int:
        s = self.study
        pre = sum(1 for p in s.pretrainings if p.needs_training)
        return pre + len(s.finetune_jobs()) * (1 + len(s.benchmarks))

    def _step(self, label: str, result, reused: bool) -> None:
        with self.lock:
            self.finished += 1
            if not reused:
                self.durations.append(result.seconds)
            eta = ''
            if self.durations:
                left = ((self.total - self.finished) * sum(self.durations) / len(self.durations)
                        / self.study.parallel_jobs)
                eta = f', study eta ~{int(left // 60)}m{int(left % 60):02d}s'
            state = 'reused' if reused else ('done' if result.ok else 'FAILED')
            self.progress(f'[{self.finished}/{self.total}] {label}: {state}'
                          f'{"" if reused else f" in {result.seconds:.0f}s"}{eta}')
            if not result.ok:
                self.failures.append(dict(job=label, log=result.log, error=result.error))

    def _fail_skipped(self, label: str, reason: str) -> None:
        with self.lock:
            self.finished += 1
            self.failures.append(dict(job=label, log=None, error=reason))
            self.progress(f'[{self.finished}/{self.total}] {label}: SKIPPED ({reason})')

    def _map(self, fn: Callable, items: list) -> list:
        """``fn`` over ``items``, ``parallel_jobs`` at a time; results in item order."""
        if self.study.parallel_jobs <= 1 or len(items) <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(self.study.parallel_jobs) as pool:
            return list(pool.map(fn, items))

    # ------------------------------------------------------------------ stages
    def prepare(self) -> None:
        """Run the study's data steps whose outputs are missing (any failure aborts)."""
        for step in self.study.prepare:
            creates = step.get('creates')
            if creates and osp.exists(self._path(creates)):
                continue
            cmd = [sys.executable if c == 'python' else c for c in step['cmd']]
            self.progress(f'[prepare] {" ".join(step["cmd"])}')
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(
                p for p in (self.repo, os.environ.get('PYTHONPATH', '')) if p))
            proc = subprocess.run(cmd, cwd=self.repo, env=env, capture_output=True, text=True)
            if proc.returncode != 0 or (creates and not osp.exists(self._path(creates))):
                raise RuntimeError(f'prepare step {step["cmd"]} failed (exit {proc.returncode}):'
                                   f'\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}')

    def _extract(self, p: Pretraining, checkpoint: str) -> Optional[str]:
        out = osp.join(self.work_dir, 'pretrain', p.name, 'backbone.pth')
        if osp.exists(out):
            return out
        os.makedirs(osp.dirname(out), exist_ok=True)
        cmd = [sys.executable, osp.join(self.repo, 'tools/model_converters/extract_backbone.py'),
               self._path(checkpoint), out, '--depth', str(p.depth)]
        proc = subprocess.run(cmd, cwd=self.repo, capture_output=True, text=True)
        log = osp.join(osp.dirname(out), 'extract.log')
        with open(log, 'w') as f:
            f.write(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            self.failures.append(dict(job=f'extract {p.name}', log=log,
                                      error=(proc.stderr or proc.stdout).strip()[-500:]))
            self.progress(f'  extract {p.name}: FAILED (see {log})')
            return None
        self.progress(f'  extract {p.name}: {proc.stdout.strip().splitlines()[-1]}')
        return out

    def _pretrain_one(self, p: Pretraining):
        job_dir = osp.join(self.work_dir, 'pretrain', p.name)
        label = f'pretrain {p.name}'
        reused = self.jobs.is_done(job_dir)
        if not reused:
            self.progress(f'[..] {label} ...')
        config = self.jobs.write_job_config(self._path(p.config), job_dir, p.cfg_options,
                                            self._seed_pretraining)
        result = self.jobs.train(config, job_dir, label)
        self._step(label, result, reused)
        return result

    def pretrain(self) -> None:
        """Train missing pre-trainings (``parallel_jobs`` at a time) and extract every
        backbone."""
        to_train = [p for p in self.study.pretrainings if p.needs_training]
        results = dict(zip([p.name for p in to_train], self._map(self._pretrain_one, to_train)))
        for p in self.study.pretrainings:
            if p.needs_training:
                result = results[p.name]
                self.backbones[p.name] = self._extract(p, result.output) if result.ok else None
            elif p.checkpoint:
                self.backbones[p.name] = self._extract(p, p.checkpoint)
            else:
                self.backbones[p.name] = ''  # no pre-training: the fine-tune config's own init

    def _seed_pretraining(self, cfg) -> None:
        """Seed a pre-training whose config leaves the seed open, so a study reruns the same."""
        if (cfg.get('randomness', None) or {}).get('seed', None) is None:
            cfg.randomness = dict(seed=self.study.seeds[0], deterministic=False)

    def _finetune_edit(self, job: FinetuneJob) -> Callable:
        s, backbone = self.study, self.backbones.get(job.pretraining.name)

        def edit(cfg):
            if backbone:
                cfg.model.backbone.init_cfg = dict(type=STRICT_INIT, checkpoint=backbone,
                                                   prefix='backbone.')
            if s.frozen_backbone:  # mmpretrain ResNet: every stage frozen, BN in eval mode
                cfg.model.backbone.frozen_stages = cfg.model.backbone.get('num_stages', 4)
                cfg.model.backbone.norm_eval = True
            cfg.randomness = dict(seed=job.seed, deterministic=False)

        return edit

    def _fraction_options(self, fraction: float) -> dict:
        options = dict(self.study.finetune_cfg_options)
        if fraction < 1:
            options.update({k: v.replace('{pct}', fraction_tag(fraction)) if isinstance(v, str)
                            else v for k, v in self.study.fraction_cfg_options.items()})
        return options

    def _write_configs(self, job_dir: str, fraction: float, edit: Optional[Callable] = None):
        """The fine-tuning config of ``fraction`` in ``job_dir`` and, derived from it as written
        (before a training run replaces job_config.py with mmengine's runtime dump of it), one test
        config per benchmark in ``job_dir/test_<prefix>``; returns ``(config, {prefix: config})``.
        """
        s = self.study
        config = self.jobs.write_job_config(self._path(s.finetune_config), job_dir,
                                            self._fraction_options(fraction), edit)
        tests = {b.prefix: self.jobs.write_job_config(
            config, osp.join(job_dir, f'test_{b.prefix}'), b.cfg_options) for b in s.benchmarks}
        return config, tests

    def _finetune_one(self, job: FinetuneJob) -> Optional[dict]:
        """Train one fine-tuning and evaluate it on every benchmark; None when it failed."""
        s, name, label = self.study, job.pretraining.name, job.label
        job_dir = osp.join(self.work_dir, 'finetune', job.key)
        if self.backbones.get(name) is None:
            for b in [None] + s.benchmarks:
                self._fail_skipped(label if b is None else f'test {b.name} of {label}',
                                   f'pre-training {name} has no backbone')
            return None
        reused = self.jobs.is_done(job_dir)
        if not reused:
            self.progress(f'[..] {label} ...')
        config, test_cfgs = self._write_configs(job_dir, job.fraction, self._finetune_edit(job))
        result = self.jobs.train(config, job_dir, label)
        self._step(label, result, reused)
        metrics = {}
        for b in s.benchmarks:
            test_label = f'test {b.name} of {label}'
            if not result.ok:
                self._fail_skipped(test_label, 'fine-tuning failed')
                continue
            test_dir = osp.join(job_dir, f'test_{b.prefix}')
            reused_t = self.jobs.is_done(test_dir)
            tested = self.jobs.test(test_cfgs[b.prefix], result.output, test_dir, test_label)
            self._step(test_label, tested, reused_t)
            if tested.ok:
                with open(tested.output) as f:
                    metrics.update({k: v for k, v in json.load(f).items()
                                    if k.startswith(f'{b.prefix}/')})
        if not result.ok:
            return None
        return dict(job=job, job_dir=job_dir, config=config, checkpoint=result.output,
                    metrics=metrics)

    def finetune_and_test(self) -> StudyReport:
        s = self.study
        report = StudyReport([(b.name, b.prefix) for b in s.benchmarks], s.baseline,
                             f'{s.benchmarks[0].prefix}/{s.curve_metric}', s.random_row,
                             s.test_set_selection, s.groups)
        for done in self._map(self._finetune_one, s.finetune_jobs()):
            if done is None:
                continue
            job = done['job']
            self.finetuned[job.key] = done
            history = read_history(done['job_dir'])  # one read: the curve and the selection
            report.add(job.pretraining.name, job.fraction, done['metrics'],
                       curve_of(history, report.curve_key), seed=job.seed, history=history)
        return report

    def references(self, report: StudyReport) -> None:
        """The mean-pose row of every label fraction (computed here; reused when done)."""
        from .reference import mean_pose_metrics
        for fraction in self.study.label_fractions:
            ref_dir = osp.join(self.work_dir, 'reference', 'mean_pose',
                               f'frac{fraction_tag(fraction)}')
            out = osp.join(ref_dir, 'metrics.json')
            if not osp.exists(out):
                config, tests = self._write_configs(ref_dir, fraction)
                try:
                    metrics = mean_pose_metrics(Config.fromfile(config),
                                                {k: Config.fromfile(v) for k, v in tests.items()})
                except (KeyError, ValueError, FileNotFoundError) as err:
                    self.failures.append(dict(job=f'mean pose @ {fraction}', log=None,
                                              error=str(err)))
                    self.progress(f'  mean pose @ {fraction}: FAILED ({err})')
                    continue
                with open(out, 'w') as f:
                    json.dump(metrics, f, indent=2)
            with open(out) as f:
                metrics = json.load(f)
            report.add_reference(fraction, metrics)
            key = report.curve_key
            self.progress(f'  reference mean pose @ {fraction_percent(fraction)}% of the labels: '
                          f'{key} {metrics.get(key, float("nan")):.1f}')

    def run(self) -> int:
        """Run everything; returns the exit code (non-zero when a job failed)."""
        os.makedirs(self.work_dir, exist_ok=True)
        self.progress(f'study {self.study.name}: {self.total} jobs in {self.work_dir} '
                      f'(launcher {self.jobs.launcher}, {self.study.parallel_jobs} at a time)')
        self.prepare()
        self.pretrain()
        report = self.finetune_and_test()
        if self.study.mean_pose:
            self.references(report)
        frozen = ' with a frozen backbone (linear-probe style)' if self.study.frozen_backbone else ''
        notes = [f'Study `{self.study.name}`; fine-tuning config '
                 f'`{self.study.finetune_config}`{frozen}.', *self.study.notes]
        with open(osp.join(self.work_dir, 'results.md'), 'w') as f:
            f.write(report.markdown(f'Study results: {self.study.name}', notes))
        report.write_csv(osp.join(self.work_dir, 'results.csv'))
        report.plot(osp.join(self.work_dir, 'convergence.png'),
                    f'{self.study.name}: {report.curve_key} during fine-tuning')
        if self.study.publish:
            from .publish import publish_best
            try:
                published = publish_best(self, report)
                self.progress(f'published {published["name"]} -> {published["weights"]}')
            except (KeyError, ValueError, RuntimeError, OSError) as err:
                self.failures.append(dict(job='publish', log=None, error=str(err)))
        with open(osp.join(self.work_dir, 'failures.json'), 'w') as f:
            json.dump(self.failures, f, indent=2)
        minutes = (time.time() - self.started) / 60
        self.progress(f'study {self.study.name} finished in {minutes:.1f} min: '
                      f'{osp.join(self.work_dir, "results.md")}')
        if self.failures:
            self.progress(f'{len(self.failures)} job(s) failed:')
            for fail in self.failures:
                where = f' (log: {fail["log"]})' if fail['log'] else ''
                self.progress(f'  - {fail["job"]}: {fail["error"]}{where}')
            return 1
        return 0


def run_study(path: str, repo: str, launcher: str = 'none', gpus: int = 1,
              partition: Optional[str] = None, progress: Callable[[str], None] = print) -> int:
    """Load, check and run the study config at ``path`` (see :mod:`mmhpse.study.spec`)."""
    study = load_study(path, root=repo)
    threads = None
    if launcher == 'none' and study.parallel_jobs > 1:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
        threads = max(1, (cpus or 1) // study.parallel_jobs)
    jobs = JobRunner(repo, launcher=launcher, gpus=gpus, partition=partition, progress=progress,
                     threads=threads)
    return StudyRunner(study, repo, jobs, progress).run()
