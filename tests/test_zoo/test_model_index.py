"""The model zoo: ``model-index.yml`` -> ``configs/<recipe>/metafile.yml`` -> configs and weights.

Data-driven: recipe folders are discovered (every folder under ``configs/`` that holds a ``.py``
config, except ``_base_`` and ``studies``), so folders added later are covered. A recipe's
``benchmarks/`` sub-folder (mmpretrain's layout: the downstream configs of that pre-training) belongs
to the recipe: its README and metafile cover it, and its configs' links are checked with the
recipe's. Benchmark configs consume pre-trained weights; they are not candidates for producing
them. The checks are
functions that return a list of problems; each is also run on small broken zoos written to a
temporary folder, which proves that it catches what it is meant to catch.

Downstream links: a config that names a pre-trained checkpoint (``load_from``, or ``checkpoint`` of
an ``init_cfg`` of type ``Pretrained`` / ``StrictPretrained``) links to the config that produced
it. A local path resolves when

* one of its folder names is the name of a config listed in the zoo (``work_dirs/{config}/...``),
* its file name is the published form ``{config}_{YYYYMMDD}-{hash8}.pth``
  (``tools/model_converters/publish_model.py``) of a listed config, or
* its file stem is a listed config name with fields left out (OpenMMLab names are
  ``{algorithm}_{backbone}_{schedule}_{data}``: the stem's ``_``/``-`` separated tokens appear in
  the same order in the config name, the algorithm field before the first ``_`` compared whole),
  matching exactly ONE listed config, e.g.
  ``checkpoints/backbones/jointcon_resnet50_coco.pth`` comes from
  ``jointcon_resnet50_4xb32-140e_coco-256x192``.

A URL resolves when it is the ``Weights`` of a listed model. Public weights of other projects
(``torchvision://``, ``open-mmlab://`` ... or a URL that is no zoo ``Weights``) are external and
allowed.
"""
import os
import os.path as osp
import re

import pytest
import yaml

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
EXCLUDED = ('_base_', 'studies')
BENCHMARKS = 'benchmarks'
_URL = re.compile(r'^https?://[^\s/]+\.[^\s/]+/\S+$')
_SCHEME = re.compile(r'^[a-z][a-z0-9+.-]*://')
_PUBLISHED = re.compile(r'^(?P<config>.+)_\d{8}-[0-9a-f]{8}\.pth$')
_PRETRAINED_TYPES = ('Pretrained', 'StrictPretrained')


def recipe_folders(root):
    """Folders (relative to ``root``) under ``configs/`` that hold ``.py`` configs."""
    found = []
    configs = osp.join(root, 'configs')
    for dirpath, dirnames, filenames in os.walk(configs):
        rel = osp.relpath(dirpath, root)
        if osp.relpath(dirpath, configs).split(os.sep)[0] in EXCLUDED:
            dirnames[:] = []
            continue
        if dirpath != configs and osp.basename(dirpath) != BENCHMARKS and any(
                f.endswith('.py') for f in filenames):
            found.append(rel)
    return sorted(found)


def recipe_configs(root, folder):
    """``.py`` configs (relative to ``root``) of a recipe folder and of its ``benchmarks/``."""
    paths = []
    for sub in (folder, osp.join(folder, BENCHMARKS)):
        if osp.isdir(osp.join(root, sub)):
            paths += [osp.join(sub, f) for f in sorted(os.listdir(osp.join(root, sub)))
                      if f.endswith('.py')]
    return paths


def load_index(root):
    """``Import`` list of ``model-index.yml`` (paths relative to ``root``)."""
    with open(osp.join(root, 'model-index.yml')) as f:
        index = yaml.safe_load(f) or {}
    return list(index.get('Import') or [])


def load_models(root, metafiles):
    """``(metafile, model dict)`` of every model of the listed metafiles that exist."""
    models = []
    for meta in metafiles:
        path = osp.join(root, meta)
        if osp.isfile(path):
            with open(path) as f:
                content = yaml.safe_load(f) or {}
            models += [(meta, m) for m in content.get('Models') or []]
    return models


def check_index(root):
    """Listed metafiles exist; each recipe folder has README.md + metafile.yml, listed."""
    problems = []
    listed = load_index(root)
    for meta in listed:
        if not osp.isfile(osp.join(root, meta)):
            problems.append(f'model-index.yml lists {meta}, which does not exist')
    normalised = {osp.normpath(m) for m in listed}
    for folder in recipe_folders(root):
        for name in ('README.md', 'metafile.yml'):
            if not osp.isfile(osp.join(root, folder, name)):
                problems.append(f'recipe folder {folder} has no {name}')
        meta = osp.join(folder, 'metafile.yml')
        if osp.isfile(osp.join(root, meta)) and osp.normpath(meta) not in normalised:
            problems.append(f'{meta} is not listed in model-index.yml')
    return problems


