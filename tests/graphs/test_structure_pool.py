"""Oracles for sparsemax, the node information score and the HGP-SL operator (HGP-SL brief oracles 1-6)."""

import math

import numpy as np
import pytest
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.utils import subgraph

from paperworks.core.errors import ConfigError, DataError
from paperworks.graphs import (HGPSLPool, HierGCN, components_and_isolated, node_information_score,
                               segment_sparsemax, sparsemax)


def _simplex_projection_bisection(z: np.ndarray) -> np.ndarray:
    """Independent reference: argmin ||p - z|| on the simplex, tau found by bisection on sum(max(z-tau,0))=1."""
    lo, hi = z.min() - 1.0, z.max()
    for _ in range(200):
        mid = (lo + hi) / 2
        if np.maximum(z - mid, 0).sum() > 1:
            lo = mid
        else:
            hi = mid
    return np.maximum(z - (lo + hi) / 2, 0)


def test_sparsemax_closed_forms():
    out = sparsemax(torch.tensor([[1.0, 0.0], [0.5, 0.4], [3.0, 3.0], [0.2, 0.2]], dtype=torch.float64))
    want = torch.tensor([[1.0, 0.0], [0.55, 0.45], [0.5, 0.5], [0.5, 0.5]], dtype=torch.float64)
    torch.testing.assert_close(out, want)
    eq = torch.full((1, 4), 0.7, dtype=torch.float64)
    torch.testing.assert_close(sparsemax(eq), eq.softmax(-1))


