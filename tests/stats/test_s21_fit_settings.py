"""Nonsense solver settings of MultinomialLinkModel.fit (the stats engine's one fitter) and of
observed_information are refused with one error. Before: max_halving=-1 tried no step and reported the start
values as converged (llf -61.05 against -33.82 at the MLE); maxiter=0 / -3 ran no iteration; tol=-1 / NaN never
stopped on the step size (a fit reported converged through the likelihood test only) and tol=inf stopped after
one step; step_halving='no' counted as True; maxiter=2.5 or tol='1e-9' failed inside range() / a numpy ufunc;
observed_information(h=0) returned NaN."""

import numpy as np
import pytest

from paperworks.stats import MultinomialLinkModel


def _model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] + rng.normal(size=60) > 0).astype(int) + (X[:, 1] > 0.5)
    return MultinomialLinkModel(y, X, model="baseline", assumption="npo")


@pytest.mark.parametrize("kw,msg", [
    ({"tol": -1}, "tol must be a finite number >= 0"),
    ({"tol": float("nan")}, "tol must be a finite number >= 0"),
    ({"tol": float("inf")}, "tol must be a finite number >= 0"),
    ({"tol": "1e-9"}, "tol must be a finite number >= 0"),
    ({"maxiter": 0}, "maxiter must be an integer >= 1"),
    ({"maxiter": -3}, "maxiter must be an integer >= 1"),
    ({"maxiter": 2.5}, "maxiter must be an integer >= 1"),
    ({"maxiter": True}, "maxiter must be an integer >= 1"),
    ({"max_halving": -1}, "max_halving must be an integer >= 0"),
    ({"step_halving": "no"}, "step_halving must be True or False"),
    ({"polish": "no"}, "polish must be True or False"),
    ({"check_separation": None}, "check_separation must be True or False"),
])
def test_nonsense_settings_are_refused(kw, msg):
    with pytest.raises(ValueError, match=f"MultinomialLinkModel.fit: {msg}"):
        _model().fit(**kw)


def test_valid_edge_settings_still_fit():
    m = _model()
    ref = m.fit()
    assert ref.converged and not ref.boundary
    for kw in ({"tol": 0}, {"tol": 0.0, "maxiter": np.int64(200)}, {"max_halving": 0}, {"polish": np.bool_(False)}):
        r = m.fit(**kw)
        assert r.converged and abs(r.llf - ref.llf) < 1e-8


def test_observed_information_step_must_be_positive():
    m = _model()
    theta = m.fit().params
    for h in (0, -1e-6, float("nan"), "x"):
        with pytest.raises(ValueError, match="h must be a finite number > 0"):
            m.observed_information(theta, h=h)
    assert np.isfinite(m.observed_information(theta)).all()
