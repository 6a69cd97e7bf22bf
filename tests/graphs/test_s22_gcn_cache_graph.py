"""GCNClassifier / GCNEncoder (hetero baselines) use PyG ``GCNConv(cached=True)``, which keeps the normalised edges
of its first call and never looks at the graph again: a model called on a second graph propagated over the first
graph's edges (outputs 0.66 / 1.22 off a fresh model with the same weights), silently. The cache is now per graph:
kept for the same graph (same tensors, or equal contents), computed again for another one."""

import pytest
import torch

from paperworks.graphs.hetero_baselines import GCNClassifier, GCNEncoder, dgi_embeddings

pytest.importorskip("torch_geometric")

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py

X = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
A = torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]])
B = torch.tensor([[0, 5, 2, 3], [5, 0, 3, 2]])


def _pair(cls, *args):
    torch.manual_seed(0)
    m = cls(*args).eval()
    fresh = cls(*args).eval()
    fresh.load_state_dict(m.state_dict())
    return m, fresh


def _call(m, ei, w=None):
    return m(X, ei) if isinstance(m, GCNEncoder) else m(X, ei, w)


@pytest.mark.parametrize("cls,args", [(GCNClassifier, (3, 4, 2)), (GCNEncoder, (3, 4))])
def test_second_graph_is_not_propagated_over_the_first(cls, args):
    m, fresh = _pair(cls, *args)
    with torch.no_grad():
        _call(m, A)
        got = _call(m, B)
        assert torch.equal(got, _call(fresh, B))
        assert torch.equal(_call(m, A), _call(fresh, A))        # and back to the first graph
        A.add_(0)                                               # an in-place write to the same tensor
        assert torch.equal(_call(m, A), _call(fresh, A))
        b2 = B.clone()
        b2[1, 0] = 4                                            # same object edited in place: another graph
        _call(m, b2)
        b2[1, 0] = 2
        assert torch.equal(_call(m, b2), _call(fresh, b2))


def test_edge_weight_change_is_another_graph():
    m, fresh = _pair(GCNClassifier, 3, 4, 2)
    w1, w2 = torch.ones(6), torch.linspace(0.5, 2.0, 6)
    with torch.no_grad():
        _call(m, A, w1)
        assert torch.equal(_call(m, A, w2), _call(fresh, A, w2))
        assert torch.equal(_call(m, A, None), _call(fresh, A, None))


def test_same_graph_keeps_the_cache():
    m, _ = _pair(GCNClassifier, 3, 4, 2)
    with torch.no_grad():
        _call(m, A)
        cached = m.conv1._cached_edge_index
        assert cached is not None
        _call(m, A)
        assert m.conv1._cached_edge_index is cached             # same object: kept
        _call(m, A.clone())
        assert m.conv1._cached_edge_index is cached             # equal contents: kept


def test_dgi_encoder_embeds_another_graph_with_its_own_edges():
    z, info = dgi_embeddings(X, A, 4, max_epochs=3, patience=5, seed=0)
    enc = info["model"].encoder.eval()
    fresh = GCNEncoder(3, 4).eval()
    fresh.load_state_dict(enc.state_dict())
    with torch.no_grad():
        assert torch.equal(enc(X, B), fresh(X, B))


@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_sparse_adjacency_inputs(layout):
    """A torch sparse adjacency (GCNConv accepts one in place of edge_index) works as before and follows the graph."""
    from torch_geometric.utils import to_torch_coo_tensor, to_torch_csr_tensor

    conv = to_torch_coo_tensor if layout == "coo" else to_torch_csr_tensor
    m, fresh = _pair(GCNClassifier, 3, 4, 2)
    adj_a, adj_b = conv(A.flip(0), size=6), conv(B.flip(0), size=6)
    with torch.no_grad():
        first = m(X, adj_a)
        assert torch.equal(m(X, adj_a), first)                          # the same adjacency again
        assert torch.equal(m(X, conv(A.flip(0), size=6)), first)        # an equal one
        assert torch.equal(m(X, adj_b), fresh(X, adj_b))                # another graph
