"""An empty PAPERWORKS_CACHE (``export PAPERWORKS_CACHE=``) was taken as Path(''), the current folder: the image
loaders wrote datasets/<name>.npz (~55 MB each) into whatever folder the process ran in, a checkout included.
It counts as unset now (~/.cache/paperworks); a set value is used as before."""

from pathlib import Path

from paperworks.data import cache_dir


def test_empty_variable_means_the_default_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PAPERWORKS_CACHE", "")
    monkeypatch.chdir(tmp_path)
    d = cache_dir("datasets")
    assert d == tmp_path / "home" / ".cache" / "paperworks" / "datasets" and d.is_dir()
    assert not (tmp_path / "datasets").exists()


def test_unset_and_set_variable_unchanged(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PAPERWORKS_CACHE", raising=False)
    assert cache_dir("x") == tmp_path / "home" / ".cache" / "paperworks" / "x"
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path / "c"))
    assert cache_dir("x") == Path(tmp_path / "c" / "x") and (tmp_path / "c" / "x").is_dir()
