"""Planar object pushing with contact, simulated by the pymunk (Chipmunk2D) physics engine.

A kinematic circular pusher moves by the commanded displacement u = (dx, dy) in a box per control step;
a square box (dynamic body, rotation locked: choice, keeps the state 4-D) is pushed through contact and
slides with strong ground friction, emulated by velocity damping; after each control step the box is
brought to rest (quasi-static pushing, the regime of the paper's pushing task). State
x = (pusher_x, pusher_y, box_x, box_y); the goal is a box position. Deterministic given the state.
"""

from __future__ import annotations

import numpy as np

from paperworks.core.config import is_int, is_real
from paperworks.core.errors import ConfigError, DataError
from paperworks.envs.base import Env

__all__ = ["PushingEnv"]


class PushingEnv(Env):
    nx, nu = 4, 2
    goal_dims = (2, 3)

    def __init__(self, box_size: float = 1.0, pusher_radius: float = 0.15, max_step: float = 0.3,
                 substeps: int = 10, dt: float = 0.1, friction_damping: float = 1e-4):
        import pymunk

        # one clear error for a setting that broke the simulation silently (max_step NaN: NaN states; max_step < 0:
        # every action clipped to the one point -max_step) or with a bare ZeroDivisionError (substeps = 0, dt = 0)
        for k, v in (("box_size", box_size), ("pusher_radius", pusher_radius), ("max_step", max_step), ("dt", dt)):
            if not is_real(v, 0.0, open_low=True):
                raise ConfigError(f"PushingEnv: {k} must be a finite number > 0 (got {v!r})")
        if not is_int(substeps, 1):
            raise ConfigError(f"PushingEnv: substeps must be an integer >= 1 (got {substeps!r})")
        if not is_real(friction_damping, 0.0, 1.0):
            raise ConfigError(f"PushingEnv: friction_damping must lie in [0, 1] (the fraction of velocity kept per "
                              f"second; got {friction_damping!r})")
        self._pm = pymunk
        self.box_size, self.r = float(box_size), float(pusher_radius)
        self.u_lo, self.u_hi = -max_step * np.ones(2), max_step * np.ones(2)
        self.substeps, self.dt = int(substeps), float(dt)
        self.space = pymunk.Space()
        self.space.gravity = (0.0, 0.0)
        self.space.damping = friction_damping   # fraction of velocity kept per second
        self.space.iterations = 30
        self.box = pymunk.Body(1.0, float("inf"))   # infinite moment: no rotation
        s = self.box_size / 2
        self.box_shape = pymunk.Poly(self.box, [(-s, -s), (s, -s), (s, s), (-s, s)])
        self.box_shape.friction = 0.0
        self.pusher = pymunk.Body(body_type=pymunk.Body.KINEMATIC)
        self.pusher_shape = pymunk.Circle(self.pusher, self.r)
        self.pusher_shape.friction = 0.0
        self.space.add(self.box, self.box_shape, self.pusher, self.pusher_shape)

    def state(self) -> np.ndarray:
        return np.array([self.pusher.position.x, self.pusher.position.y, self.box.position.x,
                         self.box.position.y])

    def reset(self, state) -> np.ndarray:
        state = np.asarray(state, dtype=np.float64).reshape(-1)
        if state.size != 4 or not np.isfinite(state).all():
            raise DataError(f"PushingEnv.reset: expected 4 finite values (got {state.tolist()})")
        self.pusher.position = (float(state[0]), float(state[1]))
        self.pusher.velocity = (0.0, 0.0)
        self.box.position = (float(state[2]), float(state[3]))
        self.box.velocity = (0.0, 0.0)
        self.space.reindex_shapes_for_body(self.pusher)
        self.space.reindex_shapes_for_body(self.box)
        # resolve an initial overlap (pusher inside the box) by a few zero-motion steps
        for _ in range(5):
            self.space.step(self.dt / self.substeps)
        self.box.velocity = (0.0, 0.0)
        return self.state()

    def step(self, u) -> np.ndarray:
        u = self._check_action(u)
        h = self.dt / self.substeps
        self.pusher.velocity = (float(u[0]) / self.dt, float(u[1]) / self.dt)
        for _ in range(self.substeps):
            self.space.step(h)
        self.pusher.velocity = (0.0, 0.0)
        self.box.velocity = (0.0, 0.0)   # quasi-static: friction stops the box at the end of the step
        return self.state()

    def sample_start(self, rng) -> np.ndarray:
        # pusher on a ring around the box, outside it
        ang = rng.uniform(0, 2 * np.pi)
        rad = rng.uniform(0.5 * self.box_size + self.r + 0.02, 0.5 * self.box_size + self.r + 0.5)
        return np.array([rad * np.cos(ang), rad * np.sin(ang), 0.0, 0.0])

    def sample_goal(self, start, rng) -> np.ndarray:
        ang = rng.uniform(0, 2 * np.pi)
        d = rng.uniform(0.5, 1.0)
        return start[2:4] + d * np.array([np.cos(ang), np.sin(ang)])
