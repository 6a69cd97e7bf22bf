"""sparse_mpc: mppi_samples=1 passed validation, then the run trained the dense and sparse models and stopped
with 'CEMPlanner: samples must be an integer >= 2' (a planner's argument, not the config key). The config now
refuses it up front, naming mppi_samples."""

import pytest

from paperworks.core.errors import ConfigError
from paperworks.core.registry import get_system


def test_one_mppi_sample_is_refused_by_the_config():
    S = get_system("sparse_mpc")
    with pytest.raises(ConfigError, match="mppi_samples"):
        S.make_config({"mppi_samples": "1"}, preset="smoke")


def test_two_samples_still_run_every_planner(tmp_path):
    from paperworks.core.rundir import RunDir

    S = get_system("sparse_mpc")
    cfg = S.make_config({"mppi_samples": "2", "n_pairs": "1", "episode_steps": "1"}, preset="smoke")
    sysm = S(cfg)
    env, dense, sparse, _ = sysm.models()
    res = sysm.closed_loop(env, sysm.planners(env, dense, sparse[cfg.k_mpc]), sysm.pairs(env))
    assert {"MPPI/dense", "CEM/dense", "GD/dense", "MILP/sparse"} <= set(res)
