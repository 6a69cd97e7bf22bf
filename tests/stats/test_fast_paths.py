"""The speed paths of the multinomial link engine equal the general computation they replace.

- logit links: log F, log(1 - F) and log f from one shared pass equal the three separate formulas;
- baseline / adjacent families with logit links: eta is the log odds (r = 1), so the family evaluation
  from eta alone equals the one from the link terms;
- baseline family: the information matrix from the factored U = diag(d) - a a' (row blocks, no (m, K, K)
  array) equals the one from the dense U, including counts n_i > 1 and blocks that split the rows.
"""

import numpy as np
import pytest

from paperworks.stats import MultinomialLinkModel
from paperworks.stats.families import DiagMinusOuter, family_eval
from paperworks.stats.links import LINKS, make_link


@pytest.mark.parametrize("name", LINKS)
def test_log_terms_equal_the_separate_formulas(name):
    lk = make_link(name, df=4.0 if name == "t" else None)
    eta = np.linspace(-40, 40, 801).reshape(-1, 3)
    logF, logS, logf = lk.log_terms(eta)
    np.testing.assert_allclose(logF, lk.logcdf(eta), rtol=1e-14, atol=0)
    np.testing.assert_allclose(logS, lk.logsf(eta), rtol=1e-14, atol=0)
    np.testing.assert_allclose(logf, lk.logpdf(eta), rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("family", ["baseline", "adjacent"])
def test_logit_log_odds_shortcut_equals_the_link_terms(family):
    rng = np.random.default_rng(0)
    eta = rng.normal(scale=3.0, size=(50, 4))
    Y = rng.integers(0, 4, size=(50, 5)).astype(float)
    lk = make_link("logit")
    general = family_eval(family, *lk.log_terms(eta), Y)
    fast = family_eval(family, None, None, None, Y, log_odds=eta)
    for g, f in zip(general, fast):
        np.testing.assert_allclose(f, g, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="log_odds"):
        family_eval("cumulative", None, None, None, Y, log_odds=eta)


@pytest.mark.parametrize("link", ["logit", "probit", "cauchit"])
def test_factored_information_equals_the_dense_one(link):
    rng = np.random.default_rng(1)
    # few distinct covariate rows, so the model collapses them into settings with n_i > 1
    X = rng.integers(0, 6, size=(900, 2)).astype(float)
    eta = X @ np.array([0.4, -0.3])
    y = (rng.logistic(size=900)[:, None] + eta[:, None] > np.array([-1.0, 0.0, 1.0])).sum(1)
    m = MultinomialLinkModel(y, X, model="baseline", link=link, assumption="npo")
    assert m._Y.sum(axis=1).max() > 1
    theta = m.start_params() + rng.normal(scale=0.1, size=m.k_params)
    _, _, U = m._evaluate(theta, Y=m._Y)
    assert isinstance(U, DiagMinusOuter)
    # the dense U, as the general path builds it for every other family
    logF, logS, logf = m._link_terms(m._Z @ m._unpack(theta))
    _, _, U_dense = family_eval("baseline", logF, logS, logf, m._Y)
    np.testing.assert_allclose(U.dense(), U_dense, rtol=1e-12, atol=1e-15)
    dense = m._info_from_U(U_dense)
    np.testing.assert_allclose(m._info_from_U(U), dense, rtol=1e-11, atol=1e-10)
    q, K = m._Z.shape[1], m.J - 1
    blocks = m._C.T @ m._info_diag_minus_outer(U.d, U.a, chunk=7) @ m._C   # many row blocks, ragged end
    np.testing.assert_allclose(blocks, dense, rtol=1e-11, atol=1e-10)
    assert q * K == m._C.shape[0]
