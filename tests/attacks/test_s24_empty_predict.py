"""predict / accuracy on zero examples: an empty prediction and nan (as success_rate), not torch.cat's bare
"expected a non-empty list of Tensors" ValueError."""

import math

import torch
from torch import nn

from paperworks import attacks


def test_predict_and_accuracy_on_no_examples():
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3)).eval()
    x, y = torch.rand(0, 1, 4, 4), torch.zeros(0, dtype=torch.long)
    p = attacks.predict(model, x)
    assert p.dtype == torch.long and p.shape == (0,)
    assert math.isnan(attacks.accuracy(model, x, y))
    assert math.isnan(attacks.success_rate(model, x, y))
