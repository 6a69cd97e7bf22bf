"""Shared node evaluation: F1 by hand, probe and K-means on constructed embeddings, bad input."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.graphs.node_eval import f1_scores, kmeans_scores, logreg_probe


def test_f1_matches_hand_computation():
    y = [0, 0, 1, 1, 2, 2]
    p = [0, 1, 1, 1, 2, 0]
    # class 0: tp1 fp1 fn1 -> 0.5; class 1: tp2 fp1 fn0 -> 0.8; class 2: tp1 fp0 fn1 -> 2/3
    out = f1_scores(y, p)
    assert out["macro_f1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert out["micro_f1"] == pytest.approx(4 / 6)


def test_probe_and_kmeans_on_separable_and_random_embeddings():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 40)
    z = np.eye(3)[y] * 10 + rng.normal(size=(120, 3)) * 0.1
    idx = rng.permutation(120)
    res = logreg_probe(torch.tensor(z), torch.tensor(y), idx[:30], idx[45:], idx[30:45])
    assert res["macro_f1"] == 1.0 and res["micro_f1"] == 1.0
    km = kmeans_scores(z, y, n_runs=3)
    assert km["nmi"] == pytest.approx(1.0) and km["ari"] == pytest.approx(1.0)
    noise = rng.normal(size=(120, 3))
    assert kmeans_scores(noise, y, n_runs=3)["nmi"] < 0.2


def test_bad_input_is_one_clear_error():
    with pytest.raises(DataError, match="differ in length"):
        f1_scores([0, 1], [0])
    with pytest.raises(DataError, match="NaN"):
        kmeans_scores(np.array([[np.nan, 1.0], [0.0, 1.0]]), [0, 1])
    with pytest.raises(DataError, match=r"shape \[N, d\]"):
        logreg_probe(np.zeros(5), [0, 1, 0, 1, 0], [0, 1], [2, 3])
    with pytest.raises(DataError, match="single class"):
        logreg_probe(np.random.rand(6, 2), [0, 0, 1, 1, 2, 2], [0, 1], [2, 3, 4, 5])
    with pytest.raises(DataError, match="embeddings but"):
        kmeans_scores(np.zeros((4, 2)), [0, 1, 0])


def test_probe_learns_from_the_training_rows_only():
    """Scripted split whose test labels are the training rule reversed: a probe fitted on the training rows
    scores F1 = 0 on the test rows, one that saw test (or validation) rows would not. The separable test above
    gives F1 = 1 whichever rows the classifier is fitted on."""
    rng = np.random.default_rng(1)
    z = np.concatenate([rng.uniform(0.5, 1.5, 30), -rng.uniform(0.5, 1.5, 30)])[:, None]
    y = np.r_[np.ones(30), np.zeros(30)].astype(int)
    tr = np.r_[0:10, 30:40]
    rest = np.r_[10:30, 40:60]
    y_flip = y.copy()
    y_flip[rest] = 1 - y_flip[rest]                  # val / test rows follow the opposite rule
    res = logreg_probe(torch.tensor(z), torch.tensor(y_flip), tr, rest[::2], rest[1::2])
    assert res["macro_f1"] == 0.0 and res["micro_f1"] == 0.0
    # and K-means scores are sklearn's NMI / ARI of the clustering (here two clean clusters, labels permuted)
    km = kmeans_scores(z, 1 - y, n_runs=2)
    assert km["nmi"] == pytest.approx(1.0) and km["ari"] == pytest.approx(1.0)
    half = kmeans_scores(z, np.r_[np.zeros(15), np.ones(15), np.zeros(15), np.ones(15)].astype(int), n_runs=2)
    assert half["nmi"] == pytest.approx(0.0, abs=1e-12) and half["ari"] < 0


def test_node_classifier_training_reports_the_first_best_validation_epoch():
    """train_node_classifier (GTN and its baselines) with scripted evaluation predictions: validation macro-F1
    per epoch 0.73 / 1 / 0.5 / 1 -> best epoch 1 (the first maximum), test F1s are epoch 1's predictions, and the
    kept state is the weights after epoch 1's update. (It had no test.)"""
    from paperworks.graphs.hetero_baselines import train_node_classifier

    y = torch.tensor([0, 1, 0, 1, 0, 1, 0, 1])
    tr, va, te = torch.tensor([0, 1]), torch.tensor([2, 3, 4, 5]), torch.tensor([6, 7])
    # predictions at evaluation, per epoch (val rows 2-5, test rows 6-7)
    script = [[0, 1, 0, 1, 1, 1, 0, 0], [0, 1, 0, 1, 0, 1, 1, 0], [0, 1, 0, 1, 1, 0, 0, 1],
              [0, 1, 0, 1, 0, 1, 0, 1]]
    lin = torch.nn.Linear(1, 1)
    calls, states = {"n": 0}, []

    def forward():
        k = calls["n"]
        calls["n"] += 1
        if not lin.training:
            states.append(lin.weight.detach().clone())
        pred = torch.tensor(script[k // 2])
        return torch.nn.functional.one_hot(pred, 2).float() * 5 + 0 * lin.weight.sum()   # Adam's weight decay moves it

    res = train_node_classifier(lin, forward, y, tr, va, te, epochs=4, lr=0.1)
    assert [round(f1_scores(y[va], torch.tensor(s)[va])["macro_f1"], 3) for s in script] == [0.733, 1.0, 0.5, 1.0]
    assert res["best_epoch"] == 1 and res["val_macro_f1"] == 1.0
    want = f1_scores(y[te], torch.tensor(script[1])[te])
    assert res["test_macro_f1"] == want["macro_f1"] and res["test_micro_f1"] == want["micro_f1"] == 0.0
    torch.testing.assert_close(res["state"]["weight"], states[1], rtol=0, atol=0)
    assert not torch.equal(states[1], states[3])   # the weights moved afterwards
