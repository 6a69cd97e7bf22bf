"""WMT14 files are aligned line by line on '\\n' (as `wc -l` and the usual tools count them). They were read with
Python's universal newlines, which also end a line at a lone '\\r': a stray carriage return inside a sentence on
each side (at different lines) split both sides once more, so the counts still matched and every later pair was
misaligned, silently. A UTF-8 byte-order mark stayed glued to the first sentence."""

from paperworks.data.translation import _read_lines


def test_lone_carriage_return_does_not_split_a_line(tmp_path):
    en, de = tmp_path / "x.en", tmp_path / "x.de"
    en.write_bytes(b"one\rhalf\ntwo\nthree\n")
    de.write_bytes(b"eins\nzwei\ndrei\rhalb\n")
    a, b = _read_lines(en), _read_lines(de)
    assert len(a) == len(b) == 3
    assert list(zip(a, b))[1] == ("two", "zwei")       # was ("half", "eins")


def test_crlf_and_bom(tmp_path):
    p = tmp_path / "x.en"
    p.write_bytes("\ufeffHello world\r\nSecond line\r\n".encode("utf-8"))
    assert _read_lines(p) == ["Hello world", "Second line"]
    p.write_bytes(b"Hello world\nSecond line")           # no newline after the last line
    assert _read_lines(p) == ["Hello world", "Second line"]
