"""A study: pre-trainings × fine-tuning settings, read from a config and checked before any job.

A study config (see ``configs/studies/``) holds one ``study`` dict::

    study = dict(
        name='quickstart',
        work_dir='work_dirs/studies/quickstart',
        prepare=[dict(cmd=['python', 'tools/...'], creates='data/...')],  # optional data steps
        baseline='random',                       # the row others are compared with
        pretrainings=[
            dict(name='random'),                 # no pre-training: the fine-tune config's own init
            dict(name='jointcon', config='configs/jointcon/....py', cfg_options={}, depth=50),
            dict(name='imagenet-cls', checkpoint='checkpoints/resnet50.pth'),
        ],
        finetune=dict(
            config='configs/pare/....py', cfg_options={},
            label_fractions=[1.0, 0.3], seeds=[0],
            # cfg options applied for a fraction < 1; '{pct}' becomes the fraction's tag, e.g.
            # '30' or '12p5' (mmhpse.datasets.label_fraction.fraction_tag, the index files' names)
            fraction_cfg_options={'train_dataloader.dataset.indices_file': 'data/f{pct}.npy'},
            frozen_backbone=False),              # linear-probe style evaluation switch
        benchmarks=[dict(name='3DPW', prefix='3dpw', cfg_options={})],
        curve_metric='mpjpe',                    # plotted and used for epochs-to-baseline
        notes=['...'],                           # lines printed under the results title
        mean_pose=True,                          # the mean-pose reference row (default on)
        random_row='random',                     # the random-init reference row
        test_set_selection=None,                 # e.g. 'pa-mpjpe': opt-in columns at each
                                                 # run's best validation epoch (on the test set)
        groups=dict(SSL=['mocov2', 'simclr']),  # optional rows averaging pre-trainings
        parallel_jobs=1,                         # local launcher: jobs at once (1 thread each)
        publish=dict(zoo_dir='zoo', name='...'), # optional: the best fine-tuned run -> zoo
    )
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from mmengine.config import Config

from mmhpse.datasets.label_fraction import fraction_percent, fraction_tag


class StudyConfigError(ValueError):
    """A study config with bad entries (all of them are listed in the message)."""


@dataclass
class Pretraining:
    name: str
    config: Optional[str] = None
    checkpoint: Optional[str] = None
    cfg_options: dict = field(default_factory=dict)
    depth: int = 50  # ResNet depth the extracted backbone must have

    @property
    def needs_training(self) -> bool:
        return self.config is not None and self.checkpoint is None


@dataclass
class Benchmark:
    name: str
    prefix: str
    cfg_options: dict = field(default_factory=dict)


@dataclass
class FinetuneJob:
    """One fine-tuning run: a pre-training at a label fraction with a seed."""
    pretraining: Pretraining
    fraction: float
    seed: int

    @property
    def key(self) -> str:
        """The job's folder under ``finetune/``, e.g. ``jointcon/frac12p5_seed0``."""
        return f'{self.pretraining.name}/frac{fraction_tag(self.fraction)}_seed{self.seed}'

    @property
    def label(self) -> str:
        return (f'finetune {self.pretraining.name} @ {fraction_percent(self.fraction)}% '
                f'seed {self.seed}')


@dataclass
class Study:
    name: str
    work_dir: str
    baseline: str
    pretrainings: List[Pretraining]
    finetune_config: str
    finetune_cfg_options: dict
    label_fractions: List[float]
    seeds: List[int]
    fraction_cfg_options: Dict[str, str]
    frozen_backbone: bool
    benchmarks: List[Benchmark]
    curve_metric: str
    prepare: List[dict]
    notes: List[str] = field(default_factory=list)  # printed under the results title
    mean_pose: bool = True
    random_row: str = 'random'
    test_set_selection: Optional[str] = None
    parallel_jobs: int = 1
    publish: Optional[dict] = None
    groups: Dict[str, List[str]] = field(default_factory=dict)

    def finetune_jobs(self) -> List[FinetuneJob]:
        return [FinetuneJob(p, frac, seed) for frac in self.label_fractions
                for p in self.pretrainings for seed in self.seeds]


