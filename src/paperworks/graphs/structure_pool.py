"""Node-drop pooling with structure learning (Zhang et al., "Hierarchical Graph Pooling with Structure
Learning", AAAI 2020, arXiv:1911.05954), as a PyG-style module, plus the sparsemax it relies on.
"""

from __future__ import annotations

import operator

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn.pool.connect.filter_edges import filter_adj
from torch_geometric.utils import softmax

from paperworks.core.config import check_int
from paperworks.core.errors import ConfigError, DataError
from paperworks.graphs._checks import _INDEX_DTYPES, _desc, check_batch, check_edge_index, check_float, check_graph

__all__ = ["sparsemax", "segment_sparsemax", "node_information_score", "candidate_pairs", "HGPSLPool",
           "topk_per_graph", "source_degree_sym_norm", "SCORE_NORMS"]


def sparsemax(z: Tensor, dim: int = -1) -> Tensor:
    """Sparsemax (Martins & Astudillo 2016): the Euclidean projection of z onto the probability simplex.

    sparsemax(z)_i = max(z_i - tau, 0) with tau = (sum_{j <= k} z_(j) - 1) / k, where z_(1) >= z_(2) >= ...
    and k = max{k : 1 + k z_(k) > sum_{j <= k} z_(j)}.

    It is computed on z - max(z) (sparsemax is shift invariant): unshifted, the test ``1 + k z_(k) > ...``
    lost the 1 at large magnitudes (float32 near 1e7 returned [1, 1, 1, 0] for a 4-entry row, near 1e6 a
    row summing to 0.94). The maximum is a constant for autograd (the Jacobian is shift invariant).
    """
    check_float("sparsemax", "z", z, tuple(range(1, 9)))
    z = z.transpose(dim, -1)
    if z.size(-1) == 0:          # nothing to project (the gather below failed on an empty last dim)
        return z.transpose(dim, -1).clone()
    z = z - z.detach().amax(dim=-1, keepdim=True)
    zs, _ = torch.sort(z, dim=-1, descending=True)
    r = torch.arange(1, z.size(-1) + 1, device=z.device, dtype=z.dtype)
    cs = zs.cumsum(-1)
    support = (1 + r * zs > cs).to(z.dtype)
    k = support.sum(-1, keepdim=True)
    tau = ((cs * support).gather(-1, k.long() - 1) - 1) / k
    return (z - tau).clamp(min=0).transpose(dim, -1)