def check_models(root):
    """Each model has a unique Name, an existing Config and Weights that is a URL or absent;
    the ``Downstream`` names of a model are models of the zoo."""
    problems, names = [], {}
    models = load_models(root, load_index(root))
    for meta, model in models:
        name = model.get('Name')
        if not name:
            problems.append(f'{meta}: a model has no Name')
        elif name in names:
            problems.append(f'{meta}: model name {name} is also used in {names[name]}')
        names.setdefault(name, meta)
        config = model.get('Config')
        if not config or not osp.isfile(osp.join(root, config)):
            problems.append(f'{meta}: model {name}: Config {config} does not exist')
        weights = model.get('Weights')  # absent or null: not published yet
        if weights is not None and not (isinstance(weights, str) and _URL.match(weights)):
            problems.append(f'{meta}: model {name}: Weights {weights!r} is not a URL '
                            '(leave Weights out until the file is published)')
    for meta, model in models:
        for down in model.get('Downstream') or []:
            if down not in names:
                problems.append(f'{meta}: model {model.get("Name")}: Downstream {down} is not a '
                                'model of the zoo')
    return problems


def pretrained_links(cfg):
    """Checkpoint references of a config dict: ``load_from`` and Pretrained ``init_cfg``s."""
    links = [cfg['load_from']] if cfg.get('load_from') else []

    def walk(node):
        if isinstance(node, dict):
            init = node.get('init_cfg')
            for item in init if isinstance(init, (list, tuple)) else [init]:
                if isinstance(item, dict) and str(item.get('type', '')).split('.')[-1] \
                        in _PRETRAINED_TYPES and item.get('checkpoint'):
                    links.append(item['checkpoint'])
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    walk(cfg.get('model'))
    return [str(link) for link in links]


def _tokens(name):
    return [t for t in re.split(r'[_-]', name) if t]


def _is_subsequence(short, long):
    it = iter(long)
    return all(token in it for token in short)


def resolve_link(link, zoo_configs, zoo_weights):
    """The zoo config a checkpoint reference comes from, ``'external'``, or None (broken)."""
    if link in zoo_weights:
        return zoo_weights[link]
    if _SCHEME.match(link):
        return 'external'
    parts = [p for p in re.split(r'[\\/]', osp.normpath(link)) if p]
    published = _PUBLISHED.match(parts[-1]) if parts else None
    candidates = parts[:-1] + ([published.group('config')] if published else [])
    for part in reversed(candidates):
        if part in zoo_configs:
            return zoo_configs[part]
    if published is None and parts and parts[-1].endswith('.pth'):
        stem = parts[-1][:-len('.pth')]
        short = _tokens(stem)
        # the algorithm field (before the first '_') is compared whole: 'jointcon' is not
        # 'jointcon-instance'
        found = [c for name, c in zoo_configs.items()
                 if len(short) >= 2 and stem.split('_')[0] == name.split('_')[0]
                 and _is_subsequence(short, _tokens(name))]
        if len(found) == 1:
            return found[0]
    return None


def check_links(root):
    """Every local checkpoint a recipe config names comes from a config listed in the zoo."""
    from mmengine.config import Config
    models = load_models(root, load_index(root))
    # producers of pre-trained weights: the recipes, not their benchmarks/ (downstream) configs
    zoo_configs = {osp.splitext(osp.basename(m['Config']))[0]: m['Config']
                   for _, m in models if m.get('Config')
                   and BENCHMARKS not in osp.normpath(m['Config']).split(os.sep)[:-1]}
    zoo_weights = {m['Weights']: m.get('Config') for _, m in models if m.get('Weights')}
    problems = []
    for folder in recipe_folders(root):
        for path in recipe_configs(root, folder):
            try:
                cfg = Config.fromfile(osp.join(root, path), import_custom_modules=False)
            except Exception as err:  # a config that does not parse is a broken zoo entry
                problems.append(f'{path}: cannot be parsed: {type(err).__name__}: {err}')
                continue
            for link in pretrained_links(cfg):
                if resolve_link(link, zoo_configs, zoo_weights) is None:
                    problems.append(f'{path}: pre-trained checkpoint {link} does not come from '
                                    'a config listed in the zoo')
    return problems


# --------------------------------------------------------------------------- the repository
def _report(problems):
    return f'{len(problems)} zoo problem(s):\n' + '\n'.join(problems)


def test_repository_model_index():
    assert osp.isfile(osp.join(REPO, 'model-index.yml'))
    problems = check_index(REPO)
    assert not problems, _report(problems)


def test_repository_metafiles():
    problems = check_models(REPO)
    assert not problems, _report(problems)


