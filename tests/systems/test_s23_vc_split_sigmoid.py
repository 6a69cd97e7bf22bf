"""split_classifier on a module with its own forward whose output activation is a Sigmoid / LogSigmoid.

Before: only Softmax-type modules registered after the last nn.Linear were refused, so for
``sigmoid(fc2(relu(fc1(x))))`` the encoder returned sigmoid(relu(fc1(x))): the output activation squashed the
latent z into (0, 1) silently (probe: every z entry in (0, 1)). It was then refused like a Softmax, which also
refused a hidden Sigmoid declared after the layers (a common style; registration order cannot tell the two apart):
now both are warned of by name, and a hidden one still splits.
"""

import pytest
import torch
from torch import nn

from paperworks.models.mnist import make_model
from paperworks.systems.variational_classification import split_classifier


class _Out(nn.Module):
    def __init__(self, act):
        super().__init__()
        self.fc1, self.fc2, self.act = nn.Linear(8, 16), nn.Linear(16, 3), act

    def forward(self, x):
        return self.act(self.fc2(torch.relu(self.fc1(x))))


@pytest.mark.parametrize("act", [nn.Sigmoid(), nn.LogSigmoid()])
def test_trailing_sigmoid_in_custom_forward_is_named(act):
    with pytest.warns(UserWarning, match="'act'.*acts on the latent z"):
        split_classifier(_Out(act))


def test_hidden_sigmoid_declared_after_the_layers_still_splits():
    class Hidden(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2, self.act = nn.Linear(4, 16), nn.Linear(16, 3), nn.Sigmoid()

        def forward(self, x):
            return self.fc2(self.act(self.fc1(x)))

    with pytest.warns(UserWarning, match="hidden activation"):
        enc, d, c = split_classifier(Hidden())
    assert (d, c) == (16, 3)


def test_sigmoid_before_the_last_linear_is_fine():
    class Gate(nn.Module):
        def __init__(self):
            super().__init__()
            self.gate, self.fc1, self.fc2 = nn.Sigmoid(), nn.Linear(8, 16), nn.Linear(16, 3)

        def forward(self, x):
            return self.fc2(self.gate(self.fc1(x)))

    m = Gate().eval()
    enc, d, c = split_classifier(m)
    x = torch.rand(4, 8)
    assert (d, c) == (16, 3) and torch.equal(enc(x), m.gate(m.fc1(x)))


@pytest.mark.parametrize("name", ["A", "B", "C", "small", "mlp", "linear"])
def test_library_models_still_split(name):
    m = make_model(name).eval()
    enc, d, c = split_classifier(m)
    assert c == 10 and enc.eval()(torch.rand(2, 1, 28, 28)).shape == (2, d)
