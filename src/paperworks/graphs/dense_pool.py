"""Differentiable pooling on dense batched graphs (Ying et al., NeurIPS 2018, arXiv:1806.08804).

``dense_diff_pool`` has the semantics and return values of ``torch_geometric.nn.dense_diff_pool``;
:class:`DiffPoolNet` is the paper's graph classifier built on it (Sec. 3.1-3.3, 4.1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import DenseSAGEConv
from torch_geometric.utils import to_dense_adj, to_dense_batch

from paperworks.core.config import is_int
from paperworks.core.errors import ConfigError, DataError
from paperworks.graphs._checks import check_dense, check_graph

__all__ = ["dense_diff_pool", "link_loss_frobenius", "link_loss_bce", "assignment_entropy",
           "MaskedBatchNorm", "PlainDenseConv", "DenseGNN", "OfficialAssignGNN", "DiffPoolNet", "FlatDenseSAGE",
           "to_dense", "paper_ratio"]

_EPS = 1e-15


def dense_diff_pool(x: Tensor, adj: Tensor, s: Tensor, mask: Tensor | None = None, normalize: bool = True):
    """One DiffPool coarsening step (paper Eq. 3-4) with PyG's conventions.

    S = softmax(s) row-wise (``s`` are logits); X' = S^T X ; A' = S^T A S.
    link_loss = ||A - S S^T||_F over the whole batch (divided by adj.numel() when ``normalize``);
    ent_loss = mean over all B*N rows of H(S_i) = -sum_j S_ij log S_ij (padded rows count as 0).

    Shapes: x [B, N, F] or [N, F]; adj [B, N, N]; s [B, N, C]; mask [B, N] (True = real node).
    Returns (x' [B, C, F], adj' [B, C, C], link_loss scalar, ent_loss scalar).
    """
    check_dense("dense_diff_pool", x, adj, s, mask)
    return _dense_diff_pool(x, adj, s, mask, normalize)


def _dense_diff_pool(x: Tensor, adj: Tensor, s: Tensor, mask: Tensor | None = None, normalize: bool = True):
    x = x if x.dim() == 3 else x.unsqueeze(0)
    adj = adj if adj.dim() == 3 else adj.unsqueeze(0)
    s = s if s.dim() == 3 else s.unsqueeze(0)
    b, n, _ = x.shape
    s = s.softmax(dim=-1)
    if mask is not None:
        m = mask.reshape(b, n, 1).to(x.dtype)
        x, s = x * m, s * m
    st = s.transpose(1, 2)
    out = st @ x
    out_adj = st @ adj @ s
    link = torch.linalg.vector_norm(adj - s @ st)
    if normalize:
        link = link / adj.numel()
    ent = -(s * (s + _EPS).log()).sum(-1).mean()
    return out, out_adj, link, ent


def _pyg_dense_diff_pool(*args):
    from torch_geometric.nn import dense_diff_pool as pyg

    return pyg(*args)


def link_loss_frobenius(adj: Tensor, s: Tensor, mask: Tensor | None = None) -> Tensor:
    """Paper's L_LP = ||A - S S^T||_F per graph (S are probabilities), averaged over the batch."""
    if mask is not None:
        s = s * mask.unsqueeze(-1).to(s.dtype)
    return torch.linalg.matrix_norm(adj - s @ s.transpose(1, 2)).mean()


def link_loss_bce(adj: Tensor, s: Tensor, mask: Tensor | None = None) -> Tensor:
    """Official-code link loss: BCE between min(S S^T, 1) and A over valid node pairs."""
    p = (s @ s.transpose(1, 2)).clamp(max=1.0)
    a = (adj > 0).to(s.dtype)
    bce = -a * torch.log(p + 1e-7) - (1 - a) * torch.log(1 - p + 1e-7)
    if mask is None:
        return bce.mean()
    m = mask.to(s.dtype)
    pair = m.unsqueeze(2) * m.unsqueeze(1)
    return (bce * pair).sum() / pair.sum().clamp(min=1.0)


