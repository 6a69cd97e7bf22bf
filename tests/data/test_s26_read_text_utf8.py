"""read_text (TU files, CelebA lists, CIFAR's batches.meta.txt) decoded with the locale's encoding: under an ASCII
locale (LC_ALL=C with Python's UTF-8 mode and locale coercion off) a UTF-8 TU file with a byte-order mark was
refused as 'not a readable text file (UnicodeDecodeError: 'ascii' codec ...)'. It reads UTF-8 whatever the locale."""

import os
import shutil
import subprocess
import sys

from paperworks.data import package_file

CODE = """
import sys
from paperworks.data.graphs import load_tu
from paperworks.data import read_text
print(len(load_tu(sys.argv[1])), ascii(read_text(sys.argv[2], 'probe')))
"""


def test_utf8_files_read_under_an_ascii_locale(tmp_path):
    d = tmp_path / "MUTAG"
    shutil.copytree(package_file("grakel", "tests/data/MUTAG"), d)
    for f in d.glob("*.txt"):
        f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes())
    (tmp_path / "names.txt").write_bytes("caf\u00e9\n".encode("utf-8"))
    env = {**os.environ, "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "LC_ALL": "C", "LANG": "C"}
    r = subprocess.run([sys.executable, "-c", CODE, str(d), str(tmp_path / "names.txt")], env=env,
                       capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["188", ascii("caf\u00e9\n")]
