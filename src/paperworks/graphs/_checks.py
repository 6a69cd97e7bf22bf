"""Input validation for graph tensors, done once at the public entry points (never in inner loops)."""

from __future__ import annotations

import numpy as np
import torch

from paperworks.core.config import check_lr   # the one lr rule of the training loops (graphs, BNNs)
from paperworks.core.errors import DataError
from paperworks.data import items_of, non_integral   # items_of: shared with data.text (a layer below)
from paperworks.data.splits import split_overlap     # shared with the heterograph loaders (data.hetero)

__all__ = ["check_float", "check_graph", "check_edge_index", "check_batch", "check_dense", "check_dataset",
           "integral_floats", "items_of", "split_overlap"]

# the index dtypes of index_select / index_add_ / scatter: int16 / int8 / uint8 ids passed the old checks and
# failed in every model with a bare RuntimeError ("Expected dtype int32/int64 for index"); uint8 was even read
# as a mask in fancy indexing
_INDEX_DTYPES = (torch.int64, torch.int32)


def integral_floats(a: np.ndarray) -> bool:
    """Whether the float array ``a`` holds finite integer values only (class ids or indices stored as floats,
    which ``astype(int64)`` would otherwise truncate: 0.5 -> 0): :func:`paperworks.data.non_integral` finds none."""
    return not bool(non_integral(a).any())


def _desc(t) -> str:
    if not isinstance(t, torch.Tensor):
        return type(t).__name__
    return f"shape {list(t.shape)}, {str(t.dtype).replace('torch.', '')}"


def check_float(where: str, name: str, t, dim: int | tuple[int, ...]) -> None:
    dims = (dim,) if isinstance(dim, int) else dim
    if not isinstance(t, torch.Tensor) or t.dim() not in dims or not t.is_floating_point():
        want = " or ".join(f"{d}-D" for d in dims)
        raise DataError(f"{where}: expected '{name}' to be a {want} floating tensor (got {_desc(t)})")
    if not torch.isfinite(t).all():
        raise DataError(f"{where}: '{name}' contains NaN or inf values")


def check_graph(where: str, x, edge_index, edge_weight=None, batch=None) -> None:
    """x [N, F] finite float; edge_index [2, E] integer in [0, N); edge_weight [E]; batch [N] sorted."""
    check_float(where, "x", x, 2)
    if x.size(0) == 0:
        raise DataError(f"{where}: empty graph ('x' has 0 nodes)")
    n = x.size(0)
    check_edge_index(where, edge_index, n, f"the {n} nodes of 'x'")
    if edge_weight is not None:
        check_float(where, "edge_weight", edge_weight, 1)
        if edge_weight.numel() != edge_index.size(1):
            raise DataError(f"{where}: 'edge_weight' has {edge_weight.numel()} entries for "
                            f"{edge_index.size(1)} edges")
    if batch is not None:
        check_batch(where, batch, n, f"the {n} nodes of 'x'")


def check_edge_index(where: str, edge_index, n: int, nodes: str) -> None:
    """``edge_index`` [2, E] of int64 / int32 node ids in [0, n) (``nodes`` names where n comes from, e.g. "the 4
    nodes of 'x'"): the one edge check of :func:`check_graph` and ``candidate_pairs``."""
    if (not isinstance(edge_index, torch.Tensor) or edge_index.dim() != 2 or edge_index.size(0) != 2
            or edge_index.dtype not in _INDEX_DTYPES):
        # a complex edge_index passed the old dtype test and failed in min() ('"min_all" not implemented')
        raise DataError(f"{where}: expected 'edge_index' of shape [2, E] and integer dtype int64 or int32 "
                        f"(got {_desc(edge_index)})")
    if edge_index.numel():
        lo, hi = int(edge_index.min()), int(edge_index.max())
        if lo < 0 or hi >= n:   # the offending id (both extremes were named, a valid one among them)
            raise DataError(f"{where}: 'edge_index' refers to node {lo if lo < 0 else hi}, outside [0, {n}) "
                            f"({nodes})")


