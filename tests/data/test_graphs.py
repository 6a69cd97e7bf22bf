"""Graph data loaders: MUTAG counts from the TU README, a hand-written TU folder, RDKit graphs, generators."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.data import load
from paperworks.data.graphs import load_tu, mol_to_graph


def test_mutag_matches_published_counts():
    data = load("mutag")
    assert len(data) == 188
    assert sum(int(d.y) for d in data) == 125  # 125 mutagenic (+1 -> 1), 63 not
    assert sum(d.num_nodes for d in data) == 3371
    assert sum(d.edge_index.size(1) for d in data) == 7442
    assert all(d.x.shape[1] == 7 and torch.all(d.x.sum(1) == 1) for d in data)
    assert all(int(d.edge_index.max()) < d.num_nodes for d in data)


def test_tu_loader_on_a_hand_written_folder(tmp_path):
    root = tmp_path / "TOY"
    root.mkdir()
    (root / "TOY_A.txt").write_text("1, 2\n2, 1\n3, 4\n4, 3\n4, 5\n5, 4\n")
    (root / "TOY_graph_indicator.txt").write_text("1\n1\n2\n2\n2\n")
    (root / "TOY_graph_labels.txt").write_text("-1\n1\n")
    (root / "TOY_node_labels.txt").write_text("0\n2\n1\n1\n0\n")
    g = load("tu", root=str(root))
    assert [int(d.y) for d in g] == [0, 1]
    assert g[0].edge_index.tolist() == [[0, 1], [1, 0]]
    assert g[1].edge_index.tolist() == [[0, 1, 1, 2], [1, 0, 2, 1]]
    assert g[1].x.tolist() == [[0, 1, 0], [0, 1, 0], [1, 0, 0]]
    (root / "TOY_A.txt").unlink()
    with pytest.raises(DataError, match="TOY_A.txt"):
        load_tu(root)


def test_molecule_graph():
    g = mol_to_graph("c1ccccc1O")  # phenol: 7 heavy atoms, 7 bonds
    assert g.num_nodes == 7 and g.edge_index.size(1) == 14
    assert g.x[:6, 22].sum() == 6 and g.x[6, 2] == 1  # six aromatic atoms; last atom is O
    assert mol_to_graph("not a smiles") is None
    single = mol_to_graph("C")
    assert single.num_nodes == 1 and single.edge_index.shape == (2, 0)


def test_b3db_subset():
    data = load("b3db_bbbp", max_molecules=200, max_atoms=40, seed=1)
    assert 150 < len(data) <= 200 and all(d.num_nodes <= 40 for d in data)
    frac = np.mean([int(d.y) for d in data])
    assert 0.55 < frac < 0.75  # B3DB is ~63 % BBB+


@pytest.mark.parametrize("name", ["syn_community1v2", "syn_community_wiring", "syn_community_majority", "syn_motif"])
def test_generators_are_seeded_and_balanced(name):
    a, b = load(name, n_per_class=6, seed=4), load(name, n_per_class=6, seed=4)
    assert len(a) == 12 or len(a) == 12 * 1
    assert all(torch.equal(u.edge_index, v.edge_index) and torch.equal(u.x, v.x) for u, v in zip(a, b))
    ys = np.bincount([int(d.y) for d in a])
    assert ys.min() == ys.max()
    for d in a:
        assert d.community.numel() == d.num_nodes
        ei = d.edge_index
        assert bool((ei[0] != ei[1]).all())
        assert sorted(map(tuple, ei.T.tolist())) == sorted(map(tuple, ei.flip(0).T.tolist()))


def _edges(d):
    return {tuple(sorted(e)) for e in d.edge_index.T.tolist()}


def _connected(nodes, edges):
    nodes = set(nodes)
    adj = {v: set() for v in nodes}
    for a, b in edges:
        if a in nodes and b in nodes:
            adj[a].add(b)
            adj[b].add(a)
    seen, todo = set(), [min(nodes)]
    while todo:
        v = todo.pop()
        if v not in seen:
            seen.add(v)
            todo += adj[v] - seen
    return seen == nodes


def test_generators_plant_the_structure_their_class_names():
    """Balance and symmetry (above) hold for any labels; here each class's planted structure is recounted
    from the edge lists: one vs two BA communities, community-level path vs ring, cycle-6 vs house motif."""
    m = 4
    for d in load("syn_community1v2", n_per_class=5, seed=1):
        e, c = _edges(d), d.community.numpy()
        blocks = [np.flatnonzero(c == k) for k in range(int(c.max()) + 1)]
        assert len(blocks) == int(d.y) + 1
        for b in blocks:   # each community a BA graph: m (n - m) edges inside it, connected
            inner = [(u, v) for u, v in e if u in set(b) and v in set(b)]
            assert len(inner) == m * (len(b) - m) and _connected(b, inner)
        cross = [(u, v) for u, v in e if c[u] != c[v]]
        assert (len(cross) >= 1) == (int(d.y) == 1) and len(cross) <= len(blocks[0])
    for d in load("syn_community_wiring", n_per_class=5, seed=1):
        e, c = _edges(d), d.community.numpy()
        k = int(c.max()) + 1
        block_pairs = {tuple(sorted((int(c[u]), int(c[v])))) for u, v in e if c[u] != c[v]}
        want = {(i, i + 1) for i in range(k - 1)} | ({(0, k - 1)} if int(d.y) == 1 else set())   # path / ring
        assert block_pairs == want
        assert all(_connected(np.flatnonzero(c == b), e) for b in range(k))
    for d in load("syn_motif", n_per_class=5, seed=1):
        e, c = _edges(d), d.community.numpy()
        motif, back = set(np.flatnonzero(c == 1).tolist()), np.flatnonzero(c == 0)
        inner = [(u, v) for u, v in e if u in motif and v in motif]
        deg = np.bincount(np.array(inner).ravel(), minlength=d.num_nodes)[sorted(motif)]
        if int(d.y) == 0:   # cycle-6: six nodes of degree 2
            assert len(motif) == 6 and len(inner) == 6 and (deg == 2).all()
        else:               # house: a square with a roof, degrees 3, 3, 2, 2, 2
            assert len(motif) == 5 and len(inner) == 6 and sorted(deg.tolist()) == [2, 2, 2, 3, 3]
        assert sum((u in motif) != (v in motif) for u, v in e) == 1           # attached by one edge
        tree = [(u, v) for u, v in e if u not in motif and v not in motif]
        assert len(tree) == len(back) - 1 and _connected(back, tree)          # the backbone is a tree
        full_deg = np.bincount(np.array(sorted(e)).ravel(), minlength=d.num_nodes)
        np.testing.assert_array_equal(d.x.argmax(1).numpy(), np.minimum(full_deg, 10))   # noisy one-hot degree


def test_community_majority_node_counts_are_uninformative():
    data = load("syn_community_majority", n_per_class=100, seed=0)
    frac, agree = [], []
    for d in data:
        comm_type = [int(d.x[d.community == c, :2].sum(0).argmax()) for c in range(3)]
        agree.append(np.bincount(comm_type, minlength=2).argmax() == int(d.y))  # majority community type
        frac.append(float((d.x[:, int(d.y)]).mean()))
    assert np.mean(agree) > 0.9  # (features are noisy: a few small communities read as the other type)
    assert abs(np.mean(frac) - 0.5) < 0.05  # node-level share of the class type is ~ one half


def _tu(root, files):
    root.mkdir(exist_ok=True)
    for k, v in files.items():
        (root / f"T_{k}.txt").write_text(v)
    return root


def test_tu_loader_edgeless_dataset_and_attributes(tmp_path):
    root = _tu(tmp_path / "T", {"A": "", "graph_indicator": "1\n2\n2\n", "graph_labels": "7\n3\n",
                                "node_attributes": "0.5, 1\n2, 3\n-1, 0\n"})
    g = load_tu(root)
    assert [int(d.y) for d in g] == [1, 0] and [d.num_nodes for d in g] == [1, 2]
    assert all(d.edge_index.shape == (2, 0) for d in g)
    assert g[1].x.tolist() == [[2.0, 3.0], [-1.0, 0.0]]


@pytest.mark.parametrize("files, match", [
    ({"node_attributes": "1\n1\n"}, "has 2 rows but 4 were expected"),
    ({"node_labels": "0\n1\n0\n"}, "has 3 rows but 4 were expected"),
    ({"edge_labels": "1\n"}, "has 1 rows but 2 were expected"),
    ({"node_attributes": "1\nnan\n1\n1\n"}, "NaN or inf"),
    ({"graph_labels": "1\n0\n1\n"}, "graph 3 of"),
    ({"A": "1, 3\n3, 1\n"}, "between nodes of different graphs"),
    ({"A": "1\n"}, "needs 2 comma-separated columns"),
])
def test_tu_loader_rejects_inconsistent_folders(tmp_path, files, match):
    base = {"A": "1, 2\n2, 1\n", "graph_indicator": "1\n1\n2\n2\n", "graph_labels": "1\n0\n"}
    root = _tu(tmp_path / "T", {**base, **files})
    with pytest.raises(DataError, match=match):
        load_tu(root)


def test_systems_run_on_a_local_tu_folder(tmp_path):
    """dataset=tu + tu_root: any local TU folder (e.g. the paper's ENZYMES) through `run` of both systems."""
    from paperworks.core import RunDir, get_system
    from paperworks.core.errors import ConfigError

    rows, ind, lab = [], [], []
    node = 1
    for gi in range(12):
        n = 3 + gi % 3
        for i in range(n - 1):
            rows += [f"{node + i}, {node + i + 1}", f"{node + i + 1}, {node + i}"]
        ind += [str(gi + 1)] * n
        lab.append(str(gi % 2))
        node += n
    root = _tu(tmp_path / "T", {"A": "\n".join(rows), "graph_indicator": "\n".join(ind),
                                "graph_labels": "\n".join(lab)})
    for name in ("diffpool", "hgp_sl"):
        cls = get_system(name)
        with pytest.raises(ConfigError, match="tu_root"):
            cls.make_config({"dataset": "tu"})
        cfg = cls.make_config({"dataset": "tu", "tu_root": str(root)}, preset="smoke")
        out = cls(cfg).run(RunDir(tmp_path / name))
        assert 0.0 <= out["accuracy"] <= 1.0
