"""Atomic file writes: temp file in the same folder, fsync, rename, fsync the folder.

A reader never sees a half-written file: either the old content or the new one.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# read once, at import (single-threaded): setting the umask to read it is not thread-safe
_UMASK = _current_umask()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)   # (atomic_write_leftovers)
    try:
        # mkstemp creates the file 0600; give it the mode a plain open() would (an existing file keeps its
        # own), so that reports and checkpoints are as readable as every other file the user writes
        try:
            mode = path.stat().st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_UMASK
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)
    return path


def atomic_write_leftovers(path: str | os.PathLike) -> list[Path]:
    """The temporary files of :func:`atomic_write_bytes` writes of ``path`` killed before their rename: its mkstemp
    names (prefix ``.NAME.``, 8 random characters, suffix ``.tmp``) matched exactly, plain files only, so that a
    user's file that merely starts like one is never taken for one."""
    path = Path(path)
    exact = re.compile(re.escape(f".{path.name}.") + r"[a-z0-9_]{8}\.tmp")
    return [t for t in path.parent.glob(f".{path.name}.*.tmp")
            if exact.fullmatch(t.name) and t.is_file() and not t.is_symlink()]


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def plain_scalar(o: Any) -> Any:
    """A NumPy scalar, a 0-d NumPy array or a 0-d tensor as its Python value (``np.float32(0.5)`` -> 0.5); anything
    else unchanged. Never imports numpy or torch: an object of theirs exists only once they are imported, so they
    are looked up in ``sys.modules`` (the CLI calls this, and its start-up stays free of both)."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(o, (np.generic, np.ndarray)) and o.ndim == 0:
        return o.item()
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(o, torch.Tensor) and o.dim() == 0:
        return o.detach().cpu().item()
    return o


def json_default(o: Any):
    """JSON encoder for the numpy / torch values and paths that end up in metrics and reports. Like
    :func:`plain_scalar` it imports neither library (serializing a path or a set used to import both, ~2 s)."""
    v = plain_scalar(o)
    if v is not o:
        return v
    np = sys.modules.get("numpy")
    if np is not None and isinstance(o, np.ndarray):
        return o.tolist()
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(o, torch.Tensor):
        return o.detach().cpu().tolist()
    if isinstance(o, os.PathLike):
        return os.fspath(o)
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def clean_json(o: Any) -> Any:
    """Replace non-finite floats by None (strict JSON has no NaN/Infinity)."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: clean_json(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [clean_json(v) for v in o]
    return o


def dumps(obj: Any, indent: int | None = 2) -> str:
    return json.dumps(clean_json(json.loads(json.dumps(obj, default=json_default))), indent=indent,
                      allow_nan=False)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    return atomic_write_text(path, dumps(obj) + "\n")
