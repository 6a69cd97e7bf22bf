"""Session-23: a float32 dynamics model given to the MPPI / CEM / GD planners (which sample float64 states and
actions) failed with "the dynamics reject a 2-D state with a 2-D action (... double != float)": a size message,
the dtype only inside the parenthesis of torch's text. The first and only error now names the dtype."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.mip import ID, RELU, AffineLayer, CEMPlanner, GDPlanner, MPPIPlanner, PlanCost, layers_step

W1 = np.array([[0, 0, 1, 0], [0, 0, -1, 0], [0, 0, 0, 1], [0, 0, 0, -1]], dtype=float)
LAYERS = [AffineLayer(W1, np.zeros(4), [RELU] * 4), AffineLayer([[1, -1, 0, 0], [0, 0, 1, -1]], np.zeros(2), [ID, ID])]
PLANNERS = [MPPIPlanner, CEMPlanner, GDPlanner]


def _net_step():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))   # float32
    return lambda x, u: x + net(torch.cat([x, u], -1))


@pytest.mark.parametrize("planner", PLANNERS)
@pytest.mark.parametrize("make", [lambda: layers_step(LAYERS, dtype=torch.float32), _net_step])
def test_a_float32_model_gets_one_error_naming_the_dtype(planner, make):
    p = planner(make(), -np.ones(2), np.ones(2), 3, PlanCost((0, 1)))
    with pytest.raises(DataError) as e:
        p.plan(np.zeros(2), np.ones(2))
    msg = str(e.value)
    assert "dynamics compute in torch.float32" in msg and "torch.float64" in msg, msg
    assert "reject a 2-D state" not in msg, msg    # old code: the size message


@pytest.mark.parametrize("planner", PLANNERS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_a_real_size_mismatch_keeps_the_size_message(planner, dtype):
    p = planner(layers_step(LAYERS, dtype=dtype), -np.ones(3), np.ones(3), 2, PlanCost((0, 1)))
    with pytest.raises(DataError, match="reject a 2-D state with a 3-D action"):
        p.plan(np.zeros(2), np.ones(2))


@pytest.mark.parametrize("planner", PLANNERS)
def test_a_float64_model_and_a_casting_step_still_plan(planner):
    step32 = layers_step(LAYERS, dtype=torch.float32)
    for step in (layers_step(LAYERS), lambda x, u: step32(x.float(), u.float()).double()):
        plan = planner(step, -np.ones(2), np.ones(2), 2, PlanCost((0, 1))).plan(np.zeros(2), np.ones(2))
        assert plan.actions.shape == (2, 2) and np.isfinite(plan.objective)
