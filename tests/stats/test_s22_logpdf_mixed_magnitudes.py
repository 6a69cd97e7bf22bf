"""The cauchit / t log density of an array holding both eta = 0 and an |eta| > 1e150 (where eta^2 overflows and a
log-space form takes over) warned 'RuntimeWarning: invalid value encountered in add': the log-space form was also
evaluated at eta = 0 (2 log 0 + log1p(inf) = -inf + inf), a value np.where then discards. The values were and are
right; the warning is gone."""

import warnings

import numpy as np
import pytest

from paperworks.stats.links import make_link


@pytest.mark.parametrize("name, df", [("cauchit", None), ("t", 1.0), ("t", 3.0), ("t", 0.5)])
def test_no_warning_and_same_values_as_one_at_a_time(name, df):
    lk = make_link(name, df=df)
    eta = np.array([0.0, -1e200, 2.5, 1e300, -0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = lk.logpdf(eta)
        terms = lk.log_terms(eta)
    np.testing.assert_array_equal(got, [lk.logpdf(np.array([e]))[0] for e in eta])
    np.testing.assert_array_equal(terms[2], got)
    assert np.isfinite(got).all()