def assignment_entropy(s: Tensor, mask: Tensor | None = None) -> Tensor:
    """Paper's L_E = (1/n) sum_i H(S_i) per graph, n = that graph's real nodes (S are probabilities), averaged
    over the batch's graphs as the link term is (s [B, N, C] or one graph's [N, C]; mask [B, N] / [N]).

    Sec. 3.3 of the paper defines L_E for one graph; the mean over all real nodes of a padded batch (before
    2026-11-28) weighted each graph by its size. A graph without real nodes has no L_E and is left out."""
    h = -(s * (s + _EPS).log()).sum(-1)
    if mask is None:
        return h.mean()
    m = mask.to(s.dtype).reshape(h.shape)
    n = m.sum(-1)
    per_graph = (h * m).sum(-1) / n.clamp(min=1.0)
    real = n > 0
    return per_graph[real].mean() if bool(real.any()) else per_graph.sum() * 0.0


def _bool_mask(mask: Tensor | None) -> Tensor | None:
    """A node mask as bool (a 0/1 integer or float mask indexed rows by position in x[mask])."""
    return mask if mask is None or mask.dtype == torch.bool else mask != 0


def _node_mask(where: str, x: Tensor, mask: Tensor | None) -> Tensor | None:
    """The node mask of a dense model's forward as bool [B, N]: a flat [B * N] one (one graph's [N] mask, which
    dense_diff_pool takes; the dense convs view any such mask as [B, N, 1], so DenseGNN without batch norm took it)
    and a [B, N, 1] one are viewed as [B, N]; any other shape is one DataError (an [N] or [N, 1] mask was torch's
    IndexError inside the batch norm, naming neither the model nor the mask)."""
    if mask is None or not isinstance(x, Tensor) or x.dim() not in (2, 3):
        return _bool_mask(mask)
    b, n = (1, x.size(0)) if x.dim() == 2 else tuple(x.shape[:2])
    if not isinstance(mask, Tensor) or tuple(mask.shape) not in ((b, n), (b, n, 1), (b * n,)):
        shown = list(mask.shape) if isinstance(mask, Tensor) else type(mask).__name__
        raise DataError(f"{where}: expected 'mask' of shape [{b}, {n}] to match 'x' {list(x.shape)} (got {shown})")
    return _bool_mask(mask.reshape(b, n) if mask.dim() != 2 else mask)


class MaskedBatchNorm(nn.BatchNorm1d):
    """BatchNorm over the real nodes of a padded [B, N, F] tensor (padding stays 0).

    A training batch with a single real row (one single-node graph, or one graph pooled to one cluster) has
    no batch variance; that row is normalised with the running statistics, as in evaluation (PyG's
    ``BatchNorm(allow_single_element=True)`` rule), and the running statistics are left unchanged."""

    def _norm(self, rows: Tensor) -> Tensor:
        if self.training and rows.size(0) < 2:
            return F.batch_norm(rows, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0,
                                self.eps)
        return super().forward(rows)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:  # type: ignore[override]
        if mask is None:
            return self._norm(x.reshape(-1, x.size(-1))).reshape(x.shape)
        mask = _bool_mask(mask)
        out = torch.zeros_like(x)
        out[mask] = self._norm(x[mask])
        return out


class PlainDenseConv(nn.Module):
    """Official-code graph convolution: Z = A X W + b (no degree normalisation), optional L2 norm."""

    def __init__(self, in_channels: int, out_channels: int, normalize: bool = False):
        super().__init__()
        self.lin = nn.Linear(in_channels, out_channels)
        self.normalize = normalize

    def forward(self, x: Tensor, adj: Tensor, mask: Tensor | None = None) -> Tensor:
        out = self.lin(adj @ x)
        if self.normalize:
            out = F.normalize(out, p=2, dim=-1)
        if mask is not None:
            out = out * mask.unsqueeze(-1).to(out.dtype)
        return out


