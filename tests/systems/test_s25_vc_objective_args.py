"""variational_classification.VariationalObjective / GaussianHead argument checks: critic_lr=0 left the critic
untrained and critic_hidden=0 (2-layer critic) made it a constant (kl_est 0.0), both without a word; seed=1.5,
seed=2**64-1, a negative critic_lr and GaussianHead(4.0, 3) ended in torch's bare errors."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import ConfigError
from paperworks.systems.variational_classification import GaussianHead, VariationalObjective


@pytest.mark.parametrize("kw, name", [({"critic_lr": 0.0}, "critic_lr"), ({"critic_lr": -1e-3}, "critic_lr"),
                                      ({"critic_lr": float("nan")}, "critic_lr"),
                                      ({"critic_layers": 2, "critic_hidden": 0}, "critic_hidden"),
                                      ({"critic_hidden": 8.5}, "critic_hidden"),
                                      ({"seed": 1.5}, "seed"), ({"seed": True}, "seed"), ({"seed": 2 ** 64 - 1}, "seed")])
def test_bad_objective_arguments_refused(kw, name):
    with pytest.raises(ConfigError, match=f"VariationalObjective: '{name}'"):
        VariationalObjective(GaussianHead(4, 3), **kw)


@pytest.mark.parametrize("args", [(4.0, 3), (4, 3.0), (True, 3), (0, 3), (4, 1)])
def test_bad_head_sizes_refused(args):
    with pytest.raises(ConfigError, match="GaussianHead: need integers feat_dim >= 1 and num_classes >= 2"):
        GaussianHead(*args)


def test_numpy_ints_equal_python_ints():
    def run(d, c, seed, hidden):
        torch.manual_seed(0)
        head = GaussianHead(d, c)
        vc = VariationalObjective(head, critic_layers=2, critic_hidden=hidden, seed=seed)
        z, y = torch.randn(16, 4, generator=torch.Generator().manual_seed(1)), torch.arange(16) % 3
        loss, _ = vc.loss(z, y)
        vc.loss(z, y)
        return loss.detach(), [p.detach().clone() for p in vc.critic.parameters()]

    a, pa = run(4, 3, 5, 8)
    b, pb = run(np.int64(4), np.int32(3), np.int64(5), np.int16(8))
    assert torch.equal(a, b) and all(torch.equal(p, q) for p, q in zip(pa, pb))
