"""Compose a ReLU dynamics model over a planning horizon and build MPC objectives (Liu et al. 2023, Sec. 4).

Dynamics x_{t+1} = x_t + f(x_t, u_t) (``residual=True``) or x_{t+1} = f(x_t, u_t), with f a network of
AffineLayers on the concatenated input [x_t, u_t]. The initial state is fixed, actions live in a box, so
the bounds of x_t follow by interval arithmetic step by step (they widen along the horizon; recomputing
them per step keeps big-M tight). An optional state box is imposed as hard constraints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from paperworks.core.config import is_whole
from paperworks.mip.model import INF, MILP, InfeasibleError, UnboundedInputError
from paperworks.mip.relu import AffineLayer, EncodingInfo, _act, encode_layers, forward_layers, lp_bounds

__all__ = ["Rollout", "encode_rollout", "add_l1_goal_cost"]


@dataclass
class Rollout:
    X: np.ndarray            # [T+1, nx] variable indices of the states
    U: np.ndarray            # [T, nu] variable indices of the actions
    infos: list[EncodingInfo]
    x_bounds: list[tuple[np.ndarray, np.ndarray]]
    residual: bool

    @property
    def n_binaries(self) -> int:
        return sum(i.n_binaries for i in self.infos)

    def assignment(self, m: MILP, layers: list[AffineLayer], x0, actions) -> np.ndarray:
        """A full variable vector for the action sequence (states by forward simulation); for warm starts."""
        v = np.zeros(m.num_vars)
        x = np.asarray(x0, dtype=np.float64)
        v[self.X[0]] = x
        for t, info in enumerate(self.infos):
            u = np.asarray(actions[t], dtype=np.float64)
            v[self.U[t]] = u
            out = info.assignment(layers, np.concatenate([x, u]), v)
            x = x + out if self.residual else out
            v[self.X[t + 1]] = x
        return v


def encode_rollout(m: MILP, layers: list[AffineLayer], x0, T: int, u_lo, u_hi, *, residual: bool = True,
                   x_lo=None, x_hi=None, tighten: str = "interval", name: str = "dyn", lp_threads: int = 1) -> Rollout:
    """Add T copies of the dynamics network chained through state variables (x_0 fixed to x0).
    ``lp_threads``: HiGHS's threads for the LP bound tightening (``tighten='lp'``, see :func:`lp_bounds`)."""
    x0 = np.asarray(x0, dtype=np.float64).reshape(-1)
    u_lo = np.asarray(u_lo, dtype=np.float64).reshape(-1)
    u_hi = np.asarray(u_hi, dtype=np.float64).reshape(-1)
    nx, nu = x0.size, u_lo.size
    if layers[0].W.shape[1] != nx + nu:
        raise ValueError(f"encode_rollout: the network takes {layers[0].W.shape[1]} inputs but the state has {nx} "
                         f"and the action {nu} dimensions")
    if layers[-1].W.shape[0] != nx:
        raise ValueError(f"encode_rollout: the network outputs {layers[-1].W.shape[0]} values, the state has {nx}")
    # T=2.0 (MILPPlanner takes it) was numpy's bare TypeError in np.zeros; 2.5 or '2' likewise
    if not is_whole(T):
        raise ValueError(f"encode_rollout: horizon T must be an integer >= 1 (got {T!r})")
    T = int(T)
    if T < 1:
        raise ValueError(f"encode_rollout: horizon T must be >= 1 (got {T})")
    if not (np.isfinite(u_lo).all() and np.isfinite(u_hi).all()):
        raise UnboundedInputError("encode_rollout: the action box [u_lo, u_hi] must be finite (big-M needs bounds)")
    if not np.isfinite(x0).all():
        raise ValueError("encode_rollout: x0 contains NaN or inf")
    xl = np.full(nx, -INF) if x_lo is None else np.asarray(x_lo, dtype=np.float64).reshape(-1)
    xh = np.full(nx, INF) if x_hi is None else np.asarray(x_hi, dtype=np.float64).reshape(-1)
    if xl.size != nx or xh.size != nx or np.isnan(xl).any() or np.isnan(xh).any():
        raise ValueError(f"encode_rollout: the state box x_lo / x_hi must have {nx} entries without NaN (got "
                         f"{xl.tolist()} / {xh.tolist()})")
    X = np.zeros((T + 1, nx), dtype=np.int64)
    U = np.zeros((T, nu), dtype=np.int64)
    X[0] = m.add_vars(nx, x0, x0, name=f"{name}.x0")
    lo, hi = x0.copy(), x0.copy()
    infos, xb = [], [(lo.copy(), hi.copy())]
    for t in range(T):
        U[t] = m.add_vars(nu, u_lo, u_hi, name=f"{name}.u{t}")
        out, info = encode_layers(m, layers, np.concatenate([X[t], U[t]]), np.concatenate([lo, u_lo]),
                                  np.concatenate([hi, u_hi]), tighten=tighten, name=f"{name}.f{t}",
                                  lp_threads=lp_threads)
        infos.append(info)
        # the network's OUTPUT bounds: the last layer's pre-activation box through its activations (a ReLU
        # output with u <= 0 is 0, a ZERO output is 0; the raw box [l, u] excluded that 0)
        kinds = layers[-1].kinds
        ol, oh = (_act(kinds, b) for b in info.bounds[-1])
        nlo, nhi = (lo + ol, hi + oh) if residual else (ol.copy(), oh.copy())
        nlo, nhi = np.maximum(nlo, xl), np.minimum(nhi, xh)
        if (nlo > nhi).any():
            i = int(np.argmax(nlo > nhi))
            raise InfeasibleError(f"encode_rollout: state {i} cannot be inside its box [{xl[i]:g}, {xh[i]:g}] at step "
                                  f"{t + 1} (reachable interval [{lo[i] + ol[i] if residual else ol[i]:g}, "
                                  f"{hi[i] + oh[i] if residual else oh[i]:g}]): the problem is infeasible")
        X[t + 1] = m.add_vars(nx, nlo, nhi, name=f"{name}.x{t + 1}")
        for i in range(nx):
            cols, coef = [X[t + 1, i]], [1.0]
            if residual:
                cols.append(X[t, i])
                coef.append(-1.0)
            if out[i] >= 0:
                cols.append(out[i])
                coef.append(-1.0)
            m.add_eq(cols, coef, 0.0)
        if tighten == "lp" and t + 1 < T:
            # LP-based bound tightening of the next state (its box seeds the big-M of the next copy)
            a, b = lp_bounds(m, X[t + 1], threads=lp_threads)
            for i in range(nx):
                nlo[i], nhi[i] = max(nlo[i], a[i]), min(nhi[i], b[i])
                m.lb[X[t + 1, i]], m.ub[X[t + 1, i]] = nlo[i], nhi[i]
        lo, hi = nlo, nhi
        xb.append((lo.copy(), hi.copy()))
    return Rollout(X, U, infos, xb, residual)


