"""train_bnn_ste's lr follows the rule of the other training loops (graphs' train_on_loss / train_node_classifier,
tame_bnn's inverse_optimization): a finite number > 0, NumPy's too, a one-element floating tensor by its value.
It took inf (the initial weights came back as the best ones), True (as 1.0) without a word, and a string failed in a
bare "'>' not supported"."""
import numpy as np
import pytest
import torch

from paperworks.core.errors import ConfigError
from paperworks.mip.bnn import train_bnn_ste

X = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
y = np.array([0, 1, 1, 0])


@pytest.mark.parametrize("lr", [float("inf"), float("nan"), True, "0.1", 0.0, -1e-2, np.float64("inf"),
                                torch.tensor(float("inf")), torch.tensor([0.1, 0.2])])
def test_refused(lr):
    with pytest.raises(ConfigError, match="train_bnn_ste: lr must be a finite number > 0"):
        train_bnn_ste(X, y, 2, epochs=2, lr=lr, seed=0)


def test_refusal_is_still_a_value_error():
    with pytest.raises(ValueError):   # callers catching the old ValueError still catch it
        train_bnn_ste(X, y, 2, epochs=2, lr=0.0, seed=0)


@pytest.mark.parametrize("lr", [np.float32(1e-2), torch.tensor(1e-2)])
def test_numpy_and_tensor_lr_run_as_the_float(lr):
    w, err = train_bnn_ste(X, y, 2, epochs=5, lr=lr, seed=0)
    w0, err0 = train_bnn_ste(X, y, 2, epochs=5, lr=float(lr), seed=0)
    assert err == err0 and np.array_equal(w.W, w0.W) and np.array_equal(w.b, w0.b)
