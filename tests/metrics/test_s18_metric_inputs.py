"""Metrics input handling (session 18): NLL's eps, errors that name the argument and function the caller used,
batch sizes, label-fraction arguments. Each test failed before its fix."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from paperworks.core.errors import ConfigError, DataError
from paperworks.metrics import (accuracy, brier_score, evaluate_under_attack, evaluate_under_shift,
                                expected_calibration_error, label_fraction_indices, negative_log_likelihood,
                                predict_logits)


def test_nll_eps_must_lie_in_zero_one():
    """eps >= 1 clamped every probability up to eps: negative_log_likelihood(..., eps=2) returned -log 2 < 0 (an
    NLL is >= 0); NaN and negative eps were ignored without a word."""
    p = torch.tensor([[0.0, 1.0], [0.5, 0.5]])
    y = torch.tensor([0, 1])
    for bad in (2.0, 1.0, -1.0, float("nan"), True, "0.1"):
        with pytest.raises(DataError, match=r"negative_log_likelihood: 'eps' must be a number in \[0, 1\)"):
            negative_log_likelihood(p, y, eps=bad)
    assert negative_log_likelihood(p, y) == math.inf
    assert negative_log_likelihood(p, y, eps=1e-3) == pytest.approx((-math.log(1e-3) - math.log(0.5)) / 2, rel=1e-6)
    assert negative_log_likelihood(p, y, eps=np.float64(1e-3)) == negative_log_likelihood(p, y, eps=1e-3)


def test_probability_errors_name_probs_and_the_function_called():
    """expected_calibration_error(probs with NaN) said "reliability_bins: 'logits' contain 1 NaN/inf entries"."""
    y = torch.tensor([1])
    with pytest.raises(DataError, match=r"^expected_calibration_error: 'probs' contain 1 NaN/inf entries"):
        expected_calibration_error(torch.tensor([[float("nan"), 1.0]]), y)
    with pytest.raises(DataError, match=r"^expected_calibration_error: expected floating 'probs'"):
        expected_calibration_error(torch.tensor([[0, 1]]), y)
    with pytest.raises(DataError, match=r"^brier_score: expected 'probs' of shape \[N, C\]"):
        brier_score(torch.tensor([0.2, 0.8]), y)
    with pytest.raises(DataError, match=r"^accuracy: 'scores' contain 1 NaN/inf entries"):
        accuracy(torch.tensor([[float("inf"), 1.0]]), y)


def test_batch_sizes_below_one_are_refused_by_name():
    """predict_logits / evaluate_under_* with batch_size 0 or -1 failed inside range() or torch.cat."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3)).eval()
    x = torch.rand(5, 1, 4, 4)
    y = torch.tensor([0, 1, 2, 0, 1])
    for bs in (0, -1):
        with pytest.raises(ConfigError, match="predict_logits: 'batch_size' must be an integer >= 1"):
            predict_logits(model, x, batch_size=bs)
        with pytest.raises(ConfigError, match="evaluate_under_shift: 'batch_size' must be an integer >= 1"):
            evaluate_under_shift(model, x, y, "noise", 0.1, batch_size=bs)
        with pytest.raises(ConfigError, match="evaluate_under_attack: 'batch_size' must be an integer >= 1"):
            evaluate_under_attack(model, x, y, "fgsm", eps=0.1, batch_size=bs)
    assert torch.equal(predict_logits(model, x, batch_size=np.int64(2)), predict_logits(model, x, batch_size=2))


def test_label_fraction_arguments():
    """fraction=np.float32(0.5) was refused as "'fraction' must be in (0, 1]"; fraction=True was taken as 1;
    min_per_class=1.5 failed deep inside with "slice indices must be integers"."""
    y = np.arange(40) % 4
    assert np.array_equal(label_fraction_indices(y, np.float32(0.5)), label_fraction_indices(y, 0.5))
    assert np.array_equal(label_fraction_indices(y, 0.1, min_per_class=np.int64(2)),
                          label_fraction_indices(y, 0.1, min_per_class=2))
    with pytest.raises(DataError, match=r"'fraction' must be in \(0, 1\]"):
        label_fraction_indices(y, True)
    for bad in (1.5, -1, True):
        with pytest.raises(DataError, match="'min_per_class' must be an integer >= 0"):
            label_fraction_indices(y, 0.5, min_per_class=bad)
