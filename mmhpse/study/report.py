"""Turn finished study jobs into the paper's tables (``results.md``, ``results.csv``) and curves.

Numbers come from the jobs' own outputs: the final metrics JSON that ``tools/test.py --out`` writes
per benchmark (the **last** checkpoint of each fine-tuning), and the validation history that
mmengine logs to ``vis_data/scalars.json``.

Per (pre-training, label fraction) the report gives, over the fine-tuning seeds:

- mean ± sample std (``ddof=1``) of every metric;
- the **paired** difference to the baseline: per seed ``d_s = error_s - baseline_s`` (the two runs
  share the seed, hence the data order and head initialisation), then mean ± std of ``d_s``;
- the error relative to the two reference rows: the **mean-pose** row (the training set's mean
  SMPL pose / shape predicted for every image, see :mod:`mmhpse.study.reference`) as
  ``100 * error / mean-pose error``, and the **random-init** row as the relative change
  ``100 * (error - random) / random`` (positive = worse, as in the paper);
- optionally (``test_set_selection``), the metrics at the validation epoch with the lowest
  selection metric, the authors' model selection. The validation set is the test split, so these
  columns select on the test set and are labelled so;
- optionally (``groups``), a row per group of pre-trainings (e.g. the SSL methods) whose entries
  are the unweighted mean over the members' rows, the paper's "SSL is 7.7 % worse on average".
"""
import csv
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmhpse.datasets.label_fraction import fraction_percent
from .curves import epochs_to_reach, read_curve, read_history  # noqa: F401  (re-exported)

METRICS = (('mpjpe', 'MPJPE'), ('pa-mpjpe', 'PA-MPJPE'), ('pve', 'MPVPE'))
MEAN_POSE = 'mean pose'
SELECTED = 'test-set selection'


def mean_std(values: Sequence[float]) -> Tuple[Optional[float], Optional[float], int]:
    """Mean, sample standard deviation (None below two values) and count."""
    vals = [float(v) for v in values if v is not None and np.isfinite(v)]
    if not vals:
        return None, None, 0
    std = float(np.std(vals, ddof=1)) if len(vals) > 1 else None
    return float(np.mean(vals)), std, len(vals)


def _fmt(value: Optional[float], digits: int = 2, sign: bool = False) -> str:
    if value is None or not np.isfinite(value):
        return '–'
    text = f'{value:+.{digits}f}' if sign else f'{value:.{digits}f}'
    return text.replace('-', '−')


def _pm(mean: Optional[float], std: Optional[float], digits: int = 1, sign=False) -> str:
    text = _fmt(mean, digits, sign)
    return text if std is None or mean is None else f'{text} ± {_fmt(std, digits)}'


