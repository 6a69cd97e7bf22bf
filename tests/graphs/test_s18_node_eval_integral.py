"""logreg_probe / kmeans_scores cast labels and indices with astype(int64): fractional values were truncated
silently (labels 0 and 0.5 became one class; index 2.5 picked node 2). Oracle: the same calls on the integer
relabelling, and sklearn's NMI on the labels as given."""

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score

from paperworks.core.errors import DataError
from paperworks.graphs.node_eval import kmeans_scores, logreg_probe

Y = np.repeat([0, 1, 2], 20)
Z = np.random.default_rng(0).normal(size=(60, 3)) + 3 * np.eye(3)[Y]
TR, TE = np.arange(0, 60, 2), np.arange(1, 60, 2)


def test_fractional_labels_are_refused_not_merged():
    y = Y * 0.5          # three classes 0, 0.5, 1; the probe saw two (0 and 1) and the K-means NMI fell 1.0 -> 0.73
    lab = KMeans(n_clusters=3, n_init=1, random_state=0).fit_predict(Z)
    assert normalized_mutual_info_score(y, lab) == pytest.approx(1.0)          # labels as given: perfect
    with pytest.raises(DataError, match="'y' must hold integers"):
        kmeans_scores(Z, y, 3, n_runs=1)
    with pytest.raises(DataError, match="'y' must hold integers"):
        logreg_probe(Z, torch.tensor(y), TR, TE)


def test_fractional_indices_are_refused_integral_floats_kept():
    with pytest.raises(DataError, match="'train_idx' must hold integers"):
        logreg_probe(Z, Y, TR + 0.5, TE)
    with pytest.raises(DataError, match="'val_idx' must hold integers"):
        logreg_probe(Z, Y, TR, TE, val_idx=np.array([1.5, 3.0]))
    ref = logreg_probe(Z, Y, TR, TE)
    assert logreg_probe(Z, Y.astype(float), TR.astype(float), torch.tensor(TE, dtype=torch.float64)) == ref
    assert kmeans_scores(Z, Y.astype(np.float32), n_runs=2) == kmeans_scores(Z, Y, n_runs=2)
