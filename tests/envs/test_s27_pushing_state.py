"""Session 27: PushingEnv is deterministic given the state (its documented contract). Before, `reset(state)` ran
five zero-motion pymunk steps that moved the box in touching states, and a step carried pymunk's contact cache and
the box's bias velocity over from the previous step, so restarting from a returned state differed from continuing
(4 of 500 random transitions, up to 0.009); `sample_start` put the pusher inside the box in 13 % of draws (up to
0.17 deep), against its "on a ring around the box, outside it"."""

import numpy as np

from paperworks.envs import PushingEnv, collect_transitions


def _clearance(env, s):
    # distance from the pusher's rim to the axis-aligned box (negative: overlap), computed here, not by the env
    q = np.abs(np.asarray(s[:2]) - np.asarray(s[2:4])) - env.box_size / 2
    return float(np.linalg.norm(np.maximum(q, 0.0)) + min(max(q[0], q[1]), 0.0) - env.r)


def _rollout(n_episodes=50, steps=10, seed=0):
    env = PushingEnv(max_step=0.5)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_episodes):
        x = env.reset(env.sample_start(rng))
        for _ in range(steps):
            u = rng.uniform(env.u_lo, env.u_hi)
            y = env.step(u)
            out.append((x, u, y))
            x = y
    return out


def test_reset_returns_the_state_it_was_given():
    env = PushingEnv(max_step=0.5)
    trans = _rollout()
    touching = [x for x, _, _ in trans if _clearance(env, x) <= 0.0]
    assert len(touching) >= 20                        # the check reaches states in contact
    for x, _, _ in trans:
        np.testing.assert_array_equal(env.reset(x), x)
    # an overlapping state is placed as given; the next step resolves it
    np.testing.assert_array_equal(env.reset([-0.5, 0.0, 0.0, 0.0]), [-0.5, 0.0, 0.0, 0.0])


def test_restarting_from_a_returned_state_equals_continuing():
    for x, u, y in _rollout():
        fresh = PushingEnv(max_step=0.5)
        fresh.reset(x)
        np.testing.assert_array_equal(fresh.step(u), y)


def test_next_state_does_not_depend_on_the_history():
    # the same (state, action) after two different histories: one env pushed into the state, one reset there
    env = PushingEnv(max_step=0.5)
    env.reset([-0.7, 0.0, 0.0, 0.0])
    x = env.step([0.5, 0.1])
    x = env.step([0.5, 0.1])                          # pushing: the pusher touches the box's face
    assert _clearance(env, x) <= 0.0
    y = env.step([0.1, -0.4])
    other = PushingEnv(max_step=0.5)
    other.reset([3.0, 3.0, 0.0, 0.0])
    other.step([0.5, 0.5])
    other.reset(x)
    np.testing.assert_array_equal(other.step([0.1, -0.4]), y)


def test_collected_data_restart_equals_continue():
    env = PushingEnv(max_step=0.5)
    X, U, Y = collect_transitions(env, 300, np.random.default_rng(3))
    fresh = PushingEnv(max_step=0.5)
    for x, u, y in zip(X, U, Y):
        fresh.reset(x)
        np.testing.assert_array_equal(fresh.step(u), y)


def test_sampled_starts_are_outside_the_box():
    env = PushingEnv(max_step=0.5)
    rng = np.random.default_rng(0)
    c = np.array([_clearance(env, env.sample_start(rng)) for _ in range(2000)])
    assert c.min() >= 0.02 - 1e-9                     # the sampler's stated clearance, also towards the corners
    assert c.max() <= 0.52 + 1e-9
    # the ring's law is kept: the draws reach all directions, corners included
    rng = np.random.default_rng(1)
    S = np.array([env.sample_start(rng) for _ in range(2000)])
    ang = np.arctan2(S[:, 1], S[:, 0])
    assert np.histogram(ang, bins=8, range=(-np.pi, np.pi))[0].min() > 100


def test_clearance_helper():
    env = PushingEnv()
    assert abs(env.clearance([-0.7, 0.0, 0.0, 0.0]) - 0.05) < 1e-12       # in front of the left face
    assert abs(env.clearance([-0.6, 0.0, 0.0, 0.0]) + 0.05) < 1e-12       # overlapping by 0.05
    assert abs(env.clearance([1.5, 1.5, 1.0, 1.0]) - (np.sqrt(0.0) - 0.15)) < 1e-12   # centre on the corner
    assert abs(env.clearance([0.8, 0.9, 0.0, 0.0]) - (np.hypot(0.3, 0.4) - 0.15)) < 1e-12
