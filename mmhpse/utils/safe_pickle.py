"""Restricted unpickling: the only way mmhpse reads a pickle that it did not write itself.

A pickle names the callables that rebuild its objects; an unrestricted ``pickle.load`` calls any
of them (``os.system``, ``builtins.eval``, ...). :class:`RestrictedUnpickler` resolves only the
names of an allow-list: builtin containers and scalars, numpy arrays / dtypes / scalars and
scipy sparse matrices, which is all that annotation files (HumanData ``.npz`` object members,
3DPW sequence pickles) and body-model files hold. Anything else is refused with
:class:`UnsafePickleError`, naming the file, the member and the class.

Official SMPL pickles hold ``chumpy`` arrays; pass ``substitutes`` (a callable
``(module, name) -> class | None``) to map such classes to inert stand-ins (see
:mod:`mmhpse.models.body_models.smpl_io`).
"""
import _compat_pickle
import io
import pickle
import zipfile
from typing import Any, Callable, Optional

import numpy as np

__all__ = ['UnsafePickleError', 'RestrictedUnpickler', 'safe_pickle_load', 'safe_npz_member']

# module -> names that may be resolved (``None``: see find_class). Python-2 module names are
# mapped to these first.
_ALLOWED = {
    'builtins': {
        'dict', 'list', 'tuple', 'set', 'frozenset', 'int', 'float', 'complex', 'str', 'bytes',
        'bytearray', 'bool', 'slice', 'range', 'object'
    },
    'collections': {'OrderedDict', 'defaultdict'},
    'copyreg': {'_reconstructor'},
    '_codecs': {'encode'},  # bytes in protocol-2 pickles written by Python 3
    'numpy': {'ndarray', 'dtype', 'bool_', 'int8', 'int16', 'int32', 'int64', 'uint8',
              'uint16', 'uint32', 'uint64', 'float16', 'float32', 'float64', 'complex64',
              'complex128', 'str_', 'bytes_', 'object_'},
    'numpy.core.multiarray': {'_reconstruct', 'scalar'},
    'numpy._core.multiarray': {'_reconstruct', 'scalar'},
    'numpy.core.numeric': {'_frombuffer'},
    'numpy._core.numeric': {'_frombuffer'},
    'numpy.dtypes': None,  # numpy 2 dtype classes (Float64DType, ...): data types only
    'scipy.sparse': {'csc_matrix', 'csr_matrix', 'coo_matrix', 'lil_matrix', 'dok_matrix',
                     'bsr_matrix', 'dia_matrix', 'csc_array', 'csr_array', 'coo_array'},
}
# old / private module paths of the scipy sparse classes (scipy.sparse.csc, scipy.sparse._csc, ..)
_SCIPY_SPARSE_PREFIX = 'scipy.sparse.'

# copyreg._reconstructor(cls, base, state) instantiates ``cls``: only these classes may be given.
_RECONSTRUCTOR_CLASSES = (dict, list, object, set, tuple)


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle names a class or function outside the allow-list."""


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that resolves allow-listed names only.

    Args:
        file: Binary file object.
        source (str): What is read, for error messages (e.g. ``'a.npz' member 'smpl'``).
        substitutes (callable, optional): ``(module, name) -> class or None``; a class returned
            here is used instead of the pickled one (e.g. chumpy stand-ins). ``None``: not
            substituted, the allow-list decides.
        **kwargs: ``pickle.Unpickler`` options (``encoding='latin1'`` for Python-2 pickles).
    """

    def __init__(self, file, source: str = '<pickle>',
                 substitutes: Optional[Callable[[str, str], Any]] = None, **kwargs):
        super().__init__(file, **kwargs)
        self.source = source
        self.substitutes = substitutes
        self.resolved = set()  # classes handed out by find_class (allow-listed or substituted)

    def find_class(self, module: str, name: str):
        # Python-2 names (``__builtin__``, ``copy_reg``), as pickle's ``fix_imports`` maps them
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        if self.substitutes is not None:
            found = self.substitutes(module, name)
            if found is not None:
                self.resolved.add(found)
                return found
        allowed = _ALLOWED.get(module, ())
        if module.startswith(_SCIPY_SPARSE_PREFIX) and name in _ALLOWED['scipy.sparse']:
            import scipy.sparse
            obj = getattr(scipy.sparse, name)
            self.resolved.add(obj)
            return obj
        if allowed is None or name in allowed:
            obj = super().find_class(module, name)
            if module == 'numpy.dtypes' and not (isinstance(obj, type)
                                                 and issubclass(obj, np.dtype)):
                self._refuse(module, name)
            if module == 'copyreg':
                return _checked_reconstructor(self, obj)
            if isinstance(obj, type):
                self.resolved.add(obj)
            return obj
        self._refuse(module, name)

    def _refuse(self, module: str, name: str):
        raise UnsafePickleError(
            f'{self.source}: refused to unpickle `{module}.{name}`: only plain containers, numpy '
            'arrays and scipy sparse matrices are allowed in files mmhpse reads (a pickle can '
            'run code while it loads). Re-save the data with plain numpy arrays.')


