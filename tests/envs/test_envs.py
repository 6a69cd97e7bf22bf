"""Environment checks: contact physics (pymunk) behaves as pushing, the PWA toy equals its ReLU form."""

import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.envs import PushingEnv, PWAPushEnv, collect_transitions
from paperworks.mip import ID, RELU, AffineLayer, forward_layers


def test_pushing_moves_box_only_on_contact():
    env = PushingEnv(max_step=0.3)
    x = env.reset([-2.0, 0.0, 0.0, 0.0])           # far from the box: free motion
    x2 = env.step([0.3, 0.0])
    np.testing.assert_allclose(x2[:2], [-1.7, 0.0], atol=1e-6)
    np.testing.assert_allclose(x2[2:], x[2:], atol=1e-9)
    env.reset([-0.7, 0.0, 0.0, 0.0])                # touching the left face: pushed along +x only
    for _ in range(3):
        x3 = env.step([0.3, 0.0])
    assert x3[2] > 0.5 and abs(x3[3]) < 1e-6
    assert abs(x3[0] - 0.2) < 1e-9 and x3[1] == 0.0           # the kinematic pusher moved exactly 3 x 0.3
    # the pusher never ends inside the box (contact resolved)
    assert x3[2] - x3[0] >= 0.5 + 0.15 - 0.1   # penetration at most pymunk's collision slop (0.1)
    # quasi-static: the box stops with the pusher, it is not launched ahead of the contact
    assert x3[2] - x3[0] <= 0.5 + 0.15 + 1e-6
    np.testing.assert_allclose(env.step([0.0, 0.0]), x3, atol=1e-9)   # and stays at rest without a push


def test_pushing_is_deterministic_and_rejects_nan():
    env = PushingEnv()
    a = collect_transitions(env, 50, np.random.default_rng(0))
    b = collect_transitions(env, 50, np.random.default_rng(0))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    with pytest.raises(DataError, match="NaN"):
        env.step([np.nan, 0.0])
    with pytest.raises(DataError, match="2 values"):
        env.step([0.1])


def test_pwa_toy_equals_its_relu_network():
    env = PWAPushEnv(wall=3.0)
    # p' = p + u; s = o + relu(p + u - o); o' = s - 0.5 relu(s - w), hidden: [p+u, o, relu(p+u-o)] ...
    L1 = AffineLayer(np.array([[1.0, 0, 1], [0, 1, 0], [1, -1, 1]]), [0, 0, 0], [ID, ID, RELU])
    L2 = AffineLayer(np.array([[1.0, 0, 0], [0, 1, 1], [0, 1, 1]]), [0, 0, -3.0], [ID, ID, RELU])
    L3 = AffineLayer(np.array([[1.0, 0, 0], [0, 1, -0.5]]), [0, 0], [ID, ID])
    rng = np.random.default_rng(0)
    X, U = rng.uniform(-4, 4, (200, 2)), rng.uniform(-1, 1, (200, 1))
    np.testing.assert_allclose(forward_layers([L1, L2, L3], np.concatenate([X, U], 1)), env.dynamics(X, U),
                               atol=1e-12)


def test_reset_rejects_bad_states():
    for env, n in ((PWAPushEnv(), 2), (PushingEnv(), 4)):
        with pytest.raises(ValueError, match=f"expected {n} finite values"):
            env.reset(np.full(n, np.nan))
        with pytest.raises(ValueError, match=f"expected {n} finite values"):
            env.reset(np.zeros(n + 1))
