"""Baseline-category models with several log odds beyond the doubles (cloglog eta > 709.78, where log(1 - F) =
-e^eta overflows; probit eta > ~1.9e154, where eta^2 / 2 does): the row was marked NaN ("not resolvable"), so
`predict` returned NaN and a fit called such an iterate infeasible. Two such log odds that are not equal differ by
far more than the 745 that exp() can tell from 0 (cloglog e^720 - e^710 ~ 1e312; even one ulp apart at 709.78
e^eta x 1.1e-13 ~ 2e295), so the largest predictor's category has pi = 1 and the others 0 in double precision.
Oracle: mpmath with unbounded exponents. A tie (equal predictors, whose derivatives overflow) and mixed links
(no common order of eta) stay NaN; no RuntimeWarning leaks (probit's log density squared eta into an overflow)."""

import warnings

import numpy as np
import pytest

from paperworks.stats import MultinomialLinkModel
from paperworks.stats.families import family_eval
from paperworks.stats.links import make_link

mp = pytest.importorskip("mpmath")


def _mp_probs(link, eta):
    """Baseline pi_j / pi_J = rho_j / (1 - rho_j) in mpmath: pi from differences of the log odds only."""
    with mp.workdps(40):
        lo = []
        for e in eta:
            x = mp.mpf(e)
            if link == "cloglog":
                lF, lS = mp.log(-mp.expm1(-mp.exp(x))), -mp.exp(x)
            else:   # probit, x > 1e150: log(1 - Phi(x)) by its asymptotic series (3 terms: relative 1e-900)
                lF = mp.mpf(0)
                lS = -x * x / 2 - mp.log(x) - mp.log(2 * mp.pi) / 2 + mp.log(1 - 1 / x**2 + 3 / x**4)
            lo.append(lF - lS)
        c = lo + [mp.mpf(0)]
        return np.array([float(1 / mp.fsum(mp.exp(ck - cj) for ck in c)) for cj in c])


def _model(link, group=False):
    rng = np.random.default_rng(0)
    y = np.array([0, 1, 2] * 10)
    X = rng.normal(size=(30, 1))
    if group:   # two-group model: group 1 = {0}, split, group 2 = {1, 2, 3} with the baseline family
        y = np.array([0, 1, 2, 3] * 10)
        X = rng.normal(size=(40, 1))
        return MultinomialLinkModel(y, X, model="cumulative", link=link, assumption="npo", group1_size=1,
                                    group2_model="baseline")
    return MultinomialLinkModel(y, X, model="baseline", link=link, assumption="npo")


@pytest.mark.parametrize("link, eta", [("cloglog", (710.0, 720.0)), ("cloglog", (720.0, 710.0)),
                                       ("cloglog", (800.0, 709.8)), ("cloglog", (1e5, 2e5)),
                                       ("probit", (3e154, 4e154)), ("probit", (1e300, 2e154))])
def test_predict_baseline_several_log_odds_beyond_the_doubles_matches_mpmath(link, eta):
    m = _model(link)
    params = np.array([eta[0], eta[1], 0.0, 0.0])      # (Intercept):1, (Intercept):2, x1:1, x1:2
    with warnings.catch_warnings():
        warnings.simplefilter("error")                 # no 'infeasible' UserWarning, no RuntimeWarning
        P = m.predict(params, np.array([[0.0]]))
    np.testing.assert_array_equal(P[0], _mp_probs(link, eta))


