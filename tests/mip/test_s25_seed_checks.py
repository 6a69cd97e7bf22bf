"""Session-25: the seeds of the sampling planners, train_bnn_ste and sparse_mpc's train_dense / sparsify went to
torch.Generator.manual_seed as given: a numpy integer failed in "TypeError: an integer is required", 2**70 in
"Overflow when unpacking long long", 1.5 and True in manual_seed's RuntimeError. Integers (numpy ones too) are
taken, giving the int's stream; anything else is one ConfigError naming the seed."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import ConfigError
from paperworks.mip import CEMPlanner, GDPlanner, MPPIPlanner, PlanCost
from paperworks.mip.bnn import train_bnn_ste
from paperworks.systems.sparse_mpc import SparseDynamics, sparsify, train_dense


def _step(x, u):
    return x + u


X = np.array([[0.1, -0.2], [0.5, 0.3], [-0.4, 0.2]])
Y = np.array([0, 1, 1])


def _calls():
    data = (torch.zeros(6, 2), torch.zeros(6, 1), torch.ones(6, 2))

    def model():
        torch.manual_seed(0)
        return SparseDynamics(2, 1, (4,))

    return {
        "MPPIPlanner": lambda s: MPPIPlanner(_step, [-1.0], [1.0], 2, PlanCost((0,)), samples=8, iters=1,
                                             seed=s).plan([0.0], [0.5]).actions,
        "CEMPlanner": lambda s: CEMPlanner(_step, [-1.0], [1.0], 2, PlanCost((0,)), samples=8, iters=1, elites=2,
                                           seed=s).plan([0.0], [0.5]).actions,
        "GDPlanner": lambda s: GDPlanner(_step, [-1.0], [1.0], 2, PlanCost((0,)), restarts=2, steps=2,
                                         seed=s).plan([0.0], [0.5]).actions,
        "train_bnn_ste": lambda s: train_bnn_ste(X, Y, 1, epochs=3, seed=s)[0].W,
        "train_dense": lambda s: train_dense(model(), data, 1, seed=s).lins[0].weight.detach().numpy(),
        "sparsify": lambda s: sparsify(model(), data, [2], 2, 1, seed=s)[2].lins[0].weight.detach().numpy(),
    }


@pytest.mark.parametrize("name", list(_calls()))
def test_numpy_integer_seeds_give_the_int_stream(name):
    f = _calls()[name]
    np.testing.assert_array_equal(f(np.int64(3)), f(3))


@pytest.mark.parametrize("name", list(_calls()))
@pytest.mark.parametrize("bad", [1.5, True, 2 ** 70, "3", None])
def test_other_seeds_are_one_config_error(name, bad):
    with pytest.raises(ConfigError, match=r"'seed' must be an integer"):
        _calls()[name](bad)
