"""The six inverse links F against closed forms evaluated in 400-digit arithmetic (mpmath), from the bulk to
|eta| = 1e6: log F, log(1 - F), log f and the quantile. The model tests reach the links only through fits,
whose optima barely move when a tail is computed inaccurately (e.g. log(1 - exp(-exp(-eta))) without log1p)."""

import mpmath as mp   # installed with torch (through sympy)
import numpy as np
import pytest

from paperworks.stats.links import LINKS, make_link

ETA = [-30.0, -12.0, -5.0, -2.0, -0.7, 0.0, 0.3, 1.5, 4.0, 9.0, 30.0]
DF = 4.0


def _closed_form(name, x):
    """(F, 1 - F, f) at x, each written out from the distribution's definition."""
    x, one, half = mp.mpf(x), mp.mpf(1), mp.mpf(1) / 2
    if name == "logit":                                   # standard logistic
        return one / (1 + mp.exp(-x)), one / (1 + mp.exp(x)), mp.exp(-x) / (1 + mp.exp(-x)) ** 2
    if name == "probit":                                  # standard normal
        return (mp.erfc(-x / mp.sqrt(2)) / 2, mp.erfc(x / mp.sqrt(2)) / 2,
                mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi))
    if name == "cloglog":                                 # F = 1 - exp(-e^x), minimum extreme value
        return -mp.expm1(-mp.exp(x)), mp.exp(-mp.exp(x)), mp.exp(x - mp.exp(x))
    if name == "loglog":                                  # F = exp(-e^-x), maximum extreme value
        return mp.exp(-mp.exp(-x)), -mp.expm1(-mp.exp(-x)), mp.exp(-x - mp.exp(-x))
    if name == "cauchit":                                 # standard Cauchy
        return half + mp.atan(x) / mp.pi, half - mp.atan(x) / mp.pi, one / (mp.pi * (1 + x * x))
    nu = mp.mpf(DF)                                       # Student t: tail = I_{nu/(nu+x^2)}(nu/2, 1/2) / 2
    tail = mp.betainc(nu / 2, half, 0, nu / (nu + x * x), regularized=True) / 2
    F, S = (1 - tail, tail) if x > 0 else (tail, 1 - tail)
    f = mp.gamma((nu + 1) / 2) / (mp.sqrt(nu * mp.pi) * mp.gamma(nu / 2)) * (1 + x * x / nu) ** (-(nu + 1) / 2)
    return F, S, f


@pytest.mark.parametrize("name", LINKS)
def test_log_cdf_survival_and_density_equal_the_closed_forms(name):
    mp.mp.dps = 400
    lk = make_link(name, df=DF if name == "t" else None)
    # heavy or light tails far out (the extreme-value links overflow there by design: exp(eta) is capped)
    eta = ETA + ([] if name in ("cloglog", "loglog") else [-1e6, 1e6])
    want = np.array([[float(mp.log(v)) for v in _closed_form(name, x)] for x in eta])
    got = np.stack([lk.logcdf(np.array(eta)), lk.logsf(np.array(eta)), lk.logpdf(np.array(eta))], 1)
    # an absolute error d in a log-probability is a relative error d in the probability: F, 1 - F and f to
    # 1e-13 relative, and the logs themselves to 1e-13 relative where they are large (-1e13 for cloglog)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    assert np.isfinite(got).all()


@pytest.mark.parametrize("name", LINKS)
def test_quantile_inverts_the_cdf(name):
    # the quantile only gives starting values; tan(pi (p - 1/2)) (cauchit) carries the absolute rounding of
    # p - 1/2, i.e. a relative 5e-7 at p = 1e-10, so the grid starts at 1e-6
    lk = make_link(name, df=DF if name == "t" else None)
    p = np.array([1e-6, 1e-4, 0.02, 0.3, 0.5, 0.77, 0.99, 1 - 1e-6])
    np.testing.assert_allclose(lk.cdf(lk.quantile(p)), p, rtol=1e-9, atol=0)
