"""The split helpers (stratified_folds / random_splits / make_splits) read a list of graphs' labels with int(d.y)
(session 20 review). A fractional float y - the regression targets load_tu now returns for NAME_graph_attributes.txt
(fbe9c2b) - was truncated silently (0.7 -> 0, 1.4 -> 1) and the graphs were stratified on those made-up classes,
while the same values given as an array are refused; a y with several values was a bare "only one element tensors
can be converted" ValueError. Both are now one DataError; integer labels give the same splits as before."""

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from paperworks.core.errors import DataError
from paperworks.graphs.harness import make_splits, random_splits, stratified_folds

EI = torch.zeros(2, 0, dtype=torch.long)


def _graphs(ys):
    return [Data(x=torch.ones(2, 1), edge_index=EI, y=y) for y in ys]


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(getattr(s, f), getattr(t, f))
                                    for s, t in zip(a, b) for f in ("train", "val", "test"))


@pytest.mark.parametrize("split", [lambda d: stratified_folds(d, 3), lambda d: random_splits(d, 2),
                                   lambda d: make_splits(d, "cv10", folds=3)])
def test_fractional_float_targets_of_graphs_are_refused_as_arrays_are(split):
    vals = [0.2, 0.7, 1.4, 1.9, 0.4, 0.9, 1.1, 1.6, 0.3, 1.2]
    with pytest.raises(DataError, match="class labels must be integer class ids"):
        split(np.array(vals))                                    # the array form was already refused
    with pytest.raises(DataError, match="class labels must be integer class ids"):
        split(_graphs([torch.tensor([v]) for v in vals]))        # load_tu's graph_attributes targets
    with pytest.raises(DataError, match="class labels must be integer class ids"):
        split(_graphs([torch.tensor([float("nan")])] + [torch.tensor([float(i % 2)]) for i in range(9)]))


def test_a_graph_with_several_target_values_is_named():
    data = _graphs([torch.tensor([[0.5, 1.0]]) for _ in range(10)])
    with pytest.raises(DataError, match=r"one class label per graph.*shape \[1, 2\]"):
        stratified_folds(data, 3)


def test_integer_labels_split_as_before():
    ints = [int(v) for v in np.random.default_rng(0).permutation(np.arange(30) % 3)]   # 10 per class
    ref_cv, ref_rs = stratified_folds(np.array(ints), 3, seed=4), random_splits(np.array(ints), 3, seed=4)
    for ys in ([torch.tensor([v]) for v in ints], [torch.tensor([float(v)]) for v in ints],
               [torch.tensor(v) for v in ints], [torch.tensor([bool(v)]) for v in ints if v < 2]):
        data = _graphs(ys)
        want = [v for v in ints if v < 2] if ys[0].dtype == torch.bool else ints
        assert _same(stratified_folds(data, 3, seed=4), stratified_folds(np.array(want), 3, seed=4))
        assert _same(random_splits(data, 3, seed=4), random_splits(np.array(want), 3, seed=4))
    assert _same(stratified_folds(_graphs([torch.tensor([v]) for v in ints]), 3, seed=4), ref_cv)
    assert _same(random_splits(_graphs([torch.tensor([v]) for v in ints]), 3, seed=4), ref_rs)
    # plain numbers in a list, as before
    assert _same(stratified_folds(ints, 3, seed=4), ref_cv)