def test_sparsemax_is_the_simplex_projection():
    z = torch.randn(20, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 2
    p = sparsemax(z)
    assert (p >= 0).all()
    torch.testing.assert_close(p.sum(-1), torch.ones(20, dtype=torch.float64))
    ref = np.stack([_simplex_projection_bisection(r) for r in z.numpy()])
    np.testing.assert_allclose(p.numpy(), ref, atol=1e-9)
    torch.testing.assert_close(sparsemax(z.T, dim=0), p.T)


def test_sparsemax_against_entmax():
    # peer library (entmax, Peters et al.; in the test extra): values and gradients, with ties and a
    # row whose support is a single entry
    entmax = pytest.importorskip("entmax")
    g = torch.Generator().manual_seed(3)
    z = torch.randn(6, 7, dtype=torch.float64, generator=g)
    z[1, 2] = z[1, 4]
    z[2] = torch.tensor([5.0, 0, 0, 0, 0, 0, 0], dtype=torch.float64)
    z1 = z.clone().requires_grad_(True)
    z2 = z.clone().requires_grad_(True)
    p1, p2 = sparsemax(z1), entmax.sparsemax(z2, dim=-1)
    torch.testing.assert_close(p1, p2)
    w = torch.randn(6, 7, dtype=torch.float64, generator=g)
    (p1 * w).sum().backward()
    (p2 * w).sum().backward()
    torch.testing.assert_close(z1.grad, z2.grad)
    torch.testing.assert_close(sparsemax(z.T, dim=0), entmax.sparsemax(z.T, dim=0))


def test_segment_sparsemax_equals_dense_rows():
    g = torch.Generator().manual_seed(1)
    sizes = [1, 4, 2, 6]
    z = torch.randn(sum(sizes), dtype=torch.float64, generator=g)
    index = torch.repeat_interleave(torch.arange(4), torch.tensor(sizes))
    perm = torch.randperm(z.numel(), generator=g)  # unsorted segments are fine
    out = segment_sparsemax(z[perm], index[perm])
    back = torch.empty_like(out)
    back[perm] = out
    start = 0
    for k in sizes:
        torch.testing.assert_close(back[start:start + k], sparsemax(z[start:start + k].unsqueeze(0))[0])
        start += k


def test_segment_sparsemax_gradcheck():
    z = torch.tensor([0.3, -0.2, 1.1, 0.5, 0.45, 0.9, -1.0], dtype=torch.float64, requires_grad=True)
    index = torch.tensor([0, 0, 1, 1, 1, 2, 2])
    assert torch.autograd.gradcheck(lambda t: segment_sparsemax(t, index), (z,))


def _cycle(n):
    i = torch.arange(n)
    e = torch.stack([i, (i + 1) % n])
    return torch.cat([e, e.flip(0)], 1)


def test_information_score_zero_on_regular_graph_with_equal_features():
    x = torch.full((8, 3), 1.7, dtype=torch.float64)
    p = node_information_score(x, _cycle(8))
    torch.testing.assert_close(p, torch.zeros(8, dtype=torch.float64))


@pytest.mark.parametrize("norm", ["rw", "sym"])
def test_information_score_star_closed_form(norm):
    n = 5  # centre 0, leaves 1..4, features = one-hot ids
    e = torch.tensor([[0] * (n - 1), list(range(1, n))])
    # a weighted self-loop (as in a learned graph) counts in A and in the degree (official NodeInformationScore)
    ei = torch.cat([e, e.flip(0), torch.tensor([[2], [2]])], 1)
    w = torch.cat([torch.ones(2 * (n - 1), dtype=torch.float64), torch.tensor([0.5], dtype=torch.float64)])
    x = torch.eye(n, dtype=torch.float64)
    a = np.zeros((n, n))
    a[0, 1:] = a[1:, 0] = 1
    a[2, 2] = 0.5
    d = a.sum(1)
    # paper Eq. 2: I - D^-1 A (random-walk); official code: I - D^-1/2 A D^-1/2
    l = np.eye(n) - (a / d[:, None] if norm == "rw" else a / np.sqrt(np.outer(d, d)))
    want = np.abs(l @ np.eye(n)).sum(1)
    np.testing.assert_allclose(node_information_score(x, ei, w, norm=norm).numpy(), want, rtol=1e-12)
    # an isolated node scores ||h||_1
    p = node_information_score(torch.tensor([[1.0, -2.0], [3.0, 0.0]]), torch.zeros(2, 0, dtype=torch.long),
                               norm=norm)
    torch.testing.assert_close(p, torch.tensor([3.0, 3.0]))


def test_information_score_default_is_the_papers_random_walk_form():
    """Paper Eq. 2: a node equal to the MEAN of its neighbours scores 0 (D^-1 A), whatever the degrees;
    the official symmetric normalisation does not give 0 when the neighbour degrees differ."""
    # path 0-1-2 plus leaf 3 on node 2: node 1's neighbours 0 (deg 1) and 2 (deg 2)
    e = torch.tensor([[0, 1, 2], [1, 2, 3]])
    ei = torch.cat([e, e.flip(0)], 1)
    x = torch.tensor([[1.0], [2.0], [3.0], [5.0]], dtype=torch.float64)
    p = node_information_score(x, ei)
    assert p[1].item() == pytest.approx(0.0, abs=1e-12)          # 2 = (1 + 3) / 2
    assert p[2].item() == pytest.approx(abs(3.0 - 3.5), abs=1e-12)  # mean of 2 and 5
    assert node_information_score(x, ei, norm="sym")[1].item() > 0.1
    with pytest.raises(ConfigError, match="norm"):
        node_information_score(x, ei, norm="lap")
    with pytest.raises(ConfigError, match="score_norm"):
        HGPSLPool(1, score_norm="lap")


def _batch(seed=0, sizes=(7, 5, 9), f=6, double=True):
    g = torch.Generator().manual_seed(seed)
    graphs = []
    for n in sizes:
        e = torch.randint(0, n, (2, 2 * n), generator=g)
        e = e[:, e[0] != e[1]]
        x = torch.randn(n, f, generator=g)
        graphs.append(Data(x=x.double() if double else x, edge_index=torch.cat([e, e.flip(0)], 1)))
    return graphs


def test_topk_keeps_ceil_ratio_n_per_graph():
    graphs = _batch()
    b = Batch.from_data_list(graphs)
    pool = HGPSLPool(6, ratio=0.4).double()
    _, _, _, batch, _ = pool(b.x, b.edge_index, None, b.batch)
    assert torch.bincount(batch).tolist() == [math.ceil(0.4 * n) for n in (7, 5, 9)]


@pytest.mark.parametrize("ratio", [0.3, 0.5, 0.99, 1.0])
def test_topk_per_graph_against_brute_force(ratio):
    # regression: PyG 2.x topk reads ratio >= 1 as a node COUNT, so ratio=1.0 kept ONE node per graph
    # (HGP-SL "without pooling" trained a 1-node graph); the official PyG-1.x topk keeps ceil(r * n_i)
    from paperworks.graphs.structure_pool import topk_per_graph

    g = torch.Generator().manual_seed(1)
    sizes = [1, 4, 7, 10]
    batch = torch.repeat_interleave(torch.arange(4), torch.tensor(sizes))
    score = torch.randn(batch.numel(), generator=g)
    want, off = [], 0
    for n in sizes:
        k = math.ceil(ratio * n)
        want += sorted(range(off, off + n), key=lambda i: -float(score[i]))[:k]
        off += n
    assert topk_per_graph(score, ratio, batch).tolist() == want
    if ratio < 1.0:
        from torch_geometric.nn.pool.select.topk import topk

        assert torch.equal(topk_per_graph(score, ratio, batch), topk(score, ratio, batch))


def test_ratio_one_keeps_the_whole_graph():
    b = Batch.from_data_list(_batch())
    x, ei, ew, batch, perm = HGPSLPool(6, ratio=1.0, sl=False).double()(b.x, b.edge_index, None, b.batch)
    assert sorted(perm.tolist()) == list(range(b.num_nodes)) and torch.equal(x, b.x[perm])
    assert {(int(perm[i]), int(perm[j])) for i, j in ei.T} == {tuple(e) for e in b.edge_index.T.tolist()}
    _, _, _, batch2, _ = HGPSLPool(6, ratio=1.0).double()(b.x, b.edge_index, None, b.batch)
    assert torch.bincount(batch2).tolist() == [7, 5, 9]


def test_no_structure_learning_equals_induced_subgraph():
    graphs = _batch()
    b = Batch.from_data_list(graphs)
    pool = HGPSLPool(6, ratio=0.5, sl=False).double()
    _, ei, ew, _, perm = pool(b.x, b.edge_index, None, b.batch)
    ref, _ = subgraph(perm, b.edge_index, relabel_nodes=True, num_nodes=b.num_nodes)
    # subgraph relabels in sorted-id order; map ours to original ids to compare edge sets
    ours = {(int(perm[i]), int(perm[j])) for i, j in ei.T}
    theirs = {(int(perm[i]), int(perm[j])) for i, j in ref.T}
    assert ours == theirs and torch.all(ew == 1)


@pytest.mark.parametrize("candidates", ["all", "hops"])
@pytest.mark.parametrize("sparse", [True, False])
def test_learned_rows_are_distributions(candidates, sparse):
    b = Batch.from_data_list(_batch())
    pool = HGPSLPool(6, ratio=0.5, candidates=candidates, sparse=sparse).double()
    x, ei, ew, batch, perm = pool(b.x, b.edge_index, None, b.batch)
    rows = torch.zeros(x.size(0), dtype=torch.float64).index_add_(0, ei[0], ew)
    torch.testing.assert_close(rows, torch.ones_like(rows))
    assert (batch[ei[0]] == batch[ei[1]]).all()  # never across graphs
    if candidates == "all" and not sparse:
        counts = torch.bincount(batch)
        assert ei.size(1) == int((counts ** 2).sum())


def test_permutation_equivariance_of_operator():
    g = _batch(sizes=(9,))[0]
    pool = HGPSLPool(6, ratio=0.5).double()
    x1, ei1, ew1, _, perm1 = pool(g.x, g.edge_index)
    p = torch.randperm(9, generator=torch.Generator().manual_seed(5))
    inv = torch.empty_like(p)
    inv[p] = torch.arange(9)
    x2, ei2, ew2, _, perm2 = pool(g.x[p], inv[g.edge_index])
    # scores are equivariant -> same selected set (in original ids), same features and learned weights
    assert sorted(p[perm2].tolist()) == sorted(perm1.tolist())
    e1 = {(int(perm1[i]), int(perm1[j])): float(w) for (i, j), w in zip(ei1.T, ew1)}
    e2 = {(int(p[perm2[i]]), int(p[perm2[j]])): float(w) for (i, j), w in zip(ei2.T, ew2)}
    assert e1.keys() == e2.keys()
    for k in e1:
        assert e1[k] == pytest.approx(e2[k], abs=1e-12)


@pytest.mark.parametrize("pool", ["hgpsl", "hgpsl_nosl", "topk", "sag", "none"])
def test_model_permutation_invariance(pool):
    torch.manual_seed(0)
    graphs = _batch(sizes=(8, 6), double=False)
    model = HierGCN(6, 3, hidden=16, pool=pool).eval()
    out, _ = model(Batch.from_data_list(graphs))
    g = graphs[0]
    p = torch.randperm(8, generator=torch.Generator().manual_seed(2))
    inv = torch.empty_like(p)
    inv[p] = torch.arange(8)
    alone, _ = model(Batch.from_data_list([Data(x=g.x[p], edge_index=inv[g.edge_index])]))
    torch.testing.assert_close(alone[0], out[0], rtol=1e-4, atol=1e-5)


def test_gradcheck_through_structure_learning():
    g = _batch(sizes=(6,))[0]
    pool = HGPSLPool(6, ratio=0.5, candidates="all").double()
    x = g.x.clone().requires_grad_(True)

    def f(x, att):
        return torch.func.functional_call(pool, {"att": att}, (x, g.edge_index), {"validate": False})[2]

    att = pool.att.detach().clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a: f(g.x, a), (att,))
    # and w.r.t. the node features (selection fixed near this point)
    assert torch.autograd.gradcheck(lambda xx: f(xx, att.detach()), (x,), atol=1e-6)


