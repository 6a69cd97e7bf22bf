"""Planar object pushing with contact, simulated by the pymunk (Chipmunk2D) physics engine.

A kinematic circular pusher moves by the commanded displacement u = (dx, dy) in a box per control step;
a square box (dynamic body, rotation locked: choice, keeps the state 4-D) is pushed through contact and
slides with strong ground friction, emulated by velocity damping; after each control step the box is
brought to rest (quasi-static pushing, the regime of the paper's pushing task). State
x = (pusher_x, pusher_y, box_x, box_y); the goal is a box position. Deterministic given the state: every
``reset`` and every ``step`` starts from a new pymunk world holding only the state, so no contact cache or bias
velocity of pymunk carries over from an earlier step (before 2026-11-28 they did, and ``reset`` ran five
zero-motion steps: restarting from a returned state differed from continuing in 4 of 500 random transitions,
by up to 0.009).
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
        self.friction_damping = float(friction_damping)
        self._world((0.0, 0.0), (0.0, 0.0))

    # pymunk settings a user may give env.space / env.box / the shapes (e.g. ``env.space.collision_slop``); the
    # old env kept one space, so such settings held for the env's life, and each new world takes them over
    _SPACE_SETTINGS = ("gravity", "damping", "iterations", "collision_slop", "collision_bias",
                       "collision_persistence", "idle_speed_threshold", "sleep_time_threshold")
    _SHAPE_SETTINGS = ("friction", "elasticity")

    def _world(self, pusher_xy, box_xy) -> None:
        """A new pymunk space holding the pusher and the box, both at rest at the given positions. The state is
        the env's whole state: a space kept from an earlier step carried pymunk's contact cache (warm-start
        impulses) and the box's bias velocity (overlap correction) into the next step, so the same state and
        action gave different next states depending on the history. Settings (not state) carry over: the
        space's solver settings, the box's mass and the shapes' friction / elasticity, as set on the previous
        world (so ``env.space.collision_slop = ...`` holds, as it did before the space was rebuilt)."""
        pm = self._pm
        prev = (self.space, self.box, self.box_shape, self.pusher_shape) if "space" in self.__dict__ else None
        self.space = pm.Space()
        self.space.gravity = (0.0, 0.0)
        self.space.damping = self.friction_damping   # fraction of velocity kept per second
        self.space.iterations = 30
        self.box = pm.Body(1.0, float("inf"))   # infinite moment: no rotation
        self.box.position = (float(box_xy[0]), float(box_xy[1]))
        s = self.box_size / 2
        self.box_shape = pm.Poly(self.box, [(-s, -s), (s, -s), (s, s), (-s, s)])
        self.box_shape.friction = 0.0
        self.pusher = pm.Body(body_type=pm.Body.KINEMATIC)
        self.pusher.position = (float(pusher_xy[0]), float(pusher_xy[1]))
        self.pusher_shape = pm.Circle(self.pusher, self.r)
        self.pusher_shape.friction = 0.0
        if prev is not None:
            space, box, box_shape, pusher_shape = prev
            for k in self._SPACE_SETTINGS:
                setattr(self.space, k, getattr(space, k))
            self.box.mass = box.mass
            for new, old in ((self.box_shape, box_shape), (self.pusher_shape, pusher_shape)):
                for k in self._SHAPE_SETTINGS:
                    setattr(new, k, getattr(old, k))
        self.space.add(self.box, self.box_shape, self.pusher, self.pusher_shape)

    def state(self) -> np.ndarray:
        return np.array([self.pusher.position.x, self.pusher.position.y, self.box.position.x,
                         self.box.position.y])

    def reset(self, state) -> np.ndarray:
        """Place the pusher and the box at ``state`` (returned unchanged; an overlap is left to the next step,
        as continuing from that state would resolve it)."""
        state = np.asarray(state, dtype=np.float64).reshape(-1)
        if state.size != 4 or not np.isfinite(state).all():
            raise DataError(f"PushingEnv.reset: expected 4 finite values (got {state.tolist()})")
        self._world(state[:2], state[2:])
        return self.state()

    def step(self, u) -> np.ndarray:
        u = self._check_action(u)
        h = self.dt / self.substeps
        x = self.state()
        self._world(x[:2], x[2:])   # the next state depends on (state, action) only
        self.pusher.velocity = (float(u[0]) / self.dt, float(u[1]) / self.dt)
        for _ in range(self.substeps):
            self.space.step(h)
        self.pusher.velocity = (0.0, 0.0)
        self.box.velocity = (0.0, 0.0)   # quasi-static: friction stops the box at the end of the step
        return self.state()

    def clearance(self, state) -> float:
        """Distance between the pusher's rim and the box (negative: the pusher overlaps the box by that much)."""
        state = np.asarray(state, dtype=np.float64).reshape(-1)
        q = np.abs(state[:2] - state[2:4]) - self.box_size / 2
        return float(np.linalg.norm(np.maximum(q, 0.0)) + min(max(q[0], q[1]), 0.0) - self.r)

    def sample_start(self, rng) -> np.ndarray:
        # pusher on a ring around the box, outside it with a clearance of at least 0.02. The ring's inner radius
        # gives that clearance only in front of a face: towards a corner (the square reaches 0.71 from the centre)
        # 13 % of the draws put the pusher inside the box, up to 0.17 deep, before 2026-11-28. Such draws are now
        # drawn again (the ring's law, conditioned on the pusher being outside).
        while True:
            ang = rng.uniform(0, 2 * np.pi)
            rad = rng.uniform(0.5 * self.box_size + self.r + 0.02, 0.5 * self.box_size + self.r + 0.5)
            x = np.array([rad * np.cos(ang), rad * np.sin(ang), 0.0, 0.0])
            if self.clearance(x) >= 0.02 - 1e-12:
                return x

    def sample_goal(self, start, rng) -> np.ndarray:
        ang = rng.uniform(0, 2 * np.pi)
        d = rng.uniform(0.5, 1.0)
        return start[2:4] + d * np.array([np.cos(ang), np.sin(ang)])
