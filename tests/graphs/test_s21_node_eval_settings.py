"""logreg_probe with an empty cs failed in max() ("max() arg is an empty sequence") and with C <= 0 / NaN inside
sklearn; kmeans_scores truncated n_clusters=2.7 to 2 and read n_clusters=0 as 'the number of classes'."""

import math

import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.graphs.node_eval import kmeans_scores, logreg_probe


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(40, 4)), np.repeat([0, 1], 20)


@pytest.mark.parametrize("cs", [(), (0.0,), (-1.0,), (math.nan,), (1.0, "x")])
def test_bad_cs_is_named(cs):
    z, y = _data()
    with pytest.raises(DataError, match="cs must be a non-empty sequence of numbers > 0"):
        logreg_probe(z, y, np.arange(0, 40, 2), np.arange(21, 40, 2), np.arange(1, 20, 2), cs=cs)


@pytest.mark.parametrize("k", [2.7, 0, 1.0])
def test_bad_n_clusters_is_named(k):
    z, y = _data()
    with pytest.raises(DataError, match="n_clusters must be None"):
        kmeans_scores(z, y, n_clusters=k, n_runs=1)


def test_valid_settings_still_score():
    z, y = _data()
    assert kmeans_scores(z, y, n_clusters=np.int64(2), n_runs=1) == kmeans_scores(z, y, n_runs=1)
    r = logreg_probe(z, y, np.arange(0, 40, 2), np.arange(21, 40, 2), np.arange(1, 20, 2), cs=[0.1, math.inf])
    assert r["C"] in (0.1, math.inf)
