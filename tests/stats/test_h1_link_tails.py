"""The inverse links far outside the range of a fit: log F, log(1 - F), log f and the quantile must stay finite
and accurate where the plain formulas underflowed, overflowed or saturated (cloglog log F was -inf for
eta < -745 and its log f was +1e308 at eta = 1e308; cauchit and t log f were -inf once eta^2 overflowed; t log F
was -inf where stdtr underflowed; stats.t.ppf returned +inf for p = 1e-300; the cauchit quantile saturated at
-1.6e16). Oracles: closed forms (cloglog/loglog tails, the t with nu = 2, whose cdf is algebraic, Cauchy) and
mpmath's incomplete beta in 60 digits. Inside the normal range the plain formulas still run: the values there
are bit-for-bit those of the formulas written out below."""

import math
import warnings

import mpmath as mp   # installed with torch (through sympy)
import numpy as np
import pytest
from scipy import special, stats

from paperworks.stats import MultinomialLinkModel
from paperworks.stats.links import Link, _t_log_norm, make_link


def _t2_log_lower(x):
    """log F(x) of Student's t with nu = 2 for x < 0: F = 1 / (s (s + |x|)) with s = sqrt(2 + x^2)."""
    ax = abs(x)
    ls = math.log(ax) + 0.5 * math.log1p(2.0 / ax / ax)     # log s without overflowing x^2
    return -(ls + math.log(ax) + math.log1p(math.exp(ls - math.log(ax))))


def test_cloglog_and_loglog_far_tails_equal_their_closed_forms():
    cl, ll = make_link("cloglog"), make_link("loglog")
    eta = np.array([-1e308, -1e10, -2000.0, -800.0, -746.0, -720.0])
    # cloglog: log F = eta + log1p(-e^eta / 2 + ...) = eta to double precision once e^eta < 1e-300
    np.testing.assert_array_equal(cl.logcdf(eta), eta)
    np.testing.assert_array_equal(ll.logsf(-eta), eta)
    np.testing.assert_array_equal(cl.logpdf(eta), eta)               # eta - e^eta
    np.testing.assert_array_equal(ll.logpdf(-eta), eta)
    # log(1 - F) = -e^eta exactly: finite up to eta = 709.78 (the plain formula capped it at -e^700)
    mid = np.array([701.0, 705.0, 709.5])
    np.testing.assert_allclose(cl.logsf(mid), -np.exp(mid), rtol=1e-15)
    np.testing.assert_allclose(ll.logcdf(-mid), -np.exp(mid), rtol=1e-15)
    np.testing.assert_allclose(cl.logpdf(mid), mid - np.exp(mid), rtol=1e-15)
    # beyond, -e^eta and eta - e^eta are below -1.8e308: -inf (never a finite or positive value, never NaN)
    big = np.array([710.0, 800.0, 1e10, 1e308, np.inf])
    for v in (cl.logsf(big), cl.logpdf(big), ll.logcdf(-big), ll.logpdf(-big)):
        assert np.all(v == -np.inf), v


@pytest.mark.parametrize("name, nu", [("cauchit", None), ("t", 1.0), ("t", 3.0), ("t", 0.5)])
def test_heavy_tailed_log_density_where_eta_squared_overflows(name, nu):
    lk = make_link(name, df=nu)
    nu = 1.0 if nu is None else nu
    eta = np.array([-1e308, -1e200, 1e160, 1e300])
    const = special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * math.log(nu * math.pi)
    want = const - (nu + 1) / 2 * (2 * np.log(np.abs(eta)) - math.log(nu))    # log(1 + eta^2/nu) = 2 log|eta| - log nu
    np.testing.assert_allclose(lk.logpdf(eta), want, rtol=1e-14)


def test_t_lower_tail_where_stdtr_underflows_equals_the_nu2_closed_form():
    lk = make_link("t", df=2.0)
    x = np.array([-1e160, -1e200, -1e300, -1e308])
    assert np.all(special.stdtr(2.0, x) == 0.0)                  # what log(stdtr) turned into -inf
    want = np.array([_t2_log_lower(v) for v in x])
    np.testing.assert_allclose(lk.logcdf(x), want, rtol=1e-14)
    np.testing.assert_allclose(lk.logsf(-x), want, rtol=1e-14)
    # and where stdtr is still normal, the two branches meet: log F from the continued fraction
    xm = np.array([-1e140, -1e100, -1e20])
    np.testing.assert_allclose(lk.logcdf(xm), [_t2_log_lower(v) for v in xm], rtol=1e-14)


