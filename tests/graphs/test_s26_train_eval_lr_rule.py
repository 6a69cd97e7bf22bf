"""train_eval's lr follows the rule of the graphs' other training loops (train_on_loss / train_node_classifier,
graphs._checks.check_lr): a finite number > 0, NumPy's too, a one-element floating tensor by its value. Its own
'lr > 0' took inf (NaN training, a test accuracy reported beside val_loss nan) and True (as 1.0) without a word,
and a string failed in a bare "'>' not supported"."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from paperworks.core.errors import ConfigError
from paperworks.graphs import make_splits, train_eval


sys.path.insert(0, str(Path(__file__).parent))
from test_s23_harness_split_overlap import _data, _MeanNet  # noqa: E402  (the tiny net and data of train_eval's tests)


@pytest.mark.parametrize("lr", [float("inf"), np.float64("inf"), True, "0.1", torch.tensor(float("inf")),
                                torch.tensor([1e-3, 1e-3])])
def test_refused(lr):
    data = _data()
    with pytest.raises(ConfigError, match="train_eval: lr must be a finite number > 0"):
        train_eval(_MeanNet, data, make_splits(data, "cv10", 0, 10)[0], epochs=1, lr=lr)


@pytest.mark.parametrize("lr", [0.0, float("nan"), -1e-3])
def test_old_refusals_stay_config_errors(lr):
    data = _data()
    with pytest.raises(ConfigError, match="train_eval: lr must be"):
        train_eval(_MeanNet, data, make_splits(data, "cv10", 0, 10)[0], epochs=1, lr=lr)


def test_numpy_and_tensor_lr_run_as_the_float():
    data = _data()
    s = make_splits(data, "cv10", 0, 10)[0]
    ref = train_eval(_MeanNet, data, s, epochs=2, lr=1e-2)
    for lr in (np.float64(1e-2), torch.tensor(1e-2, dtype=torch.float64)):
        r = train_eval(_MeanNet, data, s, epochs=2, lr=lr)
        assert (r.test_acc, r.val_loss, r.best_epoch) == (ref.test_acc, ref.val_loss, ref.best_epoch)
