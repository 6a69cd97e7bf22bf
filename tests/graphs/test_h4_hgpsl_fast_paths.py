"""The HGP-SL operator's fast paths (per-row sort in segment_sparsemax, dense-block candidates and edge lookup,
index_select gathers, no-grad information score) against the straightforward formulation they replaced,
kept here as the oracle: values AND gradients must be bit-identical (torch.equal), not merely close, because
the systems' numbers must not move."""

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Batch, Data
from torch_geometric.nn.pool.connect.filter_edges import filter_adj
from torch_geometric.utils import softmax, to_dense_adj, to_dense_batch

from paperworks.graphs import HGPSLPool, RowNormGCN, candidate_pairs, node_information_score, segment_sparsemax
from paperworks.graphs.structure_pool import _candidates, _segment_sparsemax_dense, topk_per_graph


# ---------------------------------------------------------------- reference (the formulation before the speed-up)
def ref_segment_sparsemax(z, index, n=None):
    # s13: the algorithm itself changed (segments shifted by their maximum, float64 prefix sums and tau, tight
    # optimality checks; accuracy against an independent float64 oracle in test_s13_segment_sparsemax_accuracy);
    # this is its straightforward formulation: two global sorts instead of the per-row sort, and the segment
    # maxima from a reduction instead of the first entry of each sorted run
    n = int(index.max()) + 1 if n is None else n
    acc = torch.float64
    order = torch.argsort(z.detach(), descending=True, stable=True)
    order = order[torch.argsort(index[order], stable=True)]
    zs, seg = z[order], index[order]
    counts = torch.bincount(seg, minlength=n)
    start = torch.cumsum(counts, 0) - counts
    top = torch.full((n,), -torch.inf, dtype=z.dtype).index_reduce_(0, index, z.detach(), "amax")
    y = zs.detach() - top[seg]
    rank = (torch.arange(z.numel()) - start[seg] + 1).to(acc)
    total = torch.cumsum(y.to(acc).clamp(min=-1.0), 0)
    first_prev = torch.where(start > 0, total[(start - 1).clamp(min=0)], torch.zeros(n, dtype=acc))
    support = 1 + rank * y.to(acc) > total - first_prev[seg]
    k = torch.zeros(n, dtype=acc).index_add_(0, seg, support.to(acc))
    ssum = torch.zeros(n, dtype=acc).index_add_(0, seg, (zs - top[seg]).to(acc) * support.to(acc))
    tau = ((ssum - 1) / k.clamp(min=1)).to(z.dtype)
    out = ((z - top[index]) - tau[index]).clamp(min=0)
    with torch.no_grad():
        eps = torch.finfo(z.dtype).eps
        total_out = torch.zeros(n, dtype=acc).index_add_(0, index, out.detach().to(acc))
        gap = y - tau[seg]
        wrong = (support & (gap < -4 * eps)) | (~support & (gap > 4 * eps))
        bad = ((total_out - 1).abs() > 2 * eps * (counts.to(acc) + 2)) & (counts > 0)
        bad[seg[wrong]] = True
    if bool(bad.any()):
        out = torch.where(bad[index], _segment_sparsemax_dense(z, index, bad), out)
    return out


def ref_candidate_pairs(perm, batch, edge_index, mode, hops):
    k = perm.numel()
    new_batch = batch[perm]
    ids, mask = to_dense_batch(torch.arange(k), new_batch)
    pm = mask.unsqueeze(2) & mask.unsqueeze(1)
    if mode == "hops":
        counts = torch.bincount(batch)
        ptr = torch.cumsum(counts, 0) - counts
        adj = to_dense_adj(edge_index, batch, max_num_nodes=int(counts.max()), batch_size=counts.numel()) > 0
        r = (adj | torch.eye(adj.size(1), dtype=torch.bool)).float()
        reach = r
        for _ in range(hops - 1):
            reach = ((reach @ r) > 0).float()
        loc, _ = to_dense_batch(perm - ptr[batch[perm]], new_batch)
        b = torch.arange(loc.size(0)).view(-1, 1, 1).expand_as(pm)
        pm = pm & (reach[b, loc.unsqueeze(2).expand_as(pm), loc.unsqueeze(1).expand_as(pm)] > 0)
    return torch.stack([ids.unsqueeze(2).expand_as(pm)[pm], ids.unsqueeze(1).expand_as(pm)[pm]])


def ref_lookup(edge_index, edge_weight, n, row, col):
    if edge_index.numel() == 0:
        return edge_weight.new_zeros(row.numel())
    ukey, inv = torch.unique(edge_index[0] * n + edge_index[1], return_inverse=True)
    uval = edge_weight.new_zeros(ukey.numel()).index_add_(0, inv, edge_weight)
    q = row * n + col
    pos = torch.searchsorted(ukey, q).clamp(max=ukey.numel() - 1)
    return torch.where(ukey[pos] == q, uval[pos], torch.zeros_like(uval[pos]))