@pytest.mark.parametrize("nu", [0.5, 3.0, 7.5, 40.0, 1e4])
def test_t_lower_tail_equals_mpmath_incomplete_beta(nu):
    mp.mp.dps = 60
    lk = make_link("t", df=nu)
    x = {0.5: [-1e300, -1e308], 3.0: [-1e101, -1e150, -1e308], 7.5: [-1e41, -1e60, -1e300],
         40.0: [-1e9, -1e10, -1e100], 1e4: [-38.5, -40.0, -45.0]}[nu]
    assert np.all(special.stdtr(nu, np.array(x)) < 1e-300)
    half, n = mp.mpf(1) / 2, mp.mpf(nu)
    want = [float(mp.log(mp.betainc(n / 2, half, 0, n / (n + mp.mpf(v) ** 2), regularized=True) / 2)) for v in x]
    np.testing.assert_allclose(lk.logcdf(np.array(x)), want, rtol=1e-13)


@pytest.mark.parametrize("name, nu", [("cauchit", None), ("t", 2.0)])
def test_log_cdf_near_one_keeps_its_digits(name, nu):
    """log F = log1p(-(1 - F)) where 1 - F < 1e-10 (log of a rounded F lost every digit there)."""
    lk = make_link(name, df=nu)
    if name == "cauchit":
        x = np.array([1e12, 1e20, 1e100])
        s = np.arctan2(1.0, x) / np.pi                                   # 1 - F, exact closed form
    else:
        x = np.array([1e6, 1e12, 1e100])
        s = np.exp([_t2_log_lower(-v) for v in x])
    assert np.all(s < 1e-10)
    np.testing.assert_allclose(lk.logcdf(x), np.log1p(-s), rtol=1e-14)
    np.testing.assert_allclose(lk.logsf(-x), np.log1p(-s), rtol=1e-14)


def test_cauchit_quantile_in_the_far_tails():
    lk = make_link("cauchit")
    p = np.array([1e-300, 1e-20, 1e-9])
    np.testing.assert_allclose(lk.quantile(p), -1.0 / np.tan(np.pi * p), rtol=1e-15)   # = tan(pi (p - 1/2))
    np.testing.assert_allclose(lk.quantile(p), -1.0 / (np.pi * p), rtol=1e-15)
    d = np.array([2.0 ** -30, 2.0 ** -40, 2.0 ** -52])                   # 1 - d is exact in double
    np.testing.assert_allclose(lk.quantile(1 - d), 1.0 / (np.pi * d), rtol=1e-15)
    assert lk.quantile(0.0) == -np.inf and lk.quantile(1.0) == np.inf


def test_t_quantile_in_the_far_tails():
    # nu = 2 has the closed form x = (2p - 1) / sqrt(2 p (1 - p))
    lk2 = make_link("t", df=2.0)
    p = np.array([1e-300, 1e-200, 1e-30, 1e-3])
    np.testing.assert_allclose(lk2.quantile(p), (2 * p - 1) / np.sqrt(2 * p * (1 - p)), rtol=1e-13)
    # nu = 3: stats.t.ppf answered +inf at p = 1e-300; the answer must invert the (mpmath) cdf
    mp.mp.dps = 60
    lk3 = make_link("t", df=3.0)
    p3 = np.array([1e-300, 1e-320, 1e-250])
    q = lk3.quantile(p3)
    assert np.all(q < 0) and np.all(np.isfinite(q))
    F = [mp.betainc(mp.mpf(3) / 2, mp.mpf(1) / 2, 0, 3 / (3 + mp.mpf(v) ** 2), regularized=True) / 2 for v in q]
    np.testing.assert_allclose([float(mp.log(f)) for f in F], np.log(p3), rtol=1e-13)
    # nu = 0.5: a quantile beyond the doubles is -inf (ppf saturated at -4.7e153)
    assert make_link("t", df=0.5).quantile(1e-300) == -np.inf
    assert make_link("t", df=3.0).quantile(0.0) == -np.inf and make_link("t", df=3.0).quantile(1.0) == np.inf


