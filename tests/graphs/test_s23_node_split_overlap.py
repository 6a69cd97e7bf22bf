"""logreg_probe (HDGI's probe) and train_node_classifier (GTN's training / model selection) refuse node splits
that share nodes (session 23). Before, a test node that was also trained on, or on which C / the best epoch was
chosen, was scored without a word: on random labels the probe gave test macro-F1 0.80 with test = train against
0.32 on a disjoint split, and an MLP trained with the test nodes in its training split 0.92 against 0.34."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.graphs.hetero_baselines import MLPClassifier, train_node_classifier
from paperworks.graphs.node_eval import logreg_probe

RNG = np.random.default_rng(0)
N = 60
Z = RNG.normal(size=(N, 4))
Y = np.arange(N) % 3
PERM = RNG.permutation(N)
TR, VA, TE = PERM[:30], PERM[30:40], PERM[40:]


def _mask(idx):
    m = np.zeros(N, dtype=bool)
    m[idx] = True
    return m


@pytest.mark.parametrize("parts, msg", [
    ((TR, TR, VA), "the train and test splits share 30"),
    ((np.concatenate([TR, TE[:2]]), TE, VA), "the train and test splits share 2"),
    ((TR, TE, np.concatenate([VA, TE[:3]])), "the val and test splits share 3"),
    ((TR, TE, np.concatenate([VA, TR[:1]])), "the train and val splits share 1"),
    ((_mask(np.concatenate([TR, TE[:1]])), torch.tensor(TE), _mask(VA)), "the train and test splits share 1"),
])
def test_logreg_probe_refuses_overlapping_splits(parts, msg):
    tr, te, va = parts
    with pytest.raises(DataError, match=msg):
        logreg_probe(Z, Y, tr, te, va)


def test_logreg_probe_disjoint_splits_unchanged():
    r = logreg_probe(Z, Y, TR, TE, VA)
    assert r == logreg_probe(Z, Y, _mask(TR), _mask(TE), _mask(VA))
    assert logreg_probe(Z, Y, TR, TE)["C"] == 1.0


@pytest.mark.parametrize("which, msg", [
    ("test_in_train", "the train and test splits share 2"),
    ("val_is_test", "the val and test splits share 20"),
    ("mask_train_val", "the train and val splits share 1"),
])
def test_train_node_classifier_refuses_overlapping_splits(which, msg):
    x, y = torch.tensor(Z, dtype=torch.float32), torch.tensor(Y)
    tr, va, te = torch.tensor(TR), torch.tensor(VA), torch.tensor(TE)
    if which == "test_in_train":
        tr = torch.cat([tr, te[:2]])
    elif which == "val_is_test":
        va = te
    else:
        tr, va = torch.tensor(_mask(np.concatenate([TR, VA[:1]]))), torch.tensor(_mask(VA))
    torch.manual_seed(0)
    m = MLPClassifier(4, 8, 3)
    with pytest.raises(DataError, match=msg):
        train_node_classifier(m, lambda: m(x), y, tr, va, te, epochs=2)


def test_train_node_classifier_disjoint_splits_still_train():
    x, y = torch.tensor(Z, dtype=torch.float32), torch.tensor(Y)
    torch.manual_seed(0)
    m = MLPClassifier(4, 8, 3)
    res = train_node_classifier(m, lambda: m(x), y, torch.tensor(TR), torch.tensor(_mask(VA)), torch.tensor(TE),
                                epochs=2)
    assert {"test_macro_f1", "test_micro_f1", "best_epoch"} <= set(res)


def test_a_negative_index_and_its_positive_twin_overlap():
    # torch reads -1 as the last node: train [.., -1] and test [9, ..] (10 nodes) shared node 9 unnoticed
    torch.manual_seed(0)
    x, y = torch.randn(10, 4), torch.randint(0, 2, (10,))
    m = MLPClassifier(4, 8, 2)
    with pytest.raises(DataError, match="train and test splits share 1 node.*\\[9\\]"):
        train_node_classifier(m, lambda: m(x), y, torch.tensor([0, 1, -1]), torch.tensor([2, 3]),
                              torch.tensor([9, 4]), epochs=2)
