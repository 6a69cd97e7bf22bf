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
    # the quantile only gives starting values; the grid starts at 1e-6 (the cauchit quantile is within 2 ulps in
    # the tails too since s22, test_s22_cauchy_quantile_accuracy.py)
    lk = make_link(name, df=DF if name == "t" else None)
    p = np.array([1e-6, 1e-4, 0.02, 0.3, 0.5, 0.77, 0.99, 1 - 1e-6])
    np.testing.assert_allclose(lk.cdf(lk.quantile(p)), p, rtol=1e-9, atol=0)


@pytest.mark.parametrize("nu", [0.3, 1.0, 7.9, 16.0, 100.0, 1e6, 1e10, 1e15, 1e20, 1e300])
def test_t_link_is_accurate_at_any_degrees_of_freedom(nu):
    """A large nu (a t link approaching probit) made log f wrong: the normalising constant was a difference of
    two gammaln's of size nu log nu (4e-10 off at nu = 1e6, a factor e^3 at 1e15, e^345 at 1e300)."""
    mp.mp.dps = 60 + max(0, int(np.log10(nu)))
    lk = make_link("t", df=nu)
    n, half = mp.mpf(nu), mp.mpf(1) / 2
    eta = [-30.0, -5.0, -0.7, 0.0, 1.5, 9.0]
    want = []
    for x in map(mp.mpf, eta):
        tail = mp.betainc(n / 2, half, 0, n / (n + x * x), regularized=True) / 2
        F, S = (1 - tail, tail) if x > 0 else (tail, 1 - tail)
        lf = mp.loggamma((n + 1) / 2) - mp.loggamma(n / 2) - mp.log(n * mp.pi) / 2 - (n + 1) / 2 * mp.log1p(x * x / n)
        want.append([float(mp.log(F)), float(mp.log(S)), float(lf)])
    e = np.array(eta)
    got = np.stack([lk.logcdf(e), lk.logsf(e), lk.logpdf(e)], 1)
    np.testing.assert_allclose(got, np.array(want), rtol=1e-13, atol=1e-13)
    if nu >= 1e15:   # the normal limit: log f -> -x^2/2 - log(2 pi)/2
        np.testing.assert_allclose(got[:, 2], -0.5 * e * e - 0.5 * np.log(2 * np.pi), rtol=1e-12)


@pytest.mark.parametrize("nu, x", [(30.0, -1e4), (1e3, -40.0), (1e6, -40.0), (1e6, -1e3), (1e10, -40.0)])
def test_t_link_underflowing_lower_tail_at_large_degrees_of_freedom(nu, x):
    """Where F < 1e-300 the log-space continued fraction takes over; at large nu its log z = log(nu) - 2 log|x|
    - log1p(nu / x^2) cancelled (times nu / 2) and betaln(nu / 2, 1/2) cancelled too: 4e-9 relative at
    nu = 1e10. (Beyond nu ~ 1e12 the continued fraction itself is ill-conditioned there: see the docstring.)"""
    mp.mp.dps = 80
    n, X = mp.mpf(nu), mp.mpf(x)
    want = float(mp.log(mp.betainc(n / 2, mp.mpf(1) / 2, 0, n / (n + X * X), regularized=True) / 2))
    got = float(make_link("t", df=nu).logcdf(np.array([x]))[0])
    assert abs(got - want) <= 1e-11 * abs(want)
    assert float(make_link("t", df=nu).logsf(np.array([-x]))[0]) == got     # symmetry
