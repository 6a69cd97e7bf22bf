"""Planners over a learned dynamics model: the MILP planner (global optimum for ReLU models) and the
sampling / gradient baselines of Liu et al. 2023 (MPPI, CEM, gradient descent with restarts).

All planners minimise the same cost over actions u_0..u_{T-1} in a box::

    J = sum_{t=1}^{T-1} s ||x_t[dims] - g||_1 + f ||x_T[dims] - g||_1 + r sum_t ||u_t||_1

and return a :class:`Plan`. The sampling planners take any batched torch dynamics
``step(x [B, nx], u [B, nu]) -> x_next [B, nx]``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from paperworks.core.config import as_flag, check_seed, is_int, is_real, is_whole
from paperworks.core.errors import ConfigError, DataError
from paperworks.core.ranking import topk_stable
from paperworks.mip.horizon import add_l1_goal_cost, encode_rollout, l1_cost_rollout, rollout_numpy
from paperworks.mip.model import MILP, InfeasibleError, MIPError, NoSolutionError
from paperworks.mip.relu import AffineLayer

__all__ = ["Plan", "PlanCost", "MILPPlanner", "MPPIPlanner", "CEMPlanner", "GDPlanner", "layers_step",
           "rollout_cost"]


@dataclass
class PlanCost:
    goal_dims: tuple[int, ...]
    stage_weight: float = 0.0
    final_weight: float = 1.0
    action_weight: float = 0.0

    def __post_init__(self):
        dims = tuple(np.atleast_1d(np.asarray(self.goal_dims)).tolist())
        if not dims or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in dims):
            raise ValueError(f"PlanCost: goal_dims must be non-negative state indices (got {self.goal_dims!r})")
        self.goal_dims = dims
        for k in ("stage_weight", "final_weight", "action_weight"):
            w = getattr(self, k)
            # the MILP's |.| epigraph variables are only tight under a non-negative weight (a negative one makes
            # the MILP unbounded while the samplers would maximise the distance)
            if not (isinstance(w, (int, float, np.floating, np.integer)) and math.isfinite(w) and w >= 0):
                raise ValueError(f"PlanCost: {k} must be a finite number >= 0 (got {w!r})")


@dataclass
class Plan:
    actions: np.ndarray        # [T, nu]
    objective: float           # model-predicted cost of the plan (MILP: its simulated cost if they differ)
    time: float                # seconds spent planning
    status: str = "ok"         # MILP: optimal / feasible (limit hit, or cost not certified); others: ok
    bound: float = -math.inf   # MILP lower bound
    gap: float = math.nan
    n_binaries: int = 0
    info: dict = field(default_factory=dict)


def layers_step(layers: list[AffineLayer], residual: bool = True, dtype=torch.float64):
    """Batched torch dynamics from AffineLayers (exactly the function the MILP encodes)."""
    Ws = [torch.tensor(L.W, dtype=dtype) for L in layers]
    bs = [torch.tensor(L.b, dtype=dtype) for L in layers]
    ks = [torch.tensor(L.kinds) for L in layers]

    def step(x, u):
        h = torch.cat([x, u], dim=-1)
        for W, b, k in zip(Ws, bs, ks):
            z = h @ W.T + b
            h = torch.where(k == 0, torch.relu(z), torch.where(k == 1, z, torch.zeros_like(z)))
        return x + h if residual else h

    return step


_HIGHS_INT_MAX = 2 ** 31 - 1   # the largest value of HiGHS's integer options (mip_max_nodes)


def _check_box(who: str, u_lo, u_hi, T) -> tuple[np.ndarray, np.ndarray]:
    """Planner set-up checks: a finite, non-empty action box and a horizon of at least one step."""
    lo = np.asarray(u_lo, dtype=np.float64).reshape(-1)
    hi = np.asarray(u_hi, dtype=np.float64).reshape(-1)
    if lo.size != hi.size or lo.size == 0:
        raise DataError(f"{who}: u_lo and u_hi must have the same (non-zero) length (got {lo.size} and {hi.size})")
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        raise DataError(f"{who}: the action box [u_lo, u_hi] must be finite")
    if (lo > hi).any():
        raise DataError(f"{who}: u_lo > u_hi in action dimension {int(np.argmax(lo > hi))}")
    if not is_whole(T, 1):   # True planned with T = 1; inf / NaN were int()'s bare OverflowError / ValueError
        raise DataError(f"{who}: the horizon T must be an integer >= 1 (got {T!r})")
    return lo, hi


def _check_query(who: str, x0, goal, cost: "PlanCost", T: int, nu: int, warm=None):
    """One clear error for a bad planning query (NaN / wrong sizes), before any solver or sampler runs."""
    x0 = np.asarray(x0, dtype=np.float64).reshape(-1)
    goal = np.asarray(goal, dtype=np.float64).reshape(-1)
    if not np.isfinite(x0).all():
        raise DataError(f"{who}: x0 contains NaN or inf ({x0.tolist()})")
    if goal.size != len(cost.goal_dims):
        raise DataError(f"{who}: goal has {goal.size} values for {len(cost.goal_dims)} goal dimensions "
                        f"{tuple(cost.goal_dims)}")
    if not np.isfinite(goal).all():
        raise DataError(f"{who}: goal contains NaN or inf ({goal.tolist()})")
    if max(cost.goal_dims, default=-1) >= x0.size:
        raise DataError(f"{who}: goal dimension {max(cost.goal_dims)} is outside the {x0.size}-D state")
    if warm is not None:
        w = np.asarray(warm, dtype=np.float64)
        if w.size != T * nu:
            raise DataError(f"{who}: the warm start must be a [T={T}, nu={nu}] action sequence (got shape "
                            f"{tuple(w.shape)})")
        if not np.isfinite(w).all():
            raise DataError(f"{who}: the warm start contains NaN or inf")
        warm = w.reshape(T, nu)
    return x0, goal, warm


def _check_settings(who: str, ints: dict, floats: dict) -> None:
    """One clear error for a planner setting that would silently degrade the search: ints (name -> (value,
    minimum)), floats (name -> (value, strictly positive?)), each float finite. MPPI with lam = 0, < 0 or NaN
    weighted the samples by NaN or towards the highest cost and kept its first round only; CEM with one elite
    (elites=1 or samples=1) refit a NaN std; GD with steps=-1 returned a random plan of cost inf; samples=0 /
    restarts=0 failed with an IndexError."""
    for k, (v, lo) in ints.items():
        if not is_int(v, lo):
            raise ValueError(f"{who}: {k} must be an integer >= {lo} (got {v!r})")
    for k, (v, strict) in floats.items():
        if not is_real(v, 0.0, open_low=strict):
            raise ValueError(f"{who}: {k} must be a finite number {'>' if strict else '>='} 0 (got {v!r})")


def rollout_cost(step, x0, U, goal, cost: PlanCost):
    """Cost of action sequences U [B, T, nu] from x0 [nx] under the torch dynamics; returns [B]."""
    B, T, _ = U.shape
    x = x0.expand(B, -1)
    dims = list(cost.goal_dims)
    J = torch.zeros(B, dtype=U.dtype)
    for t in range(T):
        x = step(x, U[:, t])
        w = cost.final_weight if t == T - 1 else cost.stage_weight
        if w:
            J = J + w * (x[:, dims] - goal).abs().sum(-1)
        if cost.action_weight:
            J = J + cost.action_weight * U[:, t].abs().sum(-1)
    return J


class MILPPlanner:
    """Globally optimal planning through the MILP encoding of a ReLU dynamics model.

    Each call builds the horizon MILP for the current x0 (bounds recomputed from x0), warm-starts from
    ``warm`` (e.g. the shifted previous plan) and solves under ``time_limit``. A time-out with an incumbent
    returns it with status ``feasible`` and the remaining gap; without incumbent NoSolutionError is raised;
    an infeasible MILP raises InfeasibleError. The returned actions are simulated through the network: when
    their cost is not the MILP objective (big-M slack at the solver's tolerances, e.g. a very wide action box),
    the plan reports the simulated cost, and ``optimal`` only if the solver's lower bound certifies it.
    """

    def __init__(self, layers: list[AffineLayer], u_lo, u_hi, T: int, cost: PlanCost, *, residual: bool = True,
                 time_limit: float | None = 5.0, mip_gap: float = 1e-4, tighten: str = "interval",
                 x_lo=None, x_hi=None, solver: str = "highs", threads: int = 1, node_limit: int | None = None):
        self.u_lo, self.u_hi = _check_box("MILPPlanner", u_lo, u_hi, T)
        flag = as_flag(residual)
        if flag is None:   # a string such as 'no' counted as True: residual dynamics x + f(x, u) planned silently
            raise ValueError(f"MILPPlanner: residual must be True or False (got {residual!r})")
        if not is_int(threads, 0):   # 2.5 ran as 2, True as 1
            raise ValueError(f"MILPPlanner: threads must be an integer >= 0 (got {threads!r}; 0: HiGHS's choice)")
        self.layers, self.T, self.cost, self.residual = layers, int(T), cost, flag
        self.time_limit, self.mip_gap, self.tighten = time_limit, mip_gap, tighten
        self.x_lo, self.x_hi, self.solver, self.threads = x_lo, x_hi, solver, threads
        if node_limit is not None and not (is_whole(node_limit, 1) and node_limit <= _HIGHS_INT_MAX):
            # int() took 2.5 as 2, '3' as 3 and True as 1 without a word (2.0 is taken as 2, as T is); beyond
            # HiGHS's 32-bit option (2**31 - 1, its 'no limit') every plan() failed with "HiGHS rejected the option"
            raise ValueError(f"MILPPlanner: node_limit must be an integer >= 1 and <= {_HIGHS_INT_MAX} (HiGHS's "
                             f"mip_max_nodes; None: no limit) (got {node_limit!r})")
        if node_limit is not None and solver != "highs":
            # was refused only at the first plan(), after the set-up had been accepted
            raise MIPError(f"MILPPlanner: node_limit is implemented for the 'highs' backend only "
                           f"(got solver={solver!r})")
        self.node_limit = None if node_limit is None else int(node_limit)

    def build(self, x0, goal):
        m = MILP("mpc")
        # (lp_threads: the LP tightening opened the process's HiGHS solves with 1 thread, which sized HiGHS's
        # per-process thread pool, and every MILP solve with threads=2 then failed: 'error' (Not Set))
        ro = encode_rollout(m, self.layers, x0, self.T, self.u_lo, self.u_hi, residual=self.residual,
                            x_lo=self.x_lo, x_hi=self.x_hi, tighten=self.tighten, lp_threads=self.threads)
        aux = add_l1_goal_cost(m, ro, goal, self.cost.goal_dims, stage_weight=self.cost.stage_weight,
                               final_weight=self.cost.final_weight, action_weight=self.cost.action_weight)
        return m, ro, aux

    def warm_vector(self, m, ro, aux, x0, goal, actions):
        v = ro.assignment(m, self.layers, x0, actions)
        dims = np.asarray(self.cost.goal_dims)
        for t in range(self.T):
            v[aux["e"][t]] = np.abs(v[ro.X[t + 1, dims]] - goal)
            if aux["a"].size:
                v[aux["a"][t]] = np.abs(v[ro.U[t]])
        return v

    def plan(self, x0, goal, warm=None) -> Plan:
        t0 = time.perf_counter()
        x0, goal, warm = _check_query("MILPPlanner.plan", x0, goal, self.cost, self.T, self.u_lo.size, warm)
        m, ro, aux = self.build(x0, goal)
        ws = None
        if warm is None:   # always hand the solver a feasible incumbent: the box-centre action sequence
            warm = np.tile((self.u_lo + self.u_hi) / 2, (self.T, 1))
        if warm is not None:
            warm = np.clip(np.asarray(warm, dtype=np.float64).reshape(self.T, -1), self.u_lo, self.u_hi)
            ws = self.warm_vector(m, ro, aux, x0, goal, warm)
            if self.x_lo is not None or self.x_hi is not None:
                if m.max_violation(ws) > 1e-6:
                    ws = None   # the warm plan leaves the state box
        opts = {}
        if self.node_limit is not None:   # a deterministic budget (branch-and-bound nodes), unlike wall-clock time
            if self.solver != "highs":
                raise MIPError(f"MILPPlanner: node_limit is implemented for the 'highs' backend only "
                               f"(got solver={self.solver!r})")
            opts["mip_max_nodes"] = self.node_limit
        res = m.solve(self.solver, time_limit=self.time_limit, mip_gap=self.mip_gap, warm_start=ws,
                      threads=self.threads, options=opts)
        if res.status == "infeasible":
            raise InfeasibleError(f"MILPPlanner: the MPC problem is infeasible from x0={x0.round(4).tolist()} "
                                  f"(state box unreachable?)")
        if res.status == "no_solution":
            raise NoSolutionError(f"MILPPlanner: solver stopped ({res.raw_status}) after {res.runtime:.2f}s "
                                  f"without a feasible plan; raise time_limit or pass a warm start")
        if res.status not in ("optimal", "feasible"):
            raise MIPError(f"MILPPlanner: solver returned status '{res.status}' ({res.raw_status})")
        # the solver's values may leave the action box by its primal tolerance (probe: 3.3e-9 below u_lo); the plan
        # keeps its actions inside the box (the fall-back below clips its LP actions too)
        U = np.clip(res.x[ro.U], self.u_lo, self.u_hi)
        info = {"solve_time": res.runtime, "nodes": res.nodes, "incumbents": res.incumbents, "n_vars": m.num_vars,
                "n_rows": m.num_rows}
        J, out = self._simulate(x0, goal, U)
        if abs(J - res.objective) <= 1e-6 * (1.0 + abs(res.objective)) and out <= 1e-6:
            return Plan(U, res.objective, time.perf_counter() - t0, res.status, res.bound, res.gap, ro.n_binaries, info)
        # The solver's point is feasible only within its tolerances: a binary of 1e-6 times a big-M of 1e6 lets a
        # ReLU output be off by 1, so the actions did not achieve the MILP objective (a wide action box, a long
        # horizon). Re-solve the LP with the binaries fixed at their rounded values (no big-M slack left) and keep
        # the best of those actions, the solver's and the warm start by their simulated cost (states inside the
        # state box first), which is what the plan reports.
        info["milp_objective"] = res.objective
        cands = [(out > 1e-6, J, 0, U)]
        mm = m.copy()
        ints = np.flatnonzero(np.asarray(m.integer, dtype=bool))
        mm.fix(ints, np.round(res.x[ints]))
        lp = mm.solve(self.solver, time_limit=self.time_limit, relax=True, threads=self.threads)
        if lp.x is not None:
            U2 = np.clip(lp.x[ro.U], self.u_lo, self.u_hi)
            J2, out2 = self._simulate(x0, goal, U2)
            cands.append((out2 > 1e-6, J2, 1, U2))
        if ws is not None:
            J3, out3 = self._simulate(x0, goal, warm)
            cands.append((out3 > 1e-6, J3, 2, warm))
        leaves, J, _, U = min(cands, key=lambda c: c[:3])
        gap = max(0.0, J - res.bound) / max(abs(J), 1e-10) if math.isfinite(res.bound) else math.inf
        # still optimal only if the simulated cost meets the lower bound within the requested gap (or HiGHS's
        # absolute one, 1e-6); the bound stays valid: the tolerances only enlarged the feasible set
        proved = res.status == "optimal" and not leaves and J - res.bound <= max(self.mip_gap * abs(J), 1e-6)
        return Plan(U, J, time.perf_counter() - t0, "optimal" if proved else "feasible", res.bound, gap,
                    ro.n_binaries, info)

    def _simulate(self, x0, goal, actions) -> tuple[float, float]:
        """(cost, largest state-box violation) of an action sequence by simulating the network in float64."""
        c = self.cost
        steps = rollout_numpy(self.layers, x0, actions, self.residual)   # one simulation for cost and box
        J = l1_cost_rollout(steps, goal, c.goal_dims, c.stage_weight, c.final_weight, c.action_weight)
        out = 0.0
        if self.x_lo is not None or self.x_hi is not None:
            lo = -np.inf if self.x_lo is None else np.asarray(self.x_lo, dtype=np.float64).reshape(-1)
            hi = np.inf if self.x_hi is None else np.asarray(self.x_hi, dtype=np.float64).reshape(-1)
            for _, x in steps:
                s = 1.0 + np.abs(x)   # relative beyond 1, as the MILP's own tolerances
                out = max(out, float(np.max((lo - x) / s, initial=0.0)), float(np.max((x - hi) / s, initial=0.0)))
        return J, out


def _as_t(a, dtype):
    return torch.as_tensor(np.asarray(a, dtype=np.float64), dtype=dtype)


class _Sampler:
    def __init__(self, step, u_lo, u_hi, T, cost: PlanCost, *, seed=0, dtype=torch.float64):
        lo, hi = _check_box(type(self).__name__, u_lo, u_hi, T)
        self.step, self.T, self.cost, self.dtype = step, int(T), cost, dtype
        self.u_lo, self.u_hi = _as_t(lo, dtype), _as_t(hi, dtype)
        self.gen = torch.Generator().manual_seed(check_seed(seed, type(self).__name__))

    def _query(self, x0, goal, warm):
        x0, goal, warm = _check_query(f"{type(self).__name__}.plan", x0, goal, self.cost, self.T,
                                      self.u_lo.numel(), warm)
        x0, goal = _as_t(x0, self.dtype), _as_t(goal, self.dtype)
        try:   # one step of the dynamics to name a state/action size mismatch in one line
            out = self.step(x0[None], self.u_lo[None])
        except RuntimeError as e:
            # a float32 model (an nn.Module not made .double(), layers_step(dtype=torch.float32)) failed here with
            # "the dynamics reject a 2-D state with a 2-D action (... double != float)": a size message for a
            # dtype problem. The sizes are tried again in the other floating dtypes to tell which it is.
            took = self._dtype_taken(x0)
            if took is not None:
                raise DataError(f"{type(self).__name__}.plan: the dynamics compute in {took}, the planner samples "
                                f"states and actions in {self.dtype}; pass a {self.dtype} model (e.g. model.double() "
                                f"or layers_step(..., dtype={self.dtype})) or a step that casts its inputs "
                                f"({str(e).splitlines()[0]})") from None
            raise DataError(f"{type(self).__name__}.plan: the dynamics reject a {x0.numel()}-D state with a "
                            f"{self.u_lo.numel()}-D action ({str(e).splitlines()[0]})") from None
        if tuple(out.shape) != (1, x0.numel()):
            raise DataError(f"{type(self).__name__}.plan: the dynamics map a {x0.numel()}-D state to shape "
                            f"{tuple(out.shape[1:])}")
        return x0, goal, warm

    def _dtype_taken(self, x0):
        """The floating dtype (other than the planner's) in which the dynamics accept one step of the query's
        sizes, or None."""
        for dt in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
            if dt == self.dtype:
                continue
            try:
                with torch.no_grad():
                    self.step(x0[None].to(dt), self.u_lo[None].to(dt))
            except Exception:   # noqa: BLE001 - any failure: not this dtype
                continue
            return dt
        return None

    def _in_box(self, U):
        """U clamped to the action box (only rounding moves a mean of in-box samples, by an ulp or so); the mean is
        the next round's sample 0 and may come back as the plan."""
        return torch.maximum(torch.minimum(U, self.u_hi), self.u_lo)

    def _init_mean(self, warm):
        if warm is None:
            return ((self.u_lo + self.u_hi) / 2).expand(self.T, -1).clone()
        # clipped to the action box, as MILPPlanner clips it: CEM and MPPI kept the warm sequence as their first
        # best plan and GD as its first restart, so a warm start outside the box came back as the plan (probe:
        # 1.9 outside) when no sample beat it
        return self._in_box(_as_t(warm, self.dtype).reshape(self.T, -1))


class MPPIPlanner(_Sampler):
    """Model predictive path integral control (Williams et al. 2017): Gaussian perturbations of the mean
    sequence, exponentially weighted by cost with temperature lambda; ``iters`` refinement rounds."""

    def __init__(self, step, u_lo, u_hi, T, cost, *, samples=256, iters=5, sigma=0.5, lam=0.01, seed=0):
        _check_settings("MPPIPlanner", {"samples": (samples, 1), "iters": (iters, 0)},
                        {"sigma": (sigma, False), "lam": (lam, True)})
        super().__init__(step, u_lo, u_hi, T, cost, seed=seed)
        self.samples, self.iters, self.lam = samples, iters, lam
        self.sigma = sigma * (self.u_hi - self.u_lo) / 2

    @torch.no_grad()
    def plan(self, x0, goal, warm=None) -> Plan:
        t0 = time.perf_counter()
        x0, goal, warm = self._query(x0, goal, warm)
        mean = self._init_mean(warm)
        best_U, best_J = mean.clone(), float(rollout_cost(self.step, x0, mean[None], goal, self.cost)[0])
        for _ in range(self.iters):
            eps = torch.randn(self.samples, self.T, mean.shape[-1], generator=self.gen, dtype=self.dtype) * self.sigma
            U = torch.clamp(mean + eps, self.u_lo, self.u_hi)
            U[0] = mean
            J = rollout_cost(self.step, x0, U, goal, self.cost)
            w = torch.softmax(-(J - J.min()) / self.lam, 0)
            # a convex combination of in-box samples, but rounded: weights summing to 1 + 1 ulp put it outside by
            # an ulp (a one-point action dimension [0.7, 0.7] came back as 0.7000000000000001 in 47 of 100 plans)
            mean = self._in_box((w[:, None, None] * U).sum(0))
            i = int(J.argmin())
            if float(J[i]) < best_J:
                best_J, best_U = float(J[i]), U[i].clone()
        Jm = float(rollout_cost(self.step, x0, mean[None], goal, self.cost)[0])
        if Jm < best_J:
            best_J, best_U = Jm, mean
        return Plan(best_U.numpy(), best_J, time.perf_counter() - t0)


class CEMPlanner(_Sampler):
    """Cross-entropy method: sample Gaussian sequences, refit mean/std to the elite fraction (the ``elites``
    lowest costs; of equal costs the earlier samples)."""

    def __init__(self, step, u_lo, u_hi, T, cost, *, samples=256, iters=5, elites=25, sigma=0.5, seed=0):
        # the std refit to the elites needs two of them (min(elites, samples) are used)
        _check_settings("CEMPlanner", {"samples": (samples, 2), "iters": (iters, 0), "elites": (elites, 2)},
                        {"sigma": (sigma, False)})
        super().__init__(step, u_lo, u_hi, T, cost, seed=seed)
        self.samples, self.iters, self.elites = samples, iters, elites
        self.sigma0 = sigma * (self.u_hi - self.u_lo) / 2

    @torch.no_grad()
    def plan(self, x0, goal, warm=None) -> Plan:
        t0 = time.perf_counter()
        x0, goal, warm = self._query(x0, goal, warm)
        mean = self._init_mean(warm)
        std = self.sigma0.expand_as(mean).clone()
        best_U, best_J = mean.clone(), float(rollout_cost(self.step, x0, mean[None], goal, self.cost)[0])
        for _ in range(self.iters):
            U = mean + std * torch.randn(self.samples, *mean.shape, generator=self.gen, dtype=self.dtype)
            U = torch.clamp(U, self.u_lo, self.u_hi)
            U[0] = mean
            J = rollout_cost(self.step, x0, U, goal, self.cost)
            # elites: the lowest costs, tied costs by sample index (lower first); an unstable argsort left which
            # tied samples are elites to the sort implementation (a cost plateau changed the plan)
            el = U[topk_stable(J, min(self.elites, J.numel()), largest=False).indices]
            mean, std = self._in_box(el.mean(0)), el.std(0) + 1e-6   # a rounded mean of in-box elites: as MPPI
            i = int(J.argmin())
            if float(J[i]) < best_J:
                best_J, best_U = float(J[i]), U[i].clone()
        return Plan(best_U.numpy(), best_J, time.perf_counter() - t0)


class GDPlanner(_Sampler):
    """Gradient descent (Adam) on the action sequence through the model, several random restarts; actions
    are projected back onto the box after every step. The best restart is returned."""

    def __init__(self, step, u_lo, u_hi, T, cost, *, restarts=5, steps=50, lr=0.05, seed=0):
        _check_settings("GDPlanner", {"restarts": (restarts, 1), "steps": (steps, 0)}, {"lr": (lr, True)})
        super().__init__(step, u_lo, u_hi, T, cost, seed=seed)
        self.restarts, self.steps, self.lr = restarts, steps, lr

    def plan(self, x0, goal, warm=None) -> Plan:
        t0 = time.perf_counter()
        x0, goal, warm = self._query(x0, goal, warm)
        nu = self.u_lo.numel()
        U = self.u_lo + (self.u_hi - self.u_lo) * torch.rand(self.restarts, self.T, nu, generator=self.gen,
                                                             dtype=self.dtype)
        if warm is not None:
            U[0] = self._init_mean(warm)
        U = U.requires_grad_(True)
        opt = torch.optim.Adam([U], lr=self.lr * float((self.u_hi - self.u_lo).max()) / 2)
        best_J = torch.full((self.restarts,), math.inf, dtype=self.dtype)
        best_U = U.detach().clone()
        for _ in range(self.steps + 1):
            J = rollout_cost(self.step, x0, U, goal, self.cost)
            with torch.no_grad():
                better = J < best_J
                best_J = torch.where(better, J.detach(), best_J)
                best_U[better] = U.detach()[better]
            opt.zero_grad()
            J.sum().backward()
            opt.step()
            with torch.no_grad():
                U.copy_(torch.maximum(torch.minimum(U, self.u_hi), self.u_lo))
        i = int(best_J.argmin())
        return Plan(best_U[i].numpy(), float(best_J[i]), time.perf_counter() - t0)
