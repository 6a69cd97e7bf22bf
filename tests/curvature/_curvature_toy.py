"""The small float64 models, batches and loss that several curvature tests share (tests/curvature/test_s21_kfac_*,
test_s23_*)."""

import torch
import torch.nn.functional as F
from torch import nn


def toy_model_and_batch():
    """An eval-mode 3-4-3 tanh MLP in float64 (seed 0) and a batch (x [7, 3], y [7] in 0..2)."""
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3)).double().eval()
    x = torch.randn(7, 3, dtype=torch.float64)
    y = torch.randint(0, 3, (7,))
    return m, (x, y)


def toy_loss(m, b):
    """Cross-entropy of the model on the batch ``b = (x, y)``."""
    return F.cross_entropy(m(b[0]), b[1])


def kfac_toy_setup():
    """An eval-mode 3-4-2 tanh MLP in float64 (seed 0), :func:`toy_loss` and a batch (x [10, 3], y [10] in 0..1):
    the (model, loss_fn, data) of the KFAC settings tests."""
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double().eval()
    x = torch.randn(10, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (10,))
    return m, toy_loss, (x, y)
