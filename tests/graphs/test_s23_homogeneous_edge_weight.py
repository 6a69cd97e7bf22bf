"""``homogeneous_projection`` merged all node and edge types into one graph but returned only (x, edge_index,
node_type, offsets): a heterograph whose edges carry ``edge_weight`` (the npz format keeps them) lost its weights
without a word, so GTN's GCN baseline on the merged graph weighted every edge 1 while GTN's own adjacency stack of
the same graph used the weights. Now the weights come back with ``return_edge_weight=True`` (1 on edge types
without any), and the 4-tuple call on a weighted graph is a DataError that names the weighted edge types.
Oracles: PyG ``HeteroData.to_homogeneous()`` (when every edge type has weights) and GTN's adjacency stack."""

import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.graphs.hetero import adjacency_stack, homogeneous_projection

pytest.importorskip("torch_geometric")
from torch_geometric.data import HeteroData  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def _graph(weights=("pa",), dtype=torch.float32):
    g = torch.Generator().manual_seed(0)
    d = HeteroData()
    d["paper"].x = torch.rand(6, 3, generator=g)
    d["author"].x = torch.rand(4, 3, generator=g)
    pa = torch.tensor([[0, 1, 2, 3, 4, 5, 5], [0, 0, 1, 2, 3, 3, 1]])
    d["paper", "pa", "author"].edge_index = pa
    d["author", "ap", "paper"].edge_index = pa.flip(0)
    d["paper", "cites", "paper"].edge_index = torch.tensor([[0, 1, 2], [1, 2, 3]])
    for et in d.edge_types:
        if et[1] in weights:
            d[et].edge_weight = (torch.rand(d[et].edge_index.size(1), generator=g) * 3 + 0.5).to(dtype)
    return d


def test_weighted_graph_without_return_edge_weight_is_an_error():
    with pytest.raises(DataError, match=r"\('paper', 'pa', 'author'\) carry edge_weight.*return_edge_weight=True"):
        homogeneous_projection(_graph())


def test_weights_match_pyg_to_homogeneous():
    d = _graph(weights=("pa", "ap", "cites"))
    x, ei, ew, nt, off = homogeneous_projection(d, return_edge_weight=True)
    h = d.to_homogeneous(add_node_type=True, add_edge_type=False)
    assert torch.equal(nt, h.node_type)
    key = lambda e, w: sorted(zip(map(tuple, e.t().tolist()), w.tolist()))  # noqa: E731
    assert key(ei, ew) == key(h.edge_index, h.edge_weight)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_merged_weighted_adjacency_is_the_sum_of_the_stack(dtype):
    """Edge types without weights count 1; the merged weighted adjacency is sum_k A_k of GTN's stack."""
    d = _graph(weights=("pa", "cites"), dtype=dtype)
    _, ei, ew, _, _ = homogeneous_projection(d, return_edge_weight=True)
    assert ew.dtype == dtype and ew.shape == (ei.size(1),)
    st = adjacency_stack(d, add_identity=False, dtype=torch.float64)
    n = st.num_nodes
    merged = torch.zeros(n, n, dtype=torch.float64).index_put_((ei[0], ei[1]), ew.double(), accumulate=True)
    torch.testing.assert_close(merged, st.dense().sum(0), rtol=0, atol=1e-12)


def test_unweighted_graph_gives_none_and_the_same_projection():
    d = _graph(weights=())
    old = homogeneous_projection(d)
    x, ei, ew, nt, off = homogeneous_projection(d, return_edge_weight=True)
    assert ew is None
    for a, b in zip(old[:3], (x, ei, nt)):
        assert torch.equal(a, b)
    assert off == old[3]


def test_gtn_gcn_baseline_gets_the_merged_weights(monkeypatch):
    """GTN's prepare_hetero keeps the merged weights and its GCN baseline on the projection is called with them."""
    from paperworks.graphs import hetero_baselines
    from paperworks.systems.gtn import GTN, prepare_hetero

    d = _graph(weights=("pa",))
    d.target = "paper"
    d["paper"].y = torch.tensor([0, 1, 0, 1, 0, 1])
    for i, m in enumerate(("train", "val", "test")):   # disjoint splits (train_node_classifier refuses overlaps)
        d["paper"][f"{m}_mask"] = torch.arange(6) // 2 == i
    prep = prepare_hetero(d)
    _, _, ew, _, _ = homogeneous_projection(d, feature_dim=3, return_edge_weight=True)
    assert torch.equal(prep["merged_edge_weight"], ew)
    seen = []
    forward = hetero_baselines.GCNClassifier.forward

    def spy(self, x, edge_index, edge_weight=None):
        seen.append(edge_weight)
        return forward(self, x, edge_index, edge_weight)

    monkeypatch.setattr(hetero_baselines.GCNClassifier, "forward", spy)
    sysm = GTN(GTN.make_config({"epochs": "1", "hidden": "4"}))
    sysm._baselines(d, prep, 0)
    assert seen and all(w is not None and torch.equal(w, ew) for w in seen)
