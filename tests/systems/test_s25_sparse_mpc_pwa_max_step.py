"""Session-25: ``make_env('pwa', max_step)`` ignored max_step (the toy's actions stayed [-1, 1]), so
``paperworks run sparse_mpc env=pwa max_step=0.25`` collected data and planned with steps of 1 without a word. The
pwa env now takes max_step as its action box, make_env passes it on; the smoke preset (env=pwa) names max_step=1.0,
its box as before."""

import numpy as np
import pytest

from paperworks.core.errors import ConfigError
from paperworks.envs import PWAPushEnv
from paperworks.systems.sparse_mpc import SparseMPC, SparseMPCConfig, make_env


def test_make_env_pwa_honours_max_step():
    env = make_env("pwa", 0.25)
    np.testing.assert_array_equal(env.u_lo, [-0.25])
    np.testing.assert_array_equal(env.u_hi, [0.25])
    env.reset([0.0, 2.0])
    np.testing.assert_array_equal(env.step([1.0]), [0.25, 2.0])    # the step is clipped to the box


def test_make_env_defaults_unchanged():
    np.testing.assert_array_equal(make_env("pwa").u_hi, [1.0])       # the toy's usual box
    np.testing.assert_array_equal(make_env("pushing").u_hi, [0.5, 0.5])
    np.testing.assert_array_equal(make_env("pushing", 0.3).u_hi, [0.3, 0.3])
    np.testing.assert_array_equal(PWAPushEnv().u_lo, [-1.0])


@pytest.mark.parametrize("bad", [0.0, -0.5, float("nan"), float("inf"), True, "1"])
def test_pwa_refuses_a_max_step_that_is_no_step(bad):
    with pytest.raises(ConfigError, match="max_step"):
        PWAPushEnv(max_step=bad)


def test_the_system_collects_pwa_data_within_max_step():
    cfg = SparseMPCConfig(env="pwa", max_step=0.25, n_transitions=40)
    env, raw, _, _ = SparseMPC(cfg).data()
    np.testing.assert_array_equal(env.u_hi, [0.25])
    U = raw[1]
    assert np.abs(U).max() <= 0.25 and np.abs(U).max() > 0.2


def test_smoke_preset_keeps_the_pwa_box():
    cfg = SparseMPCConfig(**SparseMPC.presets["smoke"])
    assert cfg.env == "pwa" and cfg.max_step == 1.0
    np.testing.assert_array_equal(make_env(cfg.env, cfg.max_step).u_hi, [1.0])
