"""Turn finished study jobs into the paper's tables (``results.md``, ``results.csv``) and curves.

Numbers come from the jobs' own outputs: the final metrics JSON that ``tools/test.py --out`` writes
per benchmark, and the validation history that mmengine logs to ``vis_data/scalars.json``.
Relative change is ``(error - baseline error) / baseline error`` in percent, so a positive value is
worse than the baseline, as in the paper ("SSL is 7.7 % worse than ImageNet classification").
"""
import csv
import glob
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmhpse.datasets.label_fraction import fraction_percent

METRICS = (('mpjpe', 'MPJPE'), ('pa-mpjpe', 'PA-MPJPE'), ('pve', 'MPVPE'))


def read_curve(job_dir: str, key: str) -> List[Tuple[int, float]]:
    """(step, value) of ``key`` from every ``scalars.json`` of a job (resumed runs have several).

    For epoch-based training mmengine logs validation results with ``step`` = epoch.
    """
    points = {}
    for path in sorted(glob.glob(osp.join(job_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if key in record:
                    points[int(record['step'])] = float(record[key])
    return sorted(points.items())


def epochs_to_reach(curve: Sequence[Tuple[int, float]], target: float) -> Optional[int]:
    """First logged epoch whose error is at most ``target`` (None if never)."""
    for step, value in curve:
        if value <= target:
            return step
    return None


def _fmt(value: Optional[float], digits: int = 2) -> str:
    return '–' if value is None or not np.isfinite(value) else f'{value:.{digits}f}'


class StudyReport:
    """Collects one row per (pre-training, label fraction), averaged over seeds.

    Args:
        benchmarks: ``[(name, prefix), ...]`` in table order.
        baseline (str): Name of the baseline pre-training.
        curve_key (str): Scalar plotted against the fine-tuning epoch, e.g. ``'3dpw/mpjpe'``.
    """

    def __init__(self, benchmarks: Sequence[Tuple[str, str]], baseline: str, curve_key: str):
        self.benchmarks, self.baseline, self.curve_key = list(benchmarks), baseline, curve_key
        # (pretraining, fraction) -> {'prefix/metric': [values over seeds]}
        self.values: Dict[Tuple[str, float], Dict[str, List[float]]] = defaultdict(
            lambda: defaultdict(list))
        self.curves: Dict[Tuple[str, float], List[List[Tuple[int, float]]]] = defaultdict(list)
        self.order: List[str] = []

    def add(self, pretraining: str, fraction: float, metrics: Dict[str, float],
            curve: List[Tuple[int, float]]) -> None:
        if pretraining not in self.order:
            self.order.append(pretraining)
        for key, value in metrics.items():
            self.values[(pretraining, fraction)][key].append(float(value))
        if curve:
            self.curves[(pretraining, fraction)].append(curve)

    def mean(self, pretraining: str, fraction: float, key: str) -> Optional[float]:
        vals = self.values.get((pretraining, fraction), {}).get(key)
        return float(np.mean(vals)) if vals else None

    def mean_curve(self, pretraining: str, fraction: float) -> List[Tuple[int, float]]:
        runs = self.curves.get((pretraining, fraction), [])
        steps = sorted(set.intersection(*[{s for s, _ in c} for c in runs])) if runs else []
        return [(s, float(np.mean([dict(c)[s] for c in runs]))) for s in steps]

    def rows(self) -> List[dict]:
        """One dict per (fraction, pre-training) with values, relative changes and speed."""
        rows = []
        fractions = sorted({f for _, f in self.values}, reverse=True)
        for fraction in fractions:
            base_curve = self.mean_curve(self.baseline, fraction)
            base_final = base_curve[-1][1] if base_curve else None
            for name in self.order:
                if (name, fraction) not in self.values:
                    continue
                row = {'pretraining': name, 'label_fraction': fraction,
                       'seeds': max(len(v) for v in self.values[(name, fraction)].values())}
                changes = []
                for bench, prefix in self.benchmarks:
                    bench_changes = []
                    for metric, title in METRICS:
                        key = f'{prefix}/{metric}'
                        value = self.mean(name, fraction, key)
                        base = self.mean(self.baseline, fraction, key)
                        row[f'{bench} {title}'] = value
                        if value is not None and base:
                            bench_changes.append(100.0 * (value - base) / base)
                    row[f'{bench} rel. %'] = (float(np.mean(bench_changes))
                                              if bench_changes else None)
                    changes.extend(bench_changes)
                row['avg rel. %'] = float(np.mean(changes)) if changes else None
                curve = self.mean_curve(name, fraction)
                row['epochs to baseline'] = (epochs_to_reach(curve, base_final)
                                             if base_final is not None else None)
                rows.append(row)
        return rows

    def columns(self) -> List[str]:
        cols = ['pretraining', 'label_fraction', 'seeds']
        for bench, _ in self.benchmarks:
            cols += [f'{bench} {title}' for _, title in METRICS] + [f'{bench} rel. %']
        return cols + ['avg rel. %', 'epochs to baseline']

    def write_csv(self, path: str) -> None:
        with open(path, 'w', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=self.columns())
            writer.writeheader()
            for row in self.rows():
                writer.writerow({k: ('' if row.get(k) is None else row.get(k))
                                 for k in self.columns()})

    def markdown(self, title: str, notes: Sequence[str] = ()) -> str:
        cols = [c for c in self.columns() if c != 'seeds']
        lines = [f'# {title}', '', *notes, '',
                 'Errors in mm (lower is better). rel. % = (error − baseline) / baseline, '
                 f'averaged over the metrics of a benchmark; baseline: **{self.baseline}**. '
                 f'"epochs to baseline": first validation epoch at which `{self.curve_key}` '
                 'reaches the baseline\'s final value.', '',
                 '| ' + ' | '.join(cols) + ' |', '|' + '---|' * len(cols)]
        for row in self.rows():
            cells = []
            for c in cols:
                v = row.get(c)
                if c == 'label_fraction':
                    cells.append(f'{fraction_percent(v)} %')
                elif isinstance(v, float):
                    cells.append(('+' if 'rel' in c and v > 0 else '') + _fmt(v, 1 if 'rel' in c
                                                                              else 2))
                else:
                    cells.append('–' if v is None else str(v))
            lines.append('| ' + ' | '.join(cells) + ' |')
        return '\n'.join(lines) + '\n'

    def plot(self, path: str, title: str) -> None:
        """Error vs fine-tuning epoch, one line per pre-training, one panel per label fraction."""
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
        fractions = sorted({f for _, f in self.values}, reverse=True)
        fig, axes = plt.subplots(1, len(fractions), figsize=(5 * len(fractions), 4),
                                 squeeze=False)
        for ax, fraction in zip(axes[0], fractions):
            for name in self.order:
                curve = self.mean_curve(name, fraction)
                if curve:
                    steps, vals = zip(*curve)
                    ax.plot(steps, vals, marker='o', label=name,
                            linewidth=2.5 if name == self.baseline else 1.5)
            ax.set_title(f'{fraction_percent(fraction)} % labels')
            ax.set_xlabel('fine-tuning epoch')
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel(f'{self.curve_key} (mm)')
            ax.grid(alpha=0.3)
            ax.legend()
        fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
