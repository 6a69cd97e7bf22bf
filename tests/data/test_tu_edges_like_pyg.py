"""load_tu's edge set equals PyG's read_tu_data: self-loops dropped, duplicate edges merged, edge labels summed."""

import torch
from torch_geometric.io import read_tu_data

from paperworks.data.graphs import load_tu


def _edge_dict(ei, ea):
    out = {}
    for (i, j), a in zip(ei.T.tolist(), ea.tolist()):
        assert (i, j) not in out          # no duplicate edge left
        out[(i, j)] = a
    return out


def test_self_loops_and_duplicate_edges_as_pyg(tmp_path):
    root = tmp_path / "DUP"
    root.mkdir()
    # graph 1: nodes 1-3 with a self-loop (2,2), a duplicated edge (1,2) and both directions; graph 2: nodes 4-5
    edges = ["2, 1", "1, 2", "2, 2", "1, 2", "2, 3", "3, 2", "5, 4", "4, 5", "4, 4"]
    labels = ["0", "1", "2", "2", "0", "0", "1", "1", "0"]
    (root / "DUP_A.txt").write_text("\n".join(edges) + "\n")
    (root / "DUP_edge_labels.txt").write_text("\n".join(labels) + "\n")
    (root / "DUP_graph_indicator.txt").write_text("1\n1\n1\n2\n2\n")
    (root / "DUP_graph_labels.txt").write_text("1\n-1\n")
    (root / "DUP_node_labels.txt").write_text("0\n1\n0\n1\n2\n")
    ours = load_tu(root)
    data, slices, _ = read_tu_data(str(root), "DUP")
    assert len(ours) == 2
    for k, g in enumerate(ours):
        n0, n1 = int(slices["x"][k]), int(slices["x"][k + 1])
        e0, e1 = int(slices["edge_index"][k]), int(slices["edge_index"][k + 1])
        ref_ei, ref_ea = data.edge_index[:, e0:e1], data.edge_attr[e0:e1]
        assert torch.equal(g.x, data.x[n0:n1])
        assert _edge_dict(g.edge_index, g.edge_attr) == _edge_dict(ref_ei, ref_ea)
    # the duplicated (1,2) edge carries label 1 + label 2 (summed one-hots), as PyG's coalesce gives
    assert _edge_dict(ours[0].edge_index, ours[0].edge_attr)[(0, 1)] == [0.0, 1.0, 1.0]
    # the file's order of first occurrences is kept (MUTAG's edges stay in their file order)
    assert ours[0].edge_index.T.tolist() == [[1, 0], [0, 1], [1, 2], [2, 1]]
