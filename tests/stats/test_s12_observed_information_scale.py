"""Observed information (cov_type='observed') of covariates in large units (e.g. income in dollars).

Its central-difference step was h * max(1, |theta_a|) in theta, i.e. h * max|x| in eta: at max|x| ~ 1e5 the
SEs were up to ~0.4% off. Oracles: statsmodels' analytic GLM observed Hessian (a continuation-ratio npo model is J-1
binary GLMs) and the closed form observed = expected information of the canonical baseline logit model."""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm

from paperworks.stats import MultinomialLinkModel


def _data(scale, n=300, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = ((0.3 + 0.9 * x + rng.logistic(size=n))[:, None] > np.array([-0.4, 1.0])[None, :]).sum(1)
    return y, (x * scale)[:, None]


@pytest.mark.parametrize("link", ["probit", "cloglog"])
def test_continuation_observed_se_in_large_units_equals_statsmodels_glm(link):
    y, x = _data(1e5)
    res = MultinomialLinkModel(y, x, model="continuation", link=link, assumption="npo").fit(cov_type="observed")
    B, Bse = res.model._unpack(res.params), res.model._unpack(res.bse)
    L = {"probit": sm.families.links.Probit, "cloglog": sm.families.links.CLogLog}[link]
    for j in range(2):
        at = y >= j
        glm = sm.GLM((y[at] == j).astype(float), sm.add_constant(x[at]), family=sm.families.Binomial(link=L()))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = glm.fit(tol=1e-13, maxiter=200)
        se = np.sqrt(np.diag(np.linalg.inv(-glm.hessian(g.params, observed=True))))
        np.testing.assert_allclose(B[:, j], g.params, rtol=1e-6)
        np.testing.assert_allclose(Bse[:, j], se, rtol=1e-7)      # 6e-4 off on the old code


@pytest.mark.parametrize("scale", [1e-4, 1e5])
def test_baseline_logit_observed_equals_expected_information_at_any_units(scale):
    y, x = _data(scale)
    m = MultinomialLinkModel(y, x, model="baseline", link="logit", assumption="npo")
    theta = m.fit().params
    obs, exp = m.observed_information(theta), m.information(theta)
    np.testing.assert_allclose(obs, exp, rtol=1e-7, atol=1e-7 * np.abs(exp).max())


def test_observed_se_scale_equivariant():
    """x -> s x scales the slope SEs by 1 / s exactly (in exact arithmetic) for every link."""
    y, x = _data(1.0)
    for link in ["cauchit", "loglog"]:
        r1 = MultinomialLinkModel(y, x, model="cumulative", link=link, assumption="po").fit(cov_type="observed")
        r2 = MultinomialLinkModel(y, x * 1e5, model="cumulative", link=link, assumption="po").fit(
            cov_type="observed")
        np.testing.assert_allclose(r2.bse * np.array([1, 1, 1e5]), r1.bse, rtol=1e-7)