def test_repository_downstream_links():
    problems = check_links(REPO)
    assert not problems, _report(problems)


# --------------------------------------------------------------------------- the checks catch
def _write(root, rel, text):
    path = osp.join(root, rel)
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


PRE_CFG = "model = dict(type='X', backbone=dict(type='ResNet'))\n"
FT_CFG = ("model = dict(type='Y', backbone=dict(type='ResNet', init_cfg=dict(\n"
          "    type='StrictPretrained', checkpoint={ckpt!r}, prefix='backbone.')))\n"
          'load_from = {load_from!r}\n')
METAFILE = """Models:
  - Name: {name}
    In Collection: Demo
    Config: {config}
{weights}"""


@pytest.fixture
def good_zoo(tmp_path):
    root = str(tmp_path)
    _write(root, 'configs/_base_/models/base.py', 'x = 1\n')
    _write(root, 'configs/pre/pre_r50.py', PRE_CFG)
    _write(root, 'configs/pre/benchmarks/ft_pre_r50.py', FT_CFG.format(
        ckpt='checkpoints/pre_r50.pth', load_from=None))  # no README / metafile of its own
    _write(root, 'configs/pre/README.md', '# pre\n')
    _write(root, 'configs/pre/metafile.yml', METAFILE.format(
        name='pre_r50', config='configs/pre/pre_r50.py',
        weights='    Weights: https://example.org/zoo/pre_r50_20260101-0123abcd.pth\n'))
    _write(root, 'configs/ft/ft_r50.py', FT_CFG.format(
        ckpt='work_dirs/pre_r50/backbone.pth', load_from=None))
    _write(root, 'configs/ft/ft_url.py', FT_CFG.format(
        ckpt='https://example.org/zoo/pre_r50_20260101-0123abcd.pth',
        load_from='checkpoints/pre_r50_20260101-0123abcd.pth'))
    _write(root, 'configs/ft/ft_tv.py', FT_CFG.format(ckpt='torchvision://resnet50',
                                                      load_from=None))
    _write(root, 'configs/ft/ft_short.py', FT_CFG.format(ckpt='checkpoints/bb/pre_r50.pth',
                                                         load_from=None))
    _write(root, 'configs/ft/README.md', '# ft\n')
    _write(root, 'configs/ft/metafile.yml', METAFILE.format(
        name='ft_r50', config='configs/ft/ft_r50.py', weights=''))
    _write(root, 'configs/studies/paper.py', 'x = 1\n')
    _write(root, 'model-index.yml',
           'Import:\n  - configs/pre/metafile.yml\n  - configs/ft/metafile.yml\n')
    return root


def test_benchmark_configs_do_not_produce_backbones(good_zoo):
    # a benchmark listed in the zoo whose name also contains the short name's tokens
    _write(good_zoo, 'configs/pre/metafile.yml', METAFILE.format(
        name='pre_r50', config='configs/pre/pre_r50.py', weights='') + (
            '  - Name: ft_pre_r50\n    In Collection: Demo\n'
            '    Config: configs/pre/benchmarks/ft_pre_r50.py\n'))
    assert check_models(good_zoo) == [] and check_links(good_zoo) == []


def test_benchmarks_belong_to_their_recipe(good_zoo):
    assert recipe_configs(good_zoo, 'configs/pre') == [
        'configs/pre/pre_r50.py', 'configs/pre/benchmarks/ft_pre_r50.py']
    _write(good_zoo, 'configs/pre/benchmarks/ft_bad.py', FT_CFG.format(
        ckpt='work_dirs/other_r50/backbone.pth', load_from=None))
    assert check_links(good_zoo) == [
        'configs/pre/benchmarks/ft_bad.py: pre-trained checkpoint work_dirs/other_r50/backbone.pth '
        'does not come from a config listed in the zoo'
    ]


def test_check_models_catches_unknown_downstream(good_zoo):
    _write(good_zoo, 'configs/pre/metafile.yml', METAFILE.format(
        name='pre_r50', config='configs/pre/pre_r50.py',
        weights='    Downstream: [ft_r50, ft_gone]\n'))
    assert check_models(good_zoo) == [
        'configs/pre/metafile.yml: model pre_r50: Downstream ft_gone is not a model of the zoo']


def test_checks_accept_a_good_zoo(good_zoo):
    assert recipe_folders(good_zoo) == ['configs/ft', 'configs/pre']
    assert check_index(good_zoo) == []
    assert check_models(good_zoo) == []
    assert check_links(good_zoo) == []