def ref_score(x, edge_index, edge_weight, norm):
    n = x.size(0)
    row, col = edge_index
    deg = x.new_zeros(n).index_add_(0, row, edge_weight)
    if norm == "sym":
        dinv = deg.pow(-0.5).masked_fill(deg <= 0, 0.0)
        w = dinv[row] * edge_weight * dinv[col]
        # the official layer sums the message of edge (row, col), h_row, at col (PyG flow source_to_target;
        # oracle: test_s21_hgpsl_sym_score_direction.py); this reference summed at row until 2026-11-27
        return (x - torch.zeros_like(x).index_add_(0, col, w.unsqueeze(-1) * x[row])).abs().sum(-1)
    w = edge_weight * deg.pow(-1.0).masked_fill(deg <= 0, 0.0)[row]
    return (x - torch.zeros_like(x).index_add_(0, row, w.unsqueeze(-1) * x[col])).abs().sum(-1)


def ref_pool(pool, x, edge_index, edge_weight, batch):
    n = x.size(0)
    if edge_weight is None:
        edge_weight = x.new_ones(edge_index.size(1))
    perm = topk_per_graph(ref_score(x, edge_index, edge_weight, pool.score_norm), pool.ratio, batch)
    x_new, batch_new = x[perm], batch[perm]
    if not pool.sl:
        ei, ew = filter_adj(edge_index, edge_weight, perm, num_nodes=n)
        return x_new, ei, ew, batch_new, perm
    pairs = ref_candidate_pairs(perm, batch, edge_index, pool.candidates, pool.hops)
    row, col = pairs
    f = pool.in_channels
    e = F.leaky_relu((x_new @ pool.att[:f])[row] + (x_new @ pool.att[f:])[col], pool.negative_slope)
    e = e + pool.lamb * ref_lookup(edge_index, edge_weight, n, perm[row], perm[col])
    w = ref_segment_sparsemax(e, row, perm.numel()) if pool.sparse else softmax(e, row, num_nodes=perm.numel())
    keep = w > 0
    return x_new, pairs[:, keep], w[keep], batch_new, perm


