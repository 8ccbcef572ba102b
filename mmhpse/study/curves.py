"""Validation histories of finished jobs (mmengine's ``vis_data/scalars.json``)."""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple


def read_history(job_dir: str) -> Dict[int, Dict[str, float]]:
    """Every scalar that a job logged at each validation step: ``{step: {key: value}}``.

    All ``scalars.json`` of the job are read (a resumed run has several; later runs win). For
    epoch-based training mmengine logs validation results with ``step`` = epoch. Training
    records (those with an ``lr`` or ``loss``) are left out.
    """
    history: Dict[int, Dict[str, float]] = {}
    for path in sorted(glob.glob(osp.join(job_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if 'step' not in record or 'lr' in record or 'loss' in record:
                    continue
                values = {k: float(v) for k, v in record.items()
                          if k != 'step' and isinstance(v, (int, float))}
                history.setdefault(int(record['step']), {}).update(values)
    return history


def curve_of(history: Dict[int, Dict[str, float]], key: str) -> List[Tuple[int, float]]:
    """``(step, value)`` of ``key`` in a validation history, in step order."""
    return sorted((step, values[key]) for step, values in history.items() if key in values)


def read_curve(job_dir: str, key: str) -> List[Tuple[int, float]]:
    """``(step, value)`` of ``key`` over a job's validations, in step order."""
    return curve_of(read_history(job_dir), key)


def epochs_to_reach(curve: Sequence[Tuple[int, float]], target: float) -> Optional[int]:
    """First logged epoch whose error is at most ``target`` (None if never)."""
    for step, value in curve:
        if value <= target:
            return step
    return None
