"""Colored MNIST built from the real MNIST: bias ratio, unbiased test colours, colorize."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from paperworks.core.errors import DataError
from paperworks.data.colored_mnist import PALETTE, colorize, load_colored_mnist


def test_bias_ratio_and_unbiased_splits():
    d = load_colored_mnist(rho=0.99, seed=0, size=14)
    assert d["gray_train"].shape == (50000, 14, 14) and d["gray_test"].shape == (10000, 14, 14)
    assert d["gray_val"].shape == (10000, 14, 14)
    al = d["aligned_train"]
    assert abs(al.mean() - 0.99) < 0.003  # binomial sd ~ 0.0004
    # conflicting samples use one of the 9 other colours, roughly uniformly
    other = d["c_train"][~al]
    assert (other != d["y_train"][~al]).all() and len(np.unique(other)) == 10
    # test colours independent of the label: aligned rate ~ 1/10
    assert abs((d["c_test"] == d["y_test"]).mean() - 0.1) < 0.015
    # ... uniformly: the offset (colour - label) mod 10 of a conflicting sample is uniform on 1..9 (Pearson
    # chi-square with 8 degrees of freedom; 30 is its 0.02 % quantile)
    off = np.bincount((other - d["y_train"][~al]) % 10, minlength=10)
    assert off[0] == 0
    e = off[1:].sum() / 9
    assert ((off[1:] - e) ** 2 / e).sum() < 30
    # the digits are MNIST's own, 2 x 2 average-pooled, in order: train = the first 50k, val = the last 10k
    from paperworks.data import load

    m = load("mnist")
    def pooled(x):   # independent of the loader's reshape: torch's average pooling, rounded half to even
        return F.avg_pool2d(torch.as_tensor(x, dtype=torch.float64)[:, None], 2)[:, 0].round().to(torch.uint8).numpy()
    np.testing.assert_array_equal(d["gray_train"], pooled(m["x_train"][:50000]))
    np.testing.assert_array_equal(d["gray_val"], pooled(m["x_train"][50000:]))
    np.testing.assert_array_equal(d["gray_test"], pooled(m["x_test"]))
    np.testing.assert_array_equal(d["y_train"], m["y_train"][:50000])
    np.testing.assert_array_equal(d["y_val"], m["y_train"][50000:])
    np.testing.assert_array_equal(d["y_test"], m["y_test"])
    # the same seed gives the same data
    d2 = load_colored_mnist(rho=0.99, seed=0, size=14)
    np.testing.assert_array_equal(d["c_train"], d2["c_train"])


def test_colorize_paints_strokes_only():
    g = np.zeros((2, 4, 4), np.uint8)
    g[:, 1, 2] = 255
    x = colorize(g, [0, 9])
    assert x.shape == (2, 3, 4, 4)
    torch.testing.assert_close(x[:, :, 1, 2], torch.as_tensor(PALETTE[[0, 9]]))
    assert float(x.sum()) == pytest.approx(float(PALETTE[[0, 9]].sum()))


def test_bad_inputs():
    with pytest.raises(DataError, match="rho"):
        load_colored_mnist(rho=1.5)
    with pytest.raises(DataError, match="size"):
        load_colored_mnist(size=20)
    with pytest.raises(DataError, match="color indices"):
        colorize(np.zeros((1, 2, 2), np.uint8), [10])
    with pytest.raises(DataError, match="expected gray"):
        colorize(np.zeros((2, 2), np.uint8), [1])
