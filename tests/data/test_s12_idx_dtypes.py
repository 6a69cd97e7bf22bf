"""read_idx reads every IDX element type (LeCun's format: magic 0, 0, type, ndim; big-endian int32 sizes; data
big-endian), not only unsigned bytes; hand-made files are compared with the numpy arrays they were written from."""

import gzip
import struct

import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.data.images import read_idx

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _write(path, code, arr, gz=False):
    raw = bytes([0, 0, code, arr.ndim]) + b"".join(struct.pack(">I", s) for s in arr.shape)
    raw += arr.astype(_TYPES[code]).tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


@pytest.mark.parametrize("code", sorted(_TYPES))
@pytest.mark.parametrize("gz", [False, True])
def test_every_idx_type_equals_the_array_written(tmp_path, code, gz):
    rng = np.random.default_rng(code)
    dt = np.dtype(_TYPES[code])
    if dt.kind == "f":
        arr = rng.standard_normal((3, 4, 5)).astype(dt) * 1e3
    else:
        info = np.iinfo(dt)
        arr = rng.integers(info.min, int(info.max) + 1, size=(3, 4, 5)).astype(dt)
    out = read_idx(_write(tmp_path / ("a.idx" + (".gz" if gz else "")), code, arr, gz))
    assert out.shape == (3, 4, 5)
    assert out.dtype == dt.newbyteorder("=")          # native byte order, same kind and size
    assert np.array_equal(out, arr.astype(dt.newbyteorder("=")))


def test_uint8_files_still_give_uint8(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    out = read_idx(_write(tmp_path / "u.idx", 0x08, arr))
    assert out.dtype == np.uint8 and np.array_equal(out, arr)


def test_multi_byte_truncation_and_unknown_type_are_data_errors(tmp_path):
    arr = np.arange(6, dtype=">i4")
    p = _write(tmp_path / "t.idx", 0x0C, arr)
    p.write_bytes(p.read_bytes()[:-2])
    with pytest.raises(DataError, match="truncated"):
        read_idx(p)
    q = tmp_path / "bad.idx"
    q.write_bytes(bytes([0, 0, 0x0A, 1]) + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(DataError, match="IDX"):
        read_idx(q)