def segment_sparsemax(z: Tensor, index: Tensor, num_segments: int | None = None, validate: bool = True) -> Tensor:
    """Sparsemax applied separately to the entries of z [E] that share index[e] (e.g. rows of a sparse
    adjacency), without torch_scatter: entries are sorted by (segment, -value), the prefix sums per segment
    give the support size k and the threshold tau of each segment.

    Every segment is shifted by its maximum (the first entry of its sorted run; sparsemax is shift invariant),
    so its support entries lie in (-1, 0] whatever the magnitude of z, and the prefix sums, the support test
    and tau are computed in float64. A float32 result is then within a few ulps of the exact (float64) one:
    each output is off by at most about eps * (k + 1) and each segment sums to 1 within eps * (k + 1) (k: its
    support size; eps: the machine epsilon of z's dtype). The result is checked against the optimality
    conditions of the projection - each segment sums to 1 and its support is {z > tau} - with tolerances of that
    size; a segment that fails them (possible only when float64 prefix sums over very many entries are not
    exact enough, e.g. float64 inputs) is recomputed on its own, as a padded row."""
    if not isinstance(z, Tensor) or not isinstance(index, Tensor) or z.dim() != 1 or index.shape != z.shape:
        raise DataError(f"segment_sparsemax: expected 'z' and 'index' of the same 1-D shape "
                        f"(got {getattr(z, 'shape', type(z).__name__)} and "
                        f"{getattr(index, 'shape', type(index).__name__)})")
    if validate:
        check_float("segment_sparsemax", "z", z, 1)
        # a bool / int16 / uint8 / complex index failed inside with torch's bare errors ('"bincount_cpu" not
        # implemented for 'Bool'', "Expected dtype int32 or int64 for index", '"min_all" not implemented'), a float
        # num_segments (2.0) in bincount ("argument 'minlength' must be int, not float")
        if index.dtype not in _INDEX_DTYPES or (index.numel() and int(index.min()) < 0):
            raise DataError(f"segment_sparsemax: 'index' must hold non-negative integers of dtype int64 or int32 "
                            f"(got {_desc(index)})")
        if num_segments is not None:
            try:
                if isinstance(num_segments, bool) or (isinstance(num_segments, Tensor)
                                                      and num_segments.dtype == torch.bool):
                    raise TypeError
                num_segments = operator.index(num_segments)
            except TypeError:
                raise DataError(f"segment_sparsemax: 'num_segments' must be an integer "
                                f"(got {num_segments!r})") from None
        if num_segments is not None and index.numel() and int(index.max()) >= num_segments:
            raise DataError(f"segment_sparsemax: 'index' refers to segment {int(index.max())} but "
                            f"num_segments={num_segments}")
    if z.numel() == 0:
        return z
    n = int(index.max()) + 1 if num_segments is None else num_segments
    e = z.numel()
    acc = torch.float64
    counts = torch.bincount(index, minlength=n)
    start = torch.cumsum(counts, 0) - counts
    # sorted: the entries of every segment are contiguous and in segment order (HGPSLPool's rows always are); the
    # sorted segment ids ``seg`` are then ``index`` itself, and per-entry gathers by ``seg`` and ``index`` coincide
    in_order = e < 2 or bool((index[1:] >= index[:-1]).all())
    order, col = _segment_order(z.detach(), index, counts, start, in_order)
    zs = z.index_select(0, order)
    seg = index if in_order else index.index_select(0, order)
    top = zs.detach().index_select(0, start.clamp(max=e - 1))   # segment maxima (empty segments: unused)
    top_at = top.index_select(0, seg)
    # each entry minus its segment maximum; the shift is a constant for autograd (the Jacobian is shift invariant)
    shifted = zs - top_at
    with torch.no_grad():  # the support is a set: no gradient flows through the prefix sums
        y = shifted.detach()                                         # <= 0; exact within 1 of the maximum
        y64 = y.to(acc)
        # entries at or below max - 1 never enter a support (tau >= max - 1), and clamping them to -1 changes no
        # support decision (the test of an entry depends on the larger entries only); it bounds every prefix
        # sum by the number of entries, so the float64 sums over all entries stay exact to ~1e-16 * E
        total = torch.cumsum(y64.clamp(min=-1.0), 0)
        before = torch.where(start > 0, total.index_select(0, (start - 1).clamp(min=0)), total.new_zeros(()))
        cs = total - before.index_select(0, seg)
        # 1-based rank of each sorted entry in its segment (whole numbers, exact in float64)
        rank = (col + 1).to(acc)
        support = 1 + rank * y64 > cs
        k = torch.zeros(n, dtype=acc, device=z.device).index_add_(0, seg, support.to(acc))
    # tau of the shifted segment. An entry further below its maximum than the dtype's range shifts to -inf
    # (float16: 80000 > 65504); it is outside the support, and a select (not a product with the 0/1 mask:
    # -inf * 0 = NaN) keeps tau finite
    ssum = torch.zeros(n, dtype=acc, device=z.device).index_add_(0, seg, torch.where(support, shifted.to(acc), 0.0))
    tau = ((ssum - 1) / k.clamp(min=1)).to(z.dtype)
    tau_at = tau.index_select(0, index)
    out = ((z - (top_at if in_order else top.index_select(0, index))) - tau_at).clamp(min=0)
    # Checks (see the docstring): |sum - 1| <= 2 eps (count + 2) per segment, and no entry on the wrong side of
    # tau by more than 4 eps. The old code ran its prefix sums over all entries in z's dtype, unshifted, and
    # accepted sums off by sqrt(eps) (3.4e-4 in float32): float32 segments of 4 entries in [10, 16] among 20k
    # came out 1.6e-4 off the exact result.
    with torch.no_grad():
        eps = torch.finfo(z.dtype).eps
        total_out = torch.zeros(n, dtype=acc, device=z.device).index_add_(0, index, out.detach().to(acc))
        bad = ((total_out - 1).abs() > 2 * eps * (counts.to(acc) + 2)) & (counts > 0)
        gap = y - (tau_at.detach() if in_order else tau.index_select(0, seg))
        wrong = (support & (gap < -4 * eps)) | (~support & (gap > 4 * eps))
        if bool(wrong.any()):
            bad[seg[wrong]] = True
    if bool(bad.any()):
        out = torch.where(bad[index], _segment_sparsemax_dense(z, index, bad), out)
    return out


