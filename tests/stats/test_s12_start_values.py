"""Default starting values when a pooled rho_j rounds to 1 (counts below a split ~1e16 times those above).

g_j(1) = inf made fit() stop with "start_params contain NaN/inf" though no start_params were passed; the model
itself is fine (started from g_j computed from 1 - rho_j it converges). Oracle: an intercept-only model's MLE
reproduces the pooled proportions (closed form)."""

import warnings

import numpy as np
import pytest

from paperworks.stats import MultinomialLinkModel
from paperworks.stats.links import make_link

FAMILIES = ["baseline", "cumulative", "adjacent", "continuation"]
LINKS = ["logit", "probit", "cloglog", "loglog", "cauchit", "t"]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("link", ["probit", "loglog", "t"])
def test_intercept_only_fit_with_a_1e17_times_rarer_last_category(family, link):
    counts = np.array([1e17, 1e17, 1.0])
    m = MultinomialLinkModel(np.array([counts, counts]), None, model=family, link=link, df=3.0)
    assert np.isfinite(m.start_params()).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # fitted probability 5e-18: the quasi-separation warning
        res = m.fit()
    np.testing.assert_allclose(np.log(res.fittedvalues[0]), np.log(counts / counts.sum()), rtol=0, atol=1e-12)


def test_two_group_split_with_a_rare_na_level():
    counts = np.array([[3e16, 2e16, 1.0], [1e16, 4e16, 1.0]])
    m = MultinomialLinkModel(counts, np.array([0.0, 1.0]), model="cumulative", link="cloglog", na_category=True)
    assert np.isfinite(m.start_params()).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = m.fit()
    # saturated (2 settings, 4 params for 4 free cells): fitted = observed proportions
    np.testing.assert_allclose(np.log(res.fittedvalues), np.log(counts / counts.sum(1, keepdims=True)), atol=1e-12)


@pytest.mark.parametrize("name", LINKS)
def test_quantile_sf_inverts_the_survival(name):
    lk = make_link(name, 2.5 if name == "t" else None)
    s = np.array([1e-300, 1e-40, 1e-17, 1e-5, 0.3, 0.5, 0.9])
    q = lk.quantile_sf(s)
    np.testing.assert_allclose(lk.logsf(q), np.log(s), rtol=1e-12)
    mid = s[3:]
    np.testing.assert_allclose(q[3:], lk.quantile(1.0 - mid), rtol=1e-9, atol=1e-12)


def test_a_middle_category_that_cannot_be_separated_names_the_default_start():
    counts = np.array([[1e17, 1.0, 1e17]])
    with pytest.raises(ValueError, match="default starting values"):
        MultinomialLinkModel(counts, None, model="cumulative", link="logit").fit()
