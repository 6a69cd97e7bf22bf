"""Colored MNIST (the biased-colour protocol used by FMD) built from the real 70k MNIST, following the LfF
construction (Nam et al., "Learning from Failure", NeurIPS 2020; its dataset is the one the official FMD code
loads, also used by LDD).

Each digit's strokes are painted with one of 10 colors (foreground colouring, as in LfF; the FMD README also
points to ReBias, which colours the background instead - our choice is the foreground). As in LfF's dataset
builder (``make_dataset.py`` of alinlab/LfF), colours are assigned with EXACT per-class counts, not drawn
i.i.d.: in class c with n_c samples, colour k gets
round(n_c * R_c[:k+1].sum()) - round(n_c * R_c[:k].sum()) samples, where R_c[c] = rho (the label's colour,
the "bias ratio"; FMD Tab. 1 uses 0.95-0.995) and R_c[k] = (1 - rho) / 9 for the other colours. So about
rho * n_c samples (within one) carry the label's colour and the rest is split evenly over the other 9. The
test split and the held-out pool use the same construction with ratio 1/10 (LfF's unbiased valid split:
balanced colours in every class, each count within one of n_c / 10). Which samples of a class get which
colour is a seeded random permutation (LfF takes them in dataset order). LfF also jitters each image's
colour: palette colour + N(0, std^2) per RGB channel, clipped to [0, 1], with std = 0.05 / 0.02 / 0.01 /
0.005 for its severities 1-4 (``data/colored_mnist_protocol.py``); its run script trains ``skewed3
severity4`` (rho = 0.99, std 0.005), the default ``color_std`` here. The per-image offsets are returned, so
that counterfactuals (same digit, same offset, other color) can be painted with :func:`colorize`.
"""

from __future__ import annotations

import numpy as np

from paperworks.core.config import is_int, is_real
from paperworks.core.errors import DataError
from paperworks.data import check_seed, register_dataset

__all__ = ["PALETTE", "colorize", "color_counts", "load_colored_mnist"]

# 10 well-separated RGB colors in [0, 1] (our choice; the protocol only needs distinct colors)
PALETTE = np.array([
    [1.00, 0.00, 0.00], [0.00, 1.00, 0.00], [0.00, 0.00, 1.00], [1.00, 1.00, 0.00], [1.00, 0.00, 1.00],
    [0.00, 1.00, 1.00], [1.00, 0.50, 0.00], [0.50, 0.00, 1.00], [0.50, 1.00, 0.50], [1.00, 1.00, 1.00],
], dtype=np.float32)


