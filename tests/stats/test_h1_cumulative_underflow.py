"""Cumulative models far in a tail: pi_j = F_j - F_j-1 of two cdfs below 1e-308 underflowed to 0, so an ordered
(feasible) point got log pi = -inf and was called infeasible (loglike -inf, score raised). Intercept-only logit
model, one row with counts (1, 1, 3); with q = e^-10 the closed forms at eta = (-800, -790) are
pi = (e^-800, e^-790 (1 - q), 1 - e^-790) to double precision, l = -1590 + log1p(-q) and the score
(f_1/pi_1 - f_1/pi_2, f_2/pi_2 - 3 f_2/pi_3) = (1 - q/(1 - q), 1/(1 - q)); mirrored at eta = (790, 800)."""

import numpy as np

from paperworks.stats import MultinomialLinkModel
from paperworks.stats.families import family_eval

Q = np.exp(-10.0)


def _model():
    return MultinomialLinkModel(np.array([[1, 1, 3]]), np.zeros((1, 0)), model="cumulative", link="logit")


def test_lower_tail_point_is_feasible_with_its_closed_form():
    m = _model()
    th = np.array([-800.0, -790.0])
    np.testing.assert_allclose(m.loglike(th), -1590.0 + np.log1p(-Q), rtol=1e-15)
    # f/pi = exp(log f - log pi) of two logs near -790, each known to its ulp (1.1e-13): rtol 1e-12
    np.testing.assert_allclose(m.score(th), [1 - Q / (1 - Q), 1 / (1 - Q)], rtol=1e-12)
    assert np.all(np.isfinite(m.information(th)))


def test_upper_tail_point_is_feasible_with_its_closed_form():
    m = _model()
    th = np.array([790.0, 800.0])
    # pi = (1 - e^-790, e^-790 (1 - q), e^-800): l = 0 + (-790 + log1p(-q)) + 3 (-800)
    np.testing.assert_allclose(m.loglike(th), -3190.0 + np.log1p(-Q), rtol=1e-15)
    np.testing.assert_allclose(m.score(th), [-1 / (1 - Q), Q / (1 - Q) - 3], rtol=1e-12)


def test_unordered_or_tied_points_stay_infeasible_and_normal_rows_are_untouched():
    m = _model()
    assert m.loglike(np.array([-790.0, -800.0])) == -np.inf      # eta_1 > eta_2: pi_2 < 0 for real
    assert m.loglike(np.array([-800.0, -800.0])) == -np.inf      # tie: pi_2 = 0 exactly
    # rows are independent: a normal row evaluated beside an underflowing one is bit for bit the row alone
    eta = np.array([[-1.0, 0.5], [-800.0, -790.0]])
    lF, lS = -np.logaddexp(0, -eta), -np.logaddexp(0, eta)
    Y = np.array([[2.0, 1.0, 1.0], [1.0, 1.0, 3.0]])
    both = family_eval("cumulative", lF, lS, lF + lS, Y)
    alone = family_eval("cumulative", lF[:1], lS[:1], lF[:1] + lS[:1], Y[:1])
    for b, a in zip(both, alone):
        np.testing.assert_array_equal(b[:1], a)
    assert all(np.all(np.isfinite(b)) for b in both)
