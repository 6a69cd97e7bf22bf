"""cov_type='observed' at an estimate on the feasibility boundary of a cumulative npo model.

The central difference of the score stepped to both sides of theta; at a boundary estimate (some
rho_i,j+1 - rho_ij ~ 1e-10) one side is infeasible, and fit(cov_type='observed') raised InfeasibleError
('score: theta is outside the feasible region') after a successful fit. Oracle: one-sided second differences
of the log-likelihood itself on the feasible side."""

import warnings

import numpy as np
import pytest
from scipy import stats

from paperworks.stats import MultinomialLinkModel


def _near_boundary(seed, m=200):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 0.19, (m, 1))
    eta = np.array([-0.2, 0.2]) + x * np.array([1.0, -1.0])
    P = np.diff(np.c_[np.zeros(m), stats.norm.cdf(eta), np.ones(m)], axis=1)
    return (rng.random(m)[:, None] > np.cumsum(P, 1)).sum(1), x


@pytest.mark.parametrize("seed", [2, 4])
def test_observed_information_at_a_boundary_estimate_equals_loglike_second_differences(seed):
    y, x = _near_boundary(seed)
    m = MultinomialLinkModel(y, x, model="cumulative", link="probit", assumption="npo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = m.fit(cov_type="observed")
    assert res.boundary
    assert np.isfinite(res.bse).all() and (res.bse > 0).all()
    th = res.params
    H = m.observed_information(th)
    for a in range(th.size):
        d = np.zeros(th.size)
        d[a] = 1e-4
        for sgn in (1.0, -1.0):
            l1, l2 = m.loglike(th + sgn * d), m.loglike(th + 2 * sgn * d)
            if np.isfinite(l1) and np.isfinite(l2):
                break
        oracle = -(l2 - 2 * l1 + m.loglike(th)) / 1e-8
        assert abs(H[a, a] - oracle) < 2e-3 * abs(oracle)
