"""Reading SMPL model files (official ``.pkl`` without chumpy, nothing unpickled unrestricted),
path resolution, validation."""
import os.path as osp
import zipfile

import numpy as np

from mmhpse.utils.safe_pickle import safe_npz_member, safe_pickle_load

GENDERS = ('neutral', 'male', 'female')

# File names tried in a model folder (and in its ``smpl/`` sub-folder), per gender.
_FILE_NAMES = {
    'neutral': ('SMPL_NEUTRAL.pkl', 'SMPL_NEUTRAL.npz',
                'basicModel_neutral_lbs_10_207_0_v1.0.0.pkl'),
    'male': ('SMPL_MALE.pkl', 'SMPL_MALE.npz', 'basicModel_m_lbs_10_207_0_v1.0.0.pkl',
             'basicmodel_m_lbs_10_207_0_v1.1.0.pkl'),
    'female': ('SMPL_FEMALE.pkl', 'SMPL_FEMALE.npz', 'basicModel_f_lbs_10_207_0_v1.0.0.pkl',
               'basicmodel_f_lbs_10_207_0_v1.1.0.pkl'),
}


class _ChumpyStandIn:
    """Takes the place of any chumpy class while unpickling; keeps the pickled state."""
    chumpy_name = 'chumpy.?'

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __setstate__(self, state):
        self.state = state

    def to_numpy(self, key, path):
        state = getattr(self, 'state', None)
        if isinstance(state, dict) and 'x' in state:
            return np.asarray(_convert(state['x'], key, path))
        raise ValueError(f'{path}: key {key!r} holds a chumpy {self.chumpy_name} expression, not a '
                         'plain chumpy array with a stored value; convert the file with chumpy '
                         'installed (np.array(value)) and save it again')


def _chumpy_substitute(module, name):
    """``substitutes`` of :class:`~mmhpse.utils.safe_pickle.RestrictedUnpickler`: any
    ``chumpy.*`` class becomes an inert :class:`_ChumpyStandIn` (nothing of chumpy is imported or
    run); every other name is left to the allow-list."""
    if module == 'chumpy' or module.startswith('chumpy.'):
        return type(name, (_ChumpyStandIn, ), dict(chumpy_name=f'{module}.{name}'))
    return None


def _convert(value, key, path):
    if isinstance(value, _ChumpyStandIn):
        return value.to_numpy(key, path)
    if isinstance(value, dict):
        return {k: _convert(v, k, path) for k, v in value.items()}
    return value


def _load_npz(path):
    """An SMPL ``.npz`` without unrestricted unpickling: plain members read with
    ``allow_pickle=False``, object members (e.g. a pickled sparse ``J_regressor``) through the
    restricted unpickler."""
    out = {}
    try:
        with np.load(path, allow_pickle=False) as data:
            for key in data.files:
                try:
                    out[key] = data[key]
                except ValueError as err:  # an object member: never with allow_pickle=True
                    if 'allow_pickle' not in str(err):
                        raise ValueError(f'{path}: cannot read member {key!r}: {err}') from err
                    value = safe_npz_member(path, key)
                    out[key] = value[()] if value.dtype == object and value.ndim == 0 else value
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        raise ValueError(f'{path}: cannot be read as an SMPL .npz file: {err}') from err
    return out


def load_smpl_file(path):
    """Load an SMPL model file as a dict of numpy arrays (scipy sparse kept as is).

    Nothing in the file can run code: ``.pkl`` files are read by mmhpse's restricted unpickler
    (:mod:`mmhpse.utils.safe_pickle`: containers, numpy arrays, scipy sparse matrices), with the
    chumpy objects of the official release mapped to inert stand-ins that become numpy arrays
    (chumpy need not be installed). ``.npz`` files are read without unrestricted pickles.

    Args:
        path (str): ``.pkl`` or ``.npz`` file.

    Returns:
        dict: the file's keys.

    Raises:
        UnsafePickleError: The file pickles a class outside the allow-list (names file and class).
        ValueError: Unreadable file, or not a dict of arrays (names the file).
    """
    if path.endswith('.npz'):
        return _load_npz(path)
    data = safe_pickle_load(path, encoding='latin1', substitutes=_chumpy_substitute)
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a dict of SMPL arrays, got {type(data).__name__}')
    return {k: _convert(v, k, path) for k, v in data.items()}


def resolve_model_file(model_path, gender):
    """Find the model file of ``gender`` from a file or folder path.

    Raises:
        ValueError: unknown gender.
        FileNotFoundError: listing every path that was looked for.
    """
    if gender not in GENDERS:
        raise ValueError(f'gender must be one of {GENDERS}, got {gender!r}')
    if osp.isfile(model_path):
        return model_path
    tried = []
    if osp.isdir(model_path):
        for folder in (model_path, osp.join(model_path, 'smpl')):
            for name in _FILE_NAMES[gender]:
                tried.append(osp.join(folder, name))
                if osp.isfile(tried[-1]):
                    return tried[-1]
    else:
        tried.append(model_path)
    raise FileNotFoundError(f'No {gender} SMPL model file found for model_path={model_path!r}; '
                            'looked for: ' + ', '.join(tried))


def find_beside(model_file, name):
    """``name`` in the model file's folder or its parent (mmhuman3d layout), else ``None``."""
    folder = osp.dirname(osp.abspath(model_file))
    for cand in (osp.join(folder, name), osp.join(osp.dirname(folder), name)):
        if osp.isfile(cand):
            return cand
    return None


def to_dense(array):
    return np.asarray(array.todense()) if hasattr(array, 'todense') else np.asarray(array)


def validate_smpl_data(data, path, num_betas=10):
    """Check keys and shapes of an SMPL model dict; raise ``ValueError`` naming file and key."""
    required = ('v_template', 'shapedirs', 'posedirs', 'J_regressor', 'weights', 'kintree_table',
                'f')
    missing = [k for k in required if k not in data]
    if missing:
        raise ValueError(f'{path}: missing SMPL key(s) {missing}; found {sorted(data)}')
    v = np.shape(data['v_template'])
    if len(v) != 2 or v[1] != 3:
        raise ValueError(f'{path}: key v_template must have shape (V, 3), got {v}')
    nv = v[0]
    expected = {
        'shapedirs': (nv, 3, None), 'posedirs': (nv, 3, 207), 'J_regressor': (24, nv),
        'weights': (nv, 24), 'kintree_table': (2, 24), 'f': (None, 3)
    }
    for key, shape in expected.items():
        got = tuple(np.shape(data[key])) if not hasattr(data[key], 'todense') else \
            tuple(data[key].shape)
        if len(got) != len(shape) or any(s is not None and s != g for s, g in zip(shape, got)):
            want = tuple('*' if s is None else s for s in shape)
            raise ValueError(f'{path}: key {key} must have shape {want} (V={nv}), got {got}')
    if np.shape(data['shapedirs'])[2] < num_betas:
        raise ValueError(f'{path}: key shapedirs has {np.shape(data["shapedirs"])[2]} shape '
                         f'directions, fewer than num_betas={num_betas}')


def load_regressor(path, rows, num_vertices, what):
    """Load a joint regressor ``.npy`` of shape ``(rows, num_vertices)``."""
    try:
        reg = to_dense(np.load(path, allow_pickle=False))
    except (OSError, ValueError) as e:
        raise ValueError(f'{path}: cannot read {what} regressor: {e}') from e
    if reg.shape != (rows, num_vertices):
        raise ValueError(f'{path}: {what} regressor must have shape ({rows}, {num_vertices}) to '
                         f'match the body model, got {reg.shape}')
    return reg