def add_l1_goal_cost(m: MILP, ro: Rollout, goal, dims, *, stage_weight: float = 0.0, final_weight: float = 1.0,
                     action_weight: float = 0.0) -> dict[str, np.ndarray]:
    """Objective sum_{t=1..T-1} s ||x_t[dims] - g||_1 + f ||x_T[dims] - g||_1 + r sum_t ||u_t||_1.

    Returns the auxiliary absolute-value variables (``e`` [T, len(dims)], ``a`` [T, nu]) for warm starts.
    """
    dims = np.asarray(dims, dtype=np.int64)
    goal = np.asarray(goal, dtype=np.float64).reshape(-1)
    if goal.size != dims.size:
        raise ValueError(f"add_l1_goal_cost: goal has {goal.size} values for {dims.size} goal dimensions")
    T = ro.U.shape[0]
    E = np.zeros((T, dims.size), dtype=np.int64)
    for t in range(1, T + 1):
        w = final_weight if t == T else stage_weight
        E[t - 1] = m.add_abs(ro.X[t, dims], goal, name=f"cost.e{t}")
        if w:
            m.add_objective(E[t - 1], w)
    A = np.zeros((0, ro.U.shape[1]), dtype=np.int64)
    if action_weight:
        A = np.stack([m.add_abs(ro.U[t], 0.0, name=f"cost.a{t}") for t in range(T)])
        m.add_objective(A.ravel(), action_weight)
    return {"e": E, "a": A}


def rollout_numpy(layers, x0, actions, residual=True) -> list[tuple[np.ndarray, np.ndarray]]:
    """Simulate the network in float64 over an action sequence: ``[(u_t, x_{t+1}) for t = 0..T-1]``, with
    x_{t+1} = x_t + f(x_t, u_t) (``residual``) or f(x_t, u_t)."""
    x = np.asarray(x0, dtype=np.float64)
    steps = []
    for t in range(len(actions)):
        u = np.asarray(actions[t], dtype=np.float64)
        out = forward_layers(layers, np.concatenate([x, u])[None])[0]
        x = x + out if residual else out
        steps.append((u, x))
    return steps


def l1_cost_rollout(steps, goal, dims, stage_weight=0.0, final_weight=1.0, action_weight=0.0) -> float:
    """The objective of :func:`add_l1_goal_cost` on the ``(u_t, x_{t+1})`` pairs of :func:`rollout_numpy`."""
    dims = np.asarray(dims)
    c, T = 0.0, len(steps)
    for t, (u, x) in enumerate(steps):
        c += (final_weight if t == T - 1 else stage_weight) * np.abs(x[dims] - goal).sum()
        c += action_weight * np.abs(u).sum()
    return float(c)


def l1_cost_numpy(layers, x0, actions, goal, dims, residual=True, stage_weight=0.0, final_weight=1.0,
                  action_weight=0.0) -> float:
    """The same objective evaluated by simulating the network (used by tests and planners)."""
    return l1_cost_rollout(rollout_numpy(layers, x0, actions, residual), goal, dims, stage_weight, final_weight,
                           action_weight)
