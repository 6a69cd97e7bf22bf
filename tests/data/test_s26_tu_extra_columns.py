"""load_tu cut extra columns off silently: a graph-label file with a second column ('1, 7'), a graph indicator
with two, or an edge file 'i, j, w' loaded from the first column(s) alone. Each is one DataError naming the file;
node / edge label files keep their documented multi-column reading."""

import shutil

import pytest

from paperworks.core.errors import DataError
from paperworks.data import package_file
from paperworks.data.graphs import load_tu


@pytest.mark.parametrize("stem,ncol", [("graph_labels", 1), ("graph_indicator", 1), ("A", 2)])
def test_extra_column_is_refused(tmp_path, stem, ncol):
    d = tmp_path / "MUTAG"
    shutil.copytree(package_file("grakel", "tests/data/MUTAG"), d)
    f = d / f"MUTAG_{stem}.txt"
    f.write_text("\n".join(f"{ln.strip()}, 1" for ln in f.read_text().splitlines() if ln.strip()) + "\n")
    with pytest.raises(DataError, match=rf"MUTAG_{stem}.txt' needs {ncol} comma-separated column.*got {ncol + 1}"):
        load_tu(d)


def test_multi_column_node_labels_still_read(tmp_path):
    d = tmp_path / "MUTAG"
    shutil.copytree(package_file("grakel", "tests/data/MUTAG"), d)
    f = d / "MUTAG_node_labels.txt"
    f.write_text("\n".join(f"{ln.strip()}, 0" for ln in f.read_text().splitlines() if ln.strip()) + "\n")
    g = load_tu(d)
    assert len(g) == 188 and g[0].x.shape[1] == 7 + 1
