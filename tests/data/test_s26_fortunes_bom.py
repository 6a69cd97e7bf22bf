"""read_fortune_file / load_fortunes(root=...) on a file saved with a UTF-8 byte-order mark (Notepad): the mark
stayed in the first record's text, and a file opening with a '%' line read that line as text, so the first record
came back as '\\ufeff%\\nfirst a'."""

from paperworks.data.text import load_fortunes, read_fortune_file


def test_bom_is_not_text(tmp_path):
    (tmp_path / "a").write_bytes(b"\xef\xbb\xbf%\r\nfirst a\r\n%\r\nsecond a\r\n%\r\n")
    assert read_fortune_file(tmp_path / "a") == ["first a", "second a"]
    (tmp_path / "c").write_bytes(b"\xef\xbb\xbffirst c\n%\nsecond c\n")
    assert read_fortune_file(tmp_path / "c") == ["first c", "second c"]


def test_bom_file_dedupes_against_plain_file(tmp_path):
    (tmp_path / "a").write_bytes(b"\xef\xbb\xbfshared\n%\nonly a\n%\nmore a\n")
    (tmp_path / "b").write_bytes(b"shared\n%\nonly b\n%\nmore b\n")
    r = load_fortunes(("a", "b"), root=str(tmp_path), test_fraction=0.5)
    texts = r["texts_train"] + r["texts_test"]
    assert sorted(texts) == ["more a", "more b", "only a", "only b", "shared"]
