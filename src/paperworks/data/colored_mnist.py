"""Colored MNIST (the biased-colour protocol used by FMD) built from the real 70k MNIST.

Each digit's strokes are painted with one of 10 colors (foreground colouring, as in the LfF Colored MNIST whose
dataset class the official FMD code loads; the FMD README also points to ReBias, which colours the background
instead - our choice is the foreground). In the training split the color equals the label's
color with probability ``rho`` (the "bias ratio", FMD Tab. 1 uses 0.95-0.995) and is one of the 9 other
colors otherwise; in the test split (and the held-out validation pool) colors are uniform and independent of
the label ("unbiased" evaluation). The gray digits and the color indices are returned so that
counterfactuals (same digit, other color) can be painted with :func:`colorize`.
"""

from __future__ import annotations

import numpy as np

from paperworks.core.errors import DataError
from paperworks.data import register_dataset

__all__ = ["PALETTE", "colorize", "load_colored_mnist"]

# 10 well-separated RGB colors in [0, 1] (our choice; the protocol only needs distinct colors)
PALETTE = np.array([
    [1.00, 0.00, 0.00], [0.00, 1.00, 0.00], [0.00, 0.00, 1.00], [1.00, 1.00, 0.00], [1.00, 0.00, 1.00],
    [0.00, 1.00, 1.00], [1.00, 0.50, 0.00], [0.50, 0.00, 1.00], [0.50, 1.00, 0.50], [1.00, 1.00, 1.00],
], dtype=np.float32)


def colorize(gray, colors):
    """Paint gray digits [N, H, W] (uint8 or float in [0, 1]) with palette colors [N] -> float [N, 3, H, W].
    Float gray values outside [0, 1] (e.g. 0..255 floats) or NaN, and non-integer color indices, are one
    DataError (they were silently painted too bright / truncated to an integer)."""
    import torch

    g = torch.as_tensor(gray)
    if g.is_floating_point() and g.numel() and not bool(((g >= 0) & (g <= 1)).all()):
        raise DataError("colorize: float gray values must lie in [0, 1] (pass uint8 digits for 0..255 values)")
    g = g.float() / 255.0 if g.dtype == torch.uint8 else g.float()
    c0 = torch.as_tensor(colors)
    if c0.dtype == torch.bool or c0.is_complex() or (c0.is_floating_point() and not bool((c0 == c0.round()).all())):
        raise DataError(f"colorize: color indices must be integers (got dtype {c0.dtype})")
    c = c0.to(torch.long)
    if g.ndim != 3 or c.shape != (g.shape[0],):
        raise DataError(f"colorize: expected gray [N, H, W] and colors [N] (got {list(g.shape)} and {list(c.shape)})")
    if ((c < 0) | (c >= len(PALETTE))).any():
        raise DataError(f"colorize: color indices must be in [0, {len(PALETTE)}) (got {c.min()}..{c.max()})")
    pal = torch.as_tensor(PALETTE)[c]  # [N, 3]
    return g[:, None] * pal[:, :, None, None]


def _other_color(y, rng):
    return (y + rng.integers(1, 10, size=y.shape)) % 10


@register_dataset("colored_mnist", "Colored MNIST (ReBias protocol) from the real MNIST; bias ratio rho")
def load_colored_mnist(rho: float = 0.99, seed: int = 0, size: int = 28, n_val: int = 10000) -> dict:
    """Returns gray digits and color indices for train (biased), val pool and test (both unbiased).

    Keys: ``gray_train uint8 [N, s, s], y_train int64 [N], c_train int64 [N]`` (color index), the same for
    ``val`` (the last ``n_val`` of MNIST's 60k training images, held out for counterfactual sets) and ``test``
    (MNIST's 10k test images); ``rho``; ``aligned_train bool [N]`` (color == label).
    ``size`` = 28 or 14 (2x2 average pooling, for fast CPU runs).
    """
    if not (isinstance(rho, float | int) and 0.0 <= rho <= 1.0):
        raise DataError(f"colored_mnist: rho must be in [0, 1] (got {rho!r})")
    if size not in (28, 14):
        raise DataError(f"colored_mnist: size must be 28 or 14 (got {size!r})")
    from paperworks.data.images import load_mnist  # direct import: avoids importing every registered loader

    m = load_mnist()
    xtr, ytr, xte, yte = m["x_train"], m["y_train"], m["x_test"], m["y_test"]
    if not 0 <= n_val < len(xtr):
        raise DataError(f"colored_mnist: n_val must be in [0, {len(xtr)}) (got {n_val})")
    if size == 14:
        def pool(x):
            return x.reshape(-1, 14, 2, 14, 2).astype(np.float32).mean((2, 4)).round().astype(np.uint8)

        xtr, xte = pool(xtr), pool(xte)
    rng = np.random.default_rng(seed)
    n_tr = len(xtr) - n_val
    y_train = ytr[:n_tr].astype(np.int64)
    aligned = rng.random(n_tr) < rho
    c_train = np.where(aligned, y_train, _other_color(y_train, rng)).astype(np.int64)
    y_val = ytr[n_tr:].astype(np.int64)
    c_val = rng.integers(0, 10, size=n_val).astype(np.int64)
    c_test = rng.integers(0, 10, size=len(xte)).astype(np.int64)
    return {"gray_train": xtr[:n_tr], "y_train": y_train, "c_train": c_train, "aligned_train": c_train == y_train,
            "gray_val": xtr[n_tr:], "y_val": y_val, "c_val": c_val,
            "gray_test": xte, "y_test": yte.astype(np.int64), "c_test": c_test, "rho": float(rho)}
