"""conf_int at small alpha: z = norm.ppf(1 - alpha / 2) rounded 1 - alpha / 2 first (relative error 2e-9 at
alpha = 1e-10, infinite bounds below alpha ~ 1e-16). Oracle: mpmath, z = sqrt(2) erfinv(1 - alpha)."""

import mpmath as mp
import numpy as np
import pytest

from paperworks.stats import MultinomialLinkModel


@pytest.mark.parametrize("alpha", [0.05, 1e-6, 1e-10, 1e-20, 1e-300])
def test_conf_int_half_width_equals_mpmath_normal_quantile(alpha):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 1))
    y = ((x[:, 0] + rng.logistic(size=200))[:, None] > np.array([-0.5, 0.7])[None, :]).sum(1)
    res = MultinomialLinkModel(y, x, model="cumulative", assumption="po").fit()
    lo, hi = res.conf_int(alpha=alpha).T
    with mp.workdps(400):                 # 1 - alpha exact for alpha >= 1e-300
        z = float(mp.sqrt(2) * mp.erfinv(1 - mp.mpf(alpha)))
    np.testing.assert_allclose((hi - lo) / (2 * res.bse), z, rtol=1e-14)
