"""The markdown of a study report: one table per benchmark, every label fraction."""
from typing import Sequence

from mmhpse.datasets.label_fraction import fraction_percent
from .report import MEAN_POSE, METRICS, SELECTED, _fmt, _pm


def _legend(report) -> str:
    base, rand = report.baseline, report.random_row
    text = (f'Errors in mm (lower is better), mean ± std over the fine-tuning seeds, of the last '
            f'checkpoint. **Δ vs {base}**: the paired difference, per seed the error minus '
            f"{base}'s error with the same seed, then mean ± std over seeds (negative = better "
            f'than {base}). **% of mean pose**: the error as a percentage of the **mean pose** '
            "row's, which predicts the training set's mean SMPL pose and shape for every image "
            f'(100 % = nothing learned from the images). **rel. % vs {rand}**: (error − {rand}) '
            f"/ {rand}, averaged over the benchmark's metrics (positive = worse).")
    if base != rand:
        text += f' **rel. % vs {base}** likewise against {base}.'
    text += (f' **epochs to {base}**: first validation epoch at which the mean curve of '
             f"`{report.curve_key}` reaches {base}'s final value.")
    if report.groups:
        text += (' *Group rows* (italic): the unweighted mean of their members\' rows, '
                 + '; '.join(f'{g} = {", ".join(m)}' for g, m in report.groups.items()) + '.')
    if report.selection:
        text += (f' **({SELECTED})**: each run at the validation epoch of its lowest '
                 f'`{report.curve_key.split("/")[0]}/{report.selection}`, as the authors chose '
                 'their checkpoints; the validation set is the test split, so these columns '
                 'select the model on the test set.')
    return text


def _columns(report, first: bool):
    base = report.baseline
    cols = ['labels', 'pre-training', 'seeds'] + [title for _, title in METRICS]
    if first and report.selection:
        cols += [f'{title} ({SELECTED})' for _, title in METRICS[:2]]
    cols += [f'Δ MPJPE vs {base}', f'Δ PA-MPJPE vs {base}', 'MPJPE % of mean pose',
             f'rel. % vs {report.random_row}']
    if base != report.random_row:
        cols.append(f'rel. % vs {base}')
    if first:
        cols.append(f'epochs to {base}')
    return cols


def _cells(report, row, bench: str, first: bool):
    fraction = row['label_fraction']
    seeds = row.get('seeds')
    name = row['pretraining']
    name = f'**{name}**' if name == MEAN_POSE else f'*{name}*' if row.get('group') else name
    cells = [f'{fraction_percent(fraction)} %', name, '–' if not seeds else str(seeds)]
    for _, title in METRICS:
        col = f'{bench} {title}'
        cells.append(_pm(row.get(col), row.get(f'{col} std')))
    if first and report.selection:
        for _, title in METRICS[:2]:
            col = f'{bench} {title} ({SELECTED})'
            cells.append(_pm(row.get(col), row.get(f'{col} std')))
    for title in ('MPJPE', 'PA-MPJPE'):
        col = f'{bench} {title}'
        cells.append(_pm(row.get(f'{col} diff'), row.get(f'{col} diff std'), sign=True))
    share = row.get(f'{bench} MPJPE % of mean pose')
    cells.append('–' if share is None else f'{_fmt(share, 0)} %')
    cells.append(_fmt(row.get(f'{bench} rel. % vs random'), 1, sign=True))
    if report.baseline != report.random_row:
        cells.append(_fmt(row.get(f'{bench} rel. %'), 1, sign=True))
    if first:
        epochs = row.get('epochs to baseline')
        cells.append('–' if epochs is None else str(epochs))
    return cells


def markdown_tables(report, title: str, notes: Sequence[str] = ()) -> str:
    """``results.md``: title, notes, the legend and one table per benchmark."""
    lines = [f'# {title}', '', *notes, '', _legend(report), '']
    rows = report.rows()
    for i, (bench, _) in enumerate(report.benchmarks):
        cols = _columns(report, i == 0)
        lines += [f'## {bench}', '', '| ' + ' | '.join(cols) + ' |',
                  '|' + '---|' * len(cols)]
        lines += ['| ' + ' | '.join(_cells(report, row, bench, i == 0)) + ' |' for row in rows]
        lines.append('')
    return '\n'.join(lines)
