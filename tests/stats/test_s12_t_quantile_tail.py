"""Link('t', nu).quantile in the far tail where scipy's t.ppf is finite but wrong.

For 2 <= nu <= 4 and p below ~1e-120, stats.t.ppf returned |x| off by up to a factor 2 (nu = 3, p = 1e-200:
-2.40e66 for -4.80e66; log F at it -458.44 instead of log p = -460.52). Only +-inf and ppf's saturation were
caught before. Oracle: the mpmath cdf (regularised incomplete beta) at the returned quantile."""

import mpmath as mp
import numpy as np
import pytest

from paperworks.stats.links import make_link


def _mp_log_cdf(nu, x):
    with mp.workdps(60):
        nu, x = mp.mpf(nu), mp.mpf(x)
        v = mp.betainc(nu / 2, mp.mpf(1) / 2, 0, nu / (nu + x * x), regularized=True) / 2
        return float(mp.log(v if x < 0 else 1 - v))


@pytest.mark.parametrize("nu", [2.2, 3.0, 3.5])
def test_t_quantile_inverts_the_mpmath_cdf_in_the_far_tail(nu):
    lk = make_link("t", df=nu)
    p = np.array([1e-130, 1e-170, 1e-200, 1e-230, 1e-5])
    q = lk.quantile(p)
    assert np.all(np.isfinite(q)) and np.all(q < 0)
    np.testing.assert_allclose([_mp_log_cdf(nu, v) for v in q], np.log(p), rtol=1e-13)
    # the upper tail (1 - p rounds: compare with the cdf of the rounded level)
    up = lk.quantile(1.0 - p[-1])
    assert abs(_mp_log_cdf(nu, -up) - np.log(p[-1])) < 1e-10


def test_scalar_and_array_inputs_keep_their_shapes():
    lk = make_link("t", df=3.0)
    assert np.ndim(lk.quantile(1e-200)) == 0
    P = np.array([[1e-200, 0.3], [1e-300, 0.9]])
    Q = lk.quantile(P)
    assert Q.shape == (2, 2)
    np.testing.assert_allclose([_mp_log_cdf(3.0, v) for v in Q[:, 0]], np.log(P[:, 0]), rtol=1e-13)
