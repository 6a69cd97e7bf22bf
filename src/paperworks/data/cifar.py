"""CIFAR-10 from a local copy (no download): the "python version" or the "binary version".

Put the extracted folder ``cifar-10-batches-py`` (files ``data_batch_1..5``, ``test_batch``,
``batches.meta``) or ``cifar-10-batches-bin`` (``data_batch_1..5.bin``, ``test_batch.bin``,
``batches.meta.txt``) under ``root`` (argument, or the environment variable ``PAPERWORKS_CIFAR10``).

The python version is a pickle. It is read with a restricted unpickler that rebuilds only plain
containers and numpy arrays; any other global (functions, classes, ``os.system`` ...) is refused.
The binary version is 10,000 records of 1 label byte + 3,072 pixel bytes (1,024 R, then G, then B), with no
header: a file cut at a record boundary is found only because all six batches hold the same number of records.

Returns ``dict(x_train uint8 [N, 3, 32, 32], y_train int64 [N], x_test uint8 [M, 3, 32, 32], y_test int64 [M],
classes list[str])`` (NCHW, as stored in the files).
"""

from __future__ import annotations

import os
import pickle
from collections import Counter
from pathlib import Path

import numpy as np

from paperworks.core.config import is_whole
from paperworks.core.errors import DataError
from paperworks.data import non_integral, read_text, register_dataset

__all__ = ["load_cifar10", "read_python_batch", "read_binary_batch", "RestrictedUnpickler"]

TRAIN = [f"data_batch_{i}" for i in range(1, 6)]
TEST = ["test_batch"]
_RECORD = 1 + 3 * 32 * 32


class RestrictedUnpickler(pickle.Unpickler):
    """Rebuilds numpy arrays / dtypes (plus builtin containers, which need no global); refuses the rest."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
        # protocol-2 pickles written by Python 3 rebuild bytes with _codecs.encode(str, "latin1"): harmless
        ("_codecs", "encode"),
        # protocol 5 (Python 3.14's default) rebuilds an array as frombuffer(bytes, dtype).reshape(shape): harmless
        ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) in self._ALLOWED:
            import importlib

            return getattr(importlib.import_module(module), name)
        raise DataError(f"refusing to unpickle '{module}.{name}' from a CIFAR file: only numpy arrays, "
                        "lists, dicts, numbers and strings are allowed")


def _open(path: Path):
    """``path`` opened for reading; a folder or an unreadable file is one DataError naming it (it was a bare
    IsADirectoryError / PermissionError)."""
    try:
        return open(path, "rb")
    except OSError as e:
        raise DataError(f"cannot read the CIFAR-10 file '{path}' ({type(e).__name__}: {e.strerror or e})") from None


def _safe_load(path: Path):
    with _open(path) as f:
        try:
            return RestrictedUnpickler(f, encoding="latin1").load()
        except DataError:
            raise
        except Exception as e:
            raise DataError(f"'{path}' is not a readable CIFAR-10 python batch ({type(e).__name__}: {e})") from None


def read_python_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """One python-version batch -> (x uint8 [N, 3, 32, 32], y int64 [N])."""
    path = Path(path)
    d = _safe_load(path)
    if not isinstance(d, dict):
        raise DataError(f"'{path}': expected a dict with 'data' and 'labels' (got {type(d).__name__})")
    d = {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in d.items()}
    if "data" not in d or "labels" not in d:
        raise DataError(f"'{path}': missing key 'data' or 'labels' (found {sorted(map(str, d))})")
    x = np.asarray(d["data"])
    y = _integer_labels(path, d["labels"])
    if x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != 3072 or y.shape != (x.shape[0],):
        raise DataError(f"'{path}': expected data uint8 [N, 3072] and N labels (got data {x.dtype} "
                        f"{list(x.shape)}, labels {list(y.shape)})")
    _check_labels(path, y)   # on the values as stored: a cast to int64 first would wrap a huge one into range
    return x.reshape(-1, 3, 32, 32), y.astype(np.int64)


def _integer_labels(path: Path, labels) -> np.ndarray:
    """The labels of a python batch as an array of integers (floats only when they are whole numbers), not yet
    cast: a cast to int64 truncated 3.5 to 3 silently, read the strings "3" as 3, and failed on NaN, None or an
    integer beyond int64 with numpy's error, which named no file."""
    try:
        y = np.asarray(labels)
    except (ValueError, TypeError) as e:   # a ragged list
        raise DataError(f"'{path}': labels must be a list of integers ({e})") from None
    if y.dtype.kind == "f":
        bad = non_integral(y)
        if bad.any():
            raise DataError(f"'{path}': labels must be integers (got {y[bad][:3].tolist()})")
    elif y.dtype == object:
        # Python / numpy integers stored as an object array (or a list holding an int beyond int64) loaded before
        # as integers; they still do, and the range check names a huge one. Whole floats as in a float array.
        bad = [v for v in y.ravel().tolist() if not is_whole(v)]
        if bad:
            raise DataError(f"'{path}': labels must be integers (got {bad[:3]!r})")
    elif y.dtype.kind not in "iu":
        raise DataError(f"'{path}': labels must be integers (got {y.dtype} values, e.g. {y.ravel()[:3].tolist()})")
    return y


