"""Publish a study's best fine-tuned run into a local zoo folder, with a metafile entry written
from the run itself, so that ``init_model(name)`` and the demo load it by name.

The run: the row (pre-training, label fraction) with the lowest mean MPJPE on the first
benchmark, and of its seeds the first one (no second selection on the test split). The study
has no separate validation split, so picking the row uses the test split; the metafile says so.

Zoo folder layout::

    <zoo_dir>/metafile.yml                 Models entries (other names are kept)
    <zoo_dir>/<name>.py                    the run's config (its backbone init dropped)
    <zoo_dir>/<name>_<YYYYMMDD>-<hash8>.pth   tools/model_converters/publish_model.py output
"""
import json
import os
import os.path as osp
import subprocess
import sys

import yaml
from mmengine.config import Config

from mmhpse.datasets.label_fraction import fraction_percent
from .report import MEAN_POSE, METRICS

TASK = '3D Human Pose and Shape Estimation'


def best_run(runner, report) -> dict:
    """The finished run to publish (see the module docstring)."""
    bench, _ = report.benchmarks[0]
    rows = [r for r in report.rows()
            if r['pretraining'] != MEAN_POSE and not r.get('group')
            and r.get(f'{bench} MPJPE') is not None]
    if not rows:
        raise ValueError(f'publish: no fine-tuning run has {bench} MPJPE')
    row = min(rows, key=lambda r: r[f'{bench} MPJPE'])
    runs = [d for d in runner.finetuned.values()
            if d['job'].pretraining.name == row['pretraining']
            and d['job'].fraction == row['label_fraction']]
    return dict(row=row, run=min(runs, key=lambda d: d['job'].seed))


def write_metafile_entry(metafile: str, entry: dict) -> None:
    """Add ``entry`` to the ``Models`` of ``metafile`` (replacing one of the same name)."""
    data = {}
    if osp.isfile(metafile):
        with open(metafile) as f:
            data = yaml.safe_load(f) or {}
    models = [m for m in data.get('Models') or [] if m.get('Name') != entry['Name']]
    data['Models'] = models + [entry]
    with open(metafile, 'w') as f:
        yaml.safe_dump(data, f, sort_keys=False, allow_unicode=True)


def publish_best(runner, report) -> dict:
    """Publish the best run of a finished study; returns what was written
    (also saved as ``published.json`` in the study's work dir)."""
    settings, study = runner.study.publish, runner.study
    zoo_dir = runner._path(settings['zoo_dir'])
    name = settings['name']
    chosen = best_run(runner, report)
    run, row = chosen['run'], chosen['row']
    os.makedirs(zoo_dir, exist_ok=True)
    tool = osp.join(runner.repo, 'tools/model_converters/publish_model.py')
    proc = subprocess.run([sys.executable, tool, run['checkpoint'], zoo_dir, '--config', name],
                          cwd=runner.repo, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f'publish_model.py failed: {proc.stderr.strip()[-500:]}')
    weights = proc.stdout.strip().splitlines()[-1]

    cfg = Config.fromfile(run['config'])
    cfg.model.backbone.init_cfg = None  # the published file holds every weight
    cfg.pop('work_dir', None)
    config_file = osp.join(zoo_dir, f'{name}.py')
    cfg.dump(config_file)

    from mmhpse.apis.inference import file_sha256
    job = run['job']
    results = []
    for bench, prefix in report.benchmarks:
        metrics = {title: round(run['metrics'][f'{prefix}/{metric}'], 2)
                   for metric, title in METRICS if f'{prefix}/{metric}' in run['metrics']}
        if metrics:
            results.append(dict(Task=TASK, Dataset=bench, Metrics=metrics))
    img_res = cfg.model.get('img_res')
    entry = {
        'Name': name,
        'In Collection': settings.get('collection', 'PARE'),
        'Config': osp.basename(config_file),
        'Metadata': {
            'Training Data': list(settings.get('training_data', [study.name])),
            'Pre-training': job.pretraining.name,
            'Label Fraction': f'{fraction_percent(job.fraction)} %',
            'Seed': job.seed,
            'Epochs': int(cfg.train_cfg.max_epochs),
            'Batch Size': int(cfg.train_dataloader.batch_size),
            'Input Size': list(img_res) if img_res else None,
            'Study': f'{study.name} ({study.work_dir})',
            'Selection': (f'the row with the lowest mean {report.benchmarks[0][0]} MPJPE over '
                          f'{row["seeds"]} seed(s) (selected on the test split), its seed '
                          f'{job.seed} run; Results are that run\'s last checkpoint'),
            'SHA256': file_sha256(weights),
        },
        'Results': results,
        'Weights': osp.basename(weights),
    }
    write_metafile_entry(osp.join(zoo_dir, 'metafile.yml'), entry)
    published = dict(name=name, weights=weights, config=config_file,
                     metafile=osp.join(zoo_dir, 'metafile.yml'), source=run['checkpoint'])
    with open(osp.join(runner.work_dir, 'published.json'), 'w') as f:
        json.dump(published, f, indent=2)
    return published
