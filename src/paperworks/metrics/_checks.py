"""Input validation shared by the metrics (one clear DataError per problem)."""

from __future__ import annotations

import torch

from paperworks.core.errors import DataError

__all__ = ["as_tensor", "check_labels", "check_probs", "check_logits"]


def as_tensor(x, name: str, where: str) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach()
    try:
        import numpy as np

        return torch.as_tensor(np.asarray(x))
    except Exception:  # noqa: BLE001 - anything not array-like
        raise DataError(f"{where}: '{name}' must be a tensor or array (got {type(x).__name__})") from None


def check_logits(logits, where: str, name: str = "logits") -> torch.Tensor:
    """[N, C] floating tensor with finite entries (``name``: the argument named in the errors)."""
    z = as_tensor(logits, name, where)
    if z.ndim != 2 or z.shape[1] < 2 or z.shape[0] == 0:
        raise DataError(f"{where}: expected '{name}' of shape [N, C] with N >= 1, C >= 2 "
                        f"(got shape {list(z.shape)})")
    if not z.is_floating_point():
        raise DataError(f"{where}: expected floating '{name}' (got dtype {z.dtype})")
    bad = ~torch.isfinite(z)
    if bad.any():
        raise DataError(f"{where}: '{name}' contain {int(bad.sum())} NaN/inf entries")
    if z.dtype in (torch.float16, torch.bfloat16):
        # computed in float32: bfloat16 sums count 4992 of 5000 equal entries (no integer above 256 is exact)
        z = z.float()
    return z


def check_probs(probs, where: str, atol: float = 1e-4) -> torch.Tensor:
    """[N, C] rows on the probability simplex (entries in [0, 1], rows summing to 1 within atol)."""
    dtype = as_tensor(probs, "probs", where).dtype
    p = check_logits(probs, where, "probs").clone()   # (its errors named 'logits' for a probs argument)
    if dtype in (torch.float16, torch.bfloat16):
        # a half-precision softmax row sums to 1 only within a few of its ulps (float16 rows of 0.9995 were
        # refused as "not probabilities")
        atol = max(atol, 2 * p.shape[1] * torch.finfo(dtype).eps)
    if (p < 0).any() or (p > 1).any():
        raise DataError(f"{where}: 'probs' must lie in [0, 1] (got min {float(p.min()):.4g}, "
                        f"max {float(p.max()):.4g}); pass logits through softmax first")
    s = p.sum(1)
    worst = float((s - 1).abs().max())
    if worst > atol:
        raise DataError(f"{where}: each row of 'probs' must sum to 1 (worst row sums to "
                        f"{float(s[(s - 1).abs().argmax()]):.6g}); pass logits through softmax first")
    return p


def check_labels(labels, n: int, num_classes: int, where: str) -> torch.Tensor:
    """[N] integer labels in [0, num_classes)."""
    y = as_tensor(labels, "labels", where)
    if y.ndim != 1 or y.shape[0] != n:
        raise DataError(f"{where}: expected 'labels' of shape [{n}] (got shape {list(y.shape)})")
    if y.is_floating_point() or y.dtype == torch.bool:
        raise DataError(f"{where}: expected integer 'labels' (got dtype {y.dtype})")
    y = y.long()
    if n and (int(y.min()) < 0 or int(y.max()) >= num_classes):
        raise DataError(f"{where}: 'labels' must lie in [0, {num_classes - 1}] "
                        f"(got min {int(y.min())}, max {int(y.max())})")
    return y