def _segment_order(z: Tensor, index: Tensor, counts: Tensor, start: Tensor, in_order: bool) -> tuple[Tensor, Tensor]:
    """The permutation that sorts the entries by segment, then by descending value, ties in their original order
    (a stable sort by value, then a stable sort by segment), and the position of each sorted entry in its segment
    (0-based). Each segment becomes one row of a [segments, longest] matrix padded with -inf at its end, and the
    rows are sorted at once: sorting many short rows is much cheaper than two sorts of all entries. The padding
    ties only with -inf entries, which come before it in their row and so stay before it in a stable sort; the
    first counts[s] positions of sorted row s are segment s's entries. When one segment is much longer than the
    rest (padding would dominate), the two global sorts are used; both give the same permutation. ``start``: the
    first sorted position of every segment; ``in_order``: the entries are already grouped by segment, in segment
    order (``index`` is sorted)."""
    e, n = z.numel(), counts.numel()
    longest = int(counts.max())
    if n * longest > 4 * e + 4096:
        order = torch.argsort(z, descending=True, stable=True)
        order = order[torch.argsort(index[order], stable=True)]
        return order, torch.arange(e, device=z.device) - start.index_select(0, index.index_select(0, order))
    if in_order:
        grouped, seg = None, index
    else:
        seg, grouped = torch.sort(index, stable=True)
        z = z[grouped]
    col = torch.arange(e, device=z.device) - start.index_select(0, seg)
    rows = z.new_full((n, longest), -torch.inf).index_put_((seg, col), z)
    _, pos = torch.sort(rows, dim=1, descending=True, stable=True)
    mask = torch.arange(longest, device=z.device) < counts.unsqueeze(1)
    order = (pos + start.unsqueeze(1)).masked_select(mask)
    return (order if grouped is None else grouped[order]), col


def _segment_sparsemax_dense(z: Tensor, index: Tensor, segments: Tensor) -> Tensor:
    """Exact per-segment sparsemax of the entries whose segment is flagged in ``segments`` (bool [n]); other
    entries come back as 0. Each flagged segment becomes one padded row, shifted by its maximum (sparsemax is
    shift-invariant), so its prefix sums start near 0 and never mix with other segments."""
    sel = segments[index]
    zs, seg = z[sel], index[sel]
    useg, row = torch.unique(seg, return_inverse=True)
    order = torch.argsort(row, stable=True)
    counts = torch.bincount(row, minlength=useg.numel())
    start = torch.cumsum(counts, 0) - counts
    col = torch.empty_like(row)
    col[order] = torch.arange(row.numel(), device=z.device) - start[row[order]]
    rmax = torch.full((useg.numel(),), -torch.inf, dtype=z.dtype, device=z.device).index_reduce_(
        0, row, zs.detach(), "amax")
    # padding at max - 2 lies below the threshold (tau >= max - 1), so it never enters a support
    dense = torch.full((useg.numel(), int(counts.max())), -2.0, dtype=z.dtype, device=z.device)
    dense = dense.index_put((row, col), zs - rmax[row])
    out = torch.zeros_like(z)
    return out.index_put((sel.nonzero().squeeze(1),), sparsemax(dense)[row, col])


SCORE_NORMS = ("rw", "sym")


def topk_per_graph(score: Tensor, ratio: float, batch: Tensor) -> Tensor:
    """Indices of the ceil(ratio * n_i) highest-scoring nodes of every graph i, ordered by graph, then by
    descending score (the official code's PyG-1.x ``topk``). PyG 2.x's ``topk`` reads a ratio >= 1 as a node
    COUNT, so ratio=1.0 would keep one node per graph there; here ratio=1.0 keeps every node.

    Tied scores are ranked by node index (lower first): the descending sort is stable. PyG's ``topk`` sorts
    unstably, so which tied nodes it keeps depends on the sort implementation (CPU torch 2.13 already
    reorders 100 equal scores); for distinct scores both give the same indices."""
    if not (0.0 < ratio <= 1.0):
        raise ConfigError(f"topk_per_graph: 'ratio' must be in (0, 1] (got {ratio})")
    num_nodes = torch.bincount(batch)
    # the count in the scores' dtype, at least float32: half-precision scores rounded the node count itself
    # (bfloat16: 257 nodes at ratio 1.0 kept 256)
    k = (float(ratio) * num_nodes.to(torch.promote_types(score.dtype, torch.float32))).ceil().to(torch.long)
    _, order = torch.sort(score.view(-1), descending=True, stable=True)
    b, bperm = torch.sort(batch.index_select(0, order), stable=True)
    ptr = torch.cumsum(num_nodes, 0) - num_nodes
    rank = torch.arange(score.numel(), device=score.device) - ptr.index_select(0, b)
    return order.index_select(0, bperm.masked_select(rank < k.index_select(0, b)))


