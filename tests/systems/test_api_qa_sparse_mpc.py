"""Python-API QA of sparse_mpc's dynamics model: unbatched / extra-batch-dim inputs of a relaxed model, and
prediction_mse's mode handling and input checks."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.systems.sparse_mpc import SparseDynamics, prediction_mse

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def _relaxed(seed=0):
    torch.manual_seed(seed)
    m = SparseDynamics(2, 1, (4, 3))
    with torch.no_grad():
        for pi in m.logits:
            pi.normal_()
    m.mode, m.tau = "relaxed", 0.7
    return m.eval()


def test_sparse_mpc_api_qa_relaxed_model_on_one_state_equals_its_batch_row():
    # a relaxed model given one state [nx] and action [nu] returned [h, nx] (the mixture was expanded over the
    # hidden width instead of the batch); it must be the same as row 0 of the batched call
    m = _relaxed()
    g = torch.Generator().manual_seed(1)
    x, u = torch.randn(5, 2, generator=g), torch.randn(5, 1, generator=g)
    batched = m(x, u)
    one = m(x[0], u[0])
    assert one.shape == (2,)
    assert torch.allclose(one, batched[0], atol=1e-6)
    # a leading sample dimension (planners batch [samples, B, nx]): equal to the flattened call
    x3, u3 = x[:4].reshape(2, 2, 2), u[:4].reshape(2, 2, 1)
    assert torch.allclose(m(x3, u3).reshape(4, 2), batched[:4], atol=1e-6)


def test_sparse_mpc_api_qa_prediction_mse_is_deterministic_and_restores_train_mode():
    m = _relaxed()
    g = torch.Generator().manual_seed(2)
    X, U = torch.randn(64, 2, generator=g), torch.randn(64, 1, generator=g)
    Y = X + 0.1 * torch.randn(64, 2, generator=g)
    with torch.no_grad():
        expected = float(((m(X, U) - Y) ** 2).sum(-1).mean())   # eval mode: the softmax mixture
    m.train()   # a user's relaxed model mid-training: Gumbel noise would make the metric random
    torch.manual_seed(123)
    assert prediction_mse(m, (X, U, Y)) == pytest.approx(expected, rel=1e-6)
    assert m.training


@pytest.mark.parametrize("bad", ["nan", "empty"])
def test_sparse_mpc_api_qa_prediction_mse_bad_data_is_one_data_error(bad):
    m = SparseDynamics(2, 1, (4,)).eval()
    X, U, Y = torch.zeros(3, 2), torch.zeros(3, 1), torch.zeros(3, 2)
    if bad == "nan":
        Y[1, 0] = np.nan
    else:
        X, U, Y = X[:0], U[:0], Y[:0]
    with pytest.raises(DataError, match="prediction_mse"):
        prediction_mse(m, (X, U, Y))


def test_sparse_mpc_api_qa_env_bad_arguments_are_one_clear_error():
    from paperworks.core.errors import ConfigError
    from paperworks.envs import PWAPushEnv, collect_transitions

    env = PWAPushEnv()
    with pytest.raises(ConfigError, match="episode_len"):   # was ZeroDivisionError (i % 0)
        collect_transitions(env, 5, np.random.default_rng(0), episode_len=0)
    with pytest.raises(DataError, match="finite"):            # was a bare ValueError
        env.reset([np.nan, 0.0])
    X, U, Y = collect_transitions(env, 4, np.random.default_rng(0), episode_len=2)
    assert np.allclose(Y, env.dynamics(X, U))                 # the toy's closed form, row by row


@pytest.mark.parametrize("bad", ["nan", "u_1d", "rows"])
def test_sparse_mpc_api_qa_training_on_bad_transitions_is_one_data_error(bad):
    from paperworks.systems.sparse_mpc import sparsify, train_dense

    g = torch.Generator().manual_seed(0)
    X, U = torch.randn(8, 2, generator=g), torch.randn(8, 1, generator=g)
    Y = X + 0.1
    if bad == "nan":    # trained silently to a model predicting NaN
        Y[3, 1] = float("nan")
    elif bad == "u_1d":
        U = U[:, 0]
    else:
        Y = Y[:7]
    m = SparseDynamics(2, 1, (4,))
    with pytest.raises(DataError, match="train_dense"):
        train_dense(m, (X, U, Y), epochs=1)
    with pytest.raises(DataError, match="sparsify"):
        sparsify(m, (X, U, Y), [2], epochs=1, finetune_epochs=0)
