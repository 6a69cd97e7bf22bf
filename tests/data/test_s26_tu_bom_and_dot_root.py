"""load_tu on a user's TU folder: files saved with a UTF-8 byte-order mark (and CRLF line ends) were refused
("could not convert string '\\ufeff2'"), and root='.' (run from inside the folder) looked for '_A.txt' because the
default name was Path('.').name == ''."""

import shutil

import pytest
import torch

from paperworks.data import load, package_file
from paperworks.data.graphs import load_tu


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        for k in ("x", "edge_index", "y", "edge_attr"):
            assert torch.equal(getattr(x, k), getattr(y, k))


@pytest.fixture(scope="module")
def mutag_src():
    return package_file("grakel", "tests/data/MUTAG")


def test_bom_and_crlf_read_as_plain(tmp_path, mutag_src):
    d = tmp_path / "MUTAG"
    shutil.copytree(mutag_src, d)
    for f in d.glob("*.txt"):
        f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes().replace(b"\n", b"\r\n"))
    _same(load_tu(d), load_tu(mutag_src, "MUTAG"))


def test_root_dot_takes_the_folder_name(tmp_path, mutag_src, monkeypatch):
    d = tmp_path / "MUTAG"
    shutil.copytree(mutag_src, d)
    monkeypatch.chdir(d)
    _same(load("tu", root="."), load_tu(mutag_src, "MUTAG"))
    monkeypatch.chdir(tmp_path)
    _same(load_tu("MUTAG/../MUTAG/."), load_tu(mutag_src, "MUTAG"))


def test_symlinked_folder_keeps_its_own_name(tmp_path, mutag_src):
    real = tmp_path / "store_v2"
    shutil.copytree(mutag_src, real)
    (tmp_path / "MUTAG").symlink_to(real, target_is_directory=True)
    _same(load_tu(tmp_path / "MUTAG"), load_tu(mutag_src, "MUTAG"))
