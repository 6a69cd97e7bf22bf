"""kmeans_scores: n_runs below one is an error, not a NaN score; the scores match scikit-learn's."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from paperworks.core.errors import DataError
from paperworks.graphs.node_eval import kmeans_scores


def _data():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 10)
    return rng.normal(size=(30, 4)) + 3 * np.eye(3, 4)[y], y


@pytest.mark.parametrize("n_runs", [0, -2, 1.5, True])
def test_kmeans_scores_rejects_n_runs_below_one(n_runs):
    z, y = _data()
    with pytest.raises(DataError, match="n_runs must be an integer >= 1"):
        kmeans_scores(z, y, n_runs=n_runs)


def test_kmeans_scores_match_sklearn():
    z, y = _data()
    got = kmeans_scores(z, y, n_runs=2, seed=1, n_init=1)   # single starts (the default is n_init=10: s21)
    labs = [KMeans(n_clusters=3, n_init=1, random_state=1000 + r).fit_predict(z) for r in range(2)]
    assert got["nmi"] == pytest.approx(np.mean([normalized_mutual_info_score(y, lab) for lab in labs]), abs=1e-12)
    assert got["ari"] == pytest.approx(np.mean([adjusted_rand_score(y, lab) for lab in labs]), abs=1e-12)
