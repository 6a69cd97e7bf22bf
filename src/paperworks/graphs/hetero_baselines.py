"""Baselines for heterograph node classification / embedding, built on PyG layers.

All of them work with torch-geometric alone (no torch_scatter / torch_sparse):

- :class:`MLPClassifier`: features only.
- :class:`GCNClassifier`: two PyG ``GCNConv`` layers, used on the homogeneous projection (all node
  and edge types merged, GTN Table 2's GCN row) or on a single meta-path graph.
- :class:`HANClassifier`: PyG ``HANConv`` (node-level attention per meta-path + semantic attention,
  Wang et al. 2019) on *given* meta-path graphs over the target type.
- :func:`dgi_embeddings`: PyG ``DeepGraphInfomax`` with a one-layer GCN + PReLU encoder (Velickovic
  et al. 2019), the HDGI paper's DGI baseline.
- :func:`train_node_classifier`: the shared full-batch loop (Adam, model picked by best validation
  macro-F1, test F1 reported at that epoch, as in GTN's official script).
- :func:`train_on_loss`: the shared unsupervised full-batch loop of DGI and HDGI (Adam, early stopping on
  the training loss, best weights restored).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from paperworks.core.config import check_seed, is_int
from paperworks.core.errors import ConfigError
from paperworks.core.trainer import EarlyStopping
from paperworks.graphs._checks import check_lr
from paperworks.graphs.hetero import same_tensors, tensors_stamp
from paperworks.graphs.node_eval import check_disjoint_splits, f1_scores

__all__ = ["MLPClassifier", "GCNClassifier", "HANClassifier", "train_node_classifier",
           "dgi_embeddings", "GCNEncoder", "train_on_loss"]


class MLPClassifier(nn.Module):
    def __init__(self, in_dim: int, hidden: int, num_classes: int, dropout: float = 0.5):
        super().__init__()
        self.lin1, self.lin2, self.dropout = nn.Linear(in_dim, hidden), nn.Linear(hidden, num_classes), dropout

    def forward(self, x):
        return self.lin2(F.dropout(F.relu(self.lin1(x)), self.dropout, self.training))


def _equal_graph_tensors(a, b) -> bool:
    """Whether two edge_index / edge_weight / adjacency arguments of GCNConv (None, dense, or a torch sparse COO /
    CSR adjacency) hold the same graph (torch.equal has no sparse kernel)."""
    if a is None or b is None:
        return a is b
    if a.layout != b.layout or a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.layout == torch.strided:
        return torch.equal(a, b)
    if a.layout == torch.sparse_coo:
        a, b = a.coalesce(), b.coalesce()
        return torch.equal(a.indices(), b.indices()) and torch.equal(a.values(), b.values())
    if a.layout == torch.sparse_csr:
        return (torch.equal(a.crow_indices(), b.crow_indices()) and torch.equal(a.col_indices(), b.col_indices())
                and torch.equal(a.values(), b.values()))
    return False


def _same_graph_or_reset(owner: nn.Module, convs, edge_index, edge_weight) -> None:
    """Clear the normalisation that ``GCNConv(cached=True)`` layers keep from their first call unless this call's
    graph is the one it was computed for. PyG's cache never looks at the graph again, so a model called on a second
    graph (a perturbed graph, another meta-path graph, a test graph) propagated over the first graph's normalised
    edges: outputs 0.66 (GCNClassifier) and 1.22 (GCNEncoder) off a fresh model with the same weights, silently.
    The same tensor objects, unchanged since (version counters), are the same graph at no cost; other tensors are
    compared with a copy of the cached graph's, so a graph equal in content keeps the cache (same numbers)."""
    prev = owner.__dict__.get("_cached_graph")   # (stamp of the tensors last seen, copies of the cached graph's)
    cur = (edge_index, edge_weight)
    if prev is not None:
        if same_tensors(prev[0], cur):
            return
        if all(_equal_graph_tensors(a, b) for a, b in zip(prev[1], cur)):
            owner.__dict__["_cached_graph"] = (tensors_stamp(cur), prev[1])
            return
    for conv in convs:
        conv._cached_edge_index = None
        conv._cached_adj_t = None
    copies = tuple(None if t is None else t.detach().clone() for t in cur)
    owner.__dict__["_cached_graph"] = (tensors_stamp(cur), copies)


