"""tame_bnn.inverse_optimization's lr: 0 ran its steps without moving c (c0 came back as the learned c), True ran as
1.0, inf ended in the MILP's 'c contains NaN or inf' and a string in Adam's bare "'<=' not supported"; the rule of
train_hdgi's lr (e69a5c1): a finite number > 0, else one ConfigError naming the function."""

import numpy as np
import pytest

from paperworks.core.errors import ConfigError
from paperworks.systems.tame_bnn import inverse_optimization

A = np.array([[1.0, 2.0, 1.0], [3.0, 1.0, 2.0]])
B_LIST = [np.array([3.4, 4.1]), np.array([2.0, 3.0])]
ARGS = (A, B_LIST, [True, False, False], np.array([2.3, 1.7, 1.1]), np.array([1.0, 1.0, 1.0]), 2)


@pytest.mark.parametrize("lr", [0, 0.0, -0.1, float("inf"), float("nan"), "0.1", None, True])
def test_inverse_optimization_refuses_a_learning_rate_that_cannot_train(lr):
    with pytest.raises(ConfigError, match="inverse_optimization: lr must be a finite number > 0"):
        inverse_optimization(*ARGS, lr, 10.0)


def test_numpy_lr_runs_as_the_python_float():
    a = inverse_optimization(*ARGS, 0.05, 10.0)
    b = inverse_optimization(*ARGS, np.float64(0.05), 10.0)
    assert a[0] == b[0] and np.array_equal(a[1], b[1]) and not np.array_equal(a[1], ARGS[4])