def test_check_index_catches_missing_and_unlisted(good_zoo):
    _write(good_zoo, 'model-index.yml',
           'Import:\n  - configs/pre/metafile.yml\n  - configs/gone/metafile.yml\n')
    _write(good_zoo, 'configs/new/new_r50.py', PRE_CFG)  # a folder added later, no files
    assert sorted(check_index(good_zoo)) == sorted([
        'model-index.yml lists configs/gone/metafile.yml, which does not exist',
        'configs/ft/metafile.yml is not listed in model-index.yml',
        'recipe folder configs/new has no README.md',
        'recipe folder configs/new has no metafile.yml',
    ])


def test_check_models_accepts_null_weights(good_zoo):
    _write(good_zoo, 'configs/ft/metafile.yml', METAFILE.format(
        name='ft_r50', config='configs/ft/ft_r50.py', weights='    Weights: null\n'))
    assert check_models(good_zoo) == []


@pytest.mark.parametrize('weights', ['0.1234', 'pre_r50.pth', 'https://', 'ftp://a.org/x.pth'])
def test_check_models_rejects_non_url_weights(good_zoo, weights):
    _write(good_zoo, 'configs/ft/metafile.yml', METAFILE.format(
        name='ft_r50', config='configs/ft/ft_r50.py', weights=f'    Weights: {weights}\n'))
    problems = check_models(good_zoo)
    assert len(problems) == 1 and 'is not a URL' in problems[0], problems


def test_check_models_catches_missing_config_and_duplicate_name(good_zoo):
    _write(good_zoo, 'configs/ft/metafile.yml', METAFILE.format(
        name='pre_r50', config='configs/ft/missing.py', weights=''))
    assert check_models(good_zoo) == [
        'configs/ft/metafile.yml: model name pre_r50 is also used in configs/pre/metafile.yml',
        'configs/ft/metafile.yml: model pre_r50: Config configs/ft/missing.py does not exist',
    ]


@pytest.mark.parametrize('ckpt', [
    'work_dirs/other_r50/backbone.pth',  # a config that is not in the zoo
    'checkpoints/pre_r18.pth',  # neither a work dir, a published name nor a short name
    'checkpoints/ft_x_20260101-0123abcd.pth',  # published name of an unknown config
])
def test_check_links_catches_unresolved_checkpoints(good_zoo, ckpt):
    _write(good_zoo, 'configs/ft/ft_bad.py', FT_CFG.format(ckpt=ckpt, load_from=None))
    assert check_links(good_zoo) == [
        f'configs/ft/ft_bad.py: pre-trained checkpoint {ckpt} does not come from a config '
        'listed in the zoo'
    ]


def test_resolve_link_rules():
    zoo = {'pre_r50': 'configs/pre/pre_r50.py'}
    weights = {'https://example.org/a.pth': 'configs/pre/pre_r50.py'}
    assert resolve_link('https://example.org/a.pth', zoo, weights) == 'configs/pre/pre_r50.py'
    assert resolve_link('https://elsewhere.org/moco.pth', zoo, weights) == 'external'
    assert resolve_link('work_dirs/pre_r50/epoch_3.pth', zoo, weights) == 'configs/pre/pre_r50.py'
    assert resolve_link('zoo/pre_r50_20260101-abcdef01.pth', zoo, weights) == \
        'configs/pre/pre_r50.py'
    assert resolve_link('pre_r50', zoo, weights) is None  # a bare name is not a checkpoint path
    assert resolve_link('zoo/pre_r50_2026-abcdef01.pth', zoo, weights) is None
    # short names: the config name with fields left out, in order, matching one config only
    zoo = {'mocov2_resnet50_8xb32-coslr-200e_in1k': 'a.py',
           'mocov2_resnet50_8xb32-coslr-200e_coco-person': 'b.py'}
    assert resolve_link('checkpoints/backbones/mocov2_resnet50_in1k.pth', zoo, {}) == 'a.py'
    assert resolve_link('ckpt/mocov2_resnet50_coco-person.pth', zoo, {}) == 'b.py'
    assert resolve_link('ckpt/mocov2_resnet50.pth', zoo, {}) is None  # ambiguous
    assert resolve_link('ckpt/mocov2_in1k_resnet50.pth', zoo, {}) is None  # order differs
    assert resolve_link('ckpt/mocov2_resnet50_in22k.pth', zoo, {}) is None  # a token not there
    assert resolve_link('ckpt/mocov2.pth', zoo, {}) is None  # one token says too little
    # the algorithm field is compared whole: an ablation of the algorithm is another algorithm
    zoo = {'jointcon_resnet50_4xb32-140e_coco-256x192': 'a.py',
           'jointcon-instance_resnet50_4xb32-140e_coco-256x192': 'b.py'}
    assert resolve_link('checkpoints/backbones/jointcon_resnet50_coco.pth', zoo, {}) == 'a.py'
    assert resolve_link('ckpt/jointcon-instance_resnet50.pth', zoo, {}) == 'b.py'