def check_batch(where: str, batch, n: int, nodes: str) -> None:
    """``batch`` [n]: sorted int64 / int32 graph ids >= 0 (the nodes of a graph contiguous): the one batch check of
    :func:`check_graph` and ``candidate_pairs``."""
    if not isinstance(batch, torch.Tensor) or batch.dim() != 1:
        raise DataError(f"{where}: expected 'batch' of shape [{n}], one graph id per node (got {_desc(batch)})")
    # float, bool or negative graph ids failed later in torch.bincount with a bare NotImplementedError /
    # RuntimeError ('"bincount_cpu" not implemented for 'Float'')
    if batch.dtype not in _INDEX_DTYPES:
        raise DataError(f"{where}: 'batch' must hold integer graph ids of dtype int64 or int32 (got {_desc(batch)})")
    if batch.numel() != n:
        raise DataError(f"{where}: 'batch' has {batch.numel()} entries for {nodes} (one graph id per node)")
    if n > 1 and bool((batch[1:] < batch[:-1]).any()):
        raise DataError(f"{where}: 'batch' must be sorted (nodes of a graph contiguous)")
    if n and int(batch[0]) < 0:   # sorted: the first id is the smallest
        raise DataError(f"{where}: 'batch' holds graph id {int(batch[0])}; graph ids must be >= 0")


def check_dense(where: str, x, adj, s=None, mask=None) -> None:
    """x [B, N, F] (or [N, F]), adj [B, N, N], s [B, N, C], mask [B, N] bool."""
    check_float(where, "x", x, (2, 3))
    check_float(where, "adj", adj, (2, 3))
    xb = x if x.dim() == 3 else x.unsqueeze(0)
    ab = adj if adj.dim() == 3 else adj.unsqueeze(0)
    b, n = xb.shape[:2]
    if n == 0:
        raise DataError(f"{where}: empty graph ('x' has 0 nodes)")
    if ab.shape != (b, n, n):
        raise DataError(f"{where}: expected 'adj' of shape [{b}, {n}, {n}] to match 'x' {list(xb.shape)} "
                        f"(got {list(adj.shape)})")
    if s is not None:
        check_float(where, "s", s, (2, 3))
        sb = s if s.dim() == 3 else s.unsqueeze(0)
        if sb.shape[:2] != (b, n) or sb.size(-1) < 1:
            raise DataError(f"{where}: expected 's' of shape [{b}, {n}, C] to match 'x' (got {list(s.shape)})")
    if mask is not None:
        # the shape itself, not only the number of entries: a transposed [N, B] mask was reshaped to [B, N] and
        # masked other nodes, silently; [N] is one graph's mask
        if not isinstance(mask, torch.Tensor) or tuple(mask.shape) not in ((b, n),) + (((n,),) if b == 1 else ()):
            raise DataError(f"{where}: expected 'mask' of shape [{b}, {n}] (got {_desc(mask)})")
        if mask.dtype != torch.bool and not bool(((mask == 0) | (mask == 1)).all()):
            raise DataError(f"{where}: 'mask' must hold 0/1 (True = real node); other values scaled the nodes")


def check_dataset(where: str, data, indices=None) -> None:
    """A graph-classification dataset: every graph a valid graph (finite float x [n >= 1, F], edges in range),
    the same feature width F in every graph, and one integer label y >= 0. Only the graphs ``indices`` (all if
    None) are checked; errors name the graph's index in ``data``."""
    if len(data) == 0:
        raise DataError(f"{where}: the dataset has no graphs")
    indices = range(len(data)) if indices is None else [int(i) for i in indices]
    width, first = None, None
    for i in indices:
        d = data[i]
        x = getattr(d, "x", None)
        check_graph(f"{where}: graph {i}", x, getattr(d, "edge_index", None), getattr(d, "edge_weight", None))
        if width is None:
            width, first = x.size(1), i
        elif x.size(1) != width:
            raise DataError(f"{where}: graph {i} has {x.size(1)} node features but graph {first} has {width} "
                            f"(every graph needs the same feature width)")
        y = getattr(d, "y", None)
        if (not isinstance(y, torch.Tensor) or y.numel() != 1 or y.is_floating_point() or y.dtype == torch.bool
                or int(y) < 0):
            raise DataError(f"{where}: graph {i} needs one integer class label y >= 0 (got {y!r})")


