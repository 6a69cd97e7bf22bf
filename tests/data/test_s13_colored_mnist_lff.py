"""Colored MNIST follows the LfF construction (alinlab/LfF make_dataset.py / data/colored_mnist_protocol.py):
exact per-class colour counts from rounded cumulative milestones (bias ratio rho in training, 1/10 in the
unbiased splits) and a per-image Gaussian colour jitter (std 0.005 = LfF severity 4, its run script's setting
for rho = 0.99). The old loader drew every training colour i.i.d. (label colour with probability rho), drew
the test / pool colours i.i.d. uniform, and had no jitter: these tests fail on it."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.data import colored_mnist as cm
from paperworks.data.colored_mnist import PALETTE, colorize, load_colored_mnist


def _lff_counts(n_c: int, label: int, ratio: float, n_colors: int = 10) -> list[int]:
    """Independent re-statement of LfF's rule: colour k of class `label` gets
    round(n_c * sum of ratios up to k) - round(n_c * sum of ratios before k) samples."""
    cum, miles = 0.0, []
    for k in range(n_colors):
        cum += ratio if k == label else (1.0 - ratio) / (n_colors - 1)
        miles.append(round(n_c * cum))
    assert miles[-1] == n_c
    return [m - p for m, p in zip(miles, [0] + miles[:-1])]


def _table(y, c):
    t = np.zeros((10, 10), dtype=np.int64)
    np.add.at(t, (y, c), 1)
    return t


@pytest.mark.parametrize("rho", [0.99, 0.95, 0.995])
def test_training_colours_have_lff_exact_per_class_counts(rho):
    d = load_colored_mnist(rho=rho, seed=0, size=14)
    y, c = d["y_train"], d["c_train"]
    t = _table(y, c)
    for label in range(10):
        n_c = int((y == label).sum())
        assert t[label].tolist() == _lff_counts(n_c, label, rho), (label, t[label])
        assert abs(t[label, label] - rho * n_c) <= 1          # about rho * n_c carry the label's colour
        others = np.delete(t[label], label)
        assert others.max() - others.min() <= 1                # the rest is split evenly over the other 9
    np.testing.assert_array_equal(d["aligned_train"], c == y)
    np.testing.assert_array_equal(t, cm.color_counts(np.bincount(y, minlength=10), rho))


def test_test_and_pool_colours_follow_lff_ratio_one_tenth_balanced_within_one():
    d = load_colored_mnist(rho=0.99, seed=0, size=14)
    for split in ("test", "val"):
        y, c = d[f"y_{split}"], d[f"c_{split}"]
        t = _table(y, c)
        for label in range(10):
            assert t[label].tolist() == _lff_counts(int((y == label).sum()), label, 0.1), (split, label)
            assert t[label].max() - t[label].min() <= 1


def test_extreme_ratios_and_seeds():
    d1 = load_colored_mnist(rho=1.0, seed=0, size=14)
    assert d1["aligned_train"].all()
    d0 = load_colored_mnist(rho=0.0, seed=0, size=14)
    assert not d0["aligned_train"].any()
    a, b = load_colored_mnist(rho=0.99, seed=1, size=14), load_colored_mnist(rho=0.99, seed=2, size=14)
    # another seed permutes which samples of a class get which colour, never how many
    assert not np.array_equal(a["c_train"], b["c_train"])
    np.testing.assert_array_equal(_table(a["y_train"], a["c_train"]), _table(b["y_train"], b["c_train"]))


def test_colour_jitter_per_image_as_lff():
    d = load_colored_mnist(rho=0.99, seed=0, size=14)
    assert d["color_std"] == 0.005
    for split, n in (("train", 50000), ("val", 10000), ("test", 10000)):
        j = d[f"jitter_{split}"]
        assert j.shape == (n, 3) and j.dtype == np.float32
        assert abs(float(j.std()) - 0.005) < 0.0002 and abs(float(j.mean())) < 0.0001
    assert not load_colored_mnist(rho=0.99, seed=0, size=14, color_std=0.0)["jitter_train"].any()
    # colorize: gray * clip(palette colour + offset, 0, 1), per image
    g = d["gray_train"][:5]
    x = colorize(g, d["c_train"][:5], d["jitter_train"][:5])
    col = np.clip(PALETTE[d["c_train"][:5]] + d["jitter_train"][:5], 0, 1)
    ref = g[:, None].astype(np.float32) / 255.0 * col[:, :, None, None]
    np.testing.assert_allclose(x.numpy(), ref, rtol=1e-6, atol=1e-7)
    assert torch.equal(colorize(g, d["c_train"][:5], np.zeros((5, 3), np.float32)), colorize(g, d["c_train"][:5]))
    with pytest.raises(DataError, match="jitter"):
        colorize(g, d["c_train"][:5], np.zeros((4, 3), np.float32))
    with pytest.raises(DataError, match="color_std"):
        load_colored_mnist(color_std=-0.1)
    with pytest.raises(DataError, match="color_std"):
        load_colored_mnist(color_std=float("nan"))


def test_fmd_task_paints_with_the_jitter_and_pairs_differ_only_in_colour():
    from paperworks.systems.fmd import FMD, make_task

    task = make_task(FMD.make_config({"n_train": "300"}), "colored_mnist", 0)
    d = load_colored_mnist(rho=0.99, seed=0, size=14)
    assert torch.equal(task.x_train, colorize(d["gray_train"][:300], d["c_train"][:300], d["jitter_train"][:300]))
    assert torch.equal(task.x_test, colorize(d["gray_test"], d["c_test"], d["jitter_test"]))
    # evaluation pair members share their image's offset: x = gray * (palette[y] + j), x~ = gray * (palette[o] + j)
    torch.testing.assert_close(task.cf_test.x, colorize(d["gray_test"], d["y_test"], d["jitter_test"]))
