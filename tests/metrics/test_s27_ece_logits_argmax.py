"""classification_metrics: the ECE scores the logits' argmax, the prediction the accuracy scores.

Official VC evaluation (shehzaadzd/variational-classification, imagenet/VC.py, validate): predicted =
argmax of the logits, correct = predicted == target, confidence = softmax(logits)[predicted]. The ECE took
the softmax's argmax before, which differs for float64 logits closer than the softmax resolves.
"""

import numpy as np
import pytest
import torch

from paperworks.metrics import classification_metrics, expected_calibration_error


def _official_ece(logits: torch.Tensor, y: torch.Tensor, n_bins: int) -> float:
    """VC.py validate + evaluation.create_fine_bins (np.digitize, 1.0 in the last bin), as a numpy oracle."""
    z = logits.double()
    pred = z.argmax(1)
    p = z.softmax(1)
    conf = p.gather(1, pred[:, None]).squeeze(1).numpy()
    acc = pred.eq(y).double().numpy()
    edges = np.arange(n_bins + 1) / n_bins
    b = np.digitize(conf, edges) - 1
    b[b == n_bins] = n_bins - 1
    ece = 0.0
    for m in range(n_bins):
        sel = b == m
        if sel.any():
            ece += abs(acc[sel].mean() - conf[sel].mean()) * sel.sum()
    return ece / len(conf)


def test_close_logits_scored_like_the_accuracy():
    z = torch.tensor([[0.0, 1e-17, -5.0]], dtype=torch.float64)
    y = torch.tensor([1])
    m = classification_metrics(z, y, n_bins=20)
    assert m["accuracy"] == 1.0
    # right prediction at confidence p1: ECE = 1 - p1 (it was p1: scored as wrong)
    p1 = float(z.softmax(1)[0, 1])
    assert m["ece"] == pytest.approx(1 - p1, abs=1e-15)
    assert m["ece"] == pytest.approx(_official_ece(z, y, 20), abs=1e-15)


def test_close_logits_wrong_prediction():
    # label 0: the logits' argmax (class 1) is wrong, so the ECE is its confidence
    z = torch.tensor([[0.0, 1e-17, -5.0]], dtype=torch.float64)
    y = torch.tensor([0])
    m = classification_metrics(z, y, n_bins=15)
    assert m["accuracy"] == 0.0
    assert m["ece"] == pytest.approx(float(z.softmax(1)[0, 1]), abs=1e-15)


def test_many_close_rows_match_the_official_rule():
    g = torch.Generator().manual_seed(0)
    n = 400
    z = torch.randn(n, 5, generator=g, dtype=torch.float64) - 4          # the other classes well below
    rows = torch.arange(n)
    a = torch.randint(0, 4, (n,), generator=g)                           # lower index: logit 0
    b = a + 1 + (torch.randint(0, 4, (n,), generator=g) % (4 - a))       # higher index: logit 1e-17 in odd rows
    z[rows, a] = 0.0
    z[rows, b] = 1e-17 * (rows % 2).double()
    y = torch.randint(0, 5, (n,), generator=g)
    p = z.softmax(1)
    assert (p.argmax(1) != z.argmax(1)).sum() >= 150                      # the softmax cannot tell them apart
    m = classification_metrics(z, y, n_bins=20)
    assert m["accuracy"] == pytest.approx(float(z.argmax(1).eq(y).double().mean()))
    assert m["ece"] == pytest.approx(_official_ece(z, y, 20), abs=1e-12)


def test_untied_inputs_unchanged():
    # float32 logits (the models' outputs): the two argmaxes agree, the ECE equals the probabilities' ECE
    g = torch.Generator().manual_seed(1)
    z = 3 * torch.randn(1000, 10, generator=g)
    y = torch.randint(0, 10, (1000,), generator=g)
    p = torch.log_softmax(z.double(), 1).exp()
    p = p / p.sum(1, keepdim=True)
    for n_bins in (10, 15, 20):
        assert classification_metrics(z, y, n_bins)["ece"] == expected_calibration_error(p, y, n_bins)