class StudyReport:
    """Collects the runs of a study and computes its table rows.

    Args:
        benchmarks: ``[(name, prefix), ...]`` in table order.
        baseline (str): the pre-training that paired differences are taken against.
        curve_key (str): scalar plotted against the fine-tuning epoch, e.g. ``'3dpw/mpjpe'``.
        random_row (str): the random-init pre-training (a reference row).
        test_set_selection (str, optional): metric name (e.g. ``'pa-mpjpe'``) of the curve
            benchmark by which the opt-in columns pick each run's epoch.
        groups (dict, optional): ``{row name: [pre-training, ...]}``; each adds a row (after the
            pre-trainings of every label fraction) averaging its members' rows.
    """

    def __init__(self, benchmarks: Sequence[Tuple[str, str]], baseline: str, curve_key: str,
                 random_row: str = 'random', test_set_selection: Optional[str] = None,
                 groups: Optional[Dict[str, Sequence[str]]] = None):
        self.benchmarks, self.baseline, self.curve_key = list(benchmarks), baseline, curve_key
        self.random_row, self.selection = random_row, test_set_selection
        self.groups = {name: list(members) for name, members in (groups or {}).items()}
        # (pretraining, fraction) -> seed -> {'prefix/metric': value}
        self.runs: Dict[Tuple[str, float], Dict[int, Dict[str, float]]] = defaultdict(dict)
        self.curves: Dict[Tuple[str, float], Dict[int, list]] = defaultdict(dict)
        self.references: Dict[float, Dict[str, float]] = {}  # fraction -> mean-pose metrics
        self.order: List[str] = []

    # ------------------------------------------------------------------ input
    def add(self, pretraining: str, fraction: float, metrics: Dict[str, float],
            curve: List[Tuple[int, float]], seed: int = 0,
            history: Optional[Dict[int, Dict[str, float]]] = None) -> None:
        """One fine-tuning run: final ``metrics``, the ``curve`` of ``curve_key`` and the
        validation ``history`` (epoch -> scalars) used by the test-set selection."""
        if pretraining not in self.order:
            self.order.append(pretraining)
        values = {k: float(v) for k, v in metrics.items()}
        if self.selection and history:
            prefix = self.curve_key.split('/')[0]
            key = f'{prefix}/{self.selection}'
            epochs = [e for e in sorted(history) if key in history[e]]
            if epochs:
                best = min(epochs, key=lambda e: history[e][key])
                values.update({f'{SELECTED}/{k}': float(v) for k, v in history[best].items()
                               if k.startswith(f'{prefix}/')})
                values[f'{SELECTED}/epoch'] = float(best)
        self.runs[(pretraining, fraction)][seed] = values
        if curve:
            self.curves[(pretraining, fraction)][seed] = list(curve)

    def add_reference(self, fraction: float, metrics: Dict[str, float]) -> None:
        """The mean-pose row of a label fraction."""
        self.references[fraction] = {k: float(v) for k, v in metrics.items()}

    # ------------------------------------------------------------------ statistics
    def fractions(self) -> List[float]:
        return sorted({f for _, f in self.runs} | set(self.references), reverse=True)

    def stats(self, name: str, fraction: float, key: str):
        """Mean, std and count of ``key`` over the seeds of a row."""
        return mean_std([r.get(key) for r in self.runs.get((name, fraction), {}).values()])

    def mean(self, name: str, fraction: float, key: str) -> Optional[float]:
        return self.stats(name, fraction, key)[0]

    def paired(self, name: str, fraction: float, key: str, against: str):
        """Mean, std and count of ``error_s - against_s`` over the seeds both rows ran."""
        mine, theirs = self.runs.get((name, fraction), {}), self.runs.get((against, fraction), {})
        diffs = [mine[s][key] - theirs[s][key] for s in sorted(set(mine) & set(theirs))
                 if key in mine[s] and key in theirs[s]]
        return mean_std(diffs)

    def mean_curve(self, name: str, fraction: float):
        """``[(epoch, mean, std)]`` over the seeds, at the epochs every seed logged."""
        runs = list(self.curves.get((name, fraction), {}).values())
        if not runs:
            return []
        steps = sorted(set.intersection(*[{s for s, _ in c} for c in runs]))
        return [(s, *mean_std([dict(c)[s] for c in runs])[:2]) for s in steps]

    def _relative(self, name, fraction, prefix, against):
        changes = []
        for metric, _ in METRICS:
            value = self.mean(name, fraction, f'{prefix}/{metric}')
            base = self.mean(against, fraction, f'{prefix}/{metric}')
            if value is not None and base:
                changes.append(100.0 * (value - base) / base)
        return changes

    def _vs_random_of_reference(self, reference, fraction, prefix):
        changes = []
        for metric, _ in METRICS:
            key = f'{prefix}/{metric}'
            rand = self.mean(self.random_row, fraction, key)
            if reference.get(key) is not None and rand:
                changes.append(100.0 * (reference[key] - rand) / rand)
        return float(np.mean(changes)) if changes else None

    def rows(self) -> List[dict]:
        """One dict per (fraction, row): the mean-pose reference first, then the pre-trainings.

        Keys (``B`` = benchmark name, ``M`` = metric title): ``'B M'`` (mean), ``'B M std'``,
        ``'B M diff'`` / ``'B M diff std'`` (paired, against the baseline), ``'B M % of mean
        pose'``, ``'B rel. %'`` (against the baseline, averaged over metrics), ``'B rel. % vs
        random'``, ``'avg rel. %'``, ``'epochs to baseline'`` and, with a test-set selection,
        ``'B M (test-set selection)'``.
        """
        rows = []
        for fraction in self.fractions():
            base_curve = self.mean_curve(self.baseline, fraction)
            base_final = base_curve[-1][1] if base_curve else None
            reference = self.references.get(fraction)
            names = ([MEAN_POSE] if reference else []) + [
                n for n in self.order if (n, fraction) in self.runs]
            for name in names:
                row = {'pretraining': name, 'label_fraction': fraction,
                       'seeds': len(self.runs.get((name, fraction), {})) or None}
                changes = []
                for bench, prefix in self.benchmarks:
                    for metric, title in METRICS:
                        key, col = f'{prefix}/{metric}', f'{bench} {title}'
                        ref = (reference or {}).get(key)
                        if name == MEAN_POSE:
                            row[col] = ref
                            row[f'{col} % of mean pose'] = 100.0 if ref else None
                            continue
                        row[col], row[f'{col} std'], _ = self.stats(name, fraction, key)
                        row[f'{col} diff'], row[f'{col} diff std'], _ = self.paired(
                            name, fraction, key, self.baseline)
                        row[f'{col} % of mean pose'] = (100.0 * row[col] / ref
                                                        if ref and row[col] is not None
                                                        else None)
                        if self.selection and bench == self.benchmarks[0][0]:
                            row[f'{col} ({SELECTED})'], row[f'{col} ({SELECTED}) std'], _ = \
                                self.stats(name, fraction, f'{SELECTED}/{key}')
                    if name == MEAN_POSE:
                        row[f'{bench} rel. % vs random'] = self._vs_random_of_reference(
                            reference, fraction, prefix)
                        continue
                    bench_changes = self._relative(name, fraction, prefix, self.baseline)
                    row[f'{bench} rel. %'] = (float(np.mean(bench_changes))
                                              if bench_changes else None)
                    vs_random = self._relative(name, fraction, prefix, self.random_row)
                    row[f'{bench} rel. % vs random'] = (float(np.mean(vs_random))
                                                        if vs_random else None)
                    changes.extend(bench_changes)
                row['avg rel. %'] = float(np.mean(changes)) if changes else None
                curve = self.mean_curve(name, fraction)
                row['epochs to baseline'] = (epochs_to_reach([(s, m) for s, m, _ in curve],
                                                             base_final)
                                             if base_final is not None and curve else None)
                rows.append(row)
            rows += [self._group_row(name, members, fraction, rows)
                     for name, members in self.groups.items()]
        return [r for r in rows if r is not None]

    def _group_row(self, name: str, members: Sequence[str], fraction: float,
                   rows: List[dict]) -> Optional[dict]:
        """The unweighted mean of the members' rows at ``fraction`` (members without runs
        there are left out; None when no member ran). Spreads are not pooled: the std columns
        stay empty, the seeds cell counts the members."""
        mine = [r for r in rows if r['label_fraction'] == fraction and r['pretraining'] in
                members]
        if not mine:
            return None
        row = {'pretraining': f'{name} (mean of {len(mine)})', 'label_fraction': fraction,
               'seeds': None, 'group': [r['pretraining'] for r in mine]}
        keys = {k for r in mine for k, v in r.items()
                if isinstance(v, float) and not k.endswith('std')}
        for key in sorted(keys - {'epochs to baseline', 'label_fraction'}):
            row[key] = mean_std([r.get(key) for r in mine])[0]
        return row

    # ------------------------------------------------------------------ output
    def columns(self) -> List[str]:
        cols = ['pretraining', 'label_fraction', 'seeds']
        for i, (bench, _) in enumerate(self.benchmarks):
            for _, title in METRICS:
                col = f'{bench} {title}'
                cols += [col, f'{col} std', f'{col} diff', f'{col} diff std',
                         f'{col} % of mean pose']
                if self.selection and i == 0:
                    cols += [f'{col} ({SELECTED})', f'{col} ({SELECTED}) std']
            cols += [f'{bench} rel. %', f'{bench} rel. % vs random']
        return cols + ['avg rel. %', 'epochs to baseline']

    def write_csv(self, path: str) -> None:
        with open(path, 'w', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=self.columns())
            writer.writeheader()
            for row in self.rows():
                writer.writerow({k: ('' if row.get(k) is None else row.get(k))
                                 for k in self.columns()})

    def markdown(self, title: str, notes: Sequence[str] = ()) -> str:
        """One table per benchmark: rows of every label fraction, mean ± std over seeds."""
        from .tables import markdown_tables
        return markdown_tables(self, title, notes)

    def plot(self, path: str, title: str) -> None:
        from .plot import plot_curves
        plot_curves(self, path, title)


__all__ = ['StudyReport', 'mean_std', 'read_curve', 'read_history', 'epochs_to_reach',
           'fraction_percent', 'METRICS', 'MEAN_POSE', 'SELECTED']
