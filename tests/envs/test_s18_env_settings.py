"""Session-18: environment settings that broke the simulation silently (NaN states, every action clipped to one
point) or with a bare ZeroDivisionError are refused in one line; valid settings simulate as before."""

import math

import numpy as np
import pytest

from paperworks.core.errors import ConfigError
from paperworks.envs import PushingEnv, PWAPushEnv


@pytest.mark.parametrize("kw", [{"max_step": float("nan")}, {"max_step": -0.3}, {"substeps": 0}, {"dt": 0.0},
                                {"box_size": -1.0}, {"pusher_radius": float("inf")}, {"friction_damping": -0.5},
                                {"substeps": 2.5}])
def test_pushing_env_refuses_bad_settings(kw):
    with pytest.raises(ConfigError, match=f"PushingEnv: {next(iter(kw))} must"):
        PushingEnv(**kw)


def test_pwa_env_refuses_a_nan_wall_and_keeps_an_infinite_one():
    with pytest.raises(ConfigError, match="wall"):
        PWAPushEnv(wall=float("nan"))          # was: a NaN object position after the first push
    env = PWAPushEnv(wall=math.inf)            # no wall: the object follows the pusher
    env.reset([0.0, 0.5])
    np.testing.assert_array_equal(env.step([1.0]), [1.0, 1.0])


def test_valid_pushing_settings_still_push():
    env = PushingEnv(max_step=0.3, substeps=10, dt=0.1, friction_damping=1e-4)
    env.reset([-2.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(env.step([0.3, 0.0])[:2], [-1.7, 0.0], atol=1e-6)


def test_collect_transitions_names_a_bad_rng():
    from paperworks.envs import collect_transitions

    with pytest.raises(ConfigError, match="rng must be a numpy Generator"):   # was AttributeError on 'uniform'
        collect_transitions(PWAPushEnv(), 5, 0)
    X, U, Y = collect_transitions(PWAPushEnv(), 5, np.random.default_rng(0))
    assert X.shape == (5, 2) and U.shape == (5, 1) and Y.shape == (5, 2)
