"""A one-element floating tensor lr (Adam takes one) ran in train_on_loss / train_node_classifier / train_hdgi before
e69a5c1, whose lr check refused it ('lr must be a finite number > 0 (got tensor(0.0100))'); it is checked by its
value now. A tensor holding 0, NaN or inf is still one ConfigError."""

import pytest
import torch
from torch import nn

from paperworks.core.errors import ConfigError
from paperworks.graphs.hetero_baselines import train_node_classifier, train_on_loss
from paperworks.graphs.hetero_infomax import normalized_metapath_adjacencies
from paperworks.systems.hdgi import train_hdgi


def _lin():
    torch.manual_seed(0)
    return nn.Linear(3, 2), torch.randn(6, 3)


def test_tensor_lr_trains():
    lin, x = _lin()
    w0 = lin.weight.detach().clone()
    train_on_loss(lin, lambda: (lin(x).pow(2).mean(), None), lr=torch.tensor(0.01), patience=5, max_epochs=3)
    assert not torch.equal(lin.weight, w0)
    lin, x = _lin()
    y = torch.tensor([0, 1, 0, 1, 0, 1])
    train_node_classifier(lin, lambda: lin(x), y, torch.tensor([0, 1]), torch.tensor([2, 3]), torch.tensor([4, 5]),
                          epochs=2, lr=torch.tensor([0.01]))
    assert not torch.equal(lin.weight, w0)
    n = 8
    adjs = normalized_metapath_adjacencies([torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])], n)
    train_hdgi(torch.randn(n, 4), adjs, dim=4, max_epochs=3, lr=torch.tensor(0.01))


@pytest.mark.parametrize("lr", [torch.tensor(0.0), torch.tensor(float("nan")), torch.tensor(float("inf")),
                                torch.tensor([0.01, 0.02]), torch.tensor(1)])
def test_bad_tensor_lr_is_refused(lr):
    lin, x = _lin()
    with pytest.raises(ConfigError, match="train_on_loss: lr must be a finite number > 0"):
        train_on_loss(lin, lambda: (lin(x).pow(2).mean(), None), lr=lr, patience=5, max_epochs=3)
