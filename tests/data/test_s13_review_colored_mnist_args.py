"""Review of the LfF Colored-MNIST change (607a6c1): argument checks of the public color_counts and
load_colored_mnist.

color_counts accepted any rho and any per-class count: rho = -0.5 gave negative counts ([[-2, 7], [8, -3]] for
[5, 5]), rho = NaN counts of -2**63, a negative class size a negative count, a fractional class size was
truncated (5.7 -> 5) and a 2-D input was reported as "got 1 classes". load_colored_mnist rejected a NumPy
float rho / color_std (np.float32(0.01)) with a message saying it was not a number in range, accepted
rho=True as 1.0 and n_val=True as 1, and a float n_val failed inside a slice (TypeError). Oracle for the valid
cases: LfF's rule restated independently (cumulative milestones rounded half to even)."""

import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.data.colored_mnist import color_counts, load_colored_mnist


def _lff_row(n_c, label, ratio, n_classes):
    cum, prev, row = 0.0, 0, []
    for k in range(n_classes):
        cum += ratio if k == label else (1.0 - ratio) / (n_classes - 1)
        m = round(n_c * cum) if k < n_classes - 1 else n_c
        row.append(m - prev)
        prev = m
    return row


@pytest.mark.parametrize("rho", [-0.5, 1.5, float("nan"), float("inf"), True, "0.9", None])
def test_color_counts_refuses_a_ratio_outside_0_1(rho):
    with pytest.raises(DataError, match="rho"):
        color_counts([5, 5], rho)


@pytest.mark.parametrize("n", [[5, -3], [5.7, 5], [[5, 5]], [True, False], "55"])
def test_color_counts_refuses_bad_class_sizes(n):
    with pytest.raises(DataError, match="n_per_class"):
        color_counts(n, 0.9)


@pytest.mark.parametrize("rho", [0.0, 0.1, 0.5, 0.9, 0.99, 1.0, np.float32(0.95), np.float64(0.995), 1, 0])
def test_color_counts_valid_inputs_match_lff(rho):
    n = [0, 1, 2, 5, 9, 10, 11, 113, 1135, 5923]
    got = color_counts(np.asarray(n, dtype=np.int32), rho)
    assert got.dtype == np.int64 and (got >= 0).all() and got.sum(1).tolist() == n
    for c, n_c in enumerate(n):
        assert got[c].tolist() == _lff_row(n_c, c, float(rho), len(n))


def test_loader_accepts_numpy_floats_and_matches_python_floats():
    a = load_colored_mnist(rho=np.float64(0.99), seed=0, size=14, color_std=np.float64(0.005))
    b = load_colored_mnist(rho=0.99, seed=0, size=14, color_std=0.005)
    for k in ("c_train", "c_val", "c_test", "jitter_train", "jitter_test"):
        assert np.array_equal(a[k], b[k])
    c = load_colored_mnist(rho=np.float32(0.95), seed=0, size=14, color_std=np.float32(0.01))
    assert c["rho"] == float(np.float32(0.95)) and c["color_std"] == float(np.float32(0.01))


@pytest.mark.parametrize("kw", [dict(rho=True), dict(rho="0.99"), dict(rho=float("nan")), dict(rho=-0.1),
                                dict(color_std=True), dict(color_std=-1e-3), dict(color_std=float("inf"))])
def test_loader_refuses_bad_ratios(kw):
    with pytest.raises(DataError, match=next(iter(kw))):
        load_colored_mnist(size=14, **kw)


@pytest.mark.parametrize("n_val", [True, 10.0, -1, 60000, "10"])
def test_loader_refuses_bad_n_val(n_val):
    with pytest.raises(DataError, match="n_val"):
        load_colored_mnist(size=14, n_val=n_val)
