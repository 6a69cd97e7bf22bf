"""Heterogeneous graphs on PyG's ``HeteroData``: validation, adjacency stacks, meta-path composition.

Conventions (shared by GTN and HDGI):

- Every node of every type gets a *global* index: node types are laid out one after the other in
  ``data.node_types`` order (:func:`node_offsets`). An edge type ``(src, rel, dst)`` becomes an N x N
  sparse adjacency with ``A[i, j] = multiplicity of the edge i -> j`` (source row, destination column,
  as in PyG's ``edge_index``).
- A meta-path ``[(t0, r1, t1), (t1, r2, t2), ...]`` is composed by sparse matrix products of the
  typed block adjacencies: ``A_P = A_{r1} A_{r2} ...``; entry (i, j) counts the path instances
  (Sun et al. 2011; GTN Sec. 3.1; HAN / HDGI meta-path graphs).
- Everything is sparse (``torch.sparse_coo_tensor``) and differentiable where values require grad;
  nothing here needs torch_scatter or torch_sparse.

Bad input (edge type naming a node type that does not exist, indices out of range, non-integer
``edge_index``, NaN features; for the target type: non-integer or negative labels, split masks that
are not bool vectors over its nodes) raises :class:`paperworks.core.DataError` with one line naming the field.
Defined behaviour: an edge type with zero edges is kept and gives an all-zero adjacency; isolated
nodes give zero rows/columns (normalisation leaves them at zero rather than dividing by 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import functools
import threading
import warnings

import torch

from paperworks.core.errors import DataError
# the checks and the label split serve the heterograph loaders of paperworks.data (the layer below) too: they
# live there and are re-exported here under their old names
from paperworks.data.hetero import check_hetero, num_nodes_of
from paperworks.data.splits import stratified_split

# torch.sparse.mm converts COO to CSR internally and warns that CSR is "beta" on every call
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta", category=UserWarning)

__all__ = [
    "check_hetero", "node_offsets", "num_nodes_of", "type_abbreviations", "relation_block",
    "relation_adjacency", "AdjacencyStack", "adjacency_stack", "compose_metapath", "metapath_name",
    "metapath_graph", "homogeneous_projection", "stratified_split", "sparse_from_edges",
    "normalize_columns", "drop_diagonal", "set_diagonal", "restrict_columns", "sparse_propagate",
    "gcn_normalized", "SpMat", "spmm", "row_normalize",
    "EdgeType",
]

EdgeType = tuple[str, str, str]


# ---------------------------------------------------------------------------------- node types
def node_offsets(data) -> dict[str, tuple[int, int]]:
    """Global index range [start, end) of every node type, in ``data.node_types`` order."""
    out, start = {}, 0
    for nt in data.node_types:
        n = num_nodes_of(data, nt)
        out[nt] = (start, start + n)
        start += n
    return out


def type_abbreviations(node_types: Sequence[str]) -> dict[str, str]:
    """Short upper-case names (P, A, S, ...) for meta-path strings; falls back to longer prefixes."""
    out: dict[str, str] = {}
    for nt in node_types:
        for k in range(1, len(nt) + 1):
            ab = nt[:k].upper()
            if ab not in out.values():
                out[nt] = ab
                break
        else:   # every prefix taken (types 'ab' and 'a', or 'a' and 'A'): the bare upper-case name collided
            ab, i = nt.upper(), 2
            while ab in out.values():
                ab, i = f"{nt.upper()}{i}", i + 1
            out[nt] = ab
    return out


def metapath_name(metapath: Sequence[EdgeType], abbrev: dict[str, str] | None = None) -> str:
    """'P-S-P' style name of a meta-path given as a list of edge types."""
    if not metapath:
        return ""
    if abbrev is None:
        abbrev = type_abbreviations(sorted({t for et in metapath for t in (et[0], et[2])}))
    return "-".join([abbrev[metapath[0][0]]] + [abbrev[et[2]] for et in metapath])


# ------------------------------------------------------------------------------- sparse helpers
def sparse_from_edges(row: torch.Tensor, col: torch.Tensor, values: torch.Tensor | None,
                      shape: tuple[int, int]) -> torch.Tensor:
    """Coalesced COO matrix; duplicate (row, col) entries are summed (multi-edges count)."""
    if values is None:
        values = torch.ones(row.numel(), dtype=torch.float32)
    idx = torch.stack([row.long(), col.long()])
    return torch.sparse_coo_tensor(idx, values, shape, check_invariants=False).coalesce()


class _PatternPlans:
    """Index plans that depend only on a sparsity pattern, kept for the last few patterns.

    A plan is found by the *contents* of its key tensors (shape, dtype and values compared; the cache keeps
    its own copies), never by object identity, so a different or modified pattern never reuses a stale plan.
    The plans hold only integer index tensors (no autograd state); the arithmetic of every caller is
    unchanged, so results are bit-identical with or without a hit. At most ``size`` entries and
    ``max_elements`` stored tensor elements are kept (least recently used dropped first); a plan larger
    than that is built and returned without being stored. Tensors on different devices never match (a CPU
    plan is not handed to a CUDA call), and a plan built under ``torch.inference_mode()`` is used but not
    stored: its inference tensors could not be saved for backward by a later training call.
    """

    def __init__(self, size: int = 8, max_elements: int = 20_000_000):
        self.size, self.max_elements = size, max_elements
        self._entries: list[tuple[str, tuple, object, int]] = []
        self._lock = threading.RLock()

    @staticmethod
    def _same(a, b) -> bool:
        if torch.is_tensor(a):
            return (torch.is_tensor(b) and a.shape == b.shape and a.dtype == b.dtype and a.device == b.device
                    and bool(torch.equal(a, b)))
        return not torch.is_tensor(b) and a == b

    @staticmethod
    def _numel(items) -> int:
        return sum(x.numel() for x in items if torch.is_tensor(x))

    def get(self, tag: str, key: tuple, build):
        with self._lock:                     # lookup and move-to-front are one step for concurrent callers
            for i, (t, k, plan, n) in enumerate(self._entries):
                if t == tag and len(k) == len(key) and all(self._same(x, y) for x, y in zip(k, key)):
                    if i:
                        self._entries.insert(0, self._entries.pop(i))
                    return plan
        plan = build()                       # built outside the lock (pure: same plan whoever builds it)
        n = self._numel(key) + self._numel(plan)
        if n <= self.max_elements and not torch.is_inference_mode_enabled():
            stored = tuple(x.detach().clone() if torch.is_tensor(x) else x for x in key)
            with self._lock:
                self._entries.insert(0, (tag, stored, plan, n))
                del self._entries[self.size:]
                while sum(e[3] for e in self._entries) > self.max_elements:
                    self._entries.pop()
        return plan

    def stored_elements(self) -> int:
        with self._lock:
            return sum(e[3] for e in self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_PLANS = _PatternPlans()


def tensors_stamp(tensors) -> tuple:
    """(object, version counter) of each tensor (None allowed): remembers *these* tensors, as they are now.

    Caches keyed on a caller's tensors (``AdjacencyStack.pair_basis``, the GCN baselines' per-graph normalisation)
    compare a stamp with :func:`same_tensors` at no cost; the stamp holds references, so the objects stay alive and
    their ids are never reused by other tensors."""
    return tuple((t, None if t is None else t._version) for t in tensors)


def same_tensors(stamp: tuple | None, tensors) -> bool:
    """Whether ``tensors`` are the very objects of ``stamp`` (:func:`tensors_stamp`), none written to in place since
    (version counters unchanged). False for another object even if equal in content (compare contents separately)."""
    tensors = tuple(tensors)
    return (stamp is not None and len(stamp) == len(tensors)
            and all(s is t and (t is None or t._version == v) for (s, v), t in zip(stamp, tensors)))


class SpMat:
    """A coalesced sparse matrix as plain (indices [2, E], values [E], shape) tensors.

    Differentiable pipelines (GTN) carry these instead of torch sparse tensors, because autograd
    through ``sparse_coo_tensor(...).values()`` round trips costs a dense ``sparse_mask`` per step.
    """

    is_sparse = True
    __slots__ = ("indices", "values", "shape")

    def __init__(self, indices: torch.Tensor, values: torch.Tensor, shape: tuple[int, int]):
        self.indices, self.values, self.shape = indices, values, tuple(shape)

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self.shape[dim]

    def _nnz(self) -> int:
        return self.values.numel()

    def to_torch(self) -> torch.Tensor:
        return torch.sparse_coo_tensor(self.indices, self.values, self.shape, is_coalesced=True, check_invariants=False)

    def to_dense(self) -> torch.Tensor:
        out = torch.zeros(self.shape, dtype=self.values.dtype)
        return out.index_put((self.indices[0], self.indices[1]), self.values, accumulate=True)

    @staticmethod
    def from_torch(a: torch.Tensor) -> "SpMat":
        a = a if a.is_coalesced() else a.coalesce()
        return SpMat(a.indices(), a.values(), tuple(a.shape))


def _parts(a):
    if isinstance(a, SpMat):
        return a.indices, a.values
    a = a if a.is_coalesced() else a.coalesce()
    return a.indices(), a.values()


def _rebuild(idx, vals, shape) -> torch.Tensor:
    return torch.sparse_coo_tensor(idx, vals, shape, is_coalesced=True, check_invariants=False)


def _like(a, idx, vals, shape):
    """Same kind as ``a``: SpMat in, SpMat out; torch sparse in, torch sparse out."""
    if isinstance(a, SpMat):
        return SpMat(idx, vals, shape)
    return _rebuild(idx, vals, shape)


def spmm(a, b):
    """Sparse x sparse product (SpMat or torch sparse in and out) or dense ``a @ b``."""
    if not a.is_sparse:
        return a @ b
    ta = a.to_torch() if isinstance(a, SpMat) else a
    tb = b.to_torch() if isinstance(b, SpMat) else b
    out = torch.sparse.mm(ta, tb).coalesce()
    return SpMat.from_torch(out) if isinstance(a, SpMat) else out


def drop_diagonal(a: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
    """Sparse (or dense) matrix with its diagonal set to zero (entries removed when sparse).

    For a column-restricted matrix [N, M] pass ``rows`` [M] (as in :func:`set_diagonal`): the "diagonal"
    is then (rows[j], j).
    """
    if rows is not None:
        rows = torch.as_tensor(rows).long().reshape(-1)
        if rows.numel() != a.size(1):
            raise DataError(f"drop_diagonal: rows must name one row per column ({a.size(1)}), got {rows.numel()}")
        if not a.is_sparse:
            out = a.clone()
            out[rows, torch.arange(a.size(1))] = 0
            return out
        idx, vals = _parts(a)
        keep = idx[0] != rows[idx[1]]
        return _like(a, idx[:, keep], vals[keep], a.shape)
    if not a.is_sparse:   # eye of the full shape: a non-square [N, M] matrix was a broadcasting error (sparse: fine)
        return a * (1 - torch.eye(a.size(0), a.size(1), dtype=a.dtype))
    idx, vals = _parts(a)
    keep = idx[0] != idx[1]
    return _like(a, idx[:, keep], vals[keep], a.shape)


def set_diagonal(a: torch.Tensor, value: float = 1.0, rows: torch.Tensor | None = None) -> torch.Tensor:
    """Diagonal replaced by ``value`` (GTN's GCN: H*(1-I) + I).

    For a column-restricted matrix [N, M] pass ``rows`` [M]: the "diagonal" is then (rows[j], j).
    The output pattern and the gather that fills it depend on the pattern only; they are built once per
    pattern (:data:`_PLANS`), so a training loop on a fixed pattern pays one gather per call.
    """
    n_rows, n_cols = a.shape
    rows = torch.arange(n_cols) if rows is None else rows.long()
    if not a.is_sparse:
        out = a.clone()
        out[rows, torch.arange(n_cols)] = value
        return out
    idx, vals = _parts(a)
    new_idx, src = _PLANS.get("set_diagonal", (idx, rows, n_cols),
                              lambda: _set_diagonal_plan(idx, rows, n_cols))
    # src indexes cat([vals, value]): entry k of the result is vals[src[k]], or value where src[k] == nnz;
    # the indices are copied so that a caller modifying them in place cannot alter the cached plan
    ext = torch.cat([vals, torch.full((1,), value, dtype=vals.dtype)])
    return _like(a, new_idx.clone(), ext.index_select(0, src), a.shape)


def _set_diagonal_plan(idx: torch.Tensor, rows: torch.Tensor, n_cols: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(indices of the result, gather index into cat([vals, value])) of :func:`set_diagonal`."""
    nnz = idx.size(1)
    cols = torch.arange(n_cols)
    off = torch.nonzero(idx[0] != rows[idx[1]]).flatten()
    lin = torch.cat([idx[0][off] * n_cols + idx[1][off], rows * n_cols + cols])
    src = torch.cat([off, torch.full((n_cols,), nnz, dtype=torch.long)])
    order = torch.argsort(lin)
    lin = lin[order]
    return torch.stack([lin // n_cols, lin % n_cols]), src[order]


def restrict_columns(a: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """A[:, cols] (sparse stays sparse and coalesced; ``cols`` must be strictly increasing)."""
    cols = cols.long()
    if not a.is_sparse:
        return a[:, cols]
    idx, vals = _parts(a)
    pos = torch.full((a.size(1),), -1, dtype=torch.long)
    pos[cols] = torch.arange(cols.numel())
    keep = pos[idx[1]] >= 0
    new = torch.stack([idx[0][keep], pos[idx[1][keep]]])
    return _like(a, new, vals[keep], (a.size(0), cols.numel()))


def normalize_columns(a: torch.Tensor) -> torch.Tensor:
    """A D_in^{-1}: every non-empty column sums to 1 (empty columns stay 0).

    This is GTN's normalisation: the official code divides each edge weight by the weighted degree of
    its destination node (scatter over ``col``), so each node's incoming weights average to 1.
    """
    if not a.is_sparse:
        deg = a.sum(0)
        inv = torch.where(deg != 0, 1.0 / torch.where(deg != 0, deg, torch.ones_like(deg)),
                          torch.zeros_like(deg))
        return a * inv[None, :]
    idx, vals = _parts(a)
    deg = torch.zeros(a.size(1), dtype=vals.dtype).index_add(0, idx[1], vals)
    safe = torch.where(deg != 0, deg, torch.ones_like(deg))
    return _like(a, idx, vals / safe[idx[1]], a.shape)


class _Propagate(torch.autograd.Function):
    """out = A^T h for a coalesced COO A given as (indices, values); hand-written backward.

    torch.sparse.mm's backward w.r.t. the sparse values goes through a dense sparse_mask; here
    d out / d values[e] = <grad_out[col_e], h[row_e]> is computed on the E edges only. The transposed
    pattern (its order and the flat positions (col, row) of the edges) is built once per pattern.
    """

    @staticmethod
    def forward(ctx, idx, vals, h, n_out):
        n_in = h.size(0)
        order, at_idx, flat = _PLANS.get("propagate", (idx, n_in), lambda: _transpose_plan(idx, n_in))
        at = torch.sparse_coo_tensor(at_idx, vals.index_select(0, order), (n_out, n_in), is_coalesced=True,
                                     check_invariants=False)
        ctx.save_for_backward(idx, vals, h, flat)
        return torch.sparse.mm(at, h)

    @staticmethod
    def backward(ctx, g):
        idx, vals, h, flat = ctx.saved_tensors
        g_vals = g_h = None
        if ctx.needs_input_grad[1]:
            if g.size(0) * h.size(0) <= 2e7:   # sample the dense g h^T at the E positions
                g_vals = (g @ h.t()).reshape(-1).index_select(0, flat)
            else:
                g_vals = (g[idx[1]] * h[idx[0]]).sum(1)
        if ctx.needs_input_grad[2]:
            a = torch.sparse_coo_tensor(idx, vals, (h.size(0), g.size(0)), is_coalesced=True, check_invariants=False)
            g_h = torch.sparse.mm(a, g)
        return None, g_vals, g_h, None


def _transpose_plan(idx: torch.Tensor, n_in: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(order of the entries in A^T's row-major order, A^T's indices, flat positions col * n_in + row)."""
    flat = idx[1] * n_in + idx[0]
    order = torch.argsort(flat)
    return order, idx.flip(0)[:, order].contiguous(), flat


def sparse_propagate(a: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """out[j] = sum_i A[i, j] h[i] (messages flow along i -> j; equals A^T h). A: [N, M], h: [N, d]."""
    if not a.is_sparse:
        return a.t() @ h
    idx, vals = _parts(a)
    return _Propagate.apply(idx, vals, h, a.size(1))


def gcn_normalized(edge_index: torch.Tensor, num_nodes: int,
                   edge_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Kipf & Welling's D~^{-1/2} (A + I) D~^{-1/2} as a coalesced sparse matrix (symmetric A assumed).

    The identity is added as written: a node that already has a self-loop of weight w gets w + 1 on the diagonal,
    as in the HDGI paper's equation and the official HDGI / DGI / GCN code (``normalize_adj(adj + sp.eye(n))``).
    PyG's ``gcn_norm`` (``add_remaining_self_loops``) keeps w instead; both agree on loop-free graphs, which is
    what :func:`metapath_graph` builds for HDGI (self-loops dropped)."""
    a = sparse_from_edges(edge_index[0], edge_index[1], edge_weight, (num_nodes, num_nodes))
    a = _add_identity(a)
    idx, vals = _parts(a)
    deg = torch.zeros(num_nodes, dtype=vals.dtype).index_add(0, idx[0], vals)
    dis = deg.pow(-0.5)
    return _rebuild(idx, dis[idx[0]] * vals * dis[idx[1]], a.shape)


def _add_identity(a: torch.Tensor) -> torch.Tensor:
    n = a.size(0)
    idx, vals = _parts(a)
    ar = torch.arange(n)
    return torch.sparse_coo_tensor(torch.cat([idx, torch.stack([ar, ar])], 1),
                                   torch.cat([vals, torch.ones(n, dtype=vals.dtype)]), a.shape,
                                   check_invariants=False).coalesce()


# ----------------------------------------------------------------------------- adjacency stacks
def _common_dtype(tensors) -> torch.dtype:
    """The dtype all of ``tensors`` promote to (float32 and float64 edge weights: float64)."""
    return functools.reduce(torch.promote_types, (t.dtype for t in tensors))


def _edge_values(store) -> torch.Tensor:
    """An edge type's weights as sparse values: float32 and float64 ``edge_weight`` keep their dtype (they were cast
    to float32, so float64 weights lost their last digits, e.g. 2**24 + 1 became 2**24); integer, bool, float16 and
    bfloat16 weights become float32 (exact for the latter two; torch's sparse products have no half kernels);
    float32 ones without ``edge_weight``."""
    w = getattr(store, "edge_weight", None)
    if w is None:
        return torch.ones(store.edge_index.size(1))
    return w if w.dtype in (torch.float32, torch.float64) else w.float()


def relation_block(data, edge_type: EdgeType) -> torch.Tensor:
    """Typed block adjacency [N_src, N_dst] of one edge type (multiplicities / edge weights summed), in the
    dtype of its ``edge_weight`` (float32 / float64; float32 otherwise, see :func:`_edge_values`)."""
    src, _, dst = edge_type
    ei = data[edge_type].edge_index
    return sparse_from_edges(ei[0], ei[1], _edge_values(data[edge_type]),
                             (num_nodes_of(data, src), num_nodes_of(data, dst)))


def relation_adjacency(data, edge_type: EdgeType, offsets: dict[str, tuple[int, int]] | None = None
                       ) -> torch.Tensor:
    """Edge type as an N x N sparse matrix over the global node index (see module docstring), in the dtype of
    its ``edge_weight`` as :func:`relation_block`."""
    offsets = offsets or node_offsets(data)
    n = max(e for _, e in offsets.values())
    src, _, dst = edge_type
    ei = data[edge_type].edge_index
    return sparse_from_edges(ei[0] + offsets[src][0], ei[1] + offsets[dst][0], _edge_values(data[edge_type]), (n, n))


@dataclass
class AdjacencyStack:
    """K edge-type adjacencies (plus the identity, last, when ``has_identity``) on one union pattern.

    ``indices`` [2, U] is the sorted union of all nonzero positions; ``values`` [K, U] holds each type's
    entries on it (0 where absent). A soft selection sum_k alpha_k A_k is then ``alpha @ values`` on the
    fixed pattern: one dense mat-vec, differentiable in alpha (GTN Eq. 1).
    """

    indices: torch.Tensor            # [2, U]
    values: torch.Tensor             # [K, U]
    num_nodes: int
    names: list[str]                 # relation names, 'I' for the identity
    edge_types: list[EdgeType | None]
    offsets: dict[str, tuple[int, int]]
    has_identity: bool

    @property
    def num_relations(self) -> int:
        return self.values.size(0)

    def matrix(self, k: int) -> torch.Tensor:
        """Relation k as a coalesced sparse N x N matrix."""
        keep = self.values[k] != 0
        return _rebuild(self.indices[:, keep], self.values[k][keep], (self.num_nodes, self.num_nodes))

    def dense(self) -> torch.Tensor:
        """[K, N, N] dense stack (small graphs, oracles and the dense benchmark only)."""
        out = torch.zeros(self.num_relations, self.num_nodes, self.num_nodes, dtype=self.values.dtype)
        out[:, self.indices[0], self.indices[1]] = self.values
        return out

    def select(self, alpha: torch.Tensor) -> SpMat:
        """sum_k alpha_k A_k as a sparse matrix (alpha [K])."""
        return SpMat(self.indices, alpha @ self.values, (self.num_nodes, self.num_nodes))

    def to(self, dtype: torch.dtype) -> "AdjacencyStack":
        return AdjacencyStack(self.indices, self.values.to(dtype), self.num_nodes, self.names,
                              self.edge_types, self.offsets, self.has_identity)

    def pair_basis(self, columns: torch.Tensor | None = None, max_entries: float = 5e7):
        """All non-zero products A_a A_b[:, columns] on one union pattern, or None when too large.

        Returns (pairs [P, 2] of (a, b), indices [2, U], values [P, U], shape). Because
        (sum_a x_a A_a)(sum_b y_b A_b) = sum_{a,b} x_a y_b A_a A_b, the first GT layer is then the
        mat-vec (x outer y)[pairs] @ values: exact, and its backward is dense and cheap (the
        products are fixed, only the alphas change during training).
        """
        # keyed by the exact columns (their bytes): a summary such as (count, sum, first, last) let two different
        # target sets share a cached basis, i.e. the logits of other nodes without an error
        key = (None if columns is None else columns.detach().cpu().contiguous().numpy().tobytes(),
               self.values.dtype)
        # the products belong to the stack's current indices and values: replacing them, or changing them in place
        # (an edge-type ablation, ``stack.values[k] = 0``), kept the old products, and the first GT layer
        # multiplied the old adjacencies silently (0.012 off the dense path on a small graph). The cache is
        # dropped whenever either tensor is another object or was written to (its version counter moved)
        old = self.__dict__.get("_pair_state")
        if old is None or not same_tensors(old[0], (self.indices, self.values)) or old[1] != self.num_nodes:
            self.__dict__["_pair_cache"] = {}
            self.__dict__["_pair_state"] = (tensors_stamp((self.indices, self.values)), self.num_nodes)
        cache = self.__dict__["_pair_cache"]
        if key in cache:
            return cache[key]
        mats = [self.matrix(k) for k in range(self.num_relations)]
        rights = mats if columns is None else [restrict_columns(m, columns) for m in mats]
        n_cols = self.num_nodes if columns is None else columns.numel()
        prods, pairs = [], []
        for a in range(self.num_relations):
            for b in range(self.num_relations):
                p = torch.sparse.mm(mats[a], rights[b]).coalesce()
                keep = p.values() != 0
                if bool(keep.any()):
                    prods.append((p.indices()[:, keep], p.values()[keep]))
                    pairs.append((a, b))
        if not prods:
            out = None
        else:
            lin_all = torch.cat([i[0] * n_cols + i[1] for i, _ in prods])
            uniq, inv = torch.unique(lin_all, sorted=True, return_inverse=True)
            if uniq.numel() * len(prods) > max_entries:
                out = None
            else:
                vals = torch.zeros(len(prods), uniq.numel(), dtype=self.values.dtype)
                pos = 0
                for r, (i, v) in enumerate(prods):
                    vals[r, inv[pos:pos + v.numel()]] = v
                    pos += v.numel()
                out = (torch.tensor(pairs, dtype=torch.long),
                       torch.stack([uniq // n_cols, uniq % n_cols]), vals, (self.num_nodes, n_cols))
        cache[key] = out
        return out


def adjacency_stack(data, edge_types: Sequence[EdgeType] | None = None, *, add_identity: bool = True,
                    where: str = "adjacency_stack", dtype: torch.dtype = torch.float32) -> AdjacencyStack:
    """Stack of all (or the given) edge types as N x N adjacencies, identity appended (GTN Sec. 3.2).

    ``values`` are in ``dtype`` (float32: GTN's model; ``torch.float64`` keeps float64 edge weights exact, which
    ``stack.to(torch.float64)`` cannot: it converts values already rounded to float32)."""
    if dtype not in (torch.float32, torch.float64):   # torch's sparse products have no half-precision kernels
        raise DataError(f"{where}: dtype must be torch.float32 or torch.float64 (got {dtype!r})")
    check_hetero(data, where=where)
    edge_types = list(data.edge_types if edge_types is None else edge_types)
    for et in edge_types:
        if tuple(et) not in data.edge_types:
            raise DataError(f"{where}: edge type {tuple(et)} is not in the graph "
                            f"(edge types: {', '.join(map(str, data.edge_types))})")
    if not edge_types and not add_identity:
        raise DataError(f"{where}: no edge types to stack")
    offsets = node_offsets(data)
    n = max(e for _, e in offsets.values())
    mats = [relation_adjacency(data, tuple(et), offsets) for et in edge_types]
    names = [et[1] for et in edge_types]
    if len(set(names)) < len(names):   # e.g. PyG's raw DBLP/IMDB: every relation is called 'to'
        names = [f"{et[0]}-{et[1]}-{et[2]}" for et in edge_types]
    ets: list[EdgeType | None] = [tuple(et) for et in edge_types]
    if add_identity:
        ar = torch.arange(n)
        mats.append(_rebuild(torch.stack([ar, ar]), torch.ones(n), (n, n)))
        names.append("I")
        ets.append(None)
    k = len(mats)
    all_idx = torch.cat([m.indices() for m in mats], 1)
    lin = all_idx[0] * n + all_idx[1]
    uniq, inv = torch.unique(lin, sorted=True, return_inverse=True)
    values = torch.zeros(k, uniq.numel(), dtype=dtype)
    pos = 0
    for t, m in enumerate(mats):
        nnz = m._nnz()
        values[t].index_add_(0, inv[pos:pos + nnz], m.values().to(dtype))
        pos += nnz
    indices = torch.stack([uniq // n, uniq % n])
    return AdjacencyStack(indices, values, n, names, ets, offsets, add_identity)


# ----------------------------------------------------------------------------------- meta-paths
def _check_metapath(data, metapath, where):
    if len(metapath) == 0:
        raise DataError(f"{where}: empty meta-path")
    for et in metapath:
        et = tuple(et)
        if et not in data.edge_types:
            raise DataError(f"{where}: edge type {et} is not in the graph "
                            f"(edge types: {', '.join(map(str, data.edge_types))})")
    for a, b in zip(metapath[:-1], metapath[1:]):
        if a[2] != b[0]:
            raise DataError(f"{where}: meta-path breaks between {tuple(a)} and {tuple(b)} "
                            f"('{a[2]}' != '{b[0]}')")


def compose_metapath(data, metapath: Sequence[EdgeType], *, binarize: bool = False,
                     drop_self_loops: bool = False) -> torch.Tensor:
    """A_{r1} A_{r2} ... as a sparse [N_first, N_last] matrix of path-instance counts.

    ``binarize`` turns counts into 0/1 (HAN/HDGI meta-path neighbours); ``drop_self_loops`` removes the
    diagonal (only for meta-paths that start and end at the same type). The dtype is float32, or float64 when an
    edge type of the path has float64 ``edge_weight`` (:func:`relation_block`).
    """
    check_hetero(data, where="compose_metapath")
    _check_metapath(data, metapath, "compose_metapath")
    blocks = [relation_block(data, tuple(et)) for et in metapath]
    # float64 weights on one edge type: the whole product in float64 (sparse.mm needs one dtype)
    dtype = _common_dtype(blocks)
    out = blocks[0].to(dtype)
    for b in blocks[1:]:
        out = torch.sparse.mm(out, b.to(dtype)).coalesce()
    idx, vals = _parts(out)
    keep = vals != 0
    if drop_self_loops:
        if metapath[0][0] != metapath[-1][2]:
            raise DataError("compose_metapath: drop_self_loops needs a meta-path that starts and ends at "
                            f"the same node type (got '{metapath[0][0]}' -> '{metapath[-1][2]}')")
        keep &= idx[0] != idx[1]
    idx, vals = idx[:, keep], vals[keep]
    if binarize:
        vals = torch.ones_like(vals)
    return _rebuild(idx, vals, out.shape)


def metapath_graph(data, metapath: Sequence[EdgeType], *, binarize: bool = True,
                   drop_self_loops: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """(edge_index [2, E], edge_weight [E]) of a meta-path graph over the meta-path's end type."""
    a = compose_metapath(data, metapath, binarize=binarize, drop_self_loops=drop_self_loops)
    return a.indices().clone(), a.values().clone()


# ------------------------------------------------------------------------------ homogeneous view
def homogeneous_projection(data, *, feature_dim: int | None = None, return_edge_weight: bool = False):
    """All node and edge types merged into one graph (the GCN/DGI baselines' input).

    Returns (x [N, F], edge_index [2, E], node_type [N], offsets). Node types without features get
    zeros; feature widths must agree unless ``feature_dim`` pads them with zeros. ``x`` is float64 when any node
    type's features are float64 (they were rounded to float32: 2**24 + 1 came back as 2**24), else float32 as
    before.

    With ``return_edge_weight=True``: (x, edge_index, edge_weight, node_type, offsets), ``edge_weight`` [E] the
    edges' ``edge_weight`` in edge_index's order (1 on edge types without one; dtype as :func:`relation_block`'s,
    promoted across types), or None when no edge type has weights. A graph with edge weights and
    ``return_edge_weight=False`` is a DataError: the 4-tuple has no place for them (they were dropped silently, so
    a GCN on the projection weighted every edge 1 while GTN's adjacency stack of the same graph used the weights).
    """
    check_hetero(data, where="homogeneous_projection")
    weighted = [et for et in data.edge_types if getattr(data[et], "edge_weight", None) is not None]
    if weighted and not return_edge_weight:
        raise DataError(f"homogeneous_projection: edge types {', '.join(map(str, weighted))} carry edge_weight, "
                        "which the (x, edge_index, node_type, offsets) result would drop; pass "
                        "return_edge_weight=True to get them")
    offsets = node_offsets(data)
    n = max(e for _, e in offsets.values())
    dims = {nt: data[nt].x.size(1) for nt in data.node_types if getattr(data[nt], "x", None) is not None}
    if not dims:
        raise DataError("homogeneous_projection: no node type has features 'x'")
    f = feature_dim or max(dims.values())
    if feature_dim is None and len(set(dims.values())) > 1:
        raise DataError(f"homogeneous_projection: feature widths differ across node types ({dims}); "
                        "pass feature_dim to zero-pad")
    wide = any(data[nt].x.dtype == torch.float64 for nt in dims)
    x = torch.zeros(n, f, dtype=torch.float64) if wide else torch.zeros(n, f)
    node_type = torch.zeros(n, dtype=torch.long)
    for t, nt in enumerate(data.node_types):
        s, e = offsets[nt]
        node_type[s:e] = t
        if nt in dims:
            if dims[nt] > f:
                raise DataError(f"homogeneous_projection: '{nt}' has {dims[nt]} features > "
                                f"feature_dim={f}")
            x[s:e, :dims[nt]] = data[nt].x.double() if wide else data[nt].x.float()
    eis = []
    for et in data.edge_types:
        ei = data[et].edge_index
        eis.append(torch.stack([ei[0] + offsets[et[0]][0], ei[1] + offsets[et[2]][0]]))
    edge_index = torch.cat(eis, 1) if eis else torch.zeros(2, 0, dtype=torch.long)
    if not return_edge_weight:
        return x, edge_index, node_type, offsets
    edge_weight = None
    if weighted:
        ws = [_edge_values(data[et]) for et in data.edge_types]
        dtype = _common_dtype(ws)
        edge_weight = torch.cat([w.to(dtype) for w in ws])
    return x, edge_index, edge_weight, node_type, offsets


def row_normalize(x: torch.Tensor) -> torch.Tensor:
    """Node features divided by their row sums (GTN / HDGI preprocessing); an all-zero row stays zero."""
    s = x.sum(1, keepdim=True)
    return torch.where(s != 0, x / torch.where(s != 0, s, torch.ones_like(s)), x)
