"""Shared pieces that GTN / HDGI / DGI and DiffPool / HGP-SL now call instead of their own copies."""

import torch
from torch import nn

from paperworks.graphs.hetero import row_normalize
from paperworks.graphs.hetero_baselines import train_on_loss


def test_row_normalize_keeps_zero_rows():
    x = torch.tensor([[1.0, 3.0], [0.0, 0.0], [2.0, 2.0]])
    out = row_normalize(x)
    assert torch.equal(out, torch.tensor([[0.25, 0.75], [0.0, 0.0], [0.5, 0.5]]))


def test_train_on_loss_keeps_the_weights_that_gave_the_best_loss():
    """The loss is checked before the epoch's update: the restored weights reproduce the best loss exactly."""
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    x, y = torch.randn(16, 3), torch.randn(16, 1)
    seen = []

    def loss():
        return ((model(x) - y) ** 2).mean(), "extra"

    info = train_on_loss(model, loss, lr=0.5, patience=3, max_epochs=40,
                         on_epoch=lambda e, lv, extra: seen.append((e, lv, extra)))
    assert [e for e, _, _ in seen] == list(range(info["epochs"]))
    assert all(extra == "extra" for _, _, extra in seen)
    assert info["init_loss"] == seen[0][1]
    assert info["best_loss"] == min(lv for _, lv, _ in seen) == seen[info["best_epoch"]][1]
    assert not model.training
    with torch.no_grad():
        assert float(((model(x) - y) ** 2).mean()) == info["best_loss"]
