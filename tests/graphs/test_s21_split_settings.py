"""random_splits let a NaN fraction through (every comparison with NaN is False) and blamed the data ("the
smallest class has 50 graphs, too few for a stratified nan/0.5/0.5 split"); two fractions failed with an
IndexError. stratified_folds(k=3.5 or 10.0) failed inside sklearn ("The number of folds must be of Integral
type")."""

import math

import numpy as np
import pytest

from paperworks.core.errors import ConfigError
from paperworks.graphs.harness import random_splits, stratified_folds

Y = np.repeat([0, 1], 50)


@pytest.mark.parametrize("fractions", [(math.nan, 0.5, 0.5), (0.8, math.nan, 0.1), (0.5, 0.5), (0.8, 0.1, 0.1, 0.0),
                                       (0.8, 0.3, -0.1), (math.inf, 0.1, 0.1)])
def test_bad_fractions_are_named(fractions):
    with pytest.raises(ConfigError, match="'fractions' must be 3 positive numbers summing to 1"):
        random_splits(Y, 2, 0, fractions)


@pytest.mark.parametrize("k", [3.5, 10.0, True, 2])
def test_bad_fold_count_is_named(k):
    with pytest.raises(ConfigError, match="'k' must be an integer >= 3"):
        stratified_folds(Y, k)


def test_valid_settings_unchanged():
    a = random_splits(Y, 2, 0, [0.8, 0.1, 0.1])
    b = random_splits(Y, 2, 0, np.array([0.8, 0.1, 0.1]))
    assert all(np.array_equal(x.test, z.test) for x, z in zip(a, b))
    assert len(stratified_folds(Y, np.int64(5))) == 5
