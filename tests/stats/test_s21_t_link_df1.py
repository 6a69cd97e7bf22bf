"""The t link with one degree of freedom (the Cauchy distribution) took scipy's stdtr(1, x) and t.ppf(p, 1),
which are inaccurate near the centre: F(1e-8) = 0.5 + 4.74e-9 instead of 0.5 + 3.18e-9 (log F 3.1e-9 off), and
the quantile at p = 0.5 + 1.9e-15 was 2.1% off. Oracle: mpmath at 60 digits, F(x) = atan2(1, -x) / pi."""

import mpmath as mp
import numpy as np

from paperworks.stats import make_link


def _logF(x):
    with mp.workdps(60):
        x = mp.mpf(float(x))
        if x < 0:
            return float(mp.log(mp.atan(1 / -x) / mp.pi))
        if x == 0:
            return float(mp.log(mp.mpf(1) / 2))
        return float(mp.log1p(-mp.atan(1 / x) / mp.pi))


def _quantile(p):
    with mp.workdps(60):
        return float(-1 / mp.tan(mp.pi * mp.mpf(float(p))))


def test_t1_log_cdf_and_sf_match_the_cauchy_distribution():
    link = make_link("t", df=1)
    x = np.concatenate([-np.logspace(-12, 300, 120), np.logspace(-12, 300, 120), [0.0]])
    lc, ls = link.logcdf(x), link.logsf(x)
    for xi, a, b in zip(x, lc, ls):
        ra, rb = _logF(xi), _logF(-xi)
        assert abs(a - ra) <= 1e-14 * max(abs(ra), 1.0), (xi, a, ra)
        assert abs(b - rb) <= 1e-14 * max(abs(rb), 1.0), (xi, b, rb)


def test_t1_quantile_near_the_centre():
    link = make_link("t", df=1)
    p = np.concatenate([0.5 + np.logspace(-15, -1, 40), 0.5 - np.logspace(-15, -1, 40)])
    q = link.quantile(p)
    for pi, qi in zip(p, q):
        r = _quantile(pi)
        assert abs(qi - r) <= 1e-12 * abs(r), (pi, qi, r)
    assert np.array_equal(q, make_link("cauchit").quantile(p))
