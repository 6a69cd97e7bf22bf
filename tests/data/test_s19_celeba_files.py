"""CelebA list files: a UTF-8 byte-order mark was refused with a misleading message (the attribute file "declares
'\\ufeff6' records", the partition file left "1 image(s) ... truncated partition file?"), and a file listed twice
was silently used twice (attribute file: the image twice in its split) or assigned by its last line (partition
file listing it in train and in test)."""

import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.data.fairness import load_celeba

from test_fairness import _celeba_fixture  # noqa: E402  (tests/data is on sys.path under pytest)


def _prepend_bom(p):
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())


def test_bom_is_dropped(tmp_path):
    _celeba_fixture(tmp_path)
    ref = load_celeba(str(tmp_path), split="train", size=8)
    _prepend_bom(tmp_path / "list_attr_celeba.txt")
    _prepend_bom(tmp_path / "list_eval_partition.txt")
    d = load_celeba(str(tmp_path), split="train", size=8)
    assert d["files"] == ref["files"] == ["000001.jpg", "000002.jpg", "000003.jpg"]
    assert np.array_equal(d["x"], ref["x"]) and np.array_equal(d["attrs"], ref["attrs"])


def test_file_listed_twice_is_refused(tmp_path):
    _celeba_fixture(tmp_path)
    part = tmp_path / "list_eval_partition.txt"
    good = part.read_text()
    part.write_text(good + "000001.jpg 2\n")                     # train and test
    with pytest.raises(DataError, match="000001.jpg.*twice"):
        load_celeba(str(tmp_path), split="test", size=8)
    part.write_text(good)
    attr = tmp_path / "list_attr_celeba.txt"
    lines = attr.read_text().splitlines()
    lines[0] = "7"
    attr.write_text("\n".join(lines + [lines[3]]) + "\n")       # 000002.jpg again, count line updated
    with pytest.raises(DataError, match="000002.jpg.*twice"):
        load_celeba(str(tmp_path), split="train", size=8)