def test_cloglog_one_ulp_apart_beyond_709_is_resolved():
    a = 709.79
    b = np.nextafter(a, np.inf)
    m = _model("cloglog")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P = m.predict(np.array([a, b, 0.0, 0.0]), np.array([[0.0]]))
    np.testing.assert_array_equal(P[0], [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(P[0], _mp_probs("cloglog", (a, b)))


def test_loglike_score_information_at_such_rows_are_the_limits():
    """Row 0 far out (category 2 of 3 has pi = 1 there), its count in that category: it adds 0 to l, the score
    and the information (the limits), as the same data without that row; with the count elsewhere l = -inf."""
    lk = make_link("cloglog")
    eta = np.array([[710.0, 720.0], [0.3, -0.2], [-0.5, 0.1]])
    Y = np.array([[0.0, 2.0, 0.0], [1.0, 2.0, 3.0], [2.0, 0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logp, s, U = family_eval("baseline", *lk.log_terms(eta), Y, True, order=eta)
    alone = family_eval("baseline", *lk.log_terms(eta[1:]), Y[1:], True)
    np.testing.assert_array_equal(logp[0], [-np.inf, 0.0, -np.inf])
    np.testing.assert_array_equal(s[0], 0.0)
    np.testing.assert_array_equal(U[0], 0.0)
    np.testing.assert_array_equal(logp[1:], alone[0])
    np.testing.assert_array_equal(s[1:], alone[1])
    np.testing.assert_array_equal(U[1:], alone[2])


def test_two_group_model_with_a_baseline_group_resolves_the_same_way():
    m = _model("cloglog", group=True)
    assert m.k_params == 6                             # (Intercept):1..3, x1:1..3
    params = np.array([0.0, 710.0, 720.0, 0.0, 0.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P = m.predict(params, np.array([[0.0]]))
    pin = _mp_probs("cloglog", (0.0,))                 # the split: pi(group 1) = F(0) (continuation step)
    np.testing.assert_allclose(P[0], [pin[0], 0.0, pin[1], 0.0], rtol=1e-15)


@pytest.mark.parametrize("link, eta", [("cloglog", (710.0, 710.0)), ("probit", (3e154, 3e154))])
def test_ties_beyond_the_doubles_stay_nan(link, eta):
    m = _model(link)
    with pytest.warns(UserWarning, match="infeasible at 1 of 1 rows"):
        P = m.predict(np.array([eta[0], eta[1], 0.0, 0.0]), np.array([[0.0]]))
    assert np.isnan(P).all()


def test_two_infinite_predictors_stay_nan():
    lk = make_link("cloglog")
    eta = np.array([[np.inf, np.inf], [np.inf, 720.0]])
    with np.errstate(over="ignore", invalid="ignore"):
        logp, _, _ = family_eval("baseline", *lk.log_terms(eta), None, False, order=eta)
    assert np.isnan(logp[0]).all()
    np.testing.assert_array_equal(logp[1], [0.0, -np.inf, -np.inf])


def test_mixed_links_beyond_the_doubles_stay_nan():
    """cloglog e^710 vs probit (3e154)^2 / 2: no common order of eta, not resolved (NaN, as before)."""
    rng = np.random.default_rng(0)
    m = MultinomialLinkModel(np.array([0, 1, 2] * 10), rng.normal(size=(30, 1)), model="baseline",
                             link=["cloglog", "probit"], assumption="npo")
    with pytest.warns(UserWarning, match="infeasible at 1 of 1 rows"):
        P = m.predict(np.array([710.0, 3e154, 0.0, 0.0]), np.array([[0.0]]))
    assert np.isnan(P).all()


def test_probit_log_density_far_out_is_minus_inf_without_a_warning():
    lk = make_link("probit")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = lk.logpdf(np.array([3e154, -1e300, 1.0]))
    assert out[0] == -np.inf and out[1] == -np.inf and np.isfinite(out[2])


def test_fit_with_a_far_outlier_in_its_predicted_category_keeps_the_mle():
    """Baseline cloglog npo: one more response at x = 5000, in the category the MLE gives pi = 1 there (both
    predictors beyond 709.78: 1104 and 3289), adds log 1 = 0 to l and 0 to the score, so the MLE is unchanged. The
    code before called every iterate with that row NaN, i.e. infeasible, and stopped at a false 'boundary' estimate
    (params 0.11 off, llf -287.54 vs -286.90, no warning)."""
    rng = np.random.default_rng(3)
    n = 300
    x = rng.normal(size=n)
    eta = np.stack([0.2 + 0.3 * x, -0.1 + 0.5 * x], 1)
    lo = np.log(-np.expm1(-np.exp(eta))) + np.exp(eta)
    c = np.concatenate([lo, np.zeros((n, 1))], 1)
    p = np.exp(c - c.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    y = np.array([rng.choice(3, p=pi) for pi in p])
    base = MultinomialLinkModel(y, x[:, None], model="baseline", link="cloglog", assumption="npo").fit()
    b = base.params
    xo = 5000.0
    cat = int(np.argmax([b[0] + b[2] * xo, b[1] + b[3] * xo]))
    assert min(b[0] + b[2] * xo, b[1] + b[3] * xo) > 709.79
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*fitted probabilities numerically 0 or 1")   # that row: pi = 1
        r = MultinomialLinkModel(np.append(y, cat), np.append(x, xo)[:, None], model="baseline", link="cloglog",
                                 assumption="npo").fit()
    assert r.converged and not r.boundary
    np.testing.assert_allclose(r.params, base.params, atol=1e-6)
    assert r.llf == pytest.approx(base.llf, abs=1e-9)
