"""Heterogeneous Deep Graph Infomax (HDGI engine).

Ren, Liu, Huang, Dai, Bo & Zhang, "Heterogeneous Deep Graph Infomax", arXiv:1911.08538, Sec. IV:

- Node-level encoder per meta-path p (HDGI-C): h^p = PReLU(Â_p X W_p + b_p),
  Â_p = D^{-1/2}(A_p + I)D^{-1/2}, separate weights per meta-path.
- Semantic-level attention (as in HAN): w_p = (1/N) sum_i q^T tanh(W_s h_i^p + b_s),
  beta = softmax_p(w_p), H = sum_p beta_p h^p.
- Readout s = sigmoid(mean_i H_i).
- Corruption: X~ = rows of X permuted, the meta-path graphs unchanged; H~ = encoder(X~).
- Discriminator D(h, s) = sigmoid(h^T M s + b) (nn.Bilinear; weight Xavier-uniform, bias 0 as in DGI).
- Loss: binary cross-entropy over N positives and N negatives,
  L = -(1/2N) [sum_i log D(H_i, s) + sum_j log(1 - D(H~_j, s))].

The official dense code adds the identity a second time to the normalised adjacency; we follow its
sparse path (and the paper's equation), which does not.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from paperworks.core.errors import DataError
from paperworks.graphs._checks import _INDEX_DTYPES
from paperworks.graphs.hetero import gcn_normalized

__all__ = ["MetaPathGCN", "SemanticAttention", "HDGIEncoder", "BilinearDiscriminator", "HDGIModel",
           "corrupt_features", "normalized_metapath_adjacencies"]


def normalized_metapath_adjacencies(edge_indices: list[torch.Tensor], num_nodes: int,
                                    dtype: torch.dtype = torch.float32) -> list[torch.Tensor]:
    """D^{-1/2}(A_p + I)D^{-1/2} for every meta-path graph (coalesced sparse [N, N]), computed in ``dtype``
    (e.g. ``torch.float64`` for a float64 model; the model casts an adjacency to its features' dtype anyway)."""
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise DataError(f"HDGI: dtype must be a floating-point torch dtype (got {dtype!r})")
    out = []
    for p, ei in enumerate(edge_indices):
        if not isinstance(ei, torch.Tensor) or ei.is_floating_point() or ei.is_complex() or ei.dtype == torch.bool:
            # (complex ids failed in min() with a bare '"min_all" not implemented for ComplexFloat', a list in
            # "'list' object has no attribute 'is_floating_point'")
            raise DataError(f"HDGI: meta-path edge_index {p} must be a tensor of integer node ids (got "
                            f"{getattr(ei, 'dtype', type(ei).__name__)})")
        if ei.dim() != 2 or ei.size(0) != 2:
            raise DataError(f"HDGI: expected meta-path edge_index {p} of shape [2, E] (got {list(ei.shape)})")
        if ei.numel() and (int(ei.min()) < 0 or int(ei.max()) >= num_nodes):
            raise DataError(f"HDGI: meta-path edge_index {p} has node ids outside [0, {num_nodes})")
        # float32: gcn_normalized's own unit weights (the path every caller took before)
        ones = None if dtype == torch.float32 else torch.ones(ei.size(1), dtype=dtype)
        out.append(gcn_normalized(ei, num_nodes, ones))
    return out


class MetaPathGCN(nn.Module):
    """One GCN layer on a fixed normalised meta-path adjacency: PReLU(Â X W + b)."""

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.fc = nn.Linear(in_dim, out_dim, bias=False)
        nn.init.xavier_uniform_(self.fc.weight)
        self.bias = nn.Parameter(torch.zeros(out_dim))
        self.act = nn.PReLU()

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        h = self.fc(x)
        # the adjacency follows the features' dtype (normalized_metapath_adjacencies builds float32 by default:
        # a float64 model failed with "expected scalar type Float but found Double")
        return self.act(torch.sparse.mm(adj if adj.dtype == h.dtype else adj.to(h.dtype), h) + self.bias)


class SemanticAttention(nn.Module):
    """beta = softmax_p( mean_i q^T tanh(W h_i^p + b) ); returns (sum_p beta_p h^p, beta).

    W, b and q start Xavier-uniform with gain 1.414 (b and q as [1, hidden] rows), as in the official
    SemanticAttentionLayer.
    """

    def __init__(self, dim: int, hidden: int = 16):
        super().__init__()
        self.proj = nn.Linear(dim, hidden)
        self.q = nn.Linear(hidden, 1, bias=False)
        with torch.no_grad():
            nn.init.xavier_uniform_(self.proj.weight, gain=1.414)
            nn.init.xavier_uniform_(self.proj.bias.view(1, hidden), gain=1.414)
            nn.init.xavier_uniform_(self.q.weight, gain=1.414)

    def forward(self, hs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # hs: [P, N, d]
        w = self.q(torch.tanh(self.proj(hs))).squeeze(-1).mean(dim=1)   # [P]
        beta = torch.softmax(w, dim=0)
        return torch.einsum("p,pnd->nd", beta, hs), beta


class HDGIEncoder(nn.Module):
    """Meta-path GCNs (one per meta-path) fused by semantic attention."""

    def __init__(self, in_dim: int, dim: int, num_metapaths: int, att_hidden: int = 16):
        super().__init__()
        if num_metapaths < 1:
            raise ValueError("HDGIEncoder: need at least one meta-path")
        self.gcns = nn.ModuleList([MetaPathGCN(in_dim, dim) for _ in range(num_metapaths)])
        self.attention = SemanticAttention(dim, att_hidden)

    def forward(self, x: torch.Tensor, adjs: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        if len(adjs) != len(self.gcns):
            raise DataError(f"HDGIEncoder: built for {len(self.gcns)} meta-paths, got {len(adjs)}")
        # features of another width, or an adjacency of another size, failed inside torch (mat1 and mat2 shapes
        # cannot be multiplied / addmm: Expected dim 0 size 6, got 5), naming neither
        in_dim = self.gcns[0].fc.in_features
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.size(1) != in_dim:
            raise DataError(f"HDGIEncoder: expected node features x of shape [N, {in_dim}] (got "
                            f"{list(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__})")
        # float64 (or integer) features on the float32 model failed inside torch's linear layer with 'expected m1
        # and m2 to have the same dtype' (the adjacencies follow x's dtype; the features cannot follow the model's);
        # under autocast torch casts the operands itself (bfloat16 features ran), so no check there
        wdt = self.gcns[0].fc.weight.dtype
        if x.dtype != wdt and not torch.is_autocast_enabled(x.device.type):
            raise DataError(f"HDGIEncoder: the model is {wdt} but x is {x.dtype}; pass x.to({wdt}) (or convert the "
                            f"model, e.g. model.double())")
        for p, a in enumerate(adjs):
            if not isinstance(a, torch.Tensor) or tuple(a.shape) != (x.size(0), x.size(0)):
                raise DataError(f"HDGIEncoder: meta-path adjacency {p} has shape "
                                f"{list(a.shape) if isinstance(a, torch.Tensor) else type(a).__name__}, expected "
                                f"[{x.size(0)}, {x.size(0)}] (one row and column per node of x)")
        hs = torch.stack([g(x, a) for g, a in zip(self.gcns, adjs)])
        return self.attention(hs)


class BilinearDiscriminator(nn.Module):
    """Logits h_i^T M s + b for every row of h (DGI's discriminator)."""

    def __init__(self, dim: int):
        super().__init__()
        self.bilinear = nn.Bilinear(dim, dim, 1)
        nn.init.xavier_uniform_(self.bilinear.weight)
        nn.init.zeros_(self.bilinear.bias)

    def forward(self, h: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        # same as self.bilinear(h, s.expand_as(h)), without torch's trilinear kernel, whose backward on
        # an expanded summary costs seconds per step at d = 512
        return h @ (self.bilinear.weight[0] @ s) + self.bilinear.bias


def corrupt_features(x: torch.Tensor, generator: torch.Generator | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Row-shuffled features (DGI / HDGI corruption) and the permutation used (drawn from ``generator``, or
    from torch's global RNG when None)."""
    perm = torch.randperm(x.size(0), generator=generator)
    return x[perm], perm


class HDGIModel(nn.Module):
    """Encoder + readout + discriminator; ``loss`` is the BCE mutual-information objective."""

    def __init__(self, in_dim: int, dim: int, num_metapaths: int, att_hidden: int = 16):
        super().__init__()
        self.encoder = HDGIEncoder(in_dim, dim, num_metapaths, att_hidden)
        self.discriminator = BilinearDiscriminator(dim)

    @staticmethod
    def readout(h: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(h.mean(dim=0))

    def forward(self, x: torch.Tensor, adjs: list[torch.Tensor], perm: torch.Tensor):
        """(positive logits [N], negative logits [N], summary [d], beta [P]) for corruption ``perm``."""
        n = x.size(0)
        # a bool mask passed as perm selected rows instead of permuting them: all True gave negatives equal to the
        # positives (no corruption, loss ~ log 2 whatever the model), silently; a uint8 perm was read as such a
        # mask too (n - 1 rows, then an adjacency-shape error naming the encoder), int16 / int8 a bare IndexError:
        # the index dtypes of the graph checks (int64 / int32) only
        if (not isinstance(perm, torch.Tensor) or perm.dim() != 1 or perm.numel() != n
                or perm.dtype not in _INDEX_DTYPES or (n and (int(perm.min()) < 0 or int(perm.max()) >= n))):
            got = (f"{perm.dtype} of shape {list(perm.shape)}" if isinstance(perm, torch.Tensor)
                   else type(perm).__name__)
            raise DataError(f"HDGIModel: perm must be {n} row indices in [0, {n}) of dtype int64 or int32 (one per "
                            f"node, e.g. from corrupt_features; got {got})")
        h, beta = self.encoder(x, adjs)
        h_neg, _ = self.encoder(x[perm], adjs)
        s = self.readout(h)
        return self.discriminator(h, s), self.discriminator(h_neg, s), s, beta

    @staticmethod
    def loss(pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        logits = torch.cat([pos, neg])
        labels = torch.cat([torch.ones_like(pos), torch.zeros_like(neg)])
        return F.binary_cross_entropy_with_logits(logits, labels)

    @torch.no_grad()
    def embed(self, x: torch.Tensor, adjs: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encoder(x, adjs)
