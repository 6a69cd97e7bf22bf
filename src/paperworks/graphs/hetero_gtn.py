"""Graph Transformer layers: soft edge-type selection and learned meta-path graphs (GTN engine).

Yun et al., "Graph Transformer Networks", NeurIPS 2019, Sec. 3:

- GT convolution (Eq. 1): Q = sum_k softmax(W)_k A_k over the K edge types plus the identity I, one
  independent softmax per channel (a 1x1 convolution over the type axis, W in R^{C x K}).
- GT layer 1 multiplies two selections, A^(1) = Q_1 Q_2; layer l >= 2 multiplies once more,
  A^(l) = A^(l-1) Q_l (Eq. 2-4). After L layers each channel is a weighted sum of all length-(L+1)
  edge-type sequences, the weight of a sequence being the product of its alphas; thanks to I, shorter
  meta-paths are included.
- Between layers each channel is normalised (official code: diagonal removed, every edge weight divided
  by the weighted in-degree of its destination node, :func:`normalize_columns`).
- GCN on each learned graph with weights shared across channels (Eq. 5): Z_c = ReLU(D~^{-1} Ã_c^T X W)
  with Ã_c = A_c with its diagonal set to 1 (official ``norm(H, add=True)``); Z = ||_c Z_c, then
  the official classifier Linear(C h, h) - ReLU - Linear(h, classes).

Sparse (default) and dense execution give the same numbers (tested); the sparse path uses
``torch.sparse.mm`` on COO tensors, which back-propagates into the selection weights.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import torch
from torch import nn
import torch.nn.functional as F

from paperworks.core.errors import ConfigError, DataError
from paperworks.graphs.hetero import (AdjacencyStack, SpMat, drop_diagonal, normalize_columns,
                                      restrict_columns, set_diagonal, spmm, sparse_propagate,
                                      type_abbreviations)

__all__ = ["GTConv", "GTLayer", "GTNModel", "rank_metapaths"]


class GTConv(nn.Module):
    """Soft selection of edge types: C channels, each Q_c = sum_k softmax(W_c)_k A_k (Eq. 1).

    Weights start at N(0, 0.01) (official sparse model), i.e. an almost uniform softmax.
    """

    def __init__(self, num_relations: int, channels: int, init_std: float = 0.01):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(channels, num_relations))
        nn.init.normal_(self.weight, std=init_std)

    @property
    def alpha(self) -> torch.Tensor:
        """[C, K] selection weights (rows sum to 1)."""
        return torch.softmax(self.weight, dim=1)

    def forward(self, stack: AdjacencyStack, dense: bool = False) -> list[torch.Tensor]:
        if stack.num_relations != self.weight.size(1):
            raise DataError(f"GTConv: built for {self.weight.size(1)} edge types, got a stack of "
                            f"{stack.num_relations}")
        alpha = self.alpha.to(stack.values.dtype)
        if dense:
            d = stack.dense()
            return [torch.einsum("k,kij->ij", alpha[c], d) for c in range(alpha.size(0))]
        return [stack.select(alpha[c]) for c in range(alpha.size(0))]


class GTLayer(nn.Module):
    """One Graph Transformer layer; the first owns two GTConvs (Q_1 Q_2), later ones one."""

    def __init__(self, num_relations: int, channels: int, first: bool):
        super().__init__()
        self.first = first
        self.conv1 = GTConv(num_relations, channels)
        self.conv2 = GTConv(num_relations, channels) if first else None

    def forward(self, stack: AdjacencyStack, h: list[torch.Tensor] | None = None,
                dense: bool = False, columns: torch.Tensor | None = None) -> list[torch.Tensor]:
        """Meta-path graphs of this layer; ``columns`` keeps only those destination nodes (exact: the
        last factor's columns are selected before the product)."""
        # GTConv.forward checks this too, but the first layer's product basis below never calls it: a model built
        # for more edge types than the stack holds ran silently (the softmax over its K types indexed by the
        # stack's type pairs), one built for fewer failed with a bare IndexError
        if stack.num_relations != self.conv1.weight.size(1):
            raise DataError(f"GTN: the model was built for num_relations={self.conv1.weight.size(1)} edge types "
                            f"but the stack holds {stack.num_relations} "
                            f"({', '.join(stack.names)})")
        if self.first and not dense:
            basis = stack.pair_basis(columns)
            if basis is not None:
                pairs, idx, vals, shape = basis
                a1, a2 = self.conv1.alpha, self.conv2.alpha
                w = a1[:, pairs[:, 0]] * a2[:, pairs[:, 1]]          # [C, P]
                v = w.to(vals.dtype) @ vals                          # [C, U]
                return [SpMat(idx, v[c], shape) for c in range(v.size(0))]
        last = self.conv2 if self.first else self.conv1
        q_last = last(stack, dense)
        if columns is not None:
            q_last = [restrict_columns(q, columns) for q in q_last]
        if self.first:
            q1 = self.conv1(stack, dense)
            return [spmm(a, b) for a, b in zip(q1, q_last)]
        if h is None:
            raise ValueError("GTLayer: a non-first layer needs the previous meta-path graphs")
        return [spmm(a, b) for a, b in zip(h, q_last)]

    def alphas(self) -> list[torch.Tensor]:
        return [self.conv1.alpha] + ([self.conv2.alpha] if self.first else [])


class GTNModel(nn.Module):
    """Graph Transformer Network for node classification (Sec. 3.3).

    Args:
        num_relations: K + 1 (edge types plus the identity) of the stacks it will receive.
        in_dim: node feature width (all node types share it, as in the paper's data).
        hidden: GCN / classifier width (paper: 64). channels: C (paper: 2).
        num_layers: L GT layers, learning meta-paths of length up to L + 1 (paper: 2 for ACM, 3 else).
        normalize_last: also normalise the last layer's graphs (diagonal dropped, columns divided by the
            weighted in-degree) before the GCN, i.e. normalised after every layer as in the official sparse
            script kept under ``prev_GTN/model_sparse.py``. Default False: normalised only
            between layers, as the official dense ``model.py`` (used for ACM / DBLP); the two differ
            already for L = 1 (the GCN's self-loop then weighs 1/2 against the averaged neighbours instead
            of 1 against their raw weights).
    """

    def __init__(self, num_relations: int, in_dim: int, hidden: int, num_classes: int,
                 channels: int = 2, num_layers: int = 2, normalize_last: bool = False):
        super().__init__()
        if num_layers < 1 or channels < 1:
            raise ValueError(f"GTNModel: num_layers and channels must be >= 1 (got {num_layers}, {channels})")
        self.channels = channels
        self.normalize_last = bool(normalize_last)
        self.layers = nn.ModuleList([GTLayer(num_relations, channels, first=(i == 0))
                                     for i in range(num_layers)])
        self.gcn_weight = nn.Parameter(torch.empty(in_dim, hidden))
        nn.init.xavier_uniform_(self.gcn_weight)
        self.linear1 = nn.Linear(channels * hidden, hidden)
        self.linear2 = nn.Linear(hidden, num_classes)

    def metapath_graphs(self, stack: AdjacencyStack, dense: bool = False,
                        columns: torch.Tensor | None = None) -> list[torch.Tensor]:
        """The C learned graphs A^(L) before the GCN's self-loop normalisation ([N, N], or [N, M]
        restricted to the destination nodes ``columns``); normalised too when ``normalize_last``."""
        h = None
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            if i > 0:
                h = [normalize_columns(drop_diagonal(a)) for a in h]
            h = layer(stack, h, dense, columns if i == last else None)
        if self.normalize_last:
            h = [normalize_columns(drop_diagonal(a, rows=columns)) for a in h]
        return h

    def embed(self, x: torch.Tensor, stack: AdjacencyStack, dense: bool = False,
              target_index: torch.Tensor | None = None) -> torch.Tensor:
        """Z = ||_c ReLU(GCN(X, A_c)), [N, C * hidden] (or the rows ``target_index`` only: the GCN
        normalises per destination node, so computing only the needed columns is exact)."""
        if x.dim() != 2 or x.size(0) != stack.num_nodes or x.size(1) != self.gcn_weight.size(0):
            raise DataError(f"GTNModel: expected x of shape [{stack.num_nodes}, {self.gcn_weight.size(0)}] "
                            f"(got {list(x.shape)})")
        # float64 features (or a float64 stack) on the float32 model, or the reverse, failed inside torch with
        # 'expected m1 and m2 to have the same dtype' / 'expected scalar type Float but found Double'; under autocast
        # torch casts the operands itself (bfloat16 features ran, dense=True), so no check there
        wdt = self.gcn_weight.dtype
        if (x.dtype != wdt or stack.values.dtype != wdt) and not torch.is_autocast_enabled(x.device.type):
            raise DataError(f"GTNModel: the model is {wdt} but x is {x.dtype} and the stack {stack.values.dtype}; "
                            f"pass x.to({wdt}) and stack.to({wdt}) (or convert the model, e.g. model.double())")
        if not bool(torch.isfinite(x).all()):
            raise DataError("GTNModel: node features x contain NaN or inf")
        cols = None
        if target_index is not None:
            cols = torch.as_tensor(target_index)
            if cols.dim() > 1 or cols.numel() == 0 or cols.is_floating_point() or cols.dtype == torch.bool:
                raise DataError(f"GTNModel: target_index must be a non-empty 1-D tensor of integer node indices "
                                f"(got {cols.dtype} of shape {list(cols.shape)})")
            cols = cols.long().reshape(-1)
            if int(cols.min()) < 0 or int(cols.max()) >= stack.num_nodes:
                raise DataError(f"GTNModel: target_index must lie in [0, {stack.num_nodes}) "
                                f"(got [{int(cols.min())}, {int(cols.max())}])")
            if cols.numel() > 1 and not bool((cols[1:] > cols[:-1]).all()):
                raise DataError("GTNModel: target_index must be strictly increasing node indices")
        xw = x @ self.gcn_weight
        zs = []
        for a in self.metapath_graphs(stack, dense, cols):
            a = normalize_columns(set_diagonal(a, 1.0, rows=cols))
            zs.append(F.relu(sparse_propagate(a, xw)))
        return torch.cat(zs, dim=1)

    def forward(self, x: torch.Tensor, stack: AdjacencyStack, target_index: torch.Tensor | None = None,
                dense: bool = False) -> torch.Tensor:
        """Class logits of the nodes ``target_index`` (all nodes when None)."""
        return self.linear2(F.relu(self.linear1(self.embed(x, stack, dense, target_index))))

    def alphas(self) -> list[torch.Tensor]:
        """Selection weights per GTConv in path order: [layer1.conv1, layer1.conv2, layer2, ...], each [C, K]."""
        out = []
        for layer in self.layers:
            out += layer.alphas()
        return [a.detach() for a in out]


def rank_metapaths(alphas: list[torch.Tensor], stack: AdjacencyStack, *, source: str | None = None,
                   target: str | None = None, top_k: int = 5) -> list[dict]:
    """Meta-paths ranked by learned weight (GTN Sec. 4.3, Table 3).

    Each edge-type sequence (one type per GTConv, in path order) gets the product of its alphas in a
    channel; identity steps are dropped, sequences whose node types do not chain are discarded, and
    sequences collapsing to the same meta-path add up. Only meta-paths from ``source`` to ``target``
    node types are kept when given. Returns dicts {name, edge_types, score, channel}, best first; the
    score of a meta-path is its largest total weight over channels. A meta-path whose weight is zero in
    every channel (a step with alpha = 0, e.g. one-hot selections) is in no learned graph and is not listed,
    so fewer than ``top_k`` (possibly no) meta-paths come back. The weights must be finite and >= 0.
    """
    ets = stack.edge_types
    node_types = list(stack.offsets)
    if isinstance(top_k, bool) or int(top_k) != top_k or top_k < 1:
        raise ConfigError(f"rank_metapaths: top_k must be an integer >= 1 (got {top_k!r})")
    for name, nt in (("source", source), ("target", target)):
        if nt is not None and nt not in node_types:
            raise DataError(f"rank_metapaths: {name} {nt!r} is not a node type of the stack ({', '.join(node_types)})")
    if not alphas:
        raise DataError("rank_metapaths: no selection weights given (expected one [C, K] tensor per GTConv)")
    for i, a in enumerate(alphas):
        if a.dim() != 2 or a.shape != alphas[0].shape or a.size(1) != stack.num_relations:
            raise DataError(f"rank_metapaths: selection weights {i} have shape {list(a.shape)}, expected "
                            f"[{alphas[0].size(0)}, {stack.num_relations}] (channels x edge types of the stack)")
        if not bool(torch.isfinite(a).all()) or bool((a < 0).any()):
            raise DataError(f"rank_metapaths: selection weights {i} must be finite and >= 0 (softmax outputs), "
                            f"got a NaN, inf or negative entry")
    abbrev = type_abbreviations(node_types)
    c_count, k_count = alphas[0].shape
    best: dict[tuple, tuple[float, int]] = {}
    for c in range(c_count):
        totals: dict[tuple, float] = defaultdict(float)
        for seq in itertools.product(range(k_count), repeat=len(alphas)):
            steps = [ets[k] for k in seq if ets[k] is not None]
            if not steps:
                continue
            if any(a[2] != b[0] for a, b in zip(steps[:-1], steps[1:])):
                continue
            if source is not None and steps[0][0] != source:
                continue
            if target is not None and steps[-1][2] != target:
                continue
            w = math.prod(float(alphas[i][c, k]) for i, k in enumerate(seq))
            totals[tuple(steps)] += w
        for path, w in totals.items():
            if path not in best or w > best[path][0]:
                best[path] = (w, c)
    ranked = sorted(((p, wc) for p, wc in best.items() if wc[0] > 0), key=lambda kv: -kv[1][0])[:top_k]
    out = []
    for path, (w, c) in ranked:
        name = "-".join([abbrev[path[0][0]]] + [abbrev[et[2]] for et in path])
        out.append({"name": name, "edge_types": [list(et) for et in path], "score": w, "channel": c})
    return out
