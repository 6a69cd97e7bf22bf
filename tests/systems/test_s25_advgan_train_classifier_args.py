"""advgan.train_classifier checks epochs and batch_size as train_advgan and distill do: epochs=0 / -3 / 1.5 / True
trained the model (one step at least) without a word, and batch_size=0 ended in a ZeroDivisionError."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import ConfigError
from paperworks.models.mnist import SmallCNN
from paperworks.systems.advgan import train_classifier


def _data():
    g = torch.Generator().manual_seed(0)
    return torch.rand(24, 1, 16, 16, generator=g), torch.randint(0, 3, (24,), generator=g)


def _net():
    torch.manual_seed(1)
    return SmallCNN(num_classes=3, image_size=16, width=4)


@pytest.mark.parametrize("kw", [{"epochs": 0}, {"epochs": -3}, {"epochs": 1.5}, {"epochs": True},
                                {"batch_size": 0}, {"batch_size": -1}, {"batch_size": 8.0}])
def test_bad_epochs_or_batch_size_refused_before_training(kw):
    x, y = _data()
    net = _net()
    before = [p.clone() for p in net.parameters()]
    name = next(iter(kw))
    with pytest.raises(ConfigError, match=f"train_classifier.*'{name}' must be an integer >= 1"):
        train_classifier(net, x, y, **{"epochs": 1, "batch_size": 8, **kw})
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_numpy_ints_train_as_python_ints():
    x, y = _data()
    a = train_classifier(_net(), x, y, epochs=2, batch_size=8)
    b = train_classifier(_net(), x, y, epochs=np.int64(2), batch_size=np.int32(8))
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
