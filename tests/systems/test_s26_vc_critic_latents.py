"""ClassCritic checks the latent size as GaussianHead does (an [N, 1] batch broadcast silently)."""

import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.systems.variational_classification.objective import ClassCritic


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("shape", [(2, 1), (2, 5), (2, 3, 4)])
def test_wrong_latent_shape_is_named(layers, shape):
    critic = ClassCritic(4, 3, layers=layers, hidden=6)
    y = torch.tensor([0, 1])
    with pytest.raises(DataError, match=r"ClassCritic: expected latents z of shape \[N, 4\]"):
        critic(torch.randn(*shape), y)
    with pytest.raises(DataError, match="ClassCritic"):
        critic.frozen(torch.randn(*shape), y)


@pytest.mark.parametrize("layers", [1, 2])
def test_right_shape_unchanged(layers):
    torch.manual_seed(0)
    critic = ClassCritic(4, 3, layers=layers, hidden=6)
    z, y = torch.randn(5, 4), torch.tensor([0, 1, 2, 1, 0])
    assert torch.equal(critic(z, y), critic.frozen(z, y))
    assert "feat_dim" not in critic.state_dict()
