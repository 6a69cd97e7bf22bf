"""Checks and helpers for train / validation / test splits, shared by the data loaders and the graph layer above
(:mod:`paperworks.graphs` re-exports them under their old names: ``graphs._checks.split_overlap``,
``graphs.hetero.stratified_split``)."""

from __future__ import annotations

import numpy as np
import torch

from paperworks.core.config import is_real
from paperworks.core.errors import DataError
from paperworks.data import check_seed

__all__ = ["split_overlap", "stratified_split"]


def split_overlap(parts, n: int | None = None):
    """The first two named parts of a split that share an item: ``(name_a, name_b, shared)`` with ``shared`` the
    sorted common indices, or None when the parts are disjoint. ``parts`` is a sequence of (name, indices or bool
    mask, numpy or torch); None parts are skipped; with ``n`` a negative index counts as the item it selects
    (-1 is n - 1). One check for graph and node splits (train_eval, node_eval, the heterograph loaders), each
    caller naming the overlap in its own words."""
    sets = []
    for name, a in parts:
        if a is None:
            continue
        a = a.detach().cpu().numpy() if torch.is_tensor(a) else np.asarray(a)
        idx = np.flatnonzero(a) if a.dtype == bool else a.ravel()
        if n is not None and a.dtype != bool:
            idx = np.where(idx < 0, idx + n, idx)
        sets.append((name, idx))
    for i, (na, a) in enumerate(sets):
        for nb, b in sets[i + 1:]:
            both = np.intersect1d(a, b)
            if both.size:
                return na, nb, both
    return None


def stratified_split(y: torch.Tensor | np.ndarray, train: float = 0.2, val: float = 0.1,
                     seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-class random split into (train, val, test) index tensors with the given fractions.

    Every class keeps at least one training node. Deterministic in ``seed``.
    """
    y = torch.as_tensor(y)
    if y.is_floating_point() and (not torch.isfinite(y).all() or (y != y.round()).any()):
        # .long() truncated them: labels 0.5 and 0.0 fell into one class
        raise DataError("stratified_split: labels must be integer class ids (got non-integral values)")
    y = y.long()
    if y.dim() != 1:
        raise DataError(f"stratified_split: expected labels of shape [N] (got {tuple(y.shape)})")
    # a str fraction was a bare TypeError from the comparison; a bool / float / str seed a RuntimeError of manual_seed
    if not (is_real(train) and is_real(val) and 0 < train < 1 and 0 <= val < 1 and train + val < 1):
        raise DataError(f"stratified_split: need 0 < train, 0 <= val and train + val < 1 "
                        f"(got train={train!r}, val={val!r})")
    g = torch.Generator().manual_seed(check_seed(seed, "stratified_split", torch_range=True))
    tr, va, te = [], [], []
    for c in torch.unique(y):
        idx = torch.nonzero(y == c).flatten()
        idx = idx[torch.randperm(idx.numel(), generator=g)]
        n_tr = max(1, int(round(train * idx.numel())))
        n_va = int(round(val * idx.numel()))
        tr.append(idx[:n_tr])
        va.append(idx[n_tr:n_tr + n_va])
        te.append(idx[n_tr + n_va:])
    return tuple(torch.sort(torch.cat(p)).values for p in (tr, va, te))  # type: ignore[return-value]