def source_degree_sym_norm(edge_index: Tensor, edge_weight: Tensor, num_nodes: int) -> Tensor:
    """Edge weights d_i^{-1/2} w_ij d_j^{-1/2} with d the weighted degree over the SOURCE index i
    (edge_index[0]), 0 where a degree is 0 - the normalisation of the official HGP-SL code (its GCN layer and
    its node information score)."""
    row, col = edge_index
    deg = edge_weight.new_zeros(num_nodes).index_add_(0, row, edge_weight)
    dinv = deg.pow(-0.5).masked_fill(deg <= 0, 0.0)
    return dinv.index_select(0, row) * edge_weight * dinv.index_select(0, col)


def node_information_score(x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None,
                           num_nodes: int | None = None, norm: str = "rw", validate: bool = True) -> Tensor:
    """Node information score (no parameters), per row i of H:

    - norm="rw" (paper Eq. 2): p = || (I - D^{-1} A) H ||_1, the L1 distance between h_i and the
      degree-weighted mean of its neighbours;
    - norm="sym" (official code, ``NodeInformationScore``): p = || (I - (D^{-1/2} A D^{-1/2})^T) H ||_1.
      The official layer is a PyG message passing: edge (j, i) sends h_j to i = edge_index[1]. On a symmetric
      graph (a first pool's input) this is the symmetric-Laplacian form; on a graph learned by a previous pool
      (rows are sparsemax distributions, not symmetric) node i is compared with the nodes whose rows weight it,
      as the official GCN layer (:class:`~paperworks.graphs.RowNormGCN`) propagates. (Summing along the rows
      instead gave scores up to 2.3 off the official ones on a learned 8-node graph, and another top-k.)

    A is the (weighted) adjacency as given, A_ij the weight of edge (i, j) = (edge_index[0], edge_index[1]),
    self-loops included: a learned graph from a previous HGP-SL layer carries self-loop weights, and the
    official code keeps them both in A and in the weighted row degree D (D_ii = sum_j A_ij, both forms). An
    isolated node has no neighbour term, so its score is ||h_i||_1.
    """
    if norm not in SCORE_NORMS:
        raise ConfigError(f"node_information_score: 'norm' must be one of {', '.join(SCORE_NORMS)} (got {norm!r})")
    if validate:
        check_graph("node_information_score", x, edge_index, edge_weight)
        if num_nodes is not None and num_nodes != x.size(0):
            raise DataError(f"node_information_score: 'num_nodes'={num_nodes} but 'x' has {x.size(0)} rows")
    n = x.size(0) if num_nodes is None else num_nodes
    if edge_weight is None:
        edge_weight = x.new_ones(edge_index.size(1))
    else:   # float64 weights with float32 features crashed in index_add_ (self Float, source Double)
        edge_weight = edge_weight.to(x.dtype)
    row, col = edge_index
    if norm == "sym":   # official: the message of edge (row, col) carries h_row and is summed at col
        w = source_degree_sym_norm(edge_index, edge_weight, n)
        row, col = col, row
    else:
        deg = x.new_zeros(n).index_add_(0, row, edge_weight)
        w = edge_weight * deg.pow(-1.0).masked_fill(deg <= 0, 0.0).index_select(0, row)
    msg = x.index_select(0, col)
    # scaled in place when nothing is differentiated (HGPSLPool: one [E, F] buffer instead of two; same products)
    msg = w.unsqueeze(-1) * msg if msg.requires_grad or w.requires_grad else msg.mul_(w.unsqueeze(-1))
    agg = torch.zeros_like(x).index_add_(0, row, msg)
    return (x - agg).abs().sum(dim=-1)


