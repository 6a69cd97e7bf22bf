"""The 'Fisher information is singular' check must not depend on the covariates' units.

cond(info) grows with the square of a covariate's scale: a covariate in units of 1e7 (or 1e-7) gave cond ~ 1e14
> 1e13 and a false 'singular ... using a pseudo-inverse' warning at a well-determined estimate (init accepts such
columns). The check now uses the condition number of the information in each parameter's own units.
Oracle: exact scale equivariance of the fit (x -> s x: slopes and their SEs / s, the rest unchanged)."""

import warnings

import numpy as np
import pytest

from paperworks.stats import MultinomialLinkModel
from paperworks.stats.multinomial_link import MultinomialLinkResults


def _data(n=300, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = ((0.3 + 0.9 * x + rng.logistic(size=n))[:, None] > np.array([-0.4, 1.0])[None, :]).sum(1)
    return y, x[:, None]


@pytest.mark.parametrize("scale", [1e7, 1e-7])
def test_covariate_in_large_or_small_units_is_not_called_singular(scale):
    y, x = _data()
    r1 = MultinomialLinkModel(y, x, model="cumulative", link="logit", assumption="po").fit()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = MultinomialLinkModel(y, x * scale, model="cumulative", link="logit", assumption="po").fit()
    unit = np.array([1.0, 1.0, scale])
    np.testing.assert_allclose(r.params * unit, r1.params, rtol=1e-12)
    np.testing.assert_allclose(r.bse * unit, r1.bse, rtol=1e-12)


def test_a_truly_singular_information_still_warns():
    y, x = _data()
    res = MultinomialLinkModel(y, x, model="cumulative", link="logit", assumption="po").fit()
    info = res.fisher_information.copy()
    info[:, 2] = info[:, 1] * 1e7                # a column proportional to another, at another scale
    info[2, :] = info[1, :] * 1e7
    with pytest.warns(UserWarning, match="singular"):
        MultinomialLinkResults(res.model, res.params, info, res.llf, True, 1, False, "expected", 0.0, [res.llf], 0)