def read_binary_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """One binary-version batch -> (x uint8 [N, 3, 32, 32], y int64 [N])."""
    path = Path(path)
    try:
        raw = np.fromfile(path, dtype=np.uint8)
    except OSError as e:   # a folder or an unreadable file: a bare IsADirectoryError / PermissionError
        raise DataError(f"cannot read the CIFAR-10 file '{path}' ({type(e).__name__}: {e.strerror or e})") from None
    if raw.size == 0 or raw.size % _RECORD:
        raise DataError(f"'{path}': size {raw.size} bytes is not a multiple of the {_RECORD}-byte CIFAR-10 record")
    rec = raw.reshape(-1, _RECORD)
    y = rec[:, 0].astype(np.int64)
    _check_labels(path, y)
    return rec[:, 1:].reshape(-1, 3, 32, 32).copy(), y


def _check_labels(path, y):
    if y.size and (y.min() < 0 or y.max() > 9):
        raise DataError(f"'{path}': labels must be in 0..9 (got {int(y.min())}..{int(y.max())})")


def _find(root: Path):
    for sub in ("cifar-10-batches-py", "cifar-10-batches-bin", "."):
        d = (root / sub).resolve()
        if (d / "data_batch_1").exists():
            return d, "py"
        if (d / "data_batch_1.bin").exists():
            return d, "bin"
    return None, None


def load_cifar10(root: str | os.PathLike | None = None) -> dict:
    """Load CIFAR-10 (python or binary version) from a local folder; see the module docstring."""
    root = root or os.environ.get("PAPERWORKS_CIFAR10")
    if not root:
        raise DataError("CIFAR-10 is not shipped offline: extract cifar-10-python.tar.gz or cifar-10-binary.tar.gz "
                        "and pass root=... or set PAPERWORKS_CIFAR10 to the folder that holds it")
    root = Path(root)
    d, kind = _find(root)
    if d is None:
        raise DataError(f"no CIFAR-10 batches under '{root}' (expected cifar-10-batches-py/data_batch_1 or "
                        "cifar-10-batches-bin/data_batch_1.bin)")
    read = read_python_batch if kind == "py" else read_binary_batch
    suffix = "" if kind == "py" else ".bin"
    parts, counts = {}, {}
    for split, names in (("train", TRAIN), ("test", TEST)):
        missing = [n + suffix for n in names if not (d / (n + suffix)).exists()]
        if missing:
            raise DataError(f"CIFAR-10 folder '{d}' lacks {', '.join(missing)}")
        xs, ys = zip(*(read(d / (n + suffix)) for n in names))
        counts.update((d / (n + suffix), len(y)) for n, y in zip(names, ys))
        parts[f"x_{split}"] = np.concatenate(xs)
        parts[f"y_{split}"] = np.concatenate(ys)
    # the count most batches hold (a tie: the larger one); the batch off it is the damaged one, whether cut short or
    # longer (a file written twice): the largest count alone named a good batch as truncated beside a longer one
    tally = Counter(counts.values())
    usual = max(tally, key=lambda c: (tally[c], c))
    odd = [p for p, c in counts.items() if c != usual]
    if kind == "bin" and odd:
        # a binary batch has no header: one cut at a record boundary shows only against the other batches,
        # which all hold the same number of records (10,000 in the official files)
        c = counts[odd[0]]
        why = "truncated file?" if c < usual else "extra records (a file written twice?)"
        raise DataError(f"CIFAR-10 batch '{odd[0]}' holds {c} images but another batch holds {usual} "
                        f"(all CIFAR-10 batches hold the same number): {why}")
    classes = [f"class_{i}" for i in range(10)]
    if kind == "py" and (d / "batches.meta").exists():
        meta = _safe_load(d / "batches.meta")
        if isinstance(meta, dict):
            meta = {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in meta.items()}
            names = meta.get("label_names")
            if isinstance(names, list) and len(names) == 10:
                classes = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    elif kind == "bin" and (d / "batches.meta.txt").exists():
        # a file that is not text was a bare UnicodeDecodeError
        names = [s.strip() for s in read_text(d / "batches.meta.txt", "cifar10").splitlines() if s.strip()]
        if len(names) == 10:
            classes = names
    parts["classes"] = classes
    return parts


register_dataset("cifar10", "CIFAR-10 from a local copy (python or binary version; no download)")(load_cifar10)
