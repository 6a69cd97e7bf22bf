"""load_fashion_mnist(root=...) on a user's folder: extracted IDX files (the official names without .gz, which
read_idx reads) were refused as missing, and a missing file under the user's root was reported as 'install the
Debian package dataset-fashion-mnist' (which never writes into that folder)."""

import gzip
from pathlib import Path

import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.data import load

DEB = Path("/usr/share/datasets/fashion-mnist")
pytestmark = pytest.mark.skipif(not (DEB / "t10k-labels-idx1-ubyte.gz").exists(),
                                reason="dataset-fashion-mnist not installed")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path / "cache"))


def test_extracted_files_load_like_the_gz_ones(tmp_path, cache):
    d = tmp_path / "fm"
    d.mkdir()
    for f in DEB.glob("*.gz"):
        (d / f.name.removesuffix(".gz")).write_bytes(gzip.decompress(f.read_bytes()))
    got, ref = load("fashion_mnist", root=str(d)), load("fashion_mnist")
    assert sorted(got) == sorted(ref)
    for k in ref:
        assert np.array_equal(got[k], ref[k]) and got[k].dtype == ref[k].dtype


def test_missing_file_under_root_names_the_root_not_apt(tmp_path, cache):
    d = tmp_path / "fm"
    d.mkdir()
    for f in DEB.glob("*.gz"):
        if not f.name.startswith("t10k-labels"):
            (d / f.name).write_bytes(f.read_bytes())
    with pytest.raises(DataError) as e:
        load("fashion_mnist", root=str(d))
    msg = str(e.value)
    assert "t10k-labels-idx1-ubyte" in msg and str(d) in msg and "apt-get" not in msg
