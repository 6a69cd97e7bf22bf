"""The Cauchy quantile shared by the cauchit link and the t link with df = 1 (51f2028) is tan(pi (p - 1/2)), whose
period turned a probability outside [0, 1] into a finite answer: quantile(1.5) = -6.1e-17 and quantile(-0.5) =
6.1e-17, silently, where every other link (logit, probit, cloglog, loglog, t with df != 1; the t link with df = 1
too before 51f2028) gives NaN. Oracle: scipy.stats.cauchy.ppf and scipy.stats.t.ppf, NaN outside [0, 1]."""

import numpy as np
import pytest
from scipy import stats

from paperworks.stats.links import Link

BAD = np.array([-0.5, -1e-300, 1.0 + 1e-15, 1.5, 2.0, np.inf, -np.inf, np.nan])
GOOD = np.array([0.0, 1e-300, 1e-9, 0.25, 0.5, 0.75, 1.0 - 1e-9, 1.0])


@pytest.mark.parametrize("link", [Link("cauchit"), Link("t", 1.0), Link("t", 1)], ids=["cauchit", "t1.0", "t1"])
def test_probabilities_outside_the_unit_interval_give_nan(link):
    with np.errstate(all="ignore"):
        assert np.isnan(link.quantile(BAD)).all()
        assert np.isnan(link.quantile_sf(BAD)).all()
        assert np.isnan(stats.cauchy.ppf(BAD)).all()          # the oracle agrees
    assert np.isnan(link.quantile(1.5)) and np.isnan(link.quantile_sf(-0.5))


@pytest.mark.parametrize("link", [Link("cauchit"), Link("t", 1.0)], ids=["cauchit", "t1"])
def test_probabilities_inside_still_match_the_cauchy_quantile(link):
    q = link.quantile(GOOD)
    assert q[0] == -np.inf and q[-1] == np.inf
    np.testing.assert_allclose(q[1:-1], stats.cauchy.ppf(GOOD[1:-1]), rtol=1e-12)
    np.testing.assert_allclose(link.quantile_sf(GOOD[1:-1]), -stats.cauchy.ppf(GOOD[1:-1]), rtol=1e-12)
