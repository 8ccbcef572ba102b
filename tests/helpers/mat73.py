"""Write MAT-files the way MATLAB's ``save -v7.3`` does, for the tests of the v7.3 reader.

Independent of the reader (``tools/dataset_converters/_mat73.py``): an HDF5 file with a 512-byte
user block holding MATLAB's text header and version ``0x0200`` (so that ``scipy.io.loadmat``
recognises it as v7.3 and refuses it), one root dataset per variable with the ``MATLAB_class``
attribute, arrays stored column-major (the transposed C array), ``char`` as UTF-16 code units,
cells as object references into ``#refs#``, empty arrays as their dimensions with
``MATLAB_empty``.
"""
import numpy as np

HEADER = (b'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Thu Jan  1 00:00:00 1970 '
          b'HDF5 schema 1.00 .')
CLASSES = {'float64': 'double', 'float32': 'single', 'bool': 'logical', 'int8': 'int8',
           'uint8': 'uint8', 'int16': 'int16', 'uint16': 'uint16', 'int32': 'int32',
           'uint32': 'uint32', 'int64': 'int64', 'uint64': 'uint64', 'complex128': 'double'}


class _Writer:

    def __init__(self, h5file):
        self.file, self.count = h5file, 0

    def tag(self, ds, cls, **attrs):
        ds.attrs['MATLAB_class'] = np.bytes_(cls)
        for key, value in attrs.items():
            ds.attrs[key] = value
        return ds

    def write(self, group, name, value):
        """Write ``value`` (str or str array = char, object array = cell, numeric) as
        ``group[name]``."""
        import h5py
        value = np.asarray(value)
        if value.dtype.kind == 'U':  # a string, or a char matrix of equally long rows
            rows = [np.frombuffer(r.encode('utf-16-le'), '<u2') for r in value.reshape(-1)]
            codes = np.array(rows, np.uint16).reshape(len(rows), -1)
            return self._array(group, name, codes, 'char', MATLAB_int_decode=np.int32(2))
        if value.ndim < 2:  # MATLAB arrays have at least two dimensions (a row, like savemat)
            value = value.reshape(1, -1)
        if value.dtype == object:
            refs = np.empty(value.shape, h5py.ref_dtype)
            for idx in np.ndindex(value.shape):
                self.count += 1
                refs[idx] = self.write(self.file.require_group('#refs#'), f'r{self.count}',
                                       value[idx]).ref
            return self._array(group, name, refs, 'cell', dtype=h5py.ref_dtype)
        cls = CLASSES[value.dtype.name]
        if value.dtype == bool:
            value = value.astype(np.uint8)
        if value.dtype.kind == 'c':
            value = np.rec.fromarrays([value.real, value.imag], names=['real', 'imag'])
        return self._array(group, name, value, cls)

    def _array(self, group, name, value, cls, dtype=None, **attrs):
        if value.size == 0:
            return self.tag(group.create_dataset(name, data=np.array(value.shape, np.uint64)),
                            cls, MATLAB_empty=np.uint8(1), **attrs)
        # C order of the transposed array = MATLAB's column-major bytes; HDF5 shape reversed
        return self.tag(group.create_dataset(name, data=np.ascontiguousarray(value.T),
                                             dtype=dtype), cls, **attrs)


def savemat73(path: str, variables: dict) -> str:
    """Write ``{name: value}`` to ``path`` as a MATLAB v7.3 MAT-file."""
    import h5py
    with h5py.File(path, 'w', userblock_size=512) as f:
        writer = _Writer(f)
        for name, value in variables.items():
            writer.write(f, name, value)
    with open(path, 'r+b') as f:  # the user block: text header, subsystem offset, version, 'IM'
        f.write(HEADER.ljust(116) + b' ' * 8 + b'\x00\x02IM')
    return path