def test_structure_learning_connects_more_than_induced_subgraph():
    """Kept nodes that were joined through dropped ones stay connected after structure learning."""
    path = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])
    ei = torch.cat([path, path.flip(0)], 1)
    m = 4 / math.sqrt(2) + 2  # nodes 1 and 3 equal their normalised neighbourhood -> score 0, dropped
    x = torch.tensor([[4.0], [m], [4.0], [m], [4.0]])
    _, ein, _, _, perm = HGPSLPool(1, ratio=0.6, sl=False, score_norm="sym")(x, ei)
    _, el, _, _, _ = HGPSLPool(1, ratio=0.6, sparse=False, candidates="all", score_norm="sym")(x, ei)
    assert sorted(perm.tolist()) == [0, 2, 4]
    assert components_and_isolated(ein, 3) == (3, 3)
    assert components_and_isolated(el, 3) == (1, 0)


def test_edge_cases_and_bad_input():
    model = HierGCN(3, 2, hidden=8).eval()
    graphs = [Data(x=torch.randn(1, 3), edge_index=torch.zeros(2, 0, dtype=torch.long)),
              Data(x=torch.randn(4, 3), edge_index=torch.zeros(2, 0, dtype=torch.long)),
              Data(x=torch.randn(3, 3), edge_index=torch.tensor([[0, 1], [1, 0]]))]
    out, _ = model(Batch.from_data_list(graphs))
    assert out.shape == (3, 2) and torch.isfinite(out).all()
    bad = Data(x=torch.randn(3, 4), edge_index=torch.tensor([[0, 1], [1, 0]]))
    with pytest.raises(DataError, match="in_channels=3"):
        model(Batch.from_data_list([bad]))
    nan = Data(x=torch.tensor([[float("nan")] * 3] * 2), edge_index=torch.tensor([[0], [1]]))
    with pytest.raises(DataError, match="NaN"):
        model(Batch.from_data_list([nan]))
    with pytest.raises(DataError, match="refers to node"):
        HGPSLPool(3)(torch.randn(2, 3), torch.tensor([[0], [5]]))
    with pytest.raises(DataError, match="edge_index"):
        HGPSLPool(3)(torch.randn(2, 3), torch.tensor([0, 1]))
    with pytest.raises(ConfigError, match="ratio"):
        HGPSLPool(3, ratio=1.5)
    with pytest.raises(ConfigError, match="pool"):
        HierGCN(3, 2, pool="sagpool")


