"""load_tu reads NAME_graph_attributes.txt as PyG does: float regression targets that take precedence over
NAME_graph_labels.txt (which may then be absent). Oracle: PyG's TUDataset on a copy of the same raw files."""

import shutil

import pytest
import torch
from torch_geometric.datasets import TUDataset

from paperworks.core.errors import DataError
from paperworks.data.graphs import load_tu


def _write(root, name, files):
    root.mkdir()
    for suffix, rows in files.items():
        (root / f"{name}_{suffix}.txt").write_text("\n".join(rows) + "\n")
    return root


def _pyg(tmp_path, root, name):
    raw = tmp_path / "pyg" / name / "raw"        # TUDataset's layout: ROOT/NAME/raw/NAME_*.txt (no download)
    raw.mkdir(parents=True)
    for f in root.iterdir():
        shutil.copy(f, raw / f.name)
    return TUDataset(str(tmp_path / "pyg"), name, use_node_attr=True, use_edge_attr=True)


_BASE = {
    "A": ["1, 2", "2, 1", "2, 3", "3, 2", "4, 5", "5, 4", "6, 7", "7, 6", "7, 7"],
    "graph_indicator": ["1", "1", "1", "2", "2", "3", "3"],
    "node_labels": ["0", "1", "0", "1", "1", "2", "0"],
    "node_attributes": ["0.5, 1", "1.5, 2", "-2, 0", "0.25, 1", "4, 4", "1, 1", "3, -1"],
    "edge_labels": ["0", "0", "1", "1", "0", "0", "1", "1", "0"],
}


def _same_as_pyg(ours, ref):
    assert len(ours) == len(ref)
    for g, r in zip(ours, ref):
        assert torch.equal(g.x, r.x)
        assert torch.equal(g.edge_index, r.edge_index)
        assert torch.equal(g.edge_attr, r.edge_attr)
        assert g.y.dtype == r.y.dtype and torch.equal(g.y, r.y)


@pytest.mark.parametrize("labels", [True, False])
def test_one_target_column_as_pyg(tmp_path, labels):
    files = dict(_BASE, graph_attributes=["0.5", "-1.25", "3e-3"])
    if labels:
        files["graph_labels"] = ["0", "1", "1"]
    root = _write(tmp_path / "REG", "REG", files)
    ours = load_tu(root)
    _same_as_pyg(ours, _pyg(tmp_path, root, "REG"))
    assert [g.y.tolist() for g in ours] == [[0.5], [-1.25], [pytest.approx(3e-3)]]
    assert ours[0].y.dtype == torch.float32


def test_several_target_columns_as_pyg(tmp_path):
    root = _write(tmp_path / "MULTI", "MULTI", dict(_BASE, graph_attributes=["0.5, 1", "-1.25, 2", "7, 8"]))
    ours = load_tu(root)
    _same_as_pyg(ours, _pyg(tmp_path, root, "MULTI"))
    assert ours[1].y.tolist() == [[-1.25, 2.0]]


def test_bad_target_files(tmp_path):
    root = _write(tmp_path / "BAD", "BAD", dict(_BASE, graph_attributes=["0.5", "1", "2", "3"]))
    with pytest.raises(DataError, match="BAD_graph_attributes.txt.*has no node"):
        load_tu(root)
    root = _write(tmp_path / "NAN", "NAN", dict(_BASE, graph_attributes=["0.5", "nan", "1"]))
    with pytest.raises(DataError, match="NaN"):
        load_tu(root)
    root = _write(tmp_path / "NONE", "NONE", _BASE)
    with pytest.raises(DataError, match="NONE_graph_labels.txt.*graph_attributes"):
        load_tu(root)


_OPENED: list | None = None


def _audit(event, args):
    if event == "open" and _OPENED is not None and isinstance(args[0], (str, bytes, __import__("os").PathLike)):
        _OPENED.append(str(args[0]))


def test_each_tu_file_is_read_once(tmp_path):
    """Every TU file is opened once (it was read as text for an empty check, then again by np.loadtxt)."""
    global _OPENED
    import collections
    import sys

    root = _write(tmp_path / "ONCE", "ONCE", dict(_BASE, graph_labels=["1", "-1", "1"],
                                                  edge_attributes=[str(i) for i in range(9)]))
    sys.addaudithook(_audit)
    _OPENED = []
    try:
        load_tu(root)
        opened = collections.Counter(p for p in _OPENED if p.startswith(str(root)))
    finally:
        _OPENED = None
    assert len(opened) == 7 and set(opened.values()) == {1}, opened