# ---------------------------------------------------------------- random inputs with the edge cases
def random_batch(seed, dtype=torch.float64, f=5):
    """Graphs of 1-14 nodes: single-node graphs, edgeless graphs, isolated nodes, self-loops, duplicate and
    one-way edges, random positive weights."""
    g = torch.Generator().manual_seed(seed)
    graphs = []
    for _ in range(int(torch.randint(1, 6, (1,), generator=g))):
        n = int(torch.randint(1, 15, (1,), generator=g))
        m = int(torch.randint(0, n * n // 3 + 1, (1,), generator=g)) if torch.rand(1, generator=g) > 0.2 else 0
        e = torch.randint(0, max(n - 1, 1), (2, m), generator=g)  # the last node is isolated unless n == 1
        if torch.rand(1, generator=g) > 0.5:
            e = torch.cat([e, e.flip(0)], 1)
        graphs.append(Data(x=torch.randn(n, f, generator=g, dtype=dtype), edge_index=e,
                           edge_weight=torch.rand(e.size(1), generator=g, dtype=dtype) + 0.1))
    return Batch.from_data_list(graphs)


def assert_identical(a, b):
    assert type(a) is type(b)
    if a is None:
        return
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            assert_identical(u, v)
    else:
        assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)


# ---------------------------------------------------------------- tests
def test_segment_sparsemax_equals_reference_bitwise():
    g = torch.Generator().manual_seed(0)
    for trial in range(60):
        dtype = (torch.float64, torch.float32)[trial % 2]
        n = int(torch.randint(1, 40, (1,), generator=g))
        e = int(torch.randint(1, 400, (1,), generator=g))
        index = torch.randint(0, n, (e,), generator=g)
        if trial % 3 == 0:
            index = index.sort().values  # sorted rows: the path HGPSLPool takes
        if trial % 5 == 0:
            index[: e // 2] = 0  # one long segment beside short ones: the two-global-sorts path
        z = torch.randn(e, generator=g, dtype=dtype) * float(torch.rand(1, generator=g) * 5)
        if trial % 4 == 0:
            z = z.round()  # ties
        if trial % 7 == 0:
            z = z * 1e3 + 1e3  # large values: the dense recomputation path
        z1, z2 = z.clone().requires_grad_(True), z.clone().requires_grad_(True)
        num = n + 3 if trial % 2 else None  # empty trailing segments
        out, ref = segment_sparsemax(z1, index, num), ref_segment_sparsemax(z2, index, num)
        assert_identical(out, ref)
        w = torch.randn(e, generator=g, dtype=dtype)
        (out * w).sum().backward()
        (ref * w).sum().backward()
        assert_identical(z1.grad, z2.grad)


@pytest.mark.parametrize("mode", ["hops", "all"])
def test_candidates_and_lookup_equal_reference(mode):
    for seed in range(20):
        b = random_batch(seed)
        score = torch.randn(b.num_nodes, generator=torch.Generator().manual_seed(seed))
        for ratio in (0.3, 0.5, 1.0)[seed % 3:][:2]:
            perm = topk_per_graph(score, ratio, b.batch)
            for hops in ((1, 2, 3, 4, 5) if mode == "hops" else (4,)):
                ref = ref_candidate_pairs(perm, b.batch, b.edge_index, mode, hops)
                assert_identical(candidate_pairs(perm, b.batch, b.edge_index, b.num_nodes, mode, hops), ref)
                pairs, look = _candidates(perm, b.batch, b.edge_index, b.edge_weight, mode, hops)
                assert_identical(pairs, ref)
                assert_identical(look, ref_lookup(b.edge_index, b.edge_weight, b.num_nodes, perm[ref[0]],
                                                  perm[ref[1]]))


def test_khop_candidates_of_edgeless_and_isolated_nodes_are_self_pairs_only():
    batch = torch.tensor([0, 0, 0, 1])  # graph 0: nodes 0-1 joined, node 2 isolated; graph 1: one node
    ei = torch.tensor([[0, 1], [1, 0]])
    perm = torch.tensor([2, 0, 1, 3])
    pairs = candidate_pairs(perm, batch, ei, 4, "hops", 4)
    assert pairs.tolist() == [[0, 1, 1, 2, 2, 3], [0, 1, 2, 1, 2, 3]]
    assert_identical(pairs, ref_candidate_pairs(perm, batch, ei, "hops", 4))
    empty = torch.zeros(2, 0, dtype=torch.long)
    pairs, look = _candidates(perm, batch, empty, torch.zeros(0), "hops", 2)
    assert pairs.tolist() == [[0, 1, 2, 3], [0, 1, 2, 3]] and look.tolist() == [0.0] * 4


def test_information_score_equals_reference_bitwise():
    for seed in range(20):
        b = random_batch(seed)
        for norm in ("rw", "sym"):
            x1, x2 = b.x.clone().requires_grad_(True), b.x.clone().requires_grad_(True)
            p1 = node_information_score(x1, b.edge_index, b.edge_weight, norm=norm)
            p2 = ref_score(x2, b.edge_index, b.edge_weight, norm)
            assert_identical(p1, p2)
            p1.sum().backward()
            p2.sum().backward()
            assert_identical(x1.grad, x2.grad)


@pytest.mark.parametrize("kw", [{}, {"candidates": "all"}, {"sparse": False}, {"score_norm": "sym"},
                                {"hops": 1}, {"hops": 3}, {"sl": False}, {"ratio": 1.0}])
def test_two_stacked_pools_equal_reference_values_and_gradients(kw):
    """Pool -> pool (the second one reads the first one's learned weights, so gradients flow through the
    edge lookup) on random batches with every edge case: outputs and the gradients of x, of the input edge
    weights and of both attention vectors are bit-identical to the reference."""
    for seed in range(12):
        b = random_batch(seed)
        torch.manual_seed(seed)
        pools = [HGPSLPool(5, **kw).double(), HGPSLPool(5, **kw).double()]
        res = []
        for fwd in ("new", "ref"):
            for p in pools:
                p.zero_grad()
            x = b.x.clone().requires_grad_(True)
            ew = b.edge_weight.clone().requires_grad_(True)
            h, ei, w, bt = x, b.edge_index, ew, b.batch
            outs = []
            for p in pools:
                o = p(h, ei, w, bt) if fwd == "new" else ref_pool(p, h, ei, w, bt)
                outs.append(o)
                h, ei, w, bt = o[0] * 1.5, o[1], o[2], o[3]
            g = torch.Generator().manual_seed(seed)
            loss = sum((o[0] * torch.randn(o[0].shape, generator=g, dtype=o[0].dtype)).sum()
                       + (o[2] * torch.randn(o[2].shape, generator=g, dtype=o[2].dtype)).sum() for o in outs)
            loss.backward()
            res.append((outs, x.grad, ew.grad, [None if p.att.grad is None else p.att.grad.clone() for p in pools]))
        assert_identical(res[0], res[1])


def test_row_norm_gcn_gradients_equal_reference():
    b = random_batch(3)
    torch.manual_seed(0)
    conv = RowNormGCN(5, 4).double()
    grads = []
    for fwd in ("new", "ref"):
        conv.zero_grad()
        x = b.x.clone().requires_grad_(True)
        ew = b.edge_weight.clone().requires_grad_(True)
        if fwd == "new":
            out = conv(x, b.edge_index, ew)
        else:
            h = x @ conv.weight
            row, col = b.edge_index
            deg = ew.new_zeros(h.size(0)).index_add_(0, row, ew)
            dinv = deg.pow(-0.5).masked_fill(deg <= 0, 0.0)
            norm = dinv[row] * ew * dinv[col]
            out = torch.zeros_like(h).index_add_(0, col, norm.unsqueeze(-1) * h[row]) + conv.bias
        (out * torch.randn(out.shape, generator=torch.Generator().manual_seed(1), dtype=out.dtype)).sum().backward()
        grads.append((out, x.grad, ew.grad, conv.weight.grad.clone()))
    assert_identical(grads[0], grads[1])
