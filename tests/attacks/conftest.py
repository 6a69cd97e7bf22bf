import pytest
import torch

from paperworks.models.mnist import SmallCNN


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """Every test of this folder runs on one torch thread (tests/conftest.py)."""


@pytest.fixture(scope="session")
def small_setup():
    """A briefly trained SmallCNN on separable random 'images' (eval mode) and a batch of inputs."""
    torch.manual_seed(0)
    n, c, s = 96, 1, 12
    protos = torch.rand(4, c, s, s)
    y = torch.arange(n) % 4
    x = (protos[y] + 0.15 * torch.randn(n, c, s, s)).clamp(0, 1)
    model = SmallCNN(in_channels=c, num_classes=4, image_size=s, width=8)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(60):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return model.eval(), x[:32].contiguous(), y[:32].contiguous()