class DenseGNN(nn.Module):
    """``layers`` dense convs; ReLU + (masked) batch norm after every conv but the last (paper Sec. 4.1).

    conv="sage": GraphSAGE-mean with L2-normalised outputs (paper); conv="plain": A X W + b followed by L2
    normalisation (official GraphConv with normalize_embedding=True, as every official encoder builds it).
    ``normalize_last`` is False for the paper's assignment GNN so that the cluster logits are not squashed.
    ``concat``: return the concatenation of every layer's output (official code) instead of the last.
    """

    def __init__(self, in_channels: int, hidden: int, out_channels: int, layers: int = 3, conv: str = "sage",
                 batch_norm: bool = True, normalize_last: bool = True, concat: bool = False):
        super().__init__()
        # layers=0 built no conv at all, and forward returned its input unchanged; any conv name but "sage"
        # silently built the plain A X W + b conv
        if not is_int(layers, 1):   # numpy integers pass, bools and floats do not
            raise ConfigError(f"DenseGNN: 'layers' must be an integer >= 1 (got {layers!r})")
        if conv not in ("sage", "plain"):
            raise ConfigError(f"DenseGNN: 'conv' must be one of sage, plain (got {conv!r})")
        dims = [in_channels] + [hidden] * (layers - 1) + [out_channels]
        self.convs = nn.ModuleList()
        for i in range(layers):
            norm = normalize_last if i == layers - 1 else True
            if conv == "sage":
                self.convs.append(DenseSAGEConv(dims[i], dims[i + 1], normalize=norm))
            else:
                self.convs.append(PlainDenseConv(dims[i], dims[i + 1], normalize=norm))
        self.bns = nn.ModuleList([MaskedBatchNorm(hidden) for _ in range(layers - 1)]) if batch_norm else None
        self.concat = concat
        self.out_channels = hidden * (layers - 1) + out_channels if concat else out_channels

    def forward(self, x: Tensor, adj: Tensor, mask: Tensor | None = None) -> Tensor:
        mask = _node_mask("DenseGNN", x, mask)
        outs = []
        for i, conv in enumerate(self.convs):
            x = conv(x, adj, mask)
            if i < len(self.convs) - 1:
                x = F.relu(x)
                if self.bns is not None:
                    x = self.bns[i](x, mask)
            outs.append(x)
        return torch.cat(outs, dim=-1) if self.concat else x


def to_dense(data, max_nodes: int | None = None):
    """PyG batch -> (x [B, N, F], adj [B, N, N], mask [B, N]) padded to ``max_nodes``; ``adj`` holds the
    batch's ``edge_weight`` when it has one (duplicate edges summed, as PyG's ``to_dense_adj``), else 1s."""
    ew = getattr(data, "edge_weight", None)
    check_graph("to_dense", data.x, data.edge_index, ew, data.batch)
    batch = data.batch if data.batch is not None else data.x.new_zeros(data.x.size(0), dtype=torch.long)
    if max_nodes is not None:
        counts = torch.bincount(batch)
        if int(counts.max()) > max_nodes:
            raise DataError(f"to_dense: a graph has {int(counts.max())} nodes but the model was built for "
                            f"at most max_nodes={max_nodes}")
    x, mask = to_dense_batch(data.x, batch, max_num_nodes=max_nodes)
    adj = to_dense_adj(data.edge_index, batch, edge_attr=ew, max_num_nodes=x.size(1),
                       batch_size=x.size(0)).to(x.dtype)
    return x, adj, mask


def _dense_input(data, max_nodes: int, in_channels: int, where: str):
    """:func:`to_dense` of a PyG batch for a dense model built for ``in_channels`` features (checked)."""
    x, adj, mask = to_dense(data, max_nodes)
    if x.size(-1) != in_channels:
        raise DataError(f"{where}: 'x' has {x.size(-1)} features but the model was built for "
                        f"in_channels={in_channels}")
    return x, adj, mask


