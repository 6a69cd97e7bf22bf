"""The shared DGI / HDGI loop with max_epochs < 1: it returned an untrained model with info epochs=1,
best_loss=inf, init_loss=None (the loop variable's initial 0, plus one); now one clear ConfigError."""

import pytest
import torch
from torch import nn

from paperworks.core.errors import ConfigError
from paperworks.graphs.hetero_baselines import dgi_embeddings, train_on_loss


@pytest.mark.parametrize("max_epochs", [0, -1, 2.5])
def test_train_on_loss_rejects_max_epochs_below_one(max_epochs):
    m, x = nn.Linear(2, 1), torch.randn(4, 2)
    with pytest.raises(ConfigError, match="train_on_loss: max_epochs must be an integer >= 1"):
        train_on_loss(m, lambda: (m(x).pow(2).mean(), None), lr=0.1, patience=3, max_epochs=max_epochs)


def test_dgi_embeddings_rejects_zero_epochs():
    x, ei = torch.rand(5, 3), torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])
    with pytest.raises(ConfigError, match="max_epochs"):
        dgi_embeddings(x, ei, 4, max_epochs=0)


def test_one_epoch_counts_one():
    m, x = nn.Linear(2, 1), torch.randn(4, 2)
    info = train_on_loss(m, lambda: (m(x).pow(2).mean(), None), lr=0.1, patience=3, max_epochs=1)
    assert info["epochs"] == 1 and info["init_loss"] == info["best_loss"]
