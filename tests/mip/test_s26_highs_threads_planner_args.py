"""HiGHS's thread pool and MILPPlanner's arguments.

HiGHS keeps one thread pool per process, sized by its first solve, and refuses (only in its log) a later solve asking
for another size. MILPPlanner(threads=2, tighten='lp') therefore never planned in a fresh process: the LP bound
tightening opened the process's solves with 1 thread and every MILP solve then came back as status 'error'
('Not Set'), with no reason. A MILP.solve with another `threads` than an earlier one returned that bare 'error', and
lp_bounds after a threads=2 solve returned every bound infinite without a word. Now the planner's LP tightening uses
the planner's threads, lp_bounds runs on the pool there is, and the backend names the cause.
Arguments: T=True planned with T = 1 (inf / NaN were int()'s bare errors); node_limit beyond HiGHS's 32-bit option
was accepted and every plan() failed; residual='no' planned residual dynamics; threads=2.5 ran as 2, True as 1.
The HiGHS tests run in fresh interpreters: the pool is per process, and this one may have solved already."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from torch import nn

from paperworks.core.errors import DataError
from paperworks.mip.model import MILP, MIPError
from paperworks.mip.planners import MILPPlanner, MPPIPlanner, PlanCost
from paperworks.mip.relu import lp_bounds, network_layers


def _fresh(code: str) -> str:
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout.strip().splitlines()[-1]


_SETUP = """
    import numpy as np, torch
    from torch import nn
    from paperworks.mip.model import MILP, MIPError
    from paperworks.mip.planners import MILPPlanner, PlanCost
    from paperworks.mip.relu import lp_bounds, network_layers
    def lp():
        m = MILP("t"); x = m.add_vars(2, lb=0, ub=3)
        m.add_le(x, [2.0, 3.0], 5.5); m.set_objective(x, [-1.0, -1.2]); return m, x
"""


def test_planner_with_two_threads_and_lp_tightening_plans_in_a_fresh_process():
    out = _fresh(_SETUP + """
    torch.manual_seed(0)
    L = network_layers(nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2)).double())
    p = MILPPlanner(L, -np.ones(1), np.ones(1), 3, PlanCost((0,)), threads=2, tighten="lp", mip_gap=0.0)
    print(p.plan(np.zeros(2), [1.0]).status)
    """)
    assert out == "optimal"


def test_solve_with_another_thread_count_names_the_cause():
    out = _fresh(_SETUP + """
    m, x = lp(); print(m.solve(threads=1).status)
    try:
        m2, _ = lp(); r = m2.solve(threads=2); print("returned", r.status, r.raw_status)
    except MIPError as e:
        print("MIPError", "thread pool" in str(e) and "threads=2" in str(e))
    """)
    assert out == "MIPError True"


def test_lp_bounds_after_a_two_thread_solve_are_the_lp_bounds():
    out = _fresh(_SETUP + """
    m, x = lp(); m.solve(threads=2, relax=True)
    m, x = lp(); lo, hi = lp_bounds(m, x)
    print(lo.tolist(), hi.tolist())
    """)
    assert out == "[0.0, 0.0] [2.75, 1.8333333333333333]"


def _layers():
    torch.manual_seed(0)
    return network_layers(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double())


@pytest.mark.parametrize("bad", [True, np.bool_(True), float("inf"), float("nan")])
def test_horizon_bool_or_not_finite_refused(bad):
    with pytest.raises(DataError, match="horizon T must be an integer >= 1"):
        MILPPlanner(_layers(), -np.ones(1), np.ones(1), bad, PlanCost((0,)))
    with pytest.raises(DataError, match="horizon T must be an integer >= 1"):
        MPPIPlanner(lambda x, u: x, -np.ones(1), np.ones(1), bad, PlanCost((0,)))


@pytest.mark.parametrize("bad", [2 ** 31, 1e300, 10 ** 30])
def test_node_limit_beyond_highs_option_refused_at_construction(bad):
    with pytest.raises(ValueError, match="node_limit must be an integer >= 1 and <= 2147483647"):
        MILPPlanner(_layers(), -np.ones(1), np.ones(1), 2, PlanCost((0,)), node_limit=bad)


def test_node_limit_at_highs_maximum_plans():
    p = MILPPlanner(_layers(), -np.ones(1), np.ones(1), 2, PlanCost((0,)), node_limit=2 ** 31 - 1)
    assert p.plan(np.zeros(2), [1.0]).status == "optimal"


@pytest.mark.parametrize("bad", ["no", "False", 0, None, 1.0])
def test_residual_not_a_flag_refused(bad):
    with pytest.raises(ValueError, match="residual must be True or False"):
        MILPPlanner(_layers(), -np.ones(1), np.ones(1), 2, PlanCost((0,)), residual=bad)


def test_residual_numpy_bool_taken():
    p = MILPPlanner(_layers(), -np.ones(1), np.ones(1), 2, PlanCost((0,)), residual=np.bool_(False))
    assert p.residual is False


@pytest.mark.parametrize("bad", [2.5, True, -1, "2"])
def test_threads_not_an_integer_refused(bad):
    with pytest.raises(ValueError, match="MILPPlanner: threads must be an integer >= 0"):
        MILPPlanner(_layers(), -np.ones(1), np.ones(1), 2, PlanCost((0,)), threads=bad)
    m = MILP("t")
    m.add_vars(1, lb=0, ub=1)
    with pytest.raises(MIPError, match="MILP.solve: threads must be an integer >= 0"):
        m.solve(threads=bad)
    with pytest.raises(MIPError, match="lp_bounds: threads must be an integer >= 0"):
        lp_bounds(m, [0], threads=bad)
