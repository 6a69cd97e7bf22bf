"""Mixed-integer programming engine: a solver-agnostic MILP builder (HiGHS backend, optional SCIP), the
exact big-M encoding of ReLU networks, horizon composition for MPC, and planners (MILP, MPPI, CEM, GD)."""

from paperworks.mip.model import (INF, MILP, InfeasibleError, MILPResult, MIPError, NoSolutionError,
                                  UnboundedInputError, UnsupportedLayerError)
from paperworks.mip.relu import (ID, RELU, ZERO, AffineLayer, EncodingInfo, count_unstable, encode_layers,
                                 fold_identity, forward_layers, interval_bounds, network_layers)
from paperworks.mip.horizon import Rollout, add_l1_goal_cost, encode_rollout
from paperworks.mip.planners import (CEMPlanner, GDPlanner, MILPPlanner, MPPIPlanner, Plan, PlanCost, layers_step,
                                     rollout_cost)

__all__ = [
    "INF", "MILP", "MILPResult", "MIPError", "InfeasibleError", "NoSolutionError", "UnboundedInputError",
    "UnsupportedLayerError", "RELU", "ID", "ZERO", "AffineLayer", "EncodingInfo", "count_unstable",
    "encode_layers", "fold_identity", "forward_layers", "interval_bounds", "network_layers", "Rollout",
    "add_l1_goal_cost", "encode_rollout", "CEMPlanner", "GDPlanner", "MILPPlanner", "MPPIPlanner", "Plan",
    "PlanCost", "layers_step", "rollout_cost",
]
