"""The Cauchy quantile (cauchit link, t link with df = 1) used tan(pi (p - 1/2)) for 1e-8 <= p <= 1 - 1e-8. For small
p that rounds p - 1/2 and puts the argument next to -pi/2, where tan magnifies the rounding: a relative error of
about 1e-16 / (pi p), 7.8e-9 just above p = 1e-8 (-30992690.5308 for -30992690.7649 at p = 1.027e-8), 5e-11 at
1e-6, 5e-14 at 1e-3; the same at 1 - p. Oracle: mpmath's -cot(pi p) at the double p passed (60 digits)."""

import mpmath
import numpy as np
import pytest

from paperworks.stats.links import Link


def _exact(p: float) -> float:
    with mpmath.workdps(60):
        return float(-mpmath.cot(mpmath.pi * mpmath.mpf(p)))


_rng = np.random.default_rng(22)
# just above the old switch at 1e-8, then decades up to 1/4, and the centre (unchanged there)
LOW = np.concatenate([np.nextafter(1e-8, 1.0) * (1.0 + 0.5 * _rng.random(40)), 10 ** _rng.uniform(-8, np.log10(0.25), 60),
                      [1.0000001e-8, 1.5e-8, 1e-7, 1e-6, 1e-3, 0.1, 0.2499]])
CENTRE = _rng.uniform(0.25, 0.75, 30)


@pytest.mark.parametrize("link", [Link("cauchit"), Link("t", 1.0)], ids=["cauchit", "t1"])
@pytest.mark.parametrize("side", ["lower", "upper"])
def test_quantile_is_accurate_to_a_few_ulps_across_the_tails(link, side):
    p = LOW if side == "lower" else 1.0 - LOW          # 1 - p rounds; the oracle uses the double actually passed
    want = np.array([_exact(x) for x in p])
    got = link.quantile(p)
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)
    if side == "lower":                                 # F^{-1}(1 - s) from s itself
        np.testing.assert_allclose(link.quantile_sf(p), -want, rtol=1e-15, atol=0)


@pytest.mark.parametrize("link", [Link("cauchit"), Link("t", 1.0)], ids=["cauchit", "t1"])
def test_centre_unchanged_and_accurate(link):
    want = np.array([_exact(x) for x in CENTRE])
    got = link.quantile(CENTRE)
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(got, np.tan(np.pi * (CENTRE - 0.5)))      # the plain formula, bit for bit


def test_quantile_inverts_the_cdf_next_to_the_old_switch():
    lk = Link("cauchit")
    p = np.nextafter(1e-8, 1.0) * (1.0 + 0.5 * _rng.random(200))
    np.testing.assert_allclose(lk.cdf(lk.quantile(p)), p, rtol=1e-14, atol=0)      # was 7.8e-9 off
