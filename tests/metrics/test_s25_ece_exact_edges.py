"""ECE bins are [m/M, (m+1)/M) (calibration.py's docstring): a confidence of exactly m/M belongs to bin m. The edges
came from torch.linspace, which is one ulp off m/M at some m (float64, M = 10: edge 3 = 0.30000000000000004;
float32, M = 15: m = 3, 6, 7; M = 20: m = 9), so such a confidence (k of K votes / neighbours) went one bin low
there and to its own bin elsewhere, differently per dtype. Probe: 15-neighbour confidences k/15 with 15 bins gave
ECE 0.1484 in float32, 0.1423 in float64 for the same probabilities; bins [m/15, (m+1)/15) give 0.1530. Oracle:
exact rational binning of k/K (integers only)."""

from fractions import Fraction

import numpy as np
import pytest
import torch

from paperworks.metrics import expected_calibration_error, reliability_bins


def _votes(K, C=3, N=3000, seed=0):
    """Confidences k/K of K votes, each level miscalibrated by +-0.15 (alternating), and its labels."""
    rng = np.random.default_rng(seed)
    votes = rng.multinomial(K, [0.5, 0.3, 0.2][:C] if C == 3 else np.full(C, 1 / C), size=N)
    p = votes / K
    k = votes.max(1)
    pred = p.argmax(1)
    shift = np.where(k % 2 == 0, 0.15, -0.15)
    y = np.where(rng.random(N) < np.clip(k / K + shift, 0, 1), pred, (pred + 1) % C)
    return p, k, pred, y


def _exact_ece(k, K, correct, M):
    """Bin of k/K: the m with m/M <= k/K < (m+1)/M, in integers (k M // K); the last bin closed at 1."""
    b = np.minimum(k * M // K, M - 1)
    conf = k / K
    return sum((b == m).mean() * abs(correct[b == m].mean() - conf[b == m].mean()) for m in range(M) if (b == m).any())


@pytest.mark.parametrize("K, M", [(15, 15), (10, 10), (20, 20), (30, 15), (7, 7), (13, 13)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_ece_of_vote_confidences_uses_the_stated_bins(K, M, dtype):
    p, k, pred, y = _votes(K)
    want = _exact_ece(k, K, pred == y, M)
    got = expected_calibration_error(torch.tensor(p, dtype=dtype), torch.tensor(y), M)
    assert got == pytest.approx(want, abs=1e-6 if dtype == torch.float32 else 1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_a_confidence_of_exactly_m_over_M_is_in_bin_m(dtype):
    """Every M up to 40 and every m with m/M >= 1/2 (the top confidence of [m/M, 1 - m/M]); the edges are m/M
    rounded once to the dtype."""
    for M in range(1, 41):
        for m in range((M + 1) // 2, M + 1):
            c = torch.tensor(m / M, dtype=torch.float64).to(dtype)      # m/M rounded once, as a user's k / K
            b = reliability_bins(torch.stack([c, 1 - c])[None], torch.tensor([0]), M)
            assert int(b["count"].argmax()) == min(m, M - 1), (M, m)
        e = reliability_bins(torch.tensor([[0.5, 0.5]], dtype=dtype), torch.tensor([0]), M)["edges"]
        want = torch.tensor([float(Fraction(i, M)) for i in range(M + 1)], dtype=torch.float64).to(dtype)
        assert torch.equal(e, want), M


def test_same_probabilities_same_ece_in_float32_and_float64():
    p, k, pred, y = _votes(15)
    e32 = expected_calibration_error(torch.tensor(p, dtype=torch.float32), torch.tensor(y), 15)
    e64 = expected_calibration_error(torch.tensor(p, dtype=torch.float64), torch.tensor(y), 15)
    assert e32 == pytest.approx(e64, abs=1e-6)
