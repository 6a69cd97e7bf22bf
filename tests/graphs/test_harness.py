"""Harness: split protocols and early stopping (oracles: set algebra, a separable task, best-state restore)."""

import numpy as np
import pytest
import torch
from torch import nn
from torch_geometric.data import Data
from torch_geometric.nn import global_mean_pool

from paperworks.core.errors import ConfigError, DataError
from paperworks.graphs import (community_nmi, components_and_isolated, fmt_acc, random_splits,
                               stratified_folds, train_eval)


def test_stratified_folds_partition_and_balance():
    y = np.array([0] * 60 + [1] * 30 + [2] * 10)
    folds = stratified_folds(y, k=10, seed=3)
    tests = np.concatenate([f.test for f in folds])
    assert sorted(tests.tolist()) == list(range(100))  # every graph tested exactly once
    for i, f in enumerate(folds):
        assert not (set(f.train) & set(f.val) or set(f.train) & set(f.test) or set(f.val) & set(f.test))
        assert len(f.train) + len(f.val) + len(f.test) == 100
        assert np.bincount(y[f.test], minlength=3).tolist() == [6, 3, 1]
        np.testing.assert_array_equal(f.val, folds[(i + 1) % 10].test)
    assert [f.test.tolist() for f in stratified_folds(y, 10, 3)] == [f.test.tolist() for f in folds]


def test_random_splits_fractions():
    y = np.array([0, 1] * 50)
    for s in random_splits(y, runs=3, seed=0):
        assert (len(s.train), len(s.val), len(s.test)) == (80, 10, 10)
        assert len(set(s.train) | set(s.val) | set(s.test)) == 100


def test_split_errors():
    with pytest.raises(DataError, match="smallest class"):
        stratified_folds(np.array([0] * 20 + [1] * 3), k=10)
    with pytest.raises(ConfigError, match="fractions"):
        random_splits(np.array([0, 1] * 10), fractions=(0.5, 0.5, 0.5))


class _MeanNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(1, 2)

    def forward(self, data):
        return self.lin(global_mean_pool(data.x, data.batch)), torch.zeros(())


def _separable(n=60):
    g = torch.Generator().manual_seed(0)
    out = []
    for i in range(n):
        y = i % 2
        k = int(torch.randint(2, 6, (1,), generator=g))
        x = torch.randn(k, 1, generator=g) * 0.1 + (2 * y - 1)
        out.append(Data(x=x, edge_index=torch.zeros(2, 0, dtype=torch.long), y=torch.tensor([y])))
    return out


def test_train_eval_solves_a_separable_task_and_keeps_best_state():
    data = _separable()
    split = stratified_folds(np.array([d.y.item() for d in data]), 5, 0)[0]
    r = train_eval(_MeanNet, data, split, epochs=25, lr=0.1, patience=100, batch_size=16)
    assert r.test_acc == 1.0
    best = min(h["val_loss"] for h in r.history)
    assert r.val_loss == pytest.approx(best) and r.history[r.best_epoch - 1]["val_loss"] == pytest.approx(best)
    r2 = train_eval(_MeanNet, data, split, epochs=25, lr=0.1, patience=3, batch_size=16)
    assert r2.epochs_run - r2.best_epoch <= 3


def test_metrics():
    s = [torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9]]), torch.tensor([[1.0, 0.0]])]
    assert community_nmi(s, [torch.tensor([5, 5, 7]), torch.tensor([0])]) == pytest.approx(1.0)
    assert components_and_isolated(torch.tensor([[0, 1, 3], [1, 0, 3]]), 5) == (4, 3)
    assert fmt_acc([0.5, 0.7]) == "60.0 ± 10.0"


def test_train_eval_names_the_bad_graph():
    """Bad graphs in a dataset get one DataError naming the graph (mixed widths crashed in the collate)."""
    data = _separable(20)
    split = stratified_folds(np.array([d.y.item() for d in data]), 5, 0)[0]
    bad = list(data)
    bad[7] = Data(x=torch.randn(3, 2), edge_index=torch.zeros(2, 0, dtype=torch.long), y=torch.tensor([1]))
    with pytest.raises(DataError, match="graph 7 has 2 node features but graph 0 has 1"):
        train_eval(_MeanNet, bad, split, epochs=1)
    bad[7] = Data(x=torch.full((3, 1), float("nan")), edge_index=torch.zeros(2, 0, dtype=torch.long),
                  y=torch.tensor([1]))
    with pytest.raises(DataError, match="graph 7: 'x' contains NaN"):
        train_eval(_MeanNet, bad, split, epochs=1)
    bad[7] = Data(x=torch.randn(3, 1), edge_index=torch.tensor([[0], [3]]), y=torch.tensor([1]))
    with pytest.raises(DataError, match="graph 7: 'edge_index' refers to node 3"):
        train_eval(_MeanNet, bad, split, epochs=1)
    bad[7] = Data(x=torch.randn(3, 1), edge_index=torch.zeros(2, 0, dtype=torch.long), y=torch.tensor([0.5]))
    with pytest.raises(DataError, match="graph 7 needs one integer class label"):
        train_eval(_MeanNet, bad, split, epochs=1)
    bad[7] = Data(x=torch.randn(0, 1), edge_index=torch.zeros(2, 0, dtype=torch.long), y=torch.tensor([1]))
    with pytest.raises(DataError, match="graph 7: empty graph"):
        train_eval(_MeanNet, bad, split, epochs=1)
    from paperworks.graphs import Split

    with pytest.raises(DataError, match="refers to graph 20"):
        train_eval(_MeanNet, data, Split(np.arange(10), np.array([10]), np.array([20])), epochs=1)