def colorize(gray, colors, jitter=None):
    """Paint gray digits [N, H, W] (uint8 or float in [0, 1]) with palette colors [N] -> float [N, 3, H, W].
    ``jitter`` (optional float [N, 3]) is added to each image's palette colour, clipped to [0, 1] (LfF's colour
    jitter; :func:`load_colored_mnist` returns one offset per image).
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
    if jitter is not None:
        j = torch.as_tensor(jitter)
        if j.shape != (g.shape[0], 3) or not j.is_floating_point() or not bool(torch.isfinite(j).all()):
            raise DataError(f"colorize: jitter must be finite floats [N, 3] = [{g.shape[0]}, 3] "
                            f"(got {list(j.shape)}, {j.dtype})")
        pal = (pal + j.float()).clamp(0.0, 1.0)
    return g[:, None] * pal[:, :, None, None]


def _check_real(who: str, name: str, value, unit: bool) -> float:
    """``value`` as a float if it is a real number (NumPy floats too, bool refused) in [0, 1] (``unit``) or
    finite and >= 0; else one DataError."""
    if not is_real(value, 0.0, 1.0 if unit else None):
        want = "in [0, 1]" if unit else "a finite number >= 0"
        raise DataError(f"{who}: {name} must be {want} (got {value!r})")
    return float(value)


def color_counts(n_per_class, rho: float) -> np.ndarray:
    """LfF's exact colour counts: [C, C] int64, entry (c, k) = number of class-c samples painted colour k.

    Row c splits n_c by the ratios R_c (rho for colour c, (1 - rho) / (C - 1) for every other colour) through
    rounded cumulative milestones round(n_c * cumsum(R_c)), so each row sums to n_c exactly and every count
    is within one of n_c * R_c[k]. ``n_per_class``: 1-D integers >= 0 (at least 2 classes); ``rho``: a real
    number in [0, 1] (anything else is one DataError: it gave negative or garbage counts)."""
    rho = _check_real("color_counts", "rho", rho, unit=True)
    n = np.asarray(n_per_class)
    if n.ndim != 1 or n.dtype.kind not in "iu" or (n.size and int(n.min()) < 0):
        raise DataError(f"color_counts: n_per_class must be a 1-D sequence of integers >= 0 (got {n_per_class!r})")
    n = n.astype(np.int64)
    k = len(n)
    if k < 2:
        raise DataError(f"color_counts: need at least 2 classes (got {k})")
    ratios = np.full((k, k), (1.0 - rho) / (k - 1))
    np.fill_diagonal(ratios, rho)
    miles = np.round(n[:, None] * np.cumsum(ratios, axis=1)).astype(np.int64)
    miles[:, -1] = n                  # the ratios sum to 1: only float rounding could leave the last one off
    return np.diff(miles, axis=1, prepend=0)


def _assign_colors(y: np.ndarray, rho: float, rng: np.random.Generator, n_colors: int = 10) -> np.ndarray:
    """Colour index per sample with exactly :func:`color_counts` per class (samples permuted within a class)."""
    counts = color_counts(np.bincount(y, minlength=n_colors), rho)
    c = np.empty(len(y), dtype=np.int64)
    for label in range(n_colors):
        idx = rng.permutation(np.flatnonzero(y == label))
        c[idx] = np.repeat(np.arange(n_colors), counts[label])
    return c


@register_dataset("colored_mnist", "Colored MNIST (LfF construction) from the real MNIST; bias ratio rho")
def load_colored_mnist(rho: float = 0.99, seed: int = 0, size: int = 28, n_val: int = 10000,
                       color_std: float = 0.005) -> dict:
    """Returns gray digits and color indices for train (biased), val pool and test (both unbiased).

    Keys: ``gray_train uint8 [N, s, s], y_train int64 [N], c_train int64 [N]`` (color index; exact per-class
    counts :func:`color_counts` with ratio ``rho``), ``jitter_train float32 [N, 3]`` (each image's colour offset,
    N(0, color_std^2) per channel), the same for ``val`` (the last ``n_val`` of MNIST's 60k training images,
    held out for counterfactual sets) and ``test`` (MNIST's 10k test images), whose colours are balanced
    in every class (ratio 1/10: each count within one of n_c / 10, exact when 10 divides n_c); ``rho``;
    ``color_std``; ``aligned_train bool [N]`` (color == label).
    Paint with ``colorize(gray, c, jitter)``. ``size`` = 28 or 14 (2x2 average pooling, for fast CPU runs).
    """
    rho = _check_real("colored_mnist", "rho", rho, unit=True)   # real numbers (NumPy floats too), bool refused
    if size not in (28, 14):
        raise DataError(f"colored_mnist: size must be 28 or 14 (got {size!r})")
    color_std = _check_real("colored_mnist", "color_std", color_std, unit=False)
    check_seed(seed, "colored_mnist")   # True ran as seed 1; 1.5, -1 were numpy's bare TypeError / ValueError
    from paperworks.data.images import load_mnist  # direct import: avoids importing every registered loader

    m = load_mnist()
    xtr, ytr, xte, yte = m["x_train"], m["y_train"], m["x_test"], m["y_test"]
    if not is_int(n_val, 0) or not n_val < len(xtr):
        raise DataError(f"colored_mnist: n_val must be an integer in [0, {len(xtr)}) (got {n_val!r})")
    if size == 14:
        def pool(x):
            return x.reshape(-1, 14, 2, 14, 2).astype(np.float32).mean((2, 4)).round().astype(np.uint8)

        xtr, xte = pool(xtr), pool(xte)
    rng = np.random.default_rng(seed)
    n_tr = len(xtr) - n_val
    y_train = ytr[:n_tr].astype(np.int64)
    y_val = ytr[n_tr:].astype(np.int64)
    y_test = yte.astype(np.int64)
    out = {"rho": float(rho), "color_std": float(color_std)}
    for split, y, ratio in (("train", y_train, float(rho)), ("val", y_val, 0.1), ("test", y_test, 0.1)):
        out[f"c_{split}"] = _assign_colors(y, ratio, rng)
        out[f"jitter_{split}"] = (color_std * rng.standard_normal((len(y), 3))).astype(np.float32)
    out.update({"gray_train": xtr[:n_tr], "y_train": y_train, "aligned_train": out["c_train"] == y_train,
                "gray_val": xtr[n_tr:], "y_val": y_val, "gray_test": xte, "y_test": y_test})
    return out
