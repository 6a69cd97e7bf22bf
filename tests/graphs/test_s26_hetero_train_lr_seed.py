"""lr and seed arguments of the GTN / HDGI training loops (session 26, API helper)."""

import numpy as np
import pytest
import torch
from torch import nn

from paperworks.core.errors import ConfigError
from paperworks.graphs.hetero_baselines import dgi_embeddings, train_node_classifier, train_on_loss
from paperworks.graphs.hetero_infomax import normalized_metapath_adjacencies
from paperworks.systems.hdgi import train_hdgi

BAD_LR = [0, 0.0, -1e-3, float("nan"), float("inf"), "0.1", None, True]


def _hdgi_inputs():
    torch.manual_seed(0)
    n = 8
    adjs = normalized_metapath_adjacencies([torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])], n)
    return torch.randn(n, 4), adjs


@pytest.mark.parametrize("lr", BAD_LR)
def test_train_hdgi_refuses_a_learning_rate_that_cannot_train(lr):
    x, adjs = _hdgi_inputs()
    with pytest.raises(ConfigError, match="lr must be a finite number > 0"):
        train_hdgi(x, adjs, dim=4, max_epochs=3, lr=lr)


@pytest.mark.parametrize("lr", [0, "0.01"])
def test_train_on_loss_and_node_classifier_refuse_bad_lr(lr):
    lin = nn.Linear(3, 2)
    x = torch.randn(6, 3)
    with pytest.raises(ConfigError, match="train_on_loss: lr must be"):
        train_on_loss(lin, lambda: (lin(x).pow(2).mean(), None), lr=lr, patience=5, max_epochs=3)
    y = torch.tensor([0, 1, 0, 1, 0, 1])
    with pytest.raises(ConfigError, match="train_node_classifier: lr must be"):
        train_node_classifier(lin, lambda: lin(x), y, torch.tensor([0, 1]), torch.tensor([2, 3]),
                              torch.tensor([4, 5]), epochs=2, lr=lr)


@pytest.mark.parametrize("seed", [1.5, True, "0", 2 ** 70])
def test_train_hdgi_and_dgi_refuse_a_bad_seed(seed):
    x, adjs = _hdgi_inputs()
    with pytest.raises(ConfigError, match="train_hdgi: 'seed' must be an integer"):
        train_hdgi(x, adjs, dim=4, max_epochs=3, seed=seed)
    ei = torch.tensor([[0, 1, 2], [1, 2, 0]])
    with pytest.raises(ConfigError, match="dgi_embeddings: 'seed' must be an integer"):
        dgi_embeddings(x, ei, 4, max_epochs=2, seed=seed)


def test_numpy_seed_and_lr_train_as_python_ones():
    x, adjs = _hdgi_inputs()
    # (a NumPy integer seed failed in torch.manual_seed: "an integer is required")
    a = train_hdgi(x, adjs, dim=4, max_epochs=4, seed=3, lr=1e-2)
    b = train_hdgi(x, adjs, dim=4, max_epochs=4, seed=np.int64(3), lr=np.float64(1e-2))
    assert a[1] == b[1]
    for (ka, va), (kb, vb) in zip(a[0].state_dict().items(), b[0].state_dict().items()):
        assert ka == kb and torch.equal(va, vb)