def load_study(path: str, root: str = '.') -> Study:
    """Read and check a study config; every bad entry is reported at once.

    Args:
        path (str): The study config file.
        root (str): Folder that relative paths in the study are relative to (the repo root).

    Raises:
        StudyConfigError: listing every missing config / checkpoint and malformed entry.
    """
    cfg = Config.fromfile(path)
    if 'study' not in cfg:
        raise StudyConfigError(f'{path}: no `study = dict(...)` in the file')
    s = cfg.study.to_dict() if hasattr(cfg.study, 'to_dict') else dict(cfg.study)
    problems = []

    def exists(rel):
        return osp.exists(rel if osp.isabs(rel) else osp.join(root, rel))

    # Prepare steps may create the data/checkpoints later entries name, so their outputs count.
    prepare = list(s.get('prepare', []))
    created = {osp.normpath(p['creates']) for p in prepare if p.get('creates')}
    for i, step in enumerate(prepare):
        if not step.get('cmd'):
            problems.append(f'prepare[{i}]: no `cmd`')

    pretrainings = []
    seen = set()
    for i, entry in enumerate(s.get('pretrainings', [])):
        p = Pretraining(name=entry.get('name', ''), config=entry.get('config'),
                        checkpoint=entry.get('checkpoint'),
                        cfg_options=dict(entry.get('cfg_options', {})),
                        depth=int(entry.get('depth', 50)))
        where = f'pretrainings[{i}] ({p.name or "unnamed"})'
        if not p.name:
            problems.append(f'{where}: no `name`')
        if p.name in seen:
            problems.append(f'{where}: the name is used twice')
        seen.add(p.name)
        if p.config and not exists(p.config):
            problems.append(f'{where}: config {p.config} does not exist')
        if p.checkpoint and not (exists(p.checkpoint) or osp.normpath(p.checkpoint) in created):
            problems.append(f'{where}: checkpoint {p.checkpoint} does not exist')
        pretrainings.append(p)
    if not pretrainings:
        problems.append('no `pretrainings`')

    ft = dict(s.get('finetune', {}))
    if not ft.get('config'):
        problems.append('finetune: no `config`')
    elif not exists(ft['config']):
        problems.append(f'finetune: config {ft["config"]} does not exist')
    fractions = [float(f) for f in ft.get('label_fractions', [1.0])]
    bad = [f for f in fractions if not 0 < f <= 1]
    if bad:
        problems.append(f'finetune: label fractions must lie in (0, 1], got {bad}')
    if any(f < 1 for f in fractions) and not ft.get('fraction_cfg_options'):
        problems.append('finetune: label fractions < 1 need `fraction_cfg_options` '
                        '(which dataset option takes the index file)')

    benchmarks = [Benchmark(b['name'], b['prefix'], dict(b.get('cfg_options', {})))
                  for b in s.get('benchmarks', [])]
    if not benchmarks:
        problems.append('no `benchmarks`')
    baseline = s.get('baseline', pretrainings[0].name if pretrainings else '')
    if pretrainings and baseline not in {p.name for p in pretrainings}:
        problems.append(f'baseline {baseline!r} is not one of the pretrainings')
    selection = s.get('test_set_selection')
    if selection is not None and selection not in ('mpjpe', 'pa-mpjpe', 'pve'):
        problems.append(f"test_set_selection must be None, 'mpjpe', 'pa-mpjpe' or 'pve', got "
                        f'{selection!r}')
    groups = dict(s.get('groups') or {})
    names = {p.name for p in pretrainings}
    for group, members in groups.items():
        unknown = [m for m in (members or []) if m not in names]
        if not members or unknown or group in names:
            problems.append(f'groups[{group!r}]: members must be a non-empty list of '
                            f'pretrainings and the name a new one, got {members!r}' +
                            (f' (unknown: {unknown})' if unknown else ''))
    parallel = s.get('parallel_jobs', 1)
    if not isinstance(parallel, int) or parallel < 1:
        problems.append(f'parallel_jobs must be a positive integer, got {parallel!r}')
    publish = s.get('publish')
    if publish is not None and not (isinstance(publish, dict) and publish.get('zoo_dir')
                                    and publish.get('name')):
        problems.append(f'publish needs dict(zoo_dir=..., name=...), got {publish!r}')
    if problems:
        raise StudyConfigError(f'{path}: {len(problems)} bad entr'
                               f'{"y" if len(problems) == 1 else "ies"}:\n  - ' +
                               '\n  - '.join(problems))
    return Study(
        name=s.get('name', osp.splitext(osp.basename(path))[0]),
        work_dir=s.get('work_dir', osp.join('work_dirs', 'studies',
                                            osp.splitext(osp.basename(path))[0])),
        baseline=baseline, pretrainings=pretrainings, finetune_config=ft['config'],
        finetune_cfg_options=dict(ft.get('cfg_options', {})), label_fractions=fractions,
        seeds=[int(x) for x in ft.get('seeds', [0])],
        fraction_cfg_options=dict(ft.get('fraction_cfg_options', {})),
        frozen_backbone=bool(ft.get('frozen_backbone', False)), benchmarks=benchmarks,
        curve_metric=s.get('curve_metric', 'mpjpe'), prepare=prepare,
        notes=list(s.get('notes', [])), mean_pose=bool(s.get('mean_pose', True)),
        random_row=s.get('random_row', 'random'), test_set_selection=selection,
        parallel_jobs=parallel, publish=dict(publish) if publish else None,
        groups={g: list(m) for g, m in groups.items()})