def _bool_matrix_power(r: Tensor, p: int) -> Tensor:
    """(r^p > 0) as 0/1 floats for a batch of 0/1 matrices r (reachability within p steps when r holds the
    identity), by repeated squaring; entries are path counts thresholded after every product, so any grouping
    of the factors gives the same 0/1 result."""
    out = None
    while p:
        if p & 1:
            out = r if out is None else ((out @ r) > 0).to(r.dtype)
        p >>= 1
        if p:
            r = ((r @ r) > 0).to(r.dtype)
    return out


def _candidates(perm: Tensor, batch: Tensor, edge_index: Tensor, edge_weight: Tensor | None, mode: str,
                hops: int) -> tuple[Tensor, Tensor | None]:
    """Candidate pairs (see :func:`candidate_pairs`) and, when ``edge_weight`` is given, A[perm[i], perm[j]]
    for every pair (the input adjacency's weight, duplicate edges summed, 0 for non-edges).

    Works on per-graph dense blocks: cell (g, a, b) of a [graphs, n_max, n_max] grid is the edge from the a-th to
    the b-th node of graph g (node positions as ``to_dense_adj`` computes them); the kept nodes of every graph
    form a [graphs, k_max] table of positions, and the pairs are the nonzero entries of a [graphs, k_max, k_max]
    mask in row-major order, i.e. ordered by graph, row, column. The weights are summed per cell in edge order (as
    the unique-key sum they replace), so every value is bit-identical: in the reachability's grid for mode "hops",
    in the kept-pair grid for mode "all"."""
    k = perm.numel()
    dev = perm.device
    counts = torch.bincount(batch)
    num_graphs, n_max = counts.numel(), int(counts.max())
    ptr = torch.cumsum(counts, 0) - counts
    node_local = torch.arange(batch.numel(), device=dev) - ptr.index_select(0, batch)  # position in its graph
    new_batch = batch.index_select(0, perm)
    kcounts = torch.bincount(new_batch, minlength=num_graphs)
    kptr = torch.cumsum(kcounts, 0) - kcounts
    k_max = int(kcounts.max())
    slot = torch.arange(k, device=dev) - kptr.index_select(0, new_batch)  # position among its graph's kept nodes
    local = torch.zeros(num_graphs, k_max, dtype=torch.long, device=dev).index_put_(
        (new_batch, slot), node_local.index_select(0, perm))
    valid = torch.arange(k_max, device=dev) < kcounts.unsqueeze(1)
    pm = valid.unsqueeze(2) & valid.unsqueeze(1)
    src, dst = edge_index
    if mode == "hops":
        # cell of every edge in the [graphs, n_max, n_max] grid (graph of its source)
        cell = (batch * n_max + node_local).index_select(0, src) * n_max + node_local.index_select(0, dst)
        # reachability within `hops` hops on the per-graph dense blocks ((A + I)^hops > 0); graph-classification
        # graphs are small, so this is cheaper than sparse products without torch_sparse. A + I as 0/1 floats,
        # written directly (the products count paths exactly whatever the route to the same 0/1 matrix)
        r = torch.zeros(num_graphs * n_max * n_max, dtype=torch.float32, device=dev).index_fill_(0, cell, 1.0)
        r = r.view(num_graphs, n_max, n_max)
        r.diagonal(dim1=1, dim2=2).fill_(1.0)
        # only the kept rows and columns of (A + I)^hops are needed: (A + I)^a [kept, :] (A + I)^b [:, kept]
        # with a + b = hops
        gk = torch.arange(num_graphs, device=dev).unsqueeze(1)
        h1 = hops // 2
        pb = _bool_matrix_power(r, hops - h1)
        if h1:
            pa = pb if h1 == hops - h1 else _bool_matrix_power(r, h1)
            reach = pa[gk, local] @ pb.transpose(1, 2)[gk, local].transpose(1, 2)
        else:
            reach = pb[gk, local].gather(2, local.unsqueeze(1).expand(-1, k_max, -1))
        pm = pm & (reach > 0)
    g, a, b = pm.nonzero(as_tuple=True)
    base = kptr.index_select(0, g)
    pairs = torch.stack([base + a, base + b])
    if edge_weight is None:
        return pairs, None
    if edge_index.numel() == 0:
        return pairs, edge_weight.new_zeros(pairs.size(1))
    if mode == "hops":
        # edge weights summed, in edge order, into the cells of the reachability's [graphs, n_max, n_max] grid; an
        # edge between two graphs (invalid input) goes to a spare cell that no pair reads. A kept pair's cell gets
        # exactly the edges between its two nodes, in edge order: the sum of the kept-pair grid below
        size = num_graphs * n_max * n_max
        cell = torch.where(batch.index_select(0, src) == batch.index_select(0, dst), cell, size)
        dense = edge_weight.new_zeros(size + 1).index_put_((cell,), edge_weight, accumulate=True)
        flat_local = local.view(-1)
        row_local = flat_local.index_select(0, g * k_max + a)
        col_local = flat_local.index_select(0, g * k_max + b)
        return pairs, dense.index_select(0, (g * n_max + row_local) * n_max + col_local)
    # edge weights summed into the [graphs, k_max, k_max] grid of kept pairs (the grid of ``pm``; mode "all" builds
    # no larger grid); an edge with a dropped end, or between two graphs (invalid input), goes to a spare cell that
    # no pair reads
    size = num_graphs * k_max * k_max
    node_slot = torch.full_like(batch, -1).index_put_((perm,), slot)
    s_src, s_dst = node_slot.index_select(0, src), node_slot.index_select(0, dst)
    g_src = batch.index_select(0, src)
    inside = (s_src >= 0) & (s_dst >= 0) & (g_src == batch.index_select(0, dst))
    cell = torch.where(inside, (g_src * k_max + s_src) * k_max + s_dst, size)
    dense = edge_weight.new_zeros(size + 1).index_put_((cell,), edge_weight, accumulate=True)
    return pairs, dense.index_select(0, (g * k_max + a) * k_max + b)


