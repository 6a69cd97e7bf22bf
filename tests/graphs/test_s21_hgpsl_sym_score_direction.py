"""node_information_score(norm="sym") is documented as the official HGP-SL code's information score. The official
layer is a PyG MessagePassing with the default flow (source_to_target): the message of edge (j, i) =
(edge_index[0], edge_index[1]) carries h_j and is summed at i, with coefficient [j == i] - d_j^-1/2 w_ji d_i^-1/2,
d the weighted degree over edge_index[0] and the missing self-loops added with weight 0. On a symmetric graph
(the input of the first pool) that is (I - D^-1/2 A D^-1/2) H whichever way it is read, but the graph a pool
learned is not symmetric (each ROW is a sparsemax distribution), and there the official score aggregates along
the columns, as the official GCN layer (RowNormGCN here) propagates. The old code summed along the rows: on a
learned 8-node graph its scores were up to 2.34 off the official ones and the kept top-4 differed.

Oracles: PyG's own MessagePassing (peer semantics, not this module's code) and a dense numpy closed form."""

import numpy as np
import pytest
import torch
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import add_remaining_self_loops

from paperworks.graphs import HGPSLPool, node_information_score
from paperworks.graphs.structure_pool import topk_per_graph


class _Prop(MessagePassing):
    def __init__(self):
        super().__init__(aggr="add")   # default flow: source_to_target

    def forward(self, x, edge_index, coef):
        return self.propagate(edge_index, x=x, coef=coef)

    def message(self, x_j, coef):
        return coef.view(-1, 1) * x_j


def _official_score(x, edge_index, w):
    """The official NodeInformationScore, written with PyG's message passing."""
    n = x.size(0)
    deg = torch.zeros(n, dtype=x.dtype).index_add_(0, edge_index[0], w)
    dinv = deg.pow(-0.5)
    dinv[torch.isinf(dinv)] = 0
    ei, ew = add_remaining_self_loops(edge_index, w, 0.0, n)
    coef = (ei[0] == ei[1]).to(x.dtype) - dinv[ei[0]] * ew * dinv[ei[1]]
    return _Prop()(x, ei, coef).abs().sum(-1)


def _learned_graph(seed=0):
    torch.manual_seed(seed)
    ring = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 7, 0, 2], [1, 2, 3, 4, 5, 6, 7, 0, 4, 6]])
    ei = torch.cat([ring, ring.flip(0)], 1)
    x = torch.randn(8, 5, dtype=torch.float64)
    with torch.no_grad():
        x2, ei2, w2, _, _ = HGPSLPool(5, ratio=1.0, candidates="all").double()(x, ei)
    return x2, ei2, w2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sym_score_on_a_learned_graph_equals_the_official_message_passing(seed):
    x, ei, w = _learned_graph(seed)
    dense = torch.zeros(8, 8, dtype=torch.float64).index_put_((ei[0], ei[1]), w, accumulate=True)
    assert not torch.allclose(dense, dense.T)          # the case that matters: an asymmetric learned graph
    torch.testing.assert_close(node_information_score(x, ei, w, norm="sym"), _official_score(x, ei, w),
                               rtol=1e-12, atol=1e-12)


def test_sym_score_directed_closed_form():
    """One-way weighted edges 0->1 (2.0), 0->2 (1.0), 2->1 (0.5) and a self-loop on 1 (3.0): the official score
    is |H - (D^-1/2 A D^-1/2)^T H|_1 with D the out-degree (row sums, self-loop included)."""
    ei = torch.tensor([[0, 0, 2, 1], [1, 2, 1, 1]])
    w = torch.tensor([2.0, 1.0, 0.5, 3.0], dtype=torch.float64)
    x = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0]], dtype=torch.float64)
    a = np.zeros((3, 3))
    a[0, 1], a[0, 2], a[2, 1], a[1, 1] = 2.0, 1.0, 0.5, 3.0
    d = a.sum(1)
    n_sym = a / np.sqrt(np.outer(d, d))
    want = np.abs(x.numpy() - n_sym.T @ x.numpy()).sum(1)
    np.testing.assert_allclose(node_information_score(x, ei, w, norm="sym").numpy(), want, rtol=1e-12)
    # the paper's form (default) stays the row form (I - D^-1 A) H of the same A
    want_rw = np.abs(x.numpy() - (a / d[:, None]) @ x.numpy()).sum(1)
    np.testing.assert_allclose(node_information_score(x, ei, w).numpy(), want_rw, rtol=1e-12)


def test_sym_pool_keeps_the_official_top_k_on_a_learned_graph():
    x, ei, w = _learned_graph(0)
    batch = torch.zeros(8, dtype=torch.long)
    pool = HGPSLPool(5, ratio=0.5, sl=False, score_norm="sym").double()
    _, _, _, _, perm = pool(x, ei, w, batch)
    want = topk_per_graph(_official_score(x, ei, w), 0.5, batch)
    assert sorted(perm.tolist()) == sorted(want.tolist())


def test_sym_score_unchanged_on_symmetric_graphs():
    """First-pool inputs are symmetric: the official score is the symmetric-normalised Laplacian form."""
    g = torch.Generator().manual_seed(3)
    e = torch.tensor([[0, 1, 2, 3, 0, 4], [1, 2, 3, 4, 2, 5]])
    ei = torch.cat([e, e.flip(0)], 1)
    w = torch.rand(6, generator=g, dtype=torch.float64).repeat(2) + 0.1
    x = torch.randn(6, 4, generator=g, dtype=torch.float64)
    a = np.zeros((6, 6))
    np.add.at(a, (ei[0].numpy(), ei[1].numpy()), w.numpy())
    d = a.sum(1)
    want = np.abs(x.numpy() - (a / np.sqrt(np.outer(d, d))) @ x.numpy()).sum(1)
    np.testing.assert_allclose(node_information_score(x, ei, w, norm="sym").numpy(), want, rtol=1e-12)
    torch.testing.assert_close(node_information_score(x, ei, w, norm="sym"), _official_score(x, ei, w),
                               rtol=1e-12, atol=1e-12)