def test_train_eval_handles_single_node_and_edgeless_graphs():
    """Single-node graphs in training batches of their own (batch_size 1) and in the test fold are classified like
    any other graph of the separable task: every test graph right, whatever its size."""
    data = _separable(20)  # edgeless graphs of 2-5 nodes, class sign = feature sign
    split = stratified_folds(np.array([d.y.item() for d in data]), 5, 0)[0]

    def lone(y):
        return Data(x=torch.tensor([[2.0 * y - 1.0]]), edge_index=torch.zeros(2, 0, dtype=torch.long),
                    y=torch.tensor([y]))

    for i in (int(split.train[0]), int(split.test[0]), int(split.test[1])):
        data[i] = lone(data[i].y.item())
    r = train_eval(_MeanNet, data, split, epochs=25, lr=0.1, patience=100, batch_size=1)
    assert r.test_acc == 1.0


def test_random_splits_refuse_a_class_too_small_to_stratify():
    with pytest.raises(DataError, match="smallest class has 3 graphs"):
        random_splits(np.array([0] * 30 + [1] * 3))


def test_random_splits_keep_a_rare_class_that_sklearn_can_stratify():
    """A class of 8 or 9 graphs (e.g. a rare class of a local TU folder) splits 80/10/10 with the class in every
    part of every split, as it did before the fixed 10-per-class rule refused it; 7 of 107 cannot be stratified
    (one graph left for the val/test split) and is one DataError naming the smallest class."""
    for k in (8, 9):
        y = np.array([0] * 100 + [1] * k)
        for s in random_splits(y, runs=10, seed=0):
            assert all((y[part] == 1).any() for part in (s.train, s.val, s.test))
            assert len(np.intersect1d(s.val, s.test)) == 0 and len(s.train) + len(s.val) + len(s.test) == len(y)
    with pytest.raises(DataError, match="smallest class has 7 graphs"):
        random_splits(np.array([0] * 100 + [1] * 7))


def test_train_eval_refuses_bad_settings():
    data = _separable(20)
    split = stratified_folds(np.array([d.y.item() for d in data]), 5, 0)[0]
    for kw, key in (({"epochs": 0}, "epochs"), ({"batch_size": 0}, "batch_size"), ({"patience": 0}, "patience"),
                    ({"lr": float("nan")}, "lr")):
        with pytest.raises(ConfigError, match=key):
            train_eval(_MeanNet, data, split, **kw)


def test_diffpool_nmi_aligns_each_graphs_nodes_with_its_assignment_rows():
    """A scripted 'model' whose padded first-level assignment is the one-hot planted community (rows of a
    graph first, zero padding after, as DiffPoolNet stores it): NMI exactly 1; a graph with one community is
    skipped; and reversing the rows of one graph gives sklearn's NMI for that graph in the mean."""
    from sklearn.metrics import normalized_mutual_info_score
    from torch_geometric.utils import to_dense_batch

    from paperworks.graphs.experiment import diffpool_nmi

    comms = [torch.tensor([0, 0, 1, 1, 2]), torch.tensor([1, 0, 1, 0, 0, 1, 1, 0]), torch.tensor([0, 0, 0]),
             torch.tensor([2, 2, 0, 1, 1, 0])]
    data = [Data(x=torch.zeros(len(c), 1), edge_index=torch.zeros(2, 0, dtype=torch.long), community=c)
            for c in comms]

    class Scripted:
        def __init__(self, shuffle=None):
            self.shuffle = shuffle

        def eval(self):
            return self

        def __call__(self, batch):
            c = batch.community.clone()
            if self.shuffle is not None:
                c[self.shuffle] = c[self.shuffle.flip(0)]
            s = torch.nn.functional.one_hot(c, 3).float()
            self.assignments = [to_dense_batch(s, batch.batch)[0]]

    assert diffpool_nmi(Scripted(), data) == pytest.approx(1.0)
    # shuffle the first graph's rows 0..4 (reverse): [2, 1, 1, 0, 0] against [0, 0, 1, 1, 2]
    got = diffpool_nmi(Scripted(shuffle=torch.arange(5)), data)
    want = (normalized_mutual_info_score([0, 0, 1, 1, 2], [2, 1, 1, 0, 0]) + 1.0 + 1.0) / 3
    assert got == pytest.approx(want, rel=1e-12) and got < 0.99


def test_early_stopping_stops_after_patience_and_restores_the_best_state():
    """Validation labels that reverse the training rule: the validation loss rises from the first epoch on, so
    the best epoch is 1, training stops at 1 + patience, and the returned model (and the test accuracy) is the
    epoch-1 state: its validation loss is history[0]'s, not the last epoch's. (On the separable task above the
    validation loss falls at every epoch, so best = last and neither stopping nor restoring was exercised.)"""
    from torch_geometric.loader import DataLoader

    from paperworks.graphs.harness import evaluate

    data = _separable()
    split = stratified_folds(np.array([d.y.item() for d in data]), 5, 0)[0]
    for i in split.val:
        data[i] = Data(x=data[i].x, edge_index=data[i].edge_index, y=1 - data[i].y)
    r = train_eval(_MeanNet, data, split, epochs=25, lr=0.1, patience=4, batch_size=16, keep_model=True)
    losses = [h["val_loss"] for h in r.history]
    assert losses == sorted(losses) and losses[-1] > losses[0] + 0.1   # the scripted rise
    assert r.best_epoch == 1 and r.epochs_run == 5 and len(r.history) == 5
    val_acc, val_loss = evaluate(r.model, DataLoader([data[i] for i in split.val], batch_size=256))
    assert val_loss == pytest.approx(losses[0], rel=1e-9) and r.val_loss == pytest.approx(losses[0], rel=1e-9)
    test_acc, _ = evaluate(r.model, DataLoader([data[i] for i in split.test], batch_size=256))
    assert r.test_acc == test_acc
