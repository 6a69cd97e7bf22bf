"""The checks of logreg_probe's cs (cedeeea) and random_splits' fractions (c0f92f7) took only a tuple, list or
ndarray: a range, a set, a pandas Series or a generator of C values, which trained before, were refused with
"(got None)" naming no value, and a Series of fractions (split before) was refused. Any iterable of numbers is
taken again, with the same result as the tuple of its values; bad values are still refused, naming them."""

import numpy as np
import pandas as pd
import pytest

from paperworks.core.errors import ConfigError, DataError
from paperworks.graphs.harness import random_splits
from paperworks.graphs.node_eval import logreg_probe

Z = np.random.default_rng(0).normal(size=(40, 4))
Y = np.repeat([0, 1], 20)
IDX = (np.arange(0, 40, 2), np.arange(21, 40, 2), np.arange(1, 20, 2))


@pytest.mark.parametrize("make", [lambda: range(1, 4), lambda: {1, 2, 3}, lambda: pd.Series([1, 2, 3]),
                                  lambda: (c for c in (1, 2, 3)), lambda: {1: "a", 2: "b", 3: "c"}.keys()],
                         ids=["range", "set", "series", "generator", "dict_keys"])
def test_any_iterable_of_cs_scores_as_its_tuple(make):
    assert logreg_probe(Z, Y, *IDX, cs=make()) == logreg_probe(Z, Y, *IDX, cs=(1, 2, 3))


@pytest.mark.parametrize("cs,shown", [(0.5, "0.5"), ("abc", "'abc'"), (range(0), "()"), ({0.0, -1.0}, "(0.0, -1.0)")])
def test_bad_cs_names_the_value_given(cs, shown):
    with pytest.raises(DataError, match="cs must be a non-empty sequence") as e:
        logreg_probe(Z, Y, *IDX, cs=cs)
    assert f"(got {shown}" in str(e.value) and "got None" not in str(e.value)


def test_a_series_of_fractions_splits_as_its_tuple():
    y = np.repeat([0, 1], 50)
    a = random_splits(y, 2, 0, pd.Series([0.8, 0.1, 0.1], index=["train", "val", "test"]))
    b = random_splits(y, 2, 0, (0.8, 0.1, 0.1))
    assert all(np.array_equal(getattr(s, k), getattr(t, k)) for s, t in zip(a, b) for k in ("train", "val", "test"))
    with pytest.raises(ConfigError, match=r"\(got \[0.8, 0.3, -0.1\]\)"):
        random_splits(y, 2, 0, pd.Series([0.8, 0.3, -0.1]))
