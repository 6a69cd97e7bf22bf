"""Boundary polish (SLSQP) of a cumulative npo fit with a covariate in large or small units.

SLSQP is not scale-invariant: with the covariates in units of 1e4 .. 1e5 (or 1e-6) it stopped where Fisher
scoring had left it, e.g. l = -584.33 instead of -564.87 at 1e5 (-564.89 at 1e4), reported as converged.
Oracle: the fit is equivariant (x -> s x: same log-likelihood and probabilities, slopes / s)."""

import warnings

import numpy as np
import pytest

from paperworks.stats import MultinomialLinkModel


def _data(n=500, seed=5):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = ((0.3 + x @ np.array([0.9, -0.5]) + rng.gumbel(size=n))[:, None] > np.array([-0.4, 1.0, 2.0])[None, :]).sum(1)
    return y, x


@pytest.fixture(scope="module")
def unit_fit():
    y, x = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = MultinomialLinkModel(y, x, model="cumulative", link="cloglog", assumption="npo").fit()
    assert res.boundary and res.polished             # the case under test: an MLE on the feasibility boundary
    return res


@pytest.mark.parametrize("scale", [1e4, 1e5, 1e-6])
def test_boundary_fit_is_equivariant_in_the_covariates_units(unit_fit, scale):
    y, x = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = MultinomialLinkModel(y, x * scale, model="cumulative", link="cloglog", assumption="npo").fit()
    assert abs(res.llf - unit_fit.llf) < 1e-6
    np.testing.assert_allclose(res.fittedvalues, unit_fit.fittedvalues, atol=1e-5)
    unit = np.where(np.arange(res.params.size) < 3, 1.0, scale)
    np.testing.assert_allclose(res.params * unit, unit_fit.params, atol=1e-4)
