"""Session-25 review of 4db10af: MultinomialLinkModel's new group1_size check refused a float holding an integer
(group1_size=2.0, np.float64(2.0): "must be an integer in [1, 3]"), which before ran as 2, the same model as
group1_size=2. Such a float is taken again; fractions, strings, bools, inf and NaN stay refused."""

import math

import numpy as np
import pytest

from paperworks.stats import MultinomialLinkModel

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 2))
Y = np.array([0, 1, 2, 3] * 15)


def _spec(m):
    return [(b.family, b.cats, b.preds, b.kind) for b in m.blocks], m.param_names


@pytest.mark.parametrize("k", [2.0, np.float64(2.0), np.float32(2.0)])
def test_an_integral_float_is_that_integer(k):
    want = _spec(MultinomialLinkModel(Y, X, model="cumulative", group1_size=2))
    assert _spec(MultinomialLinkModel(Y, X, model="cumulative", group1_size=k)) == want


@pytest.mark.parametrize("bad", [1.5, math.inf, math.nan, "2", True, np.bool_(True)])
def test_other_non_integers_stay_refused(bad):
    with pytest.raises(ValueError, match=r"group1_size must be an integer in \[1, 3\]"):
        MultinomialLinkModel(Y, X, model="cumulative", group1_size=bad)


def test_an_integral_float_out_of_range_names_the_range():
    with pytest.raises(ValueError, match=r"group1_size must be in \[1, 3\] \(got 4.0\)"):
        MultinomialLinkModel(Y, X, model="cumulative", group1_size=4.0)
