"""train_advgan / Discriminator on image sizes and dtypes the default networks do or do not take.

Before: 8 x 8 images (the brief's sklearn digits) passed the Generator's "divisible by 4" check and then failed
inside torch (InstanceNorm: "Expected more than 1 spatial element"), and non-square images (28 x 32) were given a
Discriminator built for 28 x 28, which failed with a bare shape mismatch after G's first forward pass. Now
too-small images are a DataError naming the constraint, before any seeding or training, and non-square images
train (D is built for H x W). Square images build the same D as before (same parameters for the same seed).
"""

import numpy as np
import pytest
import torch
from torch import nn

from paperworks.core.errors import DataError
from paperworks.systems.advgan import Discriminator, advgan_perturb, train_advgan

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def _target(h, w, k=3):
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(h * w, k)).eval()


@pytest.mark.parametrize("h,w", [(8, 8), (12, 12), (8, 12)])
def test_too_small_images_are_a_data_error(h, w):
    x, y, f = torch.rand(16, 1, h, w), torch.arange(16) % 3, _target(h, w)
    state = torch.random.get_rng_state()
    with pytest.raises(DataError, match="Discriminator"):
        train_advgan(f, x, y, epochs=1, batch_size=8)
    assert torch.equal(torch.random.get_rng_state(), state)   # refused before the global RNG is reseeded
    with pytest.raises(DataError, match="at least 16 x 8"):
        Discriminator(1, (h, w))


def test_non_square_images_train():
    x, y = torch.rand(16, 1, 28, 32), torch.arange(16) % 3
    G, D = train_advgan(_target(28, 32), x, y, epochs=1, batch_size=8)
    assert D(x).shape == (16,)
    xa = advgan_perturb(G, x, 0.3)
    assert xa.shape == x.shape and float((xa - x).abs().max()) <= 0.3 + 1e-6


@pytest.mark.parametrize("h,w", [(16, 8), (8, 16), (16, 16), (17, 15)])
def test_smallest_accepted_sizes_build(h, w):
    assert Discriminator(1, (h, w))(torch.rand(2, 1, h, w)).shape == (2,)


def test_square_size_as_int_or_pair_gives_the_same_discriminator():
    torch.manual_seed(3)
    a = Discriminator(1, 28)
    torch.manual_seed(3)
    b = Discriminator(1, (28, 28))
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)


def test_float64_images_train_with_the_default_networks():
    # before: RuntimeError 'expected scalar type Double but found Float' inside torch (G and D were float32)
    torch.manual_seed(0)
    target = nn.Sequential(nn.Flatten(), nn.Linear(256, 3)).double().eval()
    x, y = torch.rand(16, 1, 16, 16, dtype=torch.float64), torch.arange(16) % 3
    G, D = train_advgan(target, x, y, epochs=1, batch_size=8)
    assert all(p.dtype == torch.float64 for m in (G, D) for p in m.parameters())
    xa = advgan_perturb(G, x, 0.3)
    assert xa.dtype == torch.float64 and float((xa - x).abs().max()) <= 0.3


def test_passed_network_of_another_dtype_is_a_data_error():
    from paperworks.systems.advgan import Generator

    torch.manual_seed(0)
    target = nn.Sequential(nn.Flatten(), nn.Linear(256, 3)).double().eval()
    x, y = torch.rand(16, 1, 16, 16, dtype=torch.float64), torch.arange(16) % 3
    g32, g64, d32 = Generator(1), Generator(1).double(), Discriminator(1, 16)
    state = torch.random.get_rng_state()
    with pytest.raises(DataError, match="generator is torch.float32"):
        train_advgan(target, x, y, epochs=1, batch_size=8, generator=g32)
    with pytest.raises(DataError, match="discriminator is torch.float32"):
        train_advgan(target, x, y, epochs=1, batch_size=8, generator=g64, discriminator=d32)
    assert torch.equal(torch.random.get_rng_state(), state)   # refused before the global RNG is reseeded


@pytest.mark.parametrize("size", [np.int64(28), torch.tensor(28), np.array([28, 32])])
def test_discriminator_takes_integer_scalars_and_arrays(size):
    # numpy ints and 0-d tensors were accepted before (H, W) was added; then a bare TypeError
    d = Discriminator(1, size)
    hw = (28, 28) if np.ndim(size) == 0 else (28, 32)
    assert d(torch.zeros(2, 1, *hw)).shape[0] == 2


@pytest.mark.parametrize("bad", [(1, 2, 3), 28.5, True, "28"])
def test_discriminator_refuses_a_size_that_is_not_integers(bad):
    with pytest.raises(DataError, match="image_size"):
        Discriminator(1, bad)