def test_row_norm_gcn_closed_form():
    # official HGP-SL GCN: out = (D_r^-1/2 A D_r^-1/2)^T X W + b, D_r = weighted row (source) degree, no self-loops
    from paperworks.graphs import RowNormGCN

    torch.manual_seed(0)
    a = torch.rand(5, 5, dtype=torch.float64) * (torch.rand(5, 5) < 0.5)
    a[3] = 0  # node 3 sends nothing: degree 0 must not give inf
    ei = a.nonzero().t()
    x = torch.randn(5, 4, dtype=torch.float64)
    conv = RowNormGCN(4, 3).double()
    with torch.no_grad():
        conv.bias.copy_(torch.randn(3, dtype=torch.float64))
    d = a.sum(1)
    dinv = torch.where(d > 0, d.pow(-0.5), torch.zeros_like(d))
    want = (dinv[:, None] * a * dinv[None, :]).t() @ x @ conv.weight + conv.bias
    torch.testing.assert_close(conv(x, ei, a[ei[0], ei[1]]), want)
    # a sparsemax-normalised graph (rows sum to 1) is propagated unchanged
    p = a / a.sum(1, keepdim=True).clamp(min=1e-12)
    p[p.sum(1) == 0] = torch.eye(5, dtype=torch.float64)[p.sum(1) == 0]  # every row a distribution
    ei = p.nonzero().t()
    torch.testing.assert_close(conv(x, ei, p[ei[0], ei[1]]), p.t() @ x @ conv.weight + conv.bias)


