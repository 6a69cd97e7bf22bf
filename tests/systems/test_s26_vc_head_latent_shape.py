"""GaussianHead with latents of the wrong shape: a wrong latent size was torch's bare broadcast error (a 1-D z an
IndexError), and [N, C, d] latents with C the class count came back as [N, 1, C] logits without a word. Now one
DataError naming the expected shape; the right shape gives the same values by the same operations."""
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.systems.variational_classification.objective import GaussianHead


@pytest.mark.parametrize("shape", [(5, 3), (4,), (2, 5, 4), (2, 3, 4), (0,)])
@pytest.mark.parametrize("method", ["forward", "log_density", "mahalanobis"])
def test_wrong_latent_shape_is_one_data_error(shape, method):
    torch.manual_seed(0)
    h = GaussianHead(4, 3)
    with pytest.raises(DataError, match=r"GaussianHead: expected latents z of shape \[N, 4\]"):
        getattr(h, method)(torch.randn(*shape))


def test_not_a_tensor_refused():
    with pytest.raises(DataError, match="got list"):
        GaussianHead(4, 3)([[0.0] * 4])


def test_right_shape_values_unchanged():
    torch.manual_seed(0)
    h = GaussianHead(4, 3)
    z = torch.randn(6, 4)
    diff = z[:, None, :] - h.mu
    ref = -0.5 * (h.log_var.sum(-1) + (diff.pow(2) * torch.exp(-h.log_var)).sum(-1)) + h.log_prior
    assert torch.equal(h(z), ref)
    assert h(torch.randn(0, 4)).shape == (0, 3)