def candidate_pairs(perm: Tensor, batch: Tensor, edge_index: Tensor, num_nodes: int, mode: str = "hops",
                    hops: int = 4) -> Tensor:
    """Candidate (i, j) pairs among the kept nodes ``perm`` for structure learning, in new indices [2, P].

    mode="all": every pair of kept nodes of the same graph, self-pairs included (paper, O(k^2)).
    mode="hops": pairs within ``hops`` hops in the input graph, self-pairs included (official "sample" mode,
    meant for large graphs; it applies a 2-hop expansion twice, hence hops=4 by default). Pairs come out
    ordered by graph, then row, then column.

    ``perm`` [K]: distinct node indices in [0, num_nodes), in any order (new index i is node perm[i]); ``batch``
    [num_nodes]: the graph of every node, sorted (None: one graph). Anything else is one DataError.
    """
    if mode not in ("all", "hops"):
        raise ConfigError(f"candidate_pairs: 'mode' must be one of all, hops (got {mode!r})")
    if mode == "hops":
        check_int("hops", hops, 1, where="candidate_pairs")   # the squaring in _candidates needs >= 1
    check_int("num_nodes", num_nodes, 1, where="candidate_pairs")
    if batch is None:
        batch = torch.zeros(num_nodes, dtype=torch.long, device=perm.device if isinstance(perm, Tensor) else None)
    if (not isinstance(perm, Tensor) or perm.dim() != 1 or perm.is_floating_point() or perm.is_complex()
            or perm.dtype == torch.bool):
        raise DataError(f"candidate_pairs: 'perm' must be a 1-D tensor of integers (got {_desc(perm)})")
    # the batch / edge checks of check_graph (HGPSLPool's entry check), one implementation
    check_batch("candidate_pairs", batch, num_nodes, f"num_nodes={num_nodes}")
    check_edge_index("candidate_pairs", edge_index, num_nodes, f"num_nodes={num_nodes}")
    if perm.numel() == 0:
        return edge_index.new_zeros(2, 0)
    if int(perm.min()) < 0 or int(perm.max()) >= num_nodes:
        raise DataError(f"candidate_pairs: 'perm' holds node index "
                        f"{int(perm.min()) if int(perm.min()) < 0 else int(perm.max())} outside [0, {num_nodes})")
    if torch.unique(perm).numel() != perm.numel():
        raise DataError("candidate_pairs: 'perm' names a node twice (the kept nodes must be distinct)")
    perm = perm.long()
    # _candidates numbers the kept nodes graph by graph (its slot table assumes perm grouped by graph, as
    # topk_per_graph returns it): any other order gave pairs of wrong nodes, across graphs too, or an IndexError.
    # Sort perm by graph (stable: the order within a graph is kept) and map the pairs back to perm's positions;
    # the pairs stay ordered by graph, then row, then column
    order = torch.argsort(batch.index_select(0, perm), stable=True)
    pairs = _candidates(perm.index_select(0, order), batch, edge_index, None, mode, hops)[0]
    return order.index_select(0, pairs.reshape(-1)).view(2, -1)


