"""Environment protocol and random-action data collection."""

from __future__ import annotations

import numpy as np

from paperworks.core.errors import ConfigError, DataError

__all__ = ["Env", "collect_transitions"]


class Env:
    nx: int
    nu: int
    u_lo: np.ndarray
    u_hi: np.ndarray
    goal_dims: tuple[int, ...]

    def reset(self, state) -> np.ndarray:
        raise NotImplementedError

    def step(self, u) -> np.ndarray:
        raise NotImplementedError

    def sample_start(self, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def sample_goal(self, start: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def _check_action(self, u) -> np.ndarray:
        u = np.asarray(u, dtype=np.float64).reshape(-1)
        if u.size != self.nu:
            raise DataError(f"{type(self).__name__}.step: expected an action of {self.nu} values (got {u.size})")
        if not np.isfinite(u).all():
            raise DataError(f"{type(self).__name__}.step: action contains NaN or inf ({u.tolist()})")
        return np.clip(u, self.u_lo, self.u_hi)

    def goal_distance(self, state, goal) -> float:
        state = np.asarray(state, dtype=np.float64).reshape(-1)
        goal = np.asarray(goal, dtype=np.float64).reshape(-1)
        # a goal of another size was broadcast against the goal dimensions without a word (probe: PWAPushEnv, goal
        # [1, 5] for its one goal dimension gave 5.10; PushingEnv, goal [1] for its two gave 1.41)
        if goal.size != len(self.goal_dims) or state.size != self.nx:
            raise DataError(f"{type(self).__name__}.goal_distance: expected a state of {self.nx} values and a goal of "
                            f"{len(self.goal_dims)} (got {state.size} and {goal.size})")
        return float(np.linalg.norm(state[list(self.goal_dims)] - goal))


def collect_transitions(env: Env, n: int, rng: np.random.Generator, episode_len: int = 10):
    """n transitions (x [n, nx], u [n, nu], x_next [n, nx]) from uniform random actions, restarting from
    ``env.sample_start`` every episode_len steps."""
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ConfigError(f"collect_transitions: n must be an integer >= 1 (got {n!r})")
    if isinstance(episode_len, bool) or int(episode_len) != episode_len or episode_len < 1:
        raise ConfigError(f"collect_transitions: episode_len must be an integer >= 1 (got {episode_len!r})")
    if not isinstance(rng, (np.random.Generator, np.random.RandomState)):   # an int seed: "'int' object has no
        raise ConfigError(f"collect_transitions: rng must be a numpy Generator, e.g. np.random.default_rng(seed) "
                          f"(got {type(rng).__name__})")                    # attribute 'uniform'"
    n, episode_len = int(n), int(episode_len)
    X = np.zeros((n, env.nx))
    U = np.zeros((n, env.nu))
    Y = np.zeros((n, env.nx))
    x = None
    for i in range(n):
        if i % episode_len == 0:
            x = env.reset(env.sample_start(rng))
        u = rng.uniform(env.u_lo, env.u_hi)
        X[i], U[i] = x, u
        x = env.step(u)
        Y[i] = x
    return X, U, Y
