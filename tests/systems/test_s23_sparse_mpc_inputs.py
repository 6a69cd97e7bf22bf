"""Session-23: bad input to sparse_mpc's own code and its environments, which gave a silent wrong answer or a
bare numpy / torch error (probes in the session report):

- Env.goal_distance broadcast a goal of the wrong size (PWAPushEnv, goal [1, 5] for one goal dimension: 5.10;
  PushingEnv, goal [1] for two: 1.41); run_episode took steps = -1 (no step), 2.5 (TypeError), a NaN goal
  (NaN distance for a short episode);
- SparseDynamics took a NaN feature map (NaN normalisation, a NaN model) and failed in numpy / torch on a
  feature map of the wrong width or a width <= 0;
- train_dense / sparsify / prediction_mse failed in torch on numpy or float64 data, skipped the training on a
  negative epoch count; sparsify trained a NaN model at tau_end = 0 or NaN and lam NaN (reporting its ReLU
  count all the same), divided by zero at tau_start = 0, rewarded ReLUs at lam < 0 and read target 2.7 as 2.
Every case is now one PaperworksError naming the input."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import ConfigError, DataError, PaperworksError
from paperworks.envs import PushingEnv, PWAPushEnv, collect_transitions
from paperworks.mip import ID, RELU, AffineLayer, MPPIPlanner, PlanCost, layers_step
from paperworks.systems.sparse_mpc import (SparseDynamics, _feature_map, prediction_mse, run_episode, sparsify,
                                           train_dense)

PWA_NET = [AffineLayer([[1, -1, 1], [0, 0, 0]], [0, 0], [RELU, RELU]), AffineLayer([[0, 0], [1, 0]], [0, 0], [ID, ID])]


@pytest.mark.parametrize("env, state, goal", [(PWAPushEnv(), [0.0, 0.0], [1.0, 5.0]),
                                              (PushingEnv(), [0.0, 0.0, 0.0, 0.0], [1.0]),
                                              (PushingEnv(), [0.0, 0.0, 0.0], [1.0, 1.0])])
def test_goal_distance_refuses_a_goal_or_state_of_the_wrong_size(env, state, goal):
    with pytest.raises(DataError, match="goal_distance"):    # old: 5.10 / 1.41 / an IndexError
        env.goal_distance(state, goal)


def test_goal_distance_unchanged_for_right_sizes():
    assert PushingEnv().goal_distance([9, 9, 1.0, 2.0], [4.0, 6.0]) == 5.0
    assert PWAPushEnv().goal_distance([0.0, 1.0], np.array([[3.0]])) == 2.0


def _planner(env):
    return MPPIPlanner(layers_step(PWA_NET), env.u_lo, env.u_hi, 2, PlanCost((1,)), samples=8, iters=1)


@pytest.mark.parametrize("steps", [-1, 0, 2.5, True])
def test_run_episode_refuses_a_bad_step_count(steps):
    env = PWAPushEnv()
    with pytest.raises(ConfigError, match="steps"):    # old: -1 / 0 ran no step, 2.5 TypeError, True one step
        run_episode(env, _planner(env), [-0.5, 0.0], [1.0], steps)


@pytest.mark.parametrize("goal", [[np.nan], [1.0, 2.0]])
def test_run_episode_refuses_a_bad_goal_before_the_reset(goal):
    env = PWAPushEnv()
    env.reset([5.0, 6.0])
    with pytest.raises(DataError, match="run_episode: the goal"):
        run_episode(env, _planner(env), [-0.5, 0.0], goal, 1)
    assert env.x.tolist() == [5.0, 6.0]


def test_run_episode_applies_the_first_action_and_shifts_the_plan():
    from paperworks.mip.planners import Plan

    class Rec:
        warms = []

        def plan(self, x, g, warm=None):
            self.warms.append(None if warm is None else warm.ravel().tolist())
            k = len(self.warms)
            return Plan(np.array([[0.1 * k], [0.2 * k], [0.3 * k]]), 0.0, 0.0)

    r = Rec()
    ep = run_episode(PWAPushEnv(), r, [-0.5, 1.0], [2.0], 3)
    assert r.warms == [None, [0.2, 0.3, 0.3], [0.4, 0.6, 0.6]]
    assert ep["final_dist"] == pytest.approx(1.0)      # pusher -0.5 + 0.1 + 0.2 + 0.3 = 0.1 < object at 1


@pytest.mark.parametrize("kw", [dict(feature_map=np.full((3, 3), np.nan)), dict(feature_map=np.eye(2)),
                                dict(hidden=(0,)), dict(hidden=(-1,))])
def test_sparse_dynamics_refuses_a_bad_architecture(kw):
    args = {"hidden": (4,), **kw}
    with pytest.raises(DataError, match="SparseDynamics"):   # old: NaN model / numpy or torch error
        m = SparseDynamics(2, 1, args.pop("hidden"), **args)
        X, U, Y = collect_transitions(PWAPushEnv(), 20, np.random.default_rng(0))
        m.set_normalization(X, U, Y)


@pytest.fixture(scope="module")
def data():
    X, U, Y = collect_transitions(PWAPushEnv(), 200, np.random.default_rng(0))
    m = SparseDynamics(2, 1, (6,), _feature_map("pwa"))
    m.set_normalization(X, U, Y)
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    return m, (X, U, Y), (t(X), t(U), t(Y))


@pytest.mark.parametrize("call", [lambda m, d: prediction_mse(m, d), lambda m, d: train_dense(m, d, 1),
                                  lambda m, d: sparsify(m, d, [2], 1, 1)])
@pytest.mark.parametrize("conv", [lambda a: a, lambda a: torch.tensor(a, dtype=torch.float64)])
def test_numpy_or_float64_data_is_one_data_error(data, call, conv):
    m, raw, _ = data
    with pytest.raises(DataError, match="torch tensors of the model's dtype torch.float32"):
        call(m, tuple(conv(a) for a in raw))


@pytest.mark.parametrize("call, key", [
    (lambda m, d: train_dense(m, d, -1), "epochs"), (lambda m, d: train_dense(m, d, 2.5), "epochs"),
    (lambda m, d: train_dense(m, d, 1, batch=0), "batch"),
    (lambda m, d: sparsify(m, d, [2], -2, 1), "epochs"), (lambda m, d: sparsify(m, d, [2], 2, -1), "finetune_epochs"),
    (lambda m, d: sparsify(m, d, [2], 2, 1, tau_end=0.0), "tau_end"),
    (lambda m, d: sparsify(m, d, [2], 2, 1, tau_end=float("nan")), "tau_end"),
    (lambda m, d: sparsify(m, d, [2], 2, 1, tau_start=0.0), "tau_start"),
    (lambda m, d: sparsify(m, d, [2], 2, 1, lam=float("nan")), "lam"),
    (lambda m, d: sparsify(m, d, [2], 2, 1, lam=-1.0), "lam"),
    (lambda m, d: sparsify(m, d, [2.7], 2, 1), "targets"),
    (lambda m, d: sparsify(m, d, "4", 2, 1), "targets"),
])
def test_bad_training_settings_are_one_config_error(data, call, key):
    m, _, tens = data
    with pytest.raises(ConfigError, match=key) as e:   # old: NaN model, no training, ZeroDivisionError, target 2
        call(m, tens)
    assert isinstance(e.value, PaperworksError)


def test_good_settings_still_train(data):
    m, _, tens = data
    out = sparsify(m, tens, (np.int64(2), 1), 2, 1, tau_end=0.5)
    assert sorted(out) == [1, 2] and all(torch.isfinite(p).all() for h in out.values() for p in h.parameters())


def test_no_hidden_layer_and_tensor_targets_still_accepted(data):
    # both worked before the input checks (a linear residual model; an integer tensor of targets)
    m, _, tens = data
    lin = SparseDynamics(2, 1, (), _feature_map("pwa"))
    lin.set_normalization(*data[1])
    assert train_dense(lin, tens, 1)(tens[0][:3], tens[1][:3]).shape == (3, 2)
    assert sorted(sparsify(m, tens, torch.tensor([2, 1]), 2, 1, tau_end=0.5)) == [1, 2]
