"""MultinomialLinkModel's public methods refuse a parameter vector holding NaN / inf (docs/systems/multinomial_link.md:
"parameter vectors of the wrong length or with NaN are refused"). Before, only predict and fit's start_params did:
loglike returned -inf, information a NaN matrix (cumulative) or 'outside the feasible region', score blamed
'observed cell(s) with probability 0' or the feasible region, observed_information 'the feasibility boundary'."""

import numpy as np
import pytest

from paperworks.stats import MultinomialLinkModel

METHODS = ("loglike", "score", "information", "observed_information", "predict")


@pytest.fixture(scope="module")
def fits():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = rng.integers(0, 3, 200)
    out = {}
    for model, link in (("baseline", "logit"), ("cumulative", "probit")):
        m = MultinomialLinkModel(y, X, model=model, link=link)
        out[model] = (m, m.fit().params)
    return out


@pytest.mark.parametrize("model", ["baseline", "cumulative"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_params_are_one_value_error_naming_the_method(fits, model, method, bad):
    m, params = fits[model]
    p = params.copy()
    p[-1] = bad
    with pytest.raises(ValueError, match=rf"MultinomialLinkModel\.{method}: params contain NaN/inf"):
        getattr(m, method)(p)


@pytest.mark.parametrize("model", ["baseline", "cumulative"])
def test_finite_params_unchanged(fits, model):
    m, params = fits[model]
    assert np.isfinite(m.loglike(params))
    assert np.allclose(m.score(params), 0.0, atol=1e-6)
    assert np.all(np.linalg.eigvalsh(m.information(params)) > 0)
    assert np.all(np.linalg.eigvalsh(m.observed_information(params)) > 0)
    assert np.allclose(m.predict(params).sum(axis=1), 1.0)
