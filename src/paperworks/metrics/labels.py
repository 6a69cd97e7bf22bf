"""Low-label regimes: deterministic, stratified subsets holding a fraction (e.g. 1-10%) of the labels."""

from __future__ import annotations

import numpy as np

from paperworks.core.config import is_int, is_real
from paperworks.core.errors import DataError
from paperworks.metrics._checks import as_tensor

__all__ = ["label_fraction_indices", "label_fraction_subset"]


def label_fraction_indices(labels, fraction: float, seed: int = 0, min_per_class: int = 1) -> np.ndarray:
    """Sorted indices of a class-stratified subset with about ``fraction`` of the examples.

    Each class c with n_c examples keeps max(min_per_class, round(fraction * n_c)) of them (capped at n_c),
    chosen by a permutation from ``numpy.random.default_rng(seed)``; the result depends only on
    (labels, fraction, seed, min_per_class). Subsets are nested in the fraction for a fixed seed
    (the 1% subset is inside the 5% subset), because each class keeps a prefix of one permutation.
    """
    y = as_tensor(labels, "labels", "label_fraction_indices")
    if y.ndim != 1 or y.is_floating_point():
        raise DataError(f"label_fraction_indices: expected 1-D integer 'labels' (got shape "
                        f"{list(y.shape)}, dtype {y.dtype})")
    if y.numel() and int(y.min()) < 0:
        raise DataError(f"label_fraction_indices: 'labels' must be class indices >= 0 (got min {int(y.min())})")
    # is_real: numpy scalars too (np.float32(0.5) was refused as "must be in (0, 1]"); bool refused
    if not is_real(fraction, 0.0, 1.0, open_low=True):
        raise DataError(f"label_fraction_indices: 'fraction' must be in (0, 1] (got {fraction!r})")
    if not is_int(min_per_class, 0):
        # (1.5 failed deep inside with "slice indices must be integers")
        raise DataError(f"label_fraction_indices: 'min_per_class' must be an integer >= 0 (got {min_per_class!r})")
    min_per_class = int(min_per_class)
    y = y.cpu().numpy()
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        perm = idx[rng.permutation(len(idx))]
        k = min(len(idx), max(min_per_class, int(round(fraction * len(idx)))))
        keep.append(perm[:k])
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)


def label_fraction_subset(x, y, fraction: float, seed: int = 0, min_per_class: int = 1):
    """(x[idx], y[idx]) for idx = :func:`label_fraction_indices` (works for tensors and arrays)."""
    if len(x) != len(y):
        raise DataError(f"label_fraction_subset: 'x' and 'y' differ in length ({len(x)} vs {len(y)})")
    idx = label_fraction_indices(y, fraction, seed, min_per_class)
    if hasattr(x, "index_select"):
        import torch

        t = torch.as_tensor(idx, dtype=torch.long)
        return x.index_select(0, t), y.index_select(0, t) if hasattr(y, "index_select") else y[idx]
    return x[idx], y[idx]