@pytest.mark.parametrize("name, nu", [("logit", None), ("probit", None), ("cloglog", None), ("loglog", None),
                                      ("cauchit", None), ("t", 0.5), ("t", 3.0), ("t", 30.0)])
def test_normal_range_is_bit_identical_to_the_plain_formulas(name, nu):
    """Inside |eta| <= 700 (and, for t, F and 1 - F >= 1e-10) the plain formulas of the fitted models run
    unchanged: every value is bit-for-bit the formula written out here."""
    rng = np.random.default_rng(1)
    eta = np.concatenate([np.linspace(-700, 700, 20000), rng.normal(0, 4, 5000)]).reshape(-1, 5)
    if name == "t":
        eta = eta[np.all((special.stdtr(nu, eta) >= 1e-10) & (special.stdtr(nu, -eta) >= 1e-10), axis=1)]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if name == "logit":
            want = (special.log_expit(eta), special.log_expit(-eta),
                    special.log_expit(eta) + special.log_expit(-eta))
        elif name == "probit":
            want = special.log_ndtr(eta), special.log_ndtr(-eta), -0.5 * eta * eta - 0.5 * np.log(2.0 * np.pi)
        elif name in ("cloglog", "loglog"):
            x = eta if name == "cloglog" else -eta
            e = np.exp(np.minimum(x, 700.0))
            a = -e
            lf = np.where(a > -np.log(2.0), np.log(-np.expm1(a)), np.log1p(-np.exp(a)))
            F, S = (lf, -e) if name == "cloglog" else (-e, lf)
            want = F, S, x - e
        elif name == "cauchit":
            want = (np.log(np.arctan2(1.0, -eta) / np.pi), np.log(np.arctan2(1.0, eta) / np.pi),
                    -np.log(np.pi) - np.log1p(eta * eta))
        else:
            # the normalising constant is _t_log_norm(nu) (the gammaln difference below nu = 16; a cancellation-
            # free Stirling difference above it, checked against mpmath in test_link_functions.py)
            want = (np.log(special.stdtr(nu, eta)), np.log(special.stdtr(nu, -eta)),
                    _t_log_norm(nu) - (nu + 1) / 2 * np.log1p(eta * eta / nu))
            if nu < 16:
                assert _t_log_norm(nu) == (special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2)
                                           - 0.5 * np.log(nu * np.pi))
    lk = make_link(name, df=nu)
    for got, w in zip(lk.log_terms(eta), want):
        np.testing.assert_array_equal(got, w)
    p = np.concatenate([np.linspace(1e-8, 1 - 1e-8, 5001), 10 ** rng.uniform(-8, -0.31, 2000)])
    if name == "cauchit":   # tan(pi (p - 1/2)) on [1/4, 3/4]; outside, its cancellation-free forms (s22)
        want_q = np.where(p < 0.25, -1.0 / np.tan(np.pi * p),
                          np.where(p > 0.75, 1.0 / np.tan(np.pi * (1.0 - p)), np.tan(np.pi * (p - 0.5))))
        np.testing.assert_array_equal(lk.quantile(p), want_q)
    if name == "t":
        np.testing.assert_array_equal(lk.quantile(p), stats.t.ppf(p, nu))


def test_model_far_in_the_cloglog_tail_is_feasible_with_its_closed_form_loglike():
    """Binary continuation-ratio cloglog model, intercept only: pi_1 = F(eta) = e^eta to double precision
    at eta = -800, so l = n_1 eta + n_2 log(1 - F) = -800 and the score n_1 f/F - n_2 f/(1 - F) = 1. The
    underflowed log F made the point 'infeasible' (l = -inf, score raised)."""
    y = np.array([0, 1, 1, 1])
    m = MultinomialLinkModel(y, np.zeros((4, 0)), model="continuation", link="cloglog")
    theta = np.array([-800.0])
    assert m.loglike(theta) == -800.0
    np.testing.assert_array_equal(m.score(theta), [1.0])


def test_link_object_is_unchanged_for_users():
    assert repr(Link("t", 3.0)) == "Link('t', df=3)"
    assert np.shape(make_link("cloglog").logcdf(-800.0)) == ()
