"""Synthetic graph generators number each graph's nodes in a random order, not community by community.

Built block by block, community 0 (or the backbone) came first, so any index-dependent rule (tied scores
ranked by node index in ``topk_per_graph``, a first-k slice) favoured it: the planted structure leaked through
node indices. The renumbering draws from a separate generator, so every dataset must equal the block-by-block
one of the last commit before the change (read with ``git show``) graph by graph, up to a node relabelling.
"""

import importlib.util
import subprocess
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import torch
from networkx.algorithms.isomorphism import vf2pp_isomorphism

import paperworks.data as pdata
from paperworks.data import load
from paperworks.graphs.structure_pool import topk_per_graph

OLD_COMMIT = "1b9b4c1"   # last commit whose data/graphs.py numbers nodes block by block
REPO = Path(__file__).resolve().parents[2]

# (function name in data/graphs.py, registry name, keyword arguments)
CASES = [
    ("community_1v2", "syn_community1v2", {"feature": "degree"}),
    ("community_1v2", "syn_community1v2", {}),
    ("community_wiring", "syn_community_wiring", {"feature": "degree"}),
    ("community_wiring", "syn_community_wiring", {"classes": ("path", "star", "ring")}),
    ("community_majority", "syn_community_majority", {}),
    ("motif", "syn_motif", {}),
]


@pytest.fixture(scope="module")
def old_graphs(tmp_path_factory):
    """The block-by-block generators, imported by path; the dataset registry is restored afterwards (the old
    module registers the same names)."""
    try:
        src = subprocess.run(["git", "show", f"{OLD_COMMIT}:src/paperworks/data/graphs.py"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"git history with commit {OLD_COMMIT} is not available")
    path = tmp_path_factory.mktemp("old") / "old_graphs.py"
    path.write_text(src)
    saved = dict(pdata._LOADERS)
    try:
        spec = importlib.util.spec_from_file_location("paperworks_old_graphs", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        pdata._LOADERS.clear()
        pdata._LOADERS.update(saved)
    return mod


def _nx(d):
    g = nx.Graph()
    for i in range(d.num_nodes):
        g.add_node(i, key=(tuple(d.x[i].tolist()), int(d.community[i])))
    g.add_edges_from(d.edge_index.T.tolist())
    return g


@pytest.mark.parametrize("fn,name,kw", CASES)
def test_same_graphs_as_block_by_block_build_up_to_relabelling(old_graphs, fn, name, kw):
    old = getattr(old_graphs, fn)(n_per_class=4, seed=3, **kw)
    new = load(name, n_per_class=4, seed=3, **kw)
    assert len(new) == len(old)
    moved = 0
    for a, b in zip(old, new):
        assert torch.equal(a.y, b.y) and a.num_nodes == b.num_nodes
        assert a.x.dtype == b.x.dtype and a.community.dtype == b.community.dtype
        m = vf2pp_isomorphism(_nx(a), _nx(b), node_label="key")   # old node -> new node, same x row and community
        assert m is not None
        p = torch.tensor([m[i] for i in range(a.num_nodes)])
        assert torch.equal(b.x[p], a.x) and torch.equal(b.community[p], a.community)   # exact rows
        old_edges = {(int(p[u]), int(p[v])) for u, v in a.edge_index.T.tolist()}
        assert old_edges == set(map(tuple, b.edge_index.T.tolist()))
        moved += int(not torch.equal(p, torch.arange(a.num_nodes)))
        # canonical edge order, as the generators build it: each pair (u < v) sorted, then the reversed pairs
        e = b.edge_index[:, : b.edge_index.size(1) // 2]
        assert bool((e[0] < e[1]).all()) and torch.equal(b.edge_index[:, e.size(1):], e.flip(0))
        assert sorted(map(tuple, e.T.tolist())) == list(map(tuple, e.T.tolist()))
    assert moved == len(new)   # every graph is renumbered


@pytest.mark.parametrize("name", ["syn_community1v2", "syn_community_wiring", "syn_community_majority", "syn_motif"])
def test_nodes_are_not_numbered_community_by_community(name):
    """Old code: every graph with several communities had ``community`` non-decreasing along node index."""
    data = [d for d in load(name, n_per_class=20, seed=0) if int(d.community.max()) > 0]
    assert len(data) >= 20
    ordered = [bool((d.community[1:] >= d.community[:-1]).all()) for d in data]
    assert np.mean(ordered) < 0.05
    # the first node is in community 0 about as often as community 0's share of the nodes (old code: always)
    first0 = np.mean([int(d.community[0]) == 0 for d in data])
    share0 = np.mean([float((d.community == 0).float().mean()) for d in data])
    assert abs(first0 - share0) < 0.3


def test_tied_topk_no_longer_keeps_the_first_community():
    """All scores tied: topk_per_graph keeps the lowest indices, which used to be community 0's nodes only."""
    data = [d for d in load("syn_community_wiring", n_per_class=20, seed=0)]
    kept_share, node_share = [], []
    for d in data:
        keep = topk_per_graph(torch.zeros(d.num_nodes), 0.25, torch.zeros(d.num_nodes, dtype=torch.long))
        kept_share.append(float((d.community[keep] == 0).float().mean()))
        node_share.append(float((d.community == 0).float().mean()))
    assert np.mean(kept_share) < 2 * np.mean(node_share)   # old code: 1.0 against ~0.2


def test_ba_arrival_order_no_longer_leaks_degree():
    """Barabasi-Albert graphs numbered by arrival put the hubs first (old code: mean index-degree rank
    correlation -0.41 here)."""
    rho = []
    for d in load("syn_community1v2", n_per_class=10, seed=0):
        deg = torch.bincount(d.edge_index[0], minlength=d.num_nodes).numpy()
        r = np.argsort(np.argsort(deg, kind="stable"), kind="stable")
        rho.append(np.corrcoef(np.arange(d.num_nodes), r)[0, 1])
    assert abs(np.mean(rho)) < 0.15


def test_renumbering_is_seeded_and_separate_from_the_graph_stream():
    a, b = load("syn_motif", n_per_class=3, seed=5), load("syn_motif", n_per_class=3, seed=5)
    assert all(torch.equal(u.edge_index, v.edge_index) and torch.equal(u.x, v.x)
               and torch.equal(u.community, v.community) for u, v in zip(a, b))
    c = load("syn_motif", n_per_class=3, seed=6)
    assert any(u.num_nodes != v.num_nodes or not torch.equal(u.community, v.community) for u, v in zip(a, c))


@pytest.mark.parametrize("seed", [None, np.random.SeedSequence(5), np.int64(3)])
def test_generators_accept_every_numpy_seed_form(seed):
    # default_rng([None, tag]) raised "TypeError: object of type 'NoneType' has no len()" (1b31b78); the
    # block-by-block generators took seed=None like numpy does
    from paperworks.data.graphs import community_majority
    d = community_majority(n_per_class=2, seed=seed)
    assert len(d) == 4 and all(g.x.shape[0] == g.community.shape[0] for g in d)


def test_numpy_integer_seed_equals_int_seed():
    from paperworks.data.graphs import community_majority
    a, b = community_majority(n_per_class=2, seed=3), community_majority(n_per_class=2, seed=np.int64(3))
    assert all(torch.equal(x.x, y.x) and torch.equal(x.edge_index, y.edge_index) for x, y in zip(a, b))