class GCNClassifier(nn.Module):
    """Two ``GCNConv`` layers; their normalisation is cached per graph (computed again when the graph changes)."""

    def __init__(self, in_dim: int, hidden: int, num_classes: int, dropout: float = 0.5):
        super().__init__()
        from torch_geometric.nn import GCNConv

        self.conv1 = GCNConv(in_dim, hidden, cached=True)
        self.conv2 = GCNConv(hidden, num_classes, cached=True)
        self.dropout = dropout

    def forward(self, x, edge_index, edge_weight=None):
        _same_graph_or_reset(self, (self.conv1, self.conv2), edge_index, edge_weight)
        h = F.relu(self.conv1(x, edge_index, edge_weight))
        return self.conv2(F.dropout(h, self.dropout, self.training), edge_index, edge_weight)


class HANClassifier(nn.Module):
    """HANConv over meta-path graphs of one node type, then a linear classifier (HAN defaults:
    8 heads x 8 hidden, dropout 0.6)."""

    def __init__(self, in_dim: int, num_classes: int, metapath_names: list[str], node_type: str = "target",
                 hidden: int = 8, heads: int = 8, dropout: float = 0.6):
        super().__init__()
        from torch_geometric.nn import HANConv

        self.node_type = node_type
        self.edge_types = [(node_type, name, node_type) for name in metapath_names]
        self.conv = HANConv({node_type: in_dim}, hidden * heads, ([node_type], self.edge_types),
                            heads=heads, dropout=dropout)
        self.lin = nn.Linear(hidden * heads, num_classes)
        self.dropout = dropout

    def forward(self, x, edge_indices: list[torch.Tensor]):
        out = self.conv({self.node_type: x}, dict(zip(self.edge_types, edge_indices)))[self.node_type]
        return self.lin(F.dropout(out, self.dropout, self.training))

    def semantic_attention(self, x, edge_indices):
        _, att = self.conv({self.node_type: x}, dict(zip(self.edge_types, edge_indices)),
                           return_semantic_attention_weights=True)
        return att[self.node_type]


def train_node_classifier(model: nn.Module, forward: Callable[[], torch.Tensor], y: torch.Tensor,
                          train_idx, val_idx, test_idx, *, epochs: int, lr: float = 0.005,
                          weight_decay: float = 0.001, param_groups: list[dict] | None = None,
                          lr_decay: Callable | None = None, on_epoch: Callable | None = None) -> dict:
    """Full-batch training; returns test macro/micro-F1 at the best-validation epoch and timings.

    ``forward()`` returns logits for all labelled-type nodes (indexed by the *_idx tensors, which must be
    disjoint: DataError).
    """
    if not is_int(epochs, 1):   # 0 epochs returned a dict without any test metric (a KeyError for the caller)
        raise ConfigError(f"train_node_classifier: epochs must be an integer >= 1 (got {epochs!r})")
    # a test node also trained on (or selected on) inflated the test F1 silently (random labels: 0.92 vs 0.34)
    check_disjoint_splits((("train", train_idx), ("val", val_idx), ("test", test_idx)), "train_node_classifier",
                          n=len(y))     # torch reads -1 as the last node
    check_lr(lr, "train_node_classifier")
    opt = torch.optim.Adam(param_groups or model.parameters(), lr=lr, weight_decay=weight_decay)
    best = {"val_macro_f1": -1.0}
    t0 = time.perf_counter()
    for epoch in range(epochs):
        if lr_decay is not None:
            lr_decay(opt, epoch)
        model.train()
        opt.zero_grad()
        out = forward()
        loss = F.cross_entropy(out[train_idx], y[train_idx])
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            pred = forward().argmax(1)
        val = f1_scores(y[val_idx], pred[val_idx])["macro_f1"]
        if on_epoch is not None:
            on_epoch(epoch, loss.item(), val)
        if val > best["val_macro_f1"]:
            test = f1_scores(y[test_idx], pred[test_idx])
            best = {"val_macro_f1": val, "test_macro_f1": test["macro_f1"],
                    "test_micro_f1": test["micro_f1"], "best_epoch": epoch,
                    "state": {k: v.detach().clone() for k, v in model.state_dict().items()}}
    best["train_time_s"] = time.perf_counter() - t0
    best["epochs"] = epochs
    return best