class OfficialAssignGNN(nn.Module):
    """Official-code assignment network: ``layers`` L2-normalised A X W + b convs (ReLU + batch norm between),
    their outputs concatenated, then a linear layer to the C cluster logits (``assign_pred``)."""

    def __init__(self, in_channels: int, hidden: int, clusters: int, layers: int = 3):
        super().__init__()
        self.gnn = DenseGNN(in_channels, hidden, clusters, layers, "plain", concat=True)
        self.lin = nn.Linear(self.gnn.out_channels, clusters)

    def forward(self, x: Tensor, adj: Tensor, mask: Tensor | None = None) -> Tensor:
        return self.lin(self.gnn(x, adj, mask))


def paper_ratio(levels: int) -> float:
    """Paper Sec. 4.1: clusters = 10 % of the nodes before pooling with one DiffPool level, 25 % with two."""
    return 0.1 if levels == 1 else 0.25


class DiffPoolNet(nn.Module):
    """DiffPool graph classifier (paper Sec. 3.2 and 4.1).

    Per level l: Z = GNN_embed(A, X), S = softmax(GNN_pool(A, X)), X' = S^T Z, A' = S^T A S, with
    C_l = max(1, int(ratio * n_{l-1})) clusters (n_0 = ``max_nodes``, as in the official code); ``ratio=None``
    takes the paper's default for the number of levels (:func:`paper_ratio`: 0.1 for one, 0.25 for two).
    After the last level a GNN of ``layers`` convs runs on the coarsest graph.

    variant="paper" (default): GraphSAGE-mean convs with L2-normalised embeddings and batch norm, readout
    = sum over the final clusters (the paper's n_L = 1 all-ones assignment), MLP; aux loss
    = link_weight * ||A - S S^T||_F + entropy_weight * H(S) at every level.
    variant="official": plain A X W + b convs (L2-normalised outputs) whose layer outputs are concatenated;
    the assignment logits are a linear map of the assignment GNN's concatenated layer outputs (official
    ``assign_pred``); readout = max over
    nodes of every level's embeddings, concatenated; aux loss = BCE link loss on the last assignment only,
    no entropy term (RexYing/diffpool train.py / encoders.py).

    forward(data) -> (logits [B, classes], aux_loss scalar). ``self.assignments`` keeps the last S's.
    """

    def __init__(self, in_channels: int, num_classes: int, max_nodes: int, hidden: int = 64, levels: int = 1,
                 ratio: float | None = None, layers: int = 3, variant: str = "paper", link_weight: float = 1.0,
                 entropy_weight: float = 1.0, mlp_hidden: int = 50, dropout: float = 0.0,
                 pool_impl: str = "ours"):
        super().__init__()
        if pool_impl not in ("ours", "pyg"):
            raise ConfigError(f"DiffPoolNet: 'pool_impl' must be one of ours, pyg (got {pool_impl!r})")
        self.pool_impl = pool_impl
        if variant not in ("paper", "official"):
            raise ConfigError(f"DiffPoolNet: 'variant' must be one of paper, official (got {variant!r})")
        ratio = paper_ratio(levels) if ratio is None else ratio
        if levels < 1 or layers < 1 or not (0.0 < ratio < 1.0) or max_nodes < 1:
            raise ConfigError(f"DiffPoolNet: need levels >= 1, layers >= 1, 0 < ratio < 1, max_nodes >= 1 "
                              f"(got levels={levels}, layers={layers}, ratio={ratio}, max_nodes={max_nodes})")
        self.variant, self.max_nodes, self.in_channels, self.ratio = variant, max_nodes, in_channels, ratio
        self.link_weight, self.entropy_weight, self.dropout = link_weight, entropy_weight, dropout
        conv = "sage" if variant == "paper" else "plain"
        concat = variant == "official"
        self.clusters: list[int] = []
        n = max_nodes
        for _ in range(levels):
            n = max(1, int(ratio * n))
            self.clusters.append(n)
        self.embed, self.pool = nn.ModuleList(), nn.ModuleList()
        d_in, readout_dim = in_channels, 0
        for c in self.clusters:
            e = DenseGNN(d_in, hidden, hidden, layers, conv, concat=concat)
            self.embed.append(e)
            if variant == "paper":
                self.pool.append(DenseGNN(d_in, hidden, c, layers, conv, normalize_last=False, concat=False))
            else:  # official: normalised convs, concatenated, then a linear layer to the C logits
                self.pool.append(OfficialAssignGNN(d_in, hidden, c, layers))
            readout_dim += e.out_channels
            d_in = e.out_channels
        self.final = DenseGNN(d_in, hidden, hidden, layers, conv, concat=concat)
        readout_dim = readout_dim + self.final.out_channels if concat else self.final.out_channels
        self.mlp = nn.Sequential(nn.Linear(readout_dim, mlp_hidden), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(mlp_hidden, num_classes))
        self.assignments: list[Tensor] = []

    def forward(self, data):
        return self.forward_dense(*_dense_input(data, self.max_nodes, self.in_channels, "DiffPoolNet"))

    def forward_dense(self, x: Tensor, adj: Tensor, mask: Tensor | None = None):
        mask = _node_mask("DiffPoolNet", x, mask)
        aux = x.new_zeros(())
        readouts, self.assignments = [], []
        for li, (emb, pool) in enumerate(zip(self.embed, self.pool)):
            m = mask if li == 0 else None
            z = emb(x, adj, m)
            logits = pool(x, adj, m)
            s = logits.softmax(-1)
            if m is not None:
                s = s * m.unsqueeze(-1).to(s.dtype)
            self.assignments.append(s.detach())
            if self.variant == "paper":
                aux = aux + self.link_weight * link_loss_frobenius(adj, s, m)
                aux = aux + self.entropy_weight * assignment_entropy(s, m)
            elif li == len(self.embed) - 1:
                aux = aux + self.link_weight * link_loss_bce(adj, s, m)
            if self.variant == "official":
                zr = z.masked_fill(~m.unsqueeze(-1), -1e9) if m is not None else z
                readouts.append(zr.max(dim=1).values)
            # X' = S^T Z, A' = S^T A S (Eq. 3-4); ``pool_impl="pyg"`` runs PyG's function (benchmark peer)
            fn = _dense_diff_pool if self.pool_impl == "ours" else _pyg_dense_diff_pool
            x, adj, _, _ = fn(z, adj, logits, m)
        z = self.final(x, adj, None)
        if self.variant == "paper":
            g = z.sum(dim=1)
        else:
            readouts.append(z.max(dim=1).values)
            g = torch.cat(readouts, dim=-1)
        return self.mlp(g), aux


