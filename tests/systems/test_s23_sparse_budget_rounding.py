"""Session-23: sparsify(schedule='continuous') decides when each target k is hard-assigned by comparing the
geometric ReLU budget k_t with k. Float rounding kept the budget one ulp above k where it should equal k:

- at the end of the decay the budget n_all * (k_min / n_all) ** 1.0 is 7.000000000000001 for n_all = 25,
  k_min = 7 (162 of the (n_all, k) pairs up to 128), so the smallest target was never passed and was copied
  after the LAST epoch instead of at 80 % of the epochs as documented (probe: copied at epoch 10 of 10, not 8);
- an intermediate target the budget meets exactly (64 * (1 / 64) ** (4 / 4.8) = 2.0000000000000004) was copied
  one epoch late.

The copy is a deep copy of the relaxed model, so its temperature ``tau`` says at which epoch it was taken (the
copy at the start of epoch e carries the tau of epoch e - 1). The quick reproduction's schedule (64 neurons,
targets 32/16/8/4, 30 epochs) is unchanged: copies at epochs 6, 12, 18, 24.
"""

import numpy as np
import pytest
import torch

from paperworks.envs import PWAPushEnv, collect_transitions
from paperworks.systems.sparse_mpc import SparseDynamics, sparsify


def _data():
    env = PWAPushEnv()
    X, U, Y = collect_transitions(env, 64, np.random.default_rng(0))
    return env, (X, U, Y), tuple(torch.tensor(a, dtype=torch.float32) for a in (X, U, Y))


def _copy_epochs(hidden, targets, epochs):
    env, raw, data = _data()
    dense = SparseDynamics(env.nx, env.nu, hidden=hidden)
    dense.set_normalization(*raw)
    out = sparsify(dense, data, targets=targets, epochs=epochs, finetune_epochs=0, batch=64)
    taus = [1.0 * (0.1 / 1.0) ** (ep / max(epochs - 1, 1)) for ep in range(epochs)]
    got = {}
    for k, m in out.items():
        assert m.n_relu() == k
        i = int(np.argmin([abs(t - m.tau) for t in taus]))
        assert m.tau == pytest.approx(taus[i], rel=1e-12)
        got[k] = i + 1   # copied at the start of epoch i + 1 (epochs = after the last epoch)
    return got


def test_smallest_target_is_copied_when_the_budget_reaches_it():
    # 25 * (7 / 25) = 7.000000000000001 > 7: the old code copied k = 7 after epoch 10 of 10 (tau 0.1)
    assert _copy_epochs((25,), [7], 10) == {7: 8}


def test_smallest_target_two_layers():
    # n_all = 50, k_min = 7: 50 * (7 / 50) = 7.000000000000001; k = 10 is passed at epoch 7 either way
    assert _copy_epochs((25, 25), [10, 7], 10) == {10: 7, 7: 8}


def test_intermediate_target_met_exactly_is_copied_on_time():
    # 64 * (1 / 64) ** (4 / 4.8) = 2.0000000000000004: the old code copied k = 2 at epoch 5, not 4
    assert _copy_epochs((32, 32), [2, 1], 6) == {2: 4, 1: 5}


def test_quick_reproduction_schedule_unchanged():
    assert _copy_epochs((32, 32), [32, 16, 8, 4], 30) == {32: 6, 16: 12, 8: 18, 4: 24}