class HGPSLPool(nn.Module):
    """HGP-SL pooling operator (paper Sec. 3.2-3.3).

    1. Score p = node_information_score(H, A) (``score_norm``: "rw" = paper Eq. 2, "sym" = official code);
    2. keep the top ceil(ratio * n_i) nodes of every graph
    (:func:`topk_per_graph`; ratio=1.0 keeps all), H' = H[idx] (no gating); 3. structure learning on the
    kept nodes:
    e_ij = LeakyReLU(a^T [h'_i || h'_j], 0.2) + lambda * A_ij (A = input adjacency, 0 for non-edges),
    row-normalised by sparsemax over the candidate j's of row i (softmax when ``sparse=False``); edges
    whose weight is 0 are dropped. ``sl=False`` returns the induced subgraph instead (ablation).

    forward(x [N, F], edge_index [2, E], edge_weight [E] | None, batch [N] | None)
    -> (x' [K, F], edge_index' [2, E'], edge_weight' [E'], batch' [K], perm [K]).
    """

    def __init__(self, in_channels: int, ratio: float = 0.5, sl: bool = True, sparse: bool = True,
                 lamb: float = 1.0, negative_slope: float = 0.2, candidates: str = "hops", hops: int = 4,
                 score_norm: str = "rw"):
        super().__init__()
        if not (0.0 < ratio <= 1.0):
            raise ConfigError(f"HGPSLPool: 'ratio' must be in (0, 1] (got {ratio})")
        if candidates not in ("all", "hops"):
            raise ConfigError(f"HGPSLPool: 'candidates' must be one of all, hops (got {candidates!r})")
        check_int("hops", hops, 1, where="HGPSLPool")
        if score_norm not in SCORE_NORMS:
            raise ConfigError(f"HGPSLPool: 'score_norm' must be one of {', '.join(SCORE_NORMS)} (got {score_norm!r})")
        self.score_norm = score_norm
        self.in_channels, self.ratio, self.sl, self.sparse = in_channels, ratio, sl, sparse
        self.lamb, self.negative_slope, self.candidates, self.hops = lamb, negative_slope, candidates, hops
        self.att = nn.Parameter(torch.empty(2 * in_channels))
        self.reset_parameters()

    def reset_parameters(self):
        bound = (6.0 / (1 + 2 * self.in_channels)) ** 0.5  # glorot on a [1, 2F] weight
        nn.init.uniform_(self.att, -bound, bound)

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None,
                batch: Tensor | None = None, validate: bool = True):
        if validate:
            check_graph("HGPSLPool", x, edge_index, edge_weight, batch)
            if x.size(1) != self.in_channels:
                raise DataError(f"HGPSLPool: 'x' has {x.size(1)} features but the operator was built for "
                                f"in_channels={self.in_channels}")
        n = x.size(0)
        if batch is None:
            batch = edge_index.new_zeros(n)
        if edge_weight is None:
            edge_weight = x.new_ones(edge_index.size(1))
        else:   # float64 weights with float32 features crashed in index_add_ (self Float, source Double)
            edge_weight = edge_weight.to(x.dtype)
        with torch.no_grad():  # the score only ranks nodes (no gate): nothing to differentiate
            score = node_information_score(x, edge_index, edge_weight, n, self.score_norm, validate=False)
        perm = topk_per_graph(score, self.ratio, batch)
        x_new, batch_new = x.index_select(0, perm), batch.index_select(0, perm)
        if not self.sl:
            ei, ew = filter_adj(edge_index, edge_weight, perm, num_nodes=n)
            return x_new, ei, ew, batch_new, perm
        pairs, a_ind = _candidates(perm, batch, edge_index, edge_weight, self.candidates, self.hops)
        row, col = pairs
        f = self.in_channels
        e = (x_new @ self.att[:f]).index_select(0, row) + (x_new @ self.att[f:]).index_select(0, col)
        e = F.leaky_relu(e, self.negative_slope)
        e = e + self.lamb * a_ind
        if self.sparse:
            w = segment_sparsemax(e, row, perm.numel(), validate=False)
        else:
            w = softmax(e, row, num_nodes=perm.numel())
        keep = (w > 0).nonzero().squeeze(1)
        return x_new, pairs.index_select(1, keep), w.index_select(0, keep), batch_new, perm
