"""MILPPlanner's node_limit and encode_rollout's horizon: int() took node_limit=2.5 as 2, '3' as 3 and True as 1
without a word, node_limit with solver='scip' was refused only at the first plan(), and encode_rollout(T=2.0)
(a horizon MILPPlanner takes) was numpy's bare TypeError, T='2' a comparison's. Now one ValueError (MIPError for
the backend) at construction; integral floats are taken as their int."""
import numpy as np
import pytest
import torch
from torch import nn

from paperworks.mip.horizon import encode_rollout
from paperworks.mip.model import MILP, MIPError
from paperworks.mip.planners import MILPPlanner, PlanCost
from paperworks.mip.relu import network_layers


def _layers():
    torch.manual_seed(0)
    return network_layers(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double())


def test_node_limit_with_another_backend_refused_at_construction():
    with pytest.raises(MIPError, match="node_limit.*highs"):
        MILPPlanner(_layers(), -np.ones(1), np.ones(1), 2, PlanCost((0,)), node_limit=5, solver="scip")


@pytest.mark.parametrize("bad", [2.5, "3", True, 0, 0.0, float("nan"), float("inf")])
def test_node_limit_not_a_positive_integer_refused(bad):
    with pytest.raises(ValueError, match="node_limit must be an integer >= 1"):
        MILPPlanner(_layers(), -np.ones(1), np.ones(1), 2, PlanCost((0,)), node_limit=bad)


@pytest.mark.parametrize("good", [3, np.int64(3), 3.0])
def test_node_limit_integers_taken(good):
    p = MILPPlanner(_layers(), -np.ones(1), np.ones(1), 2, PlanCost((0,)), node_limit=good)
    assert p.node_limit == 3 and type(p.node_limit) is int


@pytest.mark.parametrize("bad", [2.5, "2", True, float("nan")])
def test_encode_rollout_horizon_not_an_integer_is_one_value_error(bad):
    with pytest.raises(ValueError, match="encode_rollout: horizon T must be an integer"):
        encode_rollout(MILP("m"), _layers(), np.zeros(2), bad, -np.ones(1), np.ones(1))


def test_encode_rollout_integral_float_horizon_as_int():
    a = encode_rollout(MILP("m"), _layers(), np.zeros(2), 2.0, -np.ones(1), np.ones(1))
    b = encode_rollout(MILP("m"), _layers(), np.zeros(2), 2, -np.ones(1), np.ones(1))
    np.testing.assert_array_equal(a.U, b.U)
    np.testing.assert_array_equal(a.X, b.X)
