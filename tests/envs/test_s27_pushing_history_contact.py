"""Review of ea004f7 (PushingEnv deterministic given the state). Its test_next_state_does_not_depend_on_the_history
passes on the code before the fix too (the history it builds leaves nothing in pymunk's contact cache that changes
the next step), so it did not pin the history dependence it names. Here a straight push along the box's face (the
pusher in contact on every step) followed by one more action: the env that made the pushes and a fresh env reset
to the state they returned must give the same next state. Before ea004f7 they differed by 1.2e-3, and still by
3.5e-4 with only reset's five zero-motion steps taken out (pymunk's space, with its contact cache and the box's
bias velocity, kept from step to step)."""

import numpy as np

from paperworks.envs import PushingEnv

START = [-0.7, 0.0, 0.0, 0.0]
PUSHES = [[0.47, 0.01], [0.3, -0.07], [0.44, 0.03]]
NEXT = [0.4, -0.02]


def test_contact_history_does_not_change_the_next_state():
    env = PushingEnv(max_step=0.5)
    env.reset(START)
    for u in PUSHES:
        x = env.step(u)
    q = np.abs(x[:2] - x[2:]) - env.box_size / 2       # the pusher's rim touches or overlaps the box
    assert np.linalg.norm(np.maximum(q, 0.0)) + min(q.max(), 0.0) - env.r <= 0.0
    y = env.step(NEXT)
    fresh = PushingEnv(max_step=0.5)
    fresh.reset(x)
    np.testing.assert_array_equal(fresh.step(NEXT), y)
    # and a different history reaching the same state (an unrelated push first) changes nothing either
    other = PushingEnv(max_step=0.5)
    other.reset([3.0, 3.0, 0.0, 0.0])
    other.step([0.5, 0.5])
    other.reset(x)
    np.testing.assert_array_equal(other.step(NEXT), y)