def _checked_reconstructor(unpickler: RestrictedUnpickler, func):

    def reconstructor(cls, base, state):
        # protocols 0/1 rebuild objects through copyreg: only classes that passed find_class
        if cls not in _RECONSTRUCTOR_CLASSES and cls not in unpickler.resolved:
            unpickler._refuse(getattr(cls, '__module__', '?'), getattr(cls, '__name__', '?'))
        return func(cls, base, state)

    return reconstructor


def safe_pickle_load(path: str, encoding: str = 'ASCII', substitutes=None) -> Any:
    """Load a pickle file with :class:`RestrictedUnpickler`.

    Args:
        path (str): The file.
        encoding (str): ``'latin1'`` for Python-2 pickles holding numpy arrays.
        substitutes (callable, optional): See :class:`RestrictedUnpickler`.

    Raises:
        UnsafePickleError: A disallowed class; the message names ``path`` and the class.
        ValueError: The file is not a readable pickle (names ``path``).
    """
    with open(path, 'rb') as f:
        try:
            return RestrictedUnpickler(f, source=path, substitutes=substitutes,
                                       encoding=encoding).load()
        except UnsafePickleError:
            raise
        except (pickle.UnpicklingError, EOFError, UnicodeDecodeError, ValueError, TypeError,
                AttributeError, ImportError, IndexError) as err:
            raise ValueError(f'{path}: cannot be read as a pickle: {err}') from err


def safe_npz_member(path: str, member: str, fp: Optional[io.IOBase] = None) -> np.ndarray:
    """Read one ``.npz`` member; object arrays go through :class:`RestrictedUnpickler`.

    ``np.load(..., allow_pickle=True)`` unpickles object members without restriction; this
    reads the ``.npy`` header itself and unpickles an object payload with the allow-list.

    Args:
        path (str): The ``.npz`` file (for messages, and read when ``fp`` is None).
        member (str): Member name without ``.npy``.
        fp (file, optional): An open binary stream positioned at the start of the member.

    Returns:
        ndarray: The member (a 0-d object array for a pickled dict, as ``np.load`` gives).

    Raises:
        UnsafePickleError: The member pickles a disallowed class (names file, member, class).
        ValueError: Unreadable member (names file and member).
    """
    if fp is None:
        try:
            with zipfile.ZipFile(path) as zf, zf.open(f'{member}.npy') as stream:
                return safe_npz_member(path, member, stream)
        except (zipfile.BadZipFile, KeyError, OSError) as err:
            raise ValueError(f'{path}: cannot read member {member!r}: {err}') from err
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fp)
        read_header = (fmt.read_array_header_1_0 if version == (1, 0) else
                       fmt.read_array_header_2_0)
        shape, fortran, dtype = read_header(fp)
    except ValueError as err:
        raise ValueError(f'{path}: member {member!r} is not an .npy array: {err}') from err
    if not dtype.hasobject:
        count = int(np.prod(shape, dtype=np.int64))
        data = fp.read(count * dtype.itemsize)
        if len(data) != count * dtype.itemsize:
            raise ValueError(f'{path}: member {member!r} is truncated')
        arr = np.frombuffer(data, dtype=dtype, count=count)
        return arr.reshape(shape[::-1]).transpose() if fortran else arr.reshape(shape)
    source = f'{path}: member {member!r}'
    try:
        value = RestrictedUnpickler(fp, source=source, encoding='latin1').load()
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            ImportError, IndexError) as err:
        raise ValueError(f'{source} cannot be unpickled: {err}') from err
    if not isinstance(value, np.ndarray):
        raise ValueError(f'{source} holds a {type(value).__name__}, not an array')
    return value
