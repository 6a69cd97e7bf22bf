"""top_eigenvalue / InverseHVP(solver='lissa') seeds follow core.config.check_seed, the one seed rule (as
train_hdgi / train_bnn_ste): 1.5 and True were torch's bare 'manual_seed expected a long', a NumPy integer
'an integer is required', 2**70 a bare overflow."""
import numpy as np
import pytest
import torch

from paperworks.core.errors import ConfigError
from paperworks.curvature import top_eigenvalue


def A(v):
    return torch.tensor([2.0, 1.0, 0.5], dtype=v.dtype) * v


@pytest.mark.parametrize("seed", [1.5, True, 2 ** 70, "3"])
def test_top_eigenvalue_refuses(seed):
    with pytest.raises(ConfigError, match="top_eigenvalue: 'seed' must be an integer"):
        top_eigenvalue(A, 3, seed=seed, iters=5)


def test_top_eigenvalue_numpy_seed_is_its_int():
    assert top_eigenvalue(A, 3, seed=np.int64(3), iters=20) == top_eigenvalue(A, 3, seed=3, iters=20)


def test_inverse_hvp_lissa_refuses_a_seed_beyond_torch():
    from paperworks.curvature import InverseHVP
    model = torch.nn.Linear(3, 1, bias=False).double()
    X, y = torch.randn(20, 3, dtype=torch.float64), torch.randn(20, dtype=torch.float64)

    def loss(m, b):
        return 0.5 * ((m(b[0])[:, 0] - b[1]) ** 2).mean()

    with pytest.raises(ConfigError, match="InverseHVP: 'seed' must be an integer"):   # was a bare overflow
        InverseHVP(model, loss, (X, y), damping=0.1, solver="lissa", lissa_batch_size=5, seed=2 ** 70).solve(
            torch.ones(3, dtype=torch.float64))