class FlatDenseSAGE(nn.Module):
    """Flat baseline of equal depth: the same SAGE convs (2 * layers) and a global sum or mean readout."""

    def __init__(self, in_channels: int, num_classes: int, max_nodes: int, hidden: int = 64, layers: int = 6,
                 readout: str = "sum", mlp_hidden: int = 50):
        super().__init__()
        if readout not in ("sum", "mean"):
            raise ConfigError(f"FlatDenseSAGE: 'readout' must be one of sum, mean (got {readout!r})")
        self.max_nodes, self.readout, self.in_channels = max_nodes, readout, in_channels
        self.gnn = DenseGNN(in_channels, hidden, hidden, layers, "sage")
        self.mlp = nn.Sequential(nn.Linear(hidden, mlp_hidden), nn.ReLU(), nn.Linear(mlp_hidden, num_classes))

    def forward(self, data):
        return self.forward_dense(*_dense_input(data, self.max_nodes, self.in_channels, "FlatDenseSAGE"))

    def forward_dense(self, x, adj, mask=None):
        mask = _node_mask("FlatDenseSAGE", x, mask)
        z = self.gnn(x, adj, mask)
        m = mask.unsqueeze(-1).to(z.dtype) if mask is not None else torch.ones_like(z[..., :1])
        g = (z * m).sum(1)
        if self.readout == "mean":
            g = g / m.sum(1).clamp(min=1.0)
        return self.mlp(g), z.new_zeros(())
