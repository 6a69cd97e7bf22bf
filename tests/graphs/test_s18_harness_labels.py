"""Harness inputs found by the session-18 graph review: labels that np.bincount refused, mismatched NMI lists,
an empty or non-positive number of runs, mean_std of nothing. Oracles: sklearn's own stratified splitters (labels
are classes by value) and the relabelling invariance of a stratified split."""

import numpy as np
import pytest
import torch
from sklearn.metrics import normalized_mutual_info_score
from sklearn.model_selection import StratifiedKFold

from paperworks.core.errors import ConfigError, DataError
from paperworks.graphs import community_nmi, mean_std, random_splits, stratified_folds

Y = np.array([0, 1, 1] * 10)


@pytest.mark.parametrize("relabel", [lambda y: y - 1, lambda y: np.array(["a", "b"])[y], lambda y: 2.0 * y - 3])
def test_stratified_folds_take_any_class_labels(relabel):
    # negative, string and fractional labels are classes for sklearn; np.bincount crashed on them
    # ("'list' argument must have no negative elements", "Cannot cast array data ... according to the rule 'safe'")
    y = relabel(Y)
    got = stratified_folds(y, k=3, seed=4)
    skf = StratifiedKFold(n_splits=3, shuffle=True, random_state=4)
    ref = [np.sort(te) for _, te in skf.split(np.zeros(len(y)), y)]
    assert [f.test.tolist() for f in got] == [r.tolist() for r in ref]
    assert [f.test.tolist() for f in got] == [f.test.tolist() for f in stratified_folds(Y, k=3, seed=4)]
    with pytest.raises(DataError, match="smallest class has 10 graphs"):
        stratified_folds(y, k=11)


def test_splits_refuse_fractional_labels_with_one_clear_error():
    # np.bincount's "Cannot cast array data from dtype('float64') ..." before; sklearn calls them 'continuous'
    for fn in (lambda y: stratified_folds(y, k=3), lambda y: random_splits(y, runs=1)):
        with pytest.raises(DataError, match="integer class ids"):
            fn(np.r_[Y, Y] * 0.5)


def test_random_splits_take_any_class_labels_and_refuse_no_runs():
    y = np.array([0, 1] * 20)
    ref = random_splits(y, runs=2, seed=1)
    got = random_splits(np.array([-3, 7])[y], runs=2, seed=1)
    assert all(np.array_equal(getattr(a, k), getattr(b, k)) for a, b in zip(ref, got) for k in ("train", "val", "test"))
    for runs in (0, -2):   # returned [] silently
        with pytest.raises(ConfigError, match="runs"):
            random_splits(y, runs=runs)


def test_community_nmi_refuses_lists_of_different_lengths():
    s = [torch.tensor([[0.9, 0.1], [0.1, 0.9], [0.8, 0.2]]), torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9]])]
    c = [torch.tensor([0, 1, 0]), torch.tensor([0, 1, 1])]
    want = np.mean([normalized_mutual_info_score(ci.numpy(), si.argmax(-1).numpy()) for si, ci in zip(s, c)])
    assert community_nmi(s, c) == pytest.approx(want)
    with pytest.raises(DataError, match="2 assignments but 1 community"):
        community_nmi(s, c[:1])          # was 1.0: the second graph (NMI 0.0) was dropped silently


def test_mean_std_is_the_population_std_and_refuses_no_values():
    assert mean_std([0.5]) == (0.5, 0.0)
    assert mean_std([0.2, 0.6]) == pytest.approx((0.4, float(np.std([0.2, 0.6]))))
    with pytest.raises(DataError, match="no values"):
        mean_std([])
