"""read_fortune_file decoded with errors="replace": a byte that is not UTF-8 (a latin-1 file, a damaged copy) became
U+FFFD in the texts, silently, and load("fortunes") trained on them. Now one DataError naming the file and the byte
offset. The installed Debian files are all UTF-8, so what they load is unchanged."""

from pathlib import Path

import pytest

from paperworks.core.errors import DataError
from paperworks.data import load
from paperworks.data.text import FORTUNES_DIR, load_fortunes, read_fortune_file

LATIN1 = "caf\xe9 au lait\n%\nsecond record\n".encode("latin-1")          # b'\xe9' at byte offset 3


def test_a_byte_that_is_not_utf8_is_a_data_error_naming_file_and_offset(tmp_path):
    (tmp_path / "food").write_bytes(LATIN1)
    with pytest.raises(DataError, match=r"'.*food' is not UTF-8: byte offset 3 \(b'\\xe9'"):
        read_fortune_file(tmp_path / "food")


def test_load_fortunes_reports_it_too(tmp_path):
    (tmp_path / "food").write_bytes(LATIN1 + b"%\n" + "\n%\n".join(f"f{i}" for i in range(5)).encode())
    (tmp_path / "law").write_text("\n%\n".join(f"l{i}" for i in range(5)))
    with pytest.raises(DataError, match="food' is not UTF-8: byte offset 3"):
        load_fortunes(("law", "food"), root=str(tmp_path))


def test_valid_utf8_is_read_as_before(tmp_path):
    (tmp_path / "a").write_bytes("caf\xe9 \u2014 na\xefve\n%\n\U0001F600\n".encode("utf-8"))
    assert read_fortune_file(tmp_path / "a") == ["caf\xe9 \u2014 na\xefve", "\U0001F600"]


@pytest.mark.skipif(not Path(FORTUNES_DIR).is_dir(), reason="Debian package 'fortunes' not installed")
def test_installed_files_load_as_with_replacement_decoding():
    files = sorted(p for p in Path(FORTUNES_DIR).iterdir() if p.is_file() and "." not in p.name)
    assert files
    for p in files:     # strict and replacing decodes agree on every installed file: no U+FFFD anywhere
        assert "\ufffd" not in p.read_bytes().decode("utf-8", errors="replace"), p
        assert all("\ufffd" not in r for r in read_fortune_file(p))
    d = load("fortunes")
    assert len(d["texts_train"]) + len(d["texts_test"]) == 2531