class GCNEncoder(nn.Module):
    """One-layer GCN + PReLU (DGI's transductive encoder), PyG GCNConv (normalisation cached per graph)."""

    def __init__(self, in_dim: int, dim: int):
        super().__init__()
        from torch_geometric.nn import GCNConv

        self.conv = GCNConv(in_dim, dim, cached=True)
        self.act = nn.PReLU(dim)

    def forward(self, x, edge_index):
        _same_graph_or_reset(self, (self.conv,), edge_index, None)
        return self.act(self.conv(x, edge_index))


def dgi_embeddings(x: torch.Tensor, edge_index: torch.Tensor, dim: int, *, lr: float = 1e-3,
                   max_epochs: int = 300, patience: int = 20, seed: int = 0,
                   on_epoch: Callable[[int, float, object], None] | None = None) -> tuple[torch.Tensor, dict]:
    """Train PyG DeepGraphInfomax (row-shuffle corruption, sigmoid-mean readout) and embed x.

    Early stopping on the training loss with ``patience`` (the DGI / HDGI protocol); the weights that
    produced the best loss are restored (checked before each update, as in the official DGI code).
    ``on_epoch(epoch, loss value, None)`` sees every epoch's loss (:func:`train_on_loss`).
    Returns (embeddings [N, dim], info) with info = {epochs, best_loss, best_epoch, model}.
    Side effect: torch's global RNG is reseeded with ``seed`` (the model's initialisation draws from it).
    """
    from torch_geometric.nn import DeepGraphInfomax

    seed = check_seed(seed, "dgi_embeddings")   # 1.5 / True were torch's bare 'manual_seed expected a long'
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = DeepGraphInfomax(
        dim, encoder=GCNEncoder(x.size(1), dim),
        summary=lambda z, *args, **kwargs: torch.sigmoid(z.mean(dim=0)),
        corruption=lambda x, ei: (x[torch.randperm(x.size(0), generator=gen)], ei))

    def loss():
        pos, neg, s = model(x, edge_index)
        return model.loss(pos, neg, s), None

    info = train_on_loss(model, loss, lr=lr, patience=patience, max_epochs=max_epochs, on_epoch=on_epoch)
    with torch.no_grad():
        z = model.encoder(x, edge_index)
    return z, {"epochs": info["epochs"], "best_loss": info["best_loss"], "best_epoch": info["best_epoch"],
               "model": model}


def train_on_loss(model: nn.Module, loss_fn: Callable[[], tuple[torch.Tensor, object]], *, lr: float,
                  patience: int, max_epochs: int, on_epoch: Callable[[int, float, object], None] | None = None
                  ) -> dict:
    """Full-batch Adam on ``loss_fn() -> (loss, extra)``, early stopping on the training loss (DGI / HDGI).

    The loss of epoch t is checked against the best one *before* that epoch's update, so the weights kept
    (and restored at the end, the model left in eval mode) are the ones that produced the best loss, as in
    the official DGI / HDGI code. ``on_epoch(epoch, loss value, extra)`` runs before that check.
    Returns {epochs, best_loss, best_epoch, init_loss} (init_loss: the first epoch's loss).
    """
    if not is_int(max_epochs, 1):   # 0 epochs returned an untrained model with epochs=1, best_loss=inf
        raise ConfigError(f"train_on_loss: max_epochs must be an integer >= 1 (got {max_epochs!r})")
    check_lr(lr, "train_on_loss")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    stopper, init_loss, epoch, best_epoch = EarlyStopping(patience), None, 0, 0
    for epoch in range(max_epochs):
        model.train()
        opt.zero_grad()
        loss, extra = loss_fn()
        lv = loss.item()
        if init_loss is None:
            init_loss = lv
        if on_epoch is not None:
            on_epoch(epoch, lv, extra)
        if stopper.step(lv, model):   # snapshot of the weights that gave lv, taken before the update
            break
        if stopper.wait == 0:
            best_epoch = epoch
        loss.backward()
        opt.step()
    stopper.restore(model).eval()
    return {"epochs": epoch + 1, "best_loss": stopper.best, "best_epoch": best_epoch, "init_loss": init_loss}
