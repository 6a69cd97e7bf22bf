"""distill(epochs=k) with a batch_size above len(x) trains k epochs (one batch of all x each).

Before: the step count was epochs * (len(x) // batch_size) = 0, raised to 1, so any number of epochs trained one
step (probe: n = 100, batch_size = 128, epochs = 5 -> max_steps 1), while the batch actually used was all x.
"""

import copy

import pytest
import torch

from paperworks.models.mnist import SmallCNN
from paperworks.systems.advgan import BlackBox, distill

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def _setup(n=40):
    torch.manual_seed(0)
    x = torch.rand(n, 1, 16, 16)
    bb = BlackBox(SmallCNN(num_classes=3, image_size=16, width=8).eval())
    torch.manual_seed(1)
    f0 = SmallCNN(num_classes=3, image_size=16, width=8)
    return x, bb, f0


def _params(m):
    return [p.detach().clone() for p in m.parameters()]


def test_batch_size_above_n_trains_every_epoch():
    x, bb, f0 = _setup()
    big = _params(distill(copy.deepcopy(f0), bb, x, epochs=3, batch_size=128, seed=0))
    exact = _params(distill(copy.deepcopy(f0), bb, x, epochs=3, batch_size=x.shape[0], seed=0))
    one = _params(distill(copy.deepcopy(f0), bb, x, epochs=1, batch_size=128, seed=0))
    # batch_size 128 > 40 images is a batch of all 40: the same training as batch_size = 40
    assert all(torch.equal(a, b) for a, b in zip(big, exact))
    assert not all(torch.equal(a, b) for a, b in zip(big, one))     # 3 epochs are not 1


def test_with_adversarial_queries_too():
    x, bb, f0 = _setup()
    xa = (x + 0.1).clamp(0, 1)
    big = _params(distill(copy.deepcopy(f0), bb, x, x_adv=xa, epochs=2, batch_size=500, seed=0))
    exact = _params(distill(copy.deepcopy(f0), bb, x, x_adv=xa, epochs=2, batch_size=x.shape[0], seed=0))
    assert all(torch.equal(a, b) for a, b in zip(big, exact))
