"""MATLAB v7.3 MAT-files (HDF5) read into the arrays ``scipy.io.loadmat`` gives for a v5 file.

MATLAB's v7.3 layout: an HDF5 file behind a 512-byte text header (``MATLAB 7.3 MAT-file``,
version ``0x0200``), one object at the root per variable, tagged with the string attribute
``MATLAB_class``:

- numeric and ``logical`` arrays: a dataset holding the column-major array, so that its HDF5
  shape is the MATLAB shape reversed (``annot2``, ``2 x 17 x 1 x n`` in MATLAB, is
  ``(n, 1, 17, 2)`` in HDF5); complex values are a compound of ``real`` and ``imag``;
- ``char``: UTF-16 code units (``uint16``), one row per string of the char matrix;
- ``cell``: a dataset of object references to the elements, which live in the ``#refs#`` group;
- an empty array: attribute ``MATLAB_empty`` set, the dataset holds the MATLAB dimensions.

As ``scipy.io.loadmat`` does, arrays keep MATLAB's (at least two) dimensions, ``logical`` stays
``uint8``, a char matrix becomes a 1-D array of strings and a cell an object array of the decoded
elements. Structs, sparse matrices and objects (HDF5 groups, ``MATLAB_sparse``, other classes)
are not read — none of the converted releases needs one: asking for one is a ``ValueError``
naming it. h5py is imported by :func:`load_mat73` only.
"""
from typing import Dict, Optional, Sequence

import numpy as np

NUMERIC = {'double': np.float64, 'single': np.float32, 'logical': np.uint8, 'int8': np.int8,
           'uint8': np.uint8, 'int16': np.int16, 'uint16': np.uint16, 'int32': np.int32,
           'uint32': np.uint32, 'int64': np.int64, 'uint64': np.uint64}


def _attr_str(obj, name: str) -> Optional[str]:
    value = obj.attrs.get(name)
    return value.decode('ascii') if isinstance(value, bytes) else value


def _empty(cls: str, dims: tuple) -> np.ndarray:
    if cls == 'char':
        return np.array([], dtype='<U1')
    return np.empty(dims, object) if cls == 'cell' else np.zeros(dims, NUMERIC[cls])


def _decode(h5file, obj, where: str):
    """The value of the MATLAB variable (or cell element) stored as ``obj``."""
    import h5py
    cls = _attr_str(obj, 'MATLAB_class')
    if not isinstance(obj, h5py.Dataset):
        kind = 'sparse matrix' if 'MATLAB_sparse' in obj.attrs else f'{cls or "struct"}'
        raise ValueError(f'variable {where!r}: a MATLAB {kind} (HDF5 group), which this reader '
                         'does not support')
    if cls not in NUMERIC and cls not in ('char', 'cell'):
        raise ValueError(f'variable {where!r}: MATLAB class {cls!r} is not supported'
                         if cls else f'variable {where!r}: no MATLAB_class attribute (not a '
                         'MATLAB variable)')
    if int(np.asarray(obj.attrs.get('MATLAB_empty', 0)).reshape(-1)[0]):
        return _empty(cls, tuple(int(d) for d in np.asarray(obj[()]).reshape(-1)))
    data = np.asarray(obj[()]).T  # column-major -> MATLAB's axis order
    if cls == 'cell':
        out = np.empty(data.shape, object)
        for idx in np.ndindex(data.shape):
            label = ','.join(str(i + 1) for i in idx)
            out[idx] = _decode(h5file, h5file[data[idx]], f'{where}{{{label}}}')
        return out
    if cls == 'char':
        rows = data.astype('<u2').reshape(len(data), -1)
        return np.array([row.tobytes().decode('utf-16-le') for row in rows])
    if data.dtype.names:  # complex: compound of real / imag
        return data['real'] + 1j * data['imag']
    return data.astype(NUMERIC[cls], copy=False)


def load_mat73(path: str, names: Optional[Sequence[str]] = None) -> Dict[str, np.ndarray]:
    """``{name: value}`` of the variables ``names`` (default: all) of a v7.3 MAT-file.

    Variables in ``names`` that the file lacks are left out (as ``scipy.io.loadmat`` does).

    Raises:
        ImportError: h5py is not installed.
        OSError: ``path`` is not an HDF5 file.
        ValueError: a variable this reader does not support (the message names it).
    """
    import h5py
    with h5py.File(path, 'r') as f:
        keys = [k for k in f if not k.startswith('#')] if names is None else \
            [k for k in names if k in f]
        return {k: _decode(f, f[k], k) for k in keys}
