"""Review of ea004f7: PushingEnv now builds a new pymunk world at every reset / step (history independence), and
with it silently dropped the pymunk settings a user had given the env's objects (env.space.collision_slop /
iterations, a shape's friction): the old env kept one space, so they held for its whole life. The new world
takes the settings over (not the state); with the defaults the outputs are bit-identical to ea004f7's."""

import numpy as np

from paperworks.envs import PushingEnv

PUSH_FROM = [-0.7, 0.0, 0.0, 0.0]


def _tuned(slop=0.0, iterations=5, friction=0.3):
    env = PushingEnv(max_step=0.5)
    env.space.collision_slop = slop
    env.space.iterations = iterations
    env.box_shape.friction = friction
    env.pusher_shape.elasticity = 0.2
    env.box.mass = 2.0
    return env


def test_settings_survive_reset_and_step():
    env = _tuned()
    env.reset(PUSH_FROM)
    env.step([0.4, 0.0])
    env.reset([2.0, 2.0, 0.0, 0.0])
    assert abs(env.space.collision_slop - 0.0) < 1e-12
    assert env.space.iterations == 5
    assert abs(env.box_shape.friction - 0.3) < 1e-6
    assert abs(env.pusher_shape.elasticity - 0.2) < 1e-6
    assert env.box.mass == 2.0
    assert abs(env.space.damping - env.friction_damping) < 1e-12   # untouched settings as built


def test_a_setting_is_in_force_in_the_step():
    # a push that ends in contact: the collision slop decides how deep the pusher sinks, so it changes the result
    default, tuned = PushingEnv(max_step=0.5), _tuned(iterations=30, friction=0.0)
    tuned.box.mass = 1.0
    tuned.pusher_shape.elasticity = 0.0
    for env in (default, tuned):
        env.reset(PUSH_FROM)
    a = [default.step([0.45, 0.0]) for _ in range(3)][-1]
    b = [tuned.step([0.45, 0.0]) for _ in range(3)][-1]
    assert not np.array_equal(a, b)


def test_still_deterministic_given_the_state_with_settings():
    env, rng = _tuned(), np.random.default_rng(0)
    x = env.reset(PUSH_FROM)
    for _ in range(30):
        u = rng.uniform(env.u_lo, env.u_hi)
        fresh = _tuned()
        fresh.reset(x)
        y = env.step(u)
        np.testing.assert_array_equal(fresh.step(u), y)
        x = y