def test_operator_pieces_refuse_bad_input():
    """Public pieces of the operator give one DataError (NaN scores and a raw IndexError before)."""
    x, ei = torch.randn(3, 2), torch.tensor([[0, 1], [1, 0]])
    bad = x.clone()
    bad[1, 0] = float("nan")
    with pytest.raises(DataError, match="'x' contains NaN"):
        node_information_score(bad, ei)
    with pytest.raises(DataError, match="refers to node 7"):
        node_information_score(x, torch.tensor([[0], [7]]))
    with pytest.raises(DataError, match="'edge_weight' has 1 entries for 2 edges"):
        node_information_score(x, ei, torch.ones(1))
    with pytest.raises(DataError, match="'z' contains NaN"):
        segment_sparsemax(torch.tensor([float("nan"), 1.0]), torch.tensor([0, 0]))
    with pytest.raises(DataError, match="num_segments=1"):
        segment_sparsemax(torch.tensor([0.5, 1.0]), torch.tensor([0, 1]), num_segments=1)
    with pytest.raises(DataError, match="same 1-D shape"):
        segment_sparsemax(torch.tensor([0.5, 1.0]), torch.tensor([0]))


@pytest.mark.parametrize("kw", [{}, {"candidates": "all"}, {"sparse": False}, {"sl": False}])
def test_operator_on_single_node_edgeless_and_isolated_graphs(kw):
    """One-node graph, edgeless graph, graph with an isolated node: ceil(r n) kept per graph, learned rows are
    distributions (a kept node with no candidate but itself gets weight 1 on its self-loop), no NaN."""
    x = torch.randn(1 + 4 + 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    batch = torch.tensor([0, 1, 1, 1, 1, 2, 2, 2])
    ei = torch.tensor([[5, 6], [6, 5]])  # graph 2: nodes 5-6 joined, node 7 isolated
    xo, eo, wo, bo, perm = HGPSLPool(3, ratio=0.5, **kw).double()(x, ei, None, batch)
    assert torch.bincount(bo).tolist() == [1, 2, 2] and torch.isfinite(xo).all()
    if kw.get("sl", True):
        rows = torch.zeros(xo.size(0), dtype=torch.float64).index_add_(0, eo[0], wo)
        torch.testing.assert_close(rows, torch.ones_like(rows))
        assert torch.isfinite(wo).all() and bool((bo[eo[0]] == bo[eo[1]]).all())
    else:
        assert all(bool((perm[eo[k]] >= 5).all()) for k in (0, 1))  # only graph 2's edge can survive


def _bfs_within(adj: np.ndarray, src: int, hops: int) -> set:
    seen, frontier = {src}, {src}
    for _ in range(hops):
        frontier = {int(j) for i in frontier for j in np.nonzero(adj[i])[0]} - seen
        seen |= frontier
    return seen


@pytest.mark.parametrize("candidates,hops,sparse", [("all", 4, True), ("hops", 1, True), ("hops", 2, True),
                                                    ("all", 4, False)])
def test_learned_weights_are_the_papers_eq_6_written_out(candidates, hops, sparse):
    """Paper Eq. 6-7 written out with numpy on the kept nodes: E_ij = LeakyReLU_0.2(a^T [h_i || h_j])
    + lambda A_ij (A = input weights, 0 for non-edges), normalised per row i over its candidates j (every kept node
    of the graph, or those within `hops` hops by breadth-first search, self included) by sparsemax (the simplex
    projection, by bisection) or softmax; weights of 0 are not edges. (The rows-sum-to-one test alone passes
    for any scores, any lambda, any activation.)"""
    g = torch.Generator().manual_seed(7)
    sizes = (7, 6)
    x = torch.randn(sum(sizes), 3, generator=g, dtype=torch.float64)
    batch = torch.repeat_interleave(torch.arange(2), torch.tensor(sizes))
    a = np.zeros((13, 13))
    for (i, j) in [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (0, 6), (1, 4), (7, 8), (8, 9), (9, 10),
                   (10, 11), (11, 12), (7, 10)]:
        a[i, j] = a[j, i] = float(torch.rand(1, generator=g)) + 0.5   # weighted, symmetric
    ei = torch.tensor(np.array(np.nonzero(a)), dtype=torch.long)
    ew = torch.tensor(a[ei[0], ei[1]], dtype=torch.float64)
    lamb = 0.7
    pool = HGPSLPool(3, ratio=0.6, lamb=lamb, candidates=candidates, hops=hops, sparse=sparse).double()
    with torch.no_grad():
        pool.att.copy_(torch.randn(6, generator=g, dtype=torch.float64) * 2)
    _, eo, wo, bo, perm = pool(x, ei, ew, batch)
    att = pool.att.detach().numpy()
    xs, p = x.numpy(), perm.tolist()
    want, n_cand = np.zeros((len(p), len(p))), 0
    for r, i in enumerate(p):
        reach = _bfs_within(a, i, hops) if candidates == "hops" else set(range(13))
        cols = [c for c, j in enumerate(p) if int(batch[j]) == int(batch[i]) and j in reach]
        n_cand += len(cols)
        e = np.array([att[:3] @ xs[i] + att[3:] @ xs[p[c]] for c in cols])
        e = np.where(e > 0, e, 0.2 * e) + lamb * a[i, [p[c] for c in cols]]
        want[r, cols] = _simplex_projection_bisection(e) if sparse else np.exp(e) / np.exp(e).sum()
    got = np.zeros_like(want)
    got[eo[0].numpy(), eo[1].numpy()] = wo.detach().numpy()
    np.testing.assert_allclose(got, want, atol=1e-9)
    assert (wo > 0).all() and bool((bo[eo[0]] == bo[eo[1]]).all())
    if sparse:   # not vacuous: the projection zeroes some candidates
        assert 0 < int((want > 0).sum()) < n_cand


def test_hiergcn_forward_written_out_per_graph():
    """HierGCN (pool="hgpsl_nosl", 3 blocks) recomputed graph by graph with dense numpy, as the official
    models.py: ReLU(GCN with self-loops, symmetric norm) -> keep the ceil(n/2) nodes of largest
    ||(I - D^-1 A) H||_1 (no gating) and their induced subgraph -> readout [max || mean] -> ReLU(row-normalised
    GCN) -> pool -> readout -> ReLU(GCN) -> readout; sum of ReLU(readouts) -> MLP. (Before, the model was only
    checked for permutation invariance, which a wrong readout, a missing ReLU or a pool-before-conv order pass.)"""
    torch.manual_seed(0)
    graphs = _batch(seed=3, sizes=(8, 6), f=4)
    model = HierGCN(4, 3, hidden=6, blocks=3, pool="hgpsl_nosl", dropout=0.0).double().eval()
    out, _ = model(Batch.from_data_list(graphs))

    def gcn_self_loops(conv, a, h):
        a = a + np.eye(len(a))
        d = a.sum(1) ** -0.5
        return (d[:, None] * a * d[None, :]).T @ h @ conv.lin.weight.detach().numpy().T + conv.bias.detach().numpy()

    def row_norm(conv, a, h):
        d = a.sum(1)
        dinv = np.where(d > 0, d ** -0.5, 0.0)
        return (dinv[:, None] * a * dinv[None, :]).T @ h @ conv.weight.detach().numpy() + conv.bias.detach().numpy()

    def pool(a, h):
        deg = a.sum(1)
        mean_nb = np.where(deg[:, None] > 0, a @ h / np.where(deg > 0, deg, 1)[:, None], 0.0)
        score = np.abs(h - mean_nb).sum(1)
        keep = np.argsort(-score, kind="stable")[:math.ceil(0.5 * len(h))]
        return a[np.ix_(keep, keep)], h[keep]

    relu = lambda v: np.maximum(v, 0)  # noqa: E731
    for gi, gr in enumerate(graphs):
        a = np.zeros((gr.num_nodes, gr.num_nodes))
        np.add.at(a, (gr.edge_index[0].numpy(), gr.edge_index[1].numpy()), 1.0)   # a repeated edge counts twice
        h, total = gr.x.numpy(), 0.0
        for i, conv in enumerate(model.convs):
            h = relu(gcn_self_loops(conv, a, h) if i == 0 else row_norm(conv, a, h))
            if i < 2:
                a, h = pool(a, h)
            total = total + relu(np.concatenate([h.max(0), h.mean(0)]))
        lins = [m for m in model.mlp if isinstance(m, torch.nn.Linear)]
        v = total
        for k, lin in enumerate(lins):
            v = v @ lin.weight.detach().numpy().T + lin.bias.detach().numpy()
            v = relu(v) if k < 2 else v
        np.testing.assert_allclose(out[gi].detach().numpy(), v, rtol=1e-10, atol=1e-12)
