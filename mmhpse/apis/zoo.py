"""Models of the zoo by name: the repository's ``model-index.yml`` and local zoo folders.

A local zoo folder holds a ``metafile.yml`` (OpenMMLab layout: ``Models`` entries with ``Name``,
``Config``, ``Metadata``, ``Results``, ``Weights``) next to the configs and the published
checkpoints it lists, e.g. the one ``make quickstart`` writes to ``zoo/``. Relative paths in a
local metafile are relative to its folder; those of the repository's metafiles are relative to
the repository root. Metafiles are read with ``yaml.safe_load`` (no code runs).

Zoo folders searched: ``$MMHPSE_ZOO`` (``os.pathsep``-separated), else ``zoo/`` of the current
folder and of the repository.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import yaml

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

__all__ = ['default_zoo_dirs', 'list_models', 'find_model', 'resolve_model']


def default_zoo_dirs() -> List[str]:
    """``$MMHPSE_ZOO`` folders, else ``./zoo`` and ``<repo>/zoo`` (those that exist)."""
    env = os.environ.get('MMHPSE_ZOO')
    dirs = env.split(os.pathsep) if env else ['zoo', osp.join(REPO, 'zoo')]
    return list(dict.fromkeys(osp.abspath(d) for d in dirs if d and osp.isdir(d)))


def _read_yaml(path: str) -> dict:
    with open(path) as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a mapping at the top, got {type(data).__name__}')
    return data


def _metafiles(zoo_dirs: Sequence[str]) -> List[Tuple[str, str]]:
    """``(metafile, folder its relative paths start from)`` of the local zoos and the repo."""
    found = [(osp.join(d, 'metafile.yml'), d) for d in zoo_dirs
             if osp.isfile(osp.join(d, 'metafile.yml'))]
    index = osp.join(REPO, 'model-index.yml')
    if osp.isfile(index):
        for rel in _read_yaml(index).get('Import') or []:
            if osp.isfile(osp.join(REPO, rel)):
                found.append((osp.join(REPO, rel), REPO))
    return found


def list_models(zoo_dirs: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    """Every model entry by name (the first metafile that lists a name wins: local zoos first).

    Each entry gets ``_metafile`` (its file) and ``_root`` (where its relative paths start).
    """
    models: Dict[str, dict] = {}
    for path, root in _metafiles(default_zoo_dirs() if zoo_dirs is None else zoo_dirs):
        for entry in _read_yaml(path).get('Models') or []:
            if isinstance(entry, dict) and entry.get('Name') and entry['Name'] not in models:
                models[entry['Name']] = dict(entry, _metafile=path, _root=root)
    return models


def _resolve(path: str, root: str) -> str:
    return path if osp.isabs(path) else osp.normpath(osp.join(root, path))


def find_model(name: str, zoo_dirs: Optional[Sequence[str]] = None
               ) -> Tuple[str, Optional[str], dict]:
    """The config file, the local weights (None when the entry has none) and the entry of a
    model name.

    Raises:
        KeyError: No metafile lists ``name`` (the message lists the known names).
        FileNotFoundError: The entry's config, or its local weights, do not exist.
        ValueError: The weights are a URL (download the file and pass its path).
    """
    models = list_models(zoo_dirs)
    if name not in models:
        where = ', '.join(default_zoo_dirs() if zoo_dirs is None else zoo_dirs) or 'none'
        raise KeyError(f'no model named {name!r} in the zoo (model-index.yml and the local zoo '
                       f'folders: {where}); known: {sorted(models)}')
    entry = models[name]
    config = _resolve(str(entry.get('Config', '')), entry['_root'])
    if not entry.get('Config') or not osp.isfile(config):
        raise FileNotFoundError(f'{entry["_metafile"]}: model {name}: config '
                                f'{entry.get("Config")!r} does not exist ({config})')
    weights = entry.get('Weights')
    if not weights:
        return config, None, entry
    if '://' in str(weights):
        raise ValueError(f'{entry["_metafile"]}: model {name}: the weights are at {weights}; '
                         'download the file and pass its path as the checkpoint')
    weights = _resolve(str(weights), entry['_root'])
    if not osp.isfile(weights):
        raise FileNotFoundError(f'{entry["_metafile"]}: model {name}: weights {weights} do '
                                'not exist')
    return config, weights, entry


def resolve_model(config, checkpoint: Optional[str] = None):
    """``(config, checkpoint)`` with a zoo model name replaced by its config file and, when no
    checkpoint is given, its weights; a config file or object passes through unchanged."""
    if isinstance(config, str) and not osp.isfile(config) and not config.endswith('.py'):
        config, weights, _ = find_model(config)
        checkpoint = weights if checkpoint is None else checkpoint
    return config, checkpoint
