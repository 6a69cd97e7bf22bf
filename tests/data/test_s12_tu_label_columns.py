"""load_tu reads every column of the TU label files and the edge attributes, as PyG's read_tu_data does.

TU node/edge label files may hold several comma-separated label columns (Cuneiform's node labels have 2); each
column is one-hot encoded on its own and the blocks are concatenated. NAME_edge_attributes.txt is prepended to
the edge labels' one-hots in ``edge_attr``. Single-column folders (MUTAG) give what they gave before.
"""

import pytest
import torch
from torch_geometric.io import read_tu_data

from paperworks.core.errors import DataError
from paperworks.data import package_file
from paperworks.data.graphs import load_tu


def _edge_dict(ei, ea):
    out = {}
    for (i, j), a in zip(ei.T.tolist(), ea.tolist()):
        assert (i, j) not in out
        out[(i, j)] = a
    return out


def _same_as_pyg(root, name):
    ours = load_tu(root, name)
    data, slices, _ = read_tu_data(str(root), name)
    assert len(ours) == len(slices["x"]) - 1
    for k, g in enumerate(ours):
        n0, n1 = int(slices["x"][k]), int(slices["x"][k + 1])
        e0, e1 = int(slices["edge_index"][k]), int(slices["edge_index"][k + 1])
        assert torch.equal(g.x, data.x[n0:n1])
        assert int(g.y) == int(data.y[k])
        assert _edge_dict(g.edge_index, g.edge_attr) == _edge_dict(data.edge_index[:, e0:e1], data.edge_attr[e0:e1])
    return ours


def _write(root, name, files):
    root.mkdir()
    for suffix, rows in files.items():
        (root / f"{name}_{suffix}.txt").write_text("\n".join(rows) + "\n")
    return root


def test_two_label_columns_and_edge_attributes_as_pyg(tmp_path):
    root = _write(tmp_path / "TWO", "TWO", {
        "A": ["1, 2", "2, 1", "2, 3", "3, 2", "4, 5", "5, 4", "4, 5"],
        "graph_indicator": ["1", "1", "1", "2", "2"],
        "graph_labels": ["3", "7"],
        "node_labels": ["0, 5", "1, 6", "0, 5", "2, 5", "1, 6"],
        "node_attributes": ["0.5", "1.5", "-2", "0.25", "4"],
        "edge_labels": ["0, 1", "0, 1", "1, 0", "1, 0", "0, 0", "0, 0", "1, 1"],
        "edge_attributes": ["0.5, 1", "0.5, 1", "2, 0", "2, 0", "0.25, 3", "0.25, 3", "1, 1"],
    })
    g = _same_as_pyg(root, "TWO")
    # x = node attribute | one-hot of column 1 (3 values) | one-hot of column 2 (values 5, 6 -> 2 columns)
    assert g[0].x.tolist() == [[0.5, 1, 0, 0, 1, 0], [1.5, 0, 1, 0, 0, 1], [-2, 1, 0, 0, 1, 0]]
    # edge_attr = edge attributes (2) | one-hot of label column 1 (2) | of column 2 (2)
    assert _edge_dict(g[0].edge_index, g[0].edge_attr)[(0, 1)] == [0.5, 1, 1, 0, 0, 1]
    # the duplicated edge 4-5 of graph 2: attributes and one-hots summed (as PyG's coalesce)
    assert _edge_dict(g[1].edge_index, g[1].edge_attr)[(0, 1)] == [1.25, 4, 1, 1, 1, 1]


def test_edge_attributes_without_edge_labels(tmp_path):
    root = _write(tmp_path / "EA", "EA", {
        "A": ["1, 2", "2, 1", "3, 3", "4, 5", "5, 4"], "graph_indicator": ["1", "1", "1", "2", "2"],
        "graph_labels": ["1", "0"], "edge_attributes": ["1.5", "1.5", "9", "-1", "-1"],
        "node_labels": ["1", "1", "1", "1", "1"]})
    g = _same_as_pyg(root, "EA")
    assert g[0].edge_attr.tolist() == [[1.5], [1.5]]        # the self-loop and its attribute dropped
    assert g[1].edge_attr.tolist() == [[-1.0], [-1.0]]


def test_cuneiform_from_the_grakel_wheel_as_pyg():
    root = package_file("grakel", "tests/data/Cuneiform", "grakel==0.1.11")
    g = _same_as_pyg(root, "Cuneiform")
    # 3 node attributes + 4 + 3 one-hot node label columns; 2 edge attributes + 2 one-hot edge label columns
    assert g[0].x.shape[1] == 10 and g[0].edge_attr.shape[1] == 4
    assert len(g) == 267 and sum(d.num_nodes for d in g) == 5680


def test_mutag_single_columns_unchanged():
    root = package_file("grakel", "tests/data/MUTAG", "grakel==0.1.11")
    g = _same_as_pyg(root, "MUTAG")
    assert g[0].x.shape[1] == 7 and g[0].edge_attr.shape[1] == 4


@pytest.mark.parametrize("rows, match", [(["1", "nan", "2"], "NaN or inf"), (["1", "2"], "rows")])
def test_bad_edge_attributes_are_data_errors(tmp_path, rows, match):
    root = _write(tmp_path / "BAD", "BAD", {
        "A": ["1, 2", "2, 1", "2, 3"], "graph_indicator": ["1", "1", "1"], "graph_labels": ["1"],
        "edge_attributes": rows})
    with pytest.raises(DataError, match=match):
        load_tu(root)


def test_ragged_label_columns_are_a_data_error(tmp_path):
    root = _write(tmp_path / "RAG", "RAG", {
        "A": ["1, 2", "2, 1"], "graph_indicator": ["1", "1"], "graph_labels": ["1"],
        "node_labels": ["0, 1", "1"]})
    with pytest.raises(DataError, match="node_labels"):
        load_tu(root)
