"""Open ``.npz`` files without reading them into memory.

Members stored uncompressed (``np.savez``) are memory-mapped straight from the zip: the data of a
stored member is a plain ``.npy`` file at a known offset. Members that are deflated
(``np.savez_compressed``, what mmhuman3d's ``HumanData.dump`` writes) or pickled (object arrays,
e.g. HumanData's ``smpl`` / ``meta`` dicts) are extracted once into a cache folder of ``.npy``
files and memory-mapped from there. The cache is keyed by the file's size and modification time,
built in a temporary folder and renamed into place, so concurrent workers or ranks never see a
half-written cache. Small values (0-d arrays: strings, flags, counts) live in the cache manifest.

Opening a file whose cache exists costs a few ``np.load(mmap_mode='r')`` calls, independent of the
number of samples; the pages of a memory map are shared between dataloader workers.

Integrity: a memory map bypasses the zip CRC-32 check, so the cache is only built after every
stored member has been read once through :mod:`zipfile`, which checks it; extracted members are
checked while they are extracted. Pickled members are unpickled by
:func:`mmhpse.utils.safe_pickle.safe_npz_member` (allow-list: containers, numpy, scipy sparse). A
truncated file, a corrupt member or a CRC mismatch raises :class:`NpzReadError` naming the file
(and the member); a disallowed pickled class raises
:class:`~mmhpse.utils.safe_pickle.UnsafePickleError` naming the file, the member and the class.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
import tempfile
import zipfile
import zlib
from typing import Any, Dict, Optional

import numpy as np

from mmhpse.utils.safe_pickle import UnsafePickleError, safe_npz_member

__all__ = ['LazyNpz', 'NpzReadError']

_VERSION = 2  # 2: stored members CRC-checked, pickles restricted
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError)  # damaged zip data


class NpzReadError(ValueError):
    """An ``.npz`` file (or one of its members) that cannot be read as it is."""
_CHUNK = 1 << 24  # bytes per copy when extracting a member


def _npy_header(fp):
    """Read an ``.npy`` header at the current position: ``(shape, fortran, dtype)`` or None."""
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fp)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(fp)
    return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(type(value).__name__)


def _plain_array(value: Any) -> np.ndarray:
    """An object array / list as a non-object array (strings become fixed-width unicode)."""
    arr = np.asarray(value)
    if arr.dtype.hasobject:
        items = arr.ravel().tolist()
        if all(isinstance(x, str) for x in items):
            arr = np.array(items, dtype=str).reshape(arr.shape)
        else:
            arr = np.array(items).reshape(arr.shape)
            if arr.dtype.hasobject:
                raise TypeError('holds python objects that are neither strings nor numbers')
    return arr


class LazyNpz:
    """Read-only, memory-mapped view of an ``.npz`` file.

    Args:
        path (str): the ``.npz`` file.
        cache_dir (str, optional): folder for extracted members; default: next to the file
            (``<file>.cache/``), or a folder under the system temp dir when that is not writable.

    ``store[name]`` is a read-only array (``np.memmap``), a python scalar (0-d members), or a dict
    of those (a pickled dict member such as HumanData's ``smpl``).
    """

    def __init__(self, path: str, cache_dir: Optional[str] = None):
        self.path = osp.abspath(path)
        self.cache_dir = cache_dir
        st = os.stat(self.path)
        self._key = f'{st.st_size}-{st.st_mtime_ns}-v{_VERSION}'
        self._values: Dict[str, Any] = {}
        extract, stored = [], []
        try:
            zf = zipfile.ZipFile(self.path)
        except zipfile.BadZipFile as err:
            raise NpzReadError(f'{self.path}: cannot be read as an .npz (zip) file: {err} '
                               '(truncated, or not an .npz file?)') from err
        with zf, open(self.path, 'rb') as fp:
            for info in zf.infolist():
                if not info.filename.endswith('.npy'):
                    continue
                name = info.filename[:-4]
                try:
                    mapped = self._map_stored(fp, info) if info.compress_type == 0 else None
                except ValueError as err:  # a stored member whose .npy header is damaged
                    raise NpzReadError(f'{self.path}: member {name!r} is corrupt: {err}') from err
                if mapped is None:
                    extract.append(name)
                else:
                    self._values[name] = mapped
                    stored.append(name)
        self.cache_path = self._open_cache(extract, stored)

    # ---------------------------------------------------------------- stored members
    def _map_stored(self, fp, info: zipfile.ZipInfo):
        fp.seek(info.header_offset)
        local = fp.read(30)
        if local[:4] != b'PK\x03\x04':
            return None
        name_len = int.from_bytes(local[26:28], 'little')
        extra_len = int.from_bytes(local[28:30], 'little')
        fp.seek(info.header_offset + 30 + name_len + extra_len)
        header = _npy_header(fp)
        if header is None:
            return None
        shape, fortran, dtype = header
        if dtype.hasobject:
            return None
        if len(shape) == 0:  # 0-d: read the value, it is tiny
            return np.frombuffer(fp.read(dtype.itemsize), dtype=dtype)[0].item()
        if int(np.prod(shape)) == 0:
            return np.zeros(shape, dtype=dtype)
        return np.memmap(self.path, dtype=dtype, mode='r', offset=fp.tell(), shape=shape,
                         order='F' if fortran else 'C')

    # ---------------------------------------------------------------- cache
    def _cache_root(self, fallback: bool) -> str:
        base = osp.basename(self.path)
        if fallback:
            digest = hashlib.sha1(self.path.encode()).hexdigest()[:10]
            return osp.join(tempfile.gettempdir(), 'mmhpse_npz_cache', f'{base}.{digest}.cache')
        if self.cache_dir is not None:
            digest = hashlib.sha1(self.path.encode()).hexdigest()[:10]
            return osp.join(self.cache_dir, f'{base}.{digest}.cache')
        return self.path + '.cache'

    def _open_cache(self, extract, stored):
        for fallback in (False, True):
            root = self._cache_root(fallback)
            folder = osp.join(root, self._key)
            try:
                if not osp.isfile(osp.join(folder, 'manifest.json')):
                    self._build_cache(root, folder, extract, stored)
                break
            except OSError:
                if fallback:
                    raise
        with open(osp.join(folder, 'manifest.json')) as f:
            manifest = json.load(f)
        for name, value in manifest['scalars'].items():
            self._values[name] = value
        for name in manifest['arrays']:
            self._values[name] = np.load(osp.join(folder, f'{name}.npy'), mmap_mode='r')
        for name, entry in manifest['dicts'].items():
            sub = dict(entry['scalars'])
            for key in entry['arrays']:
                sub[key] = np.load(osp.join(folder, f'{name}.{key}.npy'), mmap_mode='r')
            self._values[name] = sub
        return folder

    def _build_cache(self, root, folder, extract, stored):
        os.makedirs(root, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix='.building-', dir=root)
        manifest = dict(source=self.path, scalars={}, arrays=[], dicts={}, crc_checked=stored)
        try:
            with zipfile.ZipFile(self.path) as zf:
                for name in stored:
                    self._check_crc(zf, name)
                for name in extract:
                    try:
                        self._extract(zf, name, tmp, manifest)
                    except _READ_ERRORS as err:
                        raise NpzReadError(
                            f'{self.path}: member {name!r} is corrupt ({err})') from err
            with open(osp.join(tmp, 'manifest.json'), 'w') as f:
                json.dump(manifest, f)
            try:
                os.rename(tmp, folder)
            except OSError:
                if not osp.isfile(osp.join(folder, 'manifest.json')):
                    raise  # not a lost race with another process
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for old in os.listdir(root):  # caches of earlier versions of the file
            if old != osp.basename(folder) and not old.startswith('.'):
                shutil.rmtree(osp.join(root, old), ignore_errors=True)

    def _check_crc(self, zf: zipfile.ZipFile, name: str):
        """Read a stored member through ``zipfile``, which compares its CRC-32 at the end."""
        try:
            with zf.open(f'{name}.npy') as fp:
                while fp.read(_CHUNK):
                    pass
        except _READ_ERRORS as err:
            raise NpzReadError(f'{self.path}: member {name!r} is corrupt: its bytes do not match '
                               f'the CRC-32 stored in the zip ({err})') from err

    def _extract(self, zf: zipfile.ZipFile, name: str, tmp: str, manifest: dict):
        with zf.open(f'{name}.npy') as fp:
            header = _npy_header(fp)
            if header is not None and not header[2].hasobject and len(header[0]) > 0:
                shape, fortran, dtype = header
                out = np.lib.format.open_memmap(
                    osp.join(tmp, f'{name}.npy'), mode='w+', dtype=dtype, shape=shape,
                    fortran_order=fortran)
                raw = memoryview(out.reshape(-1, order='A').view(np.uint8))
                for start in range(0, len(raw), _CHUNK):
                    view = raw[start:start + _CHUNK]
                    if fp.readinto(view) != len(view):
                        raise NpzReadError(f'{self.path}: member {name!r} is truncated')
                fp.read()  # at the end of the member: zipfile compares the CRC-32
                out.flush()
                del raw, out
                manifest['arrays'].append(name)
                return
        with zf.open(f'{name}.npy') as fp:
            try:
                value = safe_npz_member(self.path, name, fp)  # restricted unpickler
            except UnsafePickleError:
                raise
            except ValueError as err:  # names the file and the member
                raise NpzReadError(str(err)) from err
            while fp.read(_CHUNK):  # to the end of the member: zipfile compares the CRC-32
                pass
        try:
            if value.ndim == 0:
                value = value.item()
                if isinstance(value, dict):
                    self._extract_dict(name, value, tmp, manifest)
                else:
                    manifest['scalars'][name] = _jsonable(value)
                return
            np.save(osp.join(tmp, f'{name}.npy'), _plain_array(value))
            manifest['arrays'].append(name)
        except TypeError as e:
            raise NpzReadError(f'{self.path}: cannot read member {name!r}: {e}') from None

    def _extract_dict(self, name, value, tmp, manifest):
        entry = dict(scalars={}, arrays=[])
        for key, sub in value.items():
            if isinstance(sub, (list, tuple, np.ndarray)):
                try:
                    arr = _plain_array(sub)
                except TypeError as e:
                    raise TypeError(f'key {key!r}: {e}') from None
                np.save(osp.join(tmp, f'{name}.{key}.npy'), arr)
                entry['arrays'].append(str(key))
            else:
                try:
                    entry['scalars'][str(key)] = _jsonable(sub)
                except TypeError as e:
                    raise TypeError(f'key {key!r}: unsupported type {e}') from None
        manifest['dicts'][name] = entry

    # ---------------------------------------------------------------- side files
    def read_json(self, name: str) -> Optional[dict]:
        """A json side file of the cache (``None`` if absent)."""
        path = osp.join(self.cache_path, name)
        if not osp.isfile(path):
            return None
        with open(path) as f:
            return json.load(f)

    def write_json(self, name: str, obj: dict) -> None:
        """Atomically write a json side file into the cache."""
        fd, tmp = tempfile.mkstemp(prefix='.tmp-', dir=self.cache_path)
        with os.fdopen(fd, 'w') as f:
            json.dump(obj, f)
        os.replace(tmp, osp.join(self.cache_path, name))

    # ---------------------------------------------------------------- mapping interface
    def __contains__(self, name: str) -> bool:
        return name in self._values

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name, default)

    def keys(self):
        return self._values.keys()
