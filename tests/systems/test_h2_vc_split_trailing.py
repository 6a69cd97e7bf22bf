"""split_classifier refuses a module applied after the output Linear (it was kept in the encoder, so the
'latent' was e.g. softmax(z) or dropout(z)); modules that are no-ops or come before stay accepted."""

import re

import pytest
import torch
from torch import nn

from paperworks.core.errors import ConfigError
from paperworks.systems.variational_classification import split_classifier


def _mlp(*tail):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3), *tail).eval()


@pytest.mark.parametrize("tail,name", [((nn.Softmax(1),), "'3' (Softmax)"), ((nn.Dropout(0.5),), "'3' (Dropout)"),
                                       ((nn.Identity(), nn.LogSoftmax(1)), "'4' (LogSoftmax)"),
                                       ((nn.Tanh(),), "'3' (Tanh)")])
def test_trailing_module_in_sequential_refused_by_name(tail, name):
    with pytest.raises(ConfigError, match=rf"split_classifier: {re.escape(name)} comes after the last nn.Linear '2'"):
        split_classifier(_mlp(*tail))     # old code: encoder(x) = tail(z), a wrong latent, silently


def test_trailing_module_in_outer_sequential_and_registered_softmax_refused():
    torch.manual_seed(0)
    nested = nn.Sequential(nn.Sequential(nn.Flatten(), nn.Linear(6, 3)), nn.LogSoftmax(1))
    with pytest.raises(ConfigError, match=r"'1' \(LogSoftmax\) comes after the last nn.Linear '0.1'"):
        split_classifier(nested)

    class Net(nn.Module):                  # own forward: a normaliser registered after the output layer
        def __init__(self):
            super().__init__()
            self.body, self.fc, self.out = nn.Linear(5, 4), nn.Linear(4, 3), nn.LogSoftmax(1)

        def forward(self, x):
            return self.out(self.fc(torch.relu(self.body(x))))

    with pytest.raises(ConfigError, match=r"'out' \(LogSoftmax\) is registered after the last nn.Linear 'fc'"):
        split_classifier(Net())


def test_identity_tail_and_modules_before_the_head_still_split_exactly():
    model = _mlp(nn.Identity(), nn.Sequential())
    enc, d, c = split_classifier(model)
    x = torch.randn(6, 5)
    assert (d, c) == (4, 3) and torch.equal(model[2](enc(x)), model(x))

    class Net(nn.Module):                  # softmax inside the body (before the head): fine
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(5, 4), nn.Softmax(1))
            self.fc = nn.Linear(4, 3)

        def forward(self, x):
            return self.fc(self.body(x))

    torch.manual_seed(0)
    net = Net().eval()
    enc, d, c = split_classifier(net)
    assert (d, c) == (4, 3) and torch.equal(net.fc(enc(x)), net(x))


def test_head_registered_before_the_body_refused_not_split_wrongly():
    class HeadFirst(nn.Module):            # the last Linear in module order is inside the body
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 3)
            self.body = nn.Sequential(nn.Linear(5, 4), nn.ReLU())

        def forward(self, x):
            return self.fc(self.body(x))

    # old code: replaced body.0, so encoder(x) = fc(relu(x)) was taken as the latent
    with pytest.raises(ConfigError, match=r"'body.1' \(ReLU\) comes after the last nn.Linear 'body.0' \(the output "
                                          r"layer: the last nn.Linear in module order\)"):
        split_classifier(HeadFirst())
