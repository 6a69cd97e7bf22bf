"""A piecewise-affine toy pushing system (fast, exact ReLU dynamics; for tests).

1-D pusher p and object o on a line, action u in [-max_step, max_step] (default [-1, 1]) moves the pusher; the
pusher pushes the object only from the left and the object stops at a compliant wall at w (penetration is pushed
back by half)::

    p' = p + u,     o~ = o + relu(p + u - o),     o' = o~ - 0.5 relu(o~ - w)

Every piece is affine, so a ReLU network with 2 hidden ReLUs represents it exactly.
"""

from __future__ import annotations

import math

import numpy as np

from paperworks.core.config import is_real
from paperworks.core.errors import ConfigError, DataError
from paperworks.envs.base import Env

__all__ = ["PWAPushEnv"]


class PWAPushEnv(Env):
    nx, nu = 2, 1
    goal_dims = (1,)

    def __init__(self, wall: float = 3.0, max_step: float = 1.0):
        self.wall = float(wall)
        if math.isnan(self.wall) or self.wall == -math.inf:
            # NaN made every state after a push NaN; +inf is a line without a wall
            raise ConfigError(f"PWAPushEnv: wall must be a number or +inf (got {wall!r})")
        if not is_real(max_step, 0.0, open_low=True):
            raise ConfigError(f"PWAPushEnv: max_step must be a finite number > 0 (got {max_step!r})")
        self.u_lo, self.u_hi = -float(max_step) * np.ones(1), float(max_step) * np.ones(1)
        self.x = np.zeros(2)

    def reset(self, state) -> np.ndarray:
        state = np.asarray(state, dtype=np.float64).reshape(-1)
        if state.size != 2 or not np.isfinite(state).all():
            raise DataError(f"PWAPushEnv.reset: expected 2 finite values (pusher, object) (got {state.tolist()})")
        self.x = state.copy()
        return self.x.copy()

    def dynamics(self, x, u):
        p, o = x[..., 0], x[..., 1]
        p2 = p + u[..., 0]
        o2 = o + np.maximum(p2 - o, 0.0)
        o2 = o2 - 0.5 * np.maximum(o2 - self.wall, 0.0)
        return np.stack([p2, o2], -1)

    def step(self, u) -> np.ndarray:
        u = self._check_action(u)
        self.x = self.dynamics(self.x, u)
        return self.x.copy()

    def sample_start(self, rng):
        o = rng.uniform(-1.0, 1.0)
        return np.array([o - rng.uniform(0.2, 2.0), o])

    def sample_goal(self, start, rng):
        return np.array([start[1] + rng.uniform(0.5, 1.5)])
