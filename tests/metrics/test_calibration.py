"""Oracles for paperworks.metrics.calibration: torchmetrics (ECE/MCE/RMS), sklearn (NLL), closed forms."""

import math

import pytest
import torch

from paperworks.core.errors import ConfigError, DataError
from paperworks.metrics import (accuracy, brier_score, classification_metrics, expected_calibration_error,
                                negative_log_likelihood, reliability_bins)


def _random_probs(n=500, c=7, seed=0, temp=3.0):
    g = torch.Generator().manual_seed(seed)
    logits = temp * torch.randn(n, c, generator=g)
    y = torch.randint(0, c, (n,), generator=g)
    # make about half the predictions right so accuracy and confidence disagree per bin
    right = torch.rand(n, generator=g) < 0.5
    y = torch.where(right, logits.argmax(1), y)
    return logits.softmax(1), y


@pytest.mark.parametrize("n_bins", [1, 10, 15])
@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
@pytest.mark.parametrize("seed", [0, 1])
def test_ece_equals_torchmetrics(n_bins, norm, seed):
    from torchmetrics.functional.classification import multiclass_calibration_error

    p, y = _random_probs(seed=seed)
    ours = expected_calibration_error(p, y, n_bins=n_bins, norm=norm)
    want = float(multiclass_calibration_error(p, y, num_classes=p.shape[1], n_bins=n_bins, norm=norm))
    assert ours == pytest.approx(want, rel=1e-5, abs=1e-7)


def test_ece_equals_torchmetrics_module_and_classification_metrics():
    from torchmetrics.classification import MulticlassCalibrationError

    g = torch.Generator().manual_seed(3)
    logits = 4 * torch.randn(300, 5, generator=g)
    y = torch.randint(0, 5, (300,), generator=g)
    m = MulticlassCalibrationError(num_classes=5, n_bins=15, norm="l1")
    m.update(logits.softmax(1), y)
    assert classification_metrics(logits, y)["ece"] == pytest.approx(float(m.compute()), abs=1e-6)


def test_ece_hand_computed_two_bins():
    # confidences 0.3 (wrong), 0.4 (right) in bin [0, .5); 0.9 (right), 0.8 (wrong) in bin [.5, 1]
    p = torch.tensor([[0.3, 0.35, 0.35], [0.4, 0.3, 0.3], [0.9, 0.05, 0.05], [0.8, 0.1, 0.1]])
    y = torch.tensor([2, 0, 0, 1])
    # argmax of row 0 is index 1 (0.35 > 0.3): confidence 0.35, wrong
    b0 = abs(0.5 - (0.35 + 0.4) / 2)
    b1 = abs(0.5 - (0.9 + 0.8) / 2)
    assert expected_calibration_error(p, y, n_bins=2) == pytest.approx(0.5 * b0 + 0.5 * b1, abs=1e-7)
    bins = reliability_bins(p, y, n_bins=2)
    assert bins["count"].tolist() == [2.0, 2.0]
    # per-bin values of the reliability diagram (the ECE is symmetric in them, so it cannot tell them apart)
    torch.testing.assert_close(bins["accuracy"], torch.tensor([0.5, 0.5]))
    torch.testing.assert_close(bins["confidence"], torch.tensor([0.375, 0.85]))
    torch.testing.assert_close(bins["edges"], torch.tensor([0.0, 0.5, 1.0]))
    assert accuracy(p, y) == 0.5


def test_perfectly_calibrated_bins_give_zero_ece():
    # in each bin, the fraction of correct predictions equals the (shared) confidence
    p = torch.tensor([[0.75, 0.25]] * 4 + [[0.5, 0.5]] * 2)
    y = torch.tensor([0, 0, 0, 1, 0, 1])
    assert expected_calibration_error(p, y, n_bins=4) == pytest.approx(0.0, abs=1e-7)


def test_confidence_one_goes_to_last_bin():
    p = torch.tensor([[1.0, 0.0], [0.97, 0.03]])
    y = torch.tensor([0, 1])
    b = reliability_bins(p, y, n_bins=10)
    assert b["count"][-1] == 2
    assert expected_calibration_error(p, y, n_bins=10) == pytest.approx(abs(0.5 - 0.985), abs=1e-6)


def _ece_numpy_digitize(conf, correct, n_bins):
    """Independent reference of the binning used by the variational-classification paper's evaluation:
    numpy.digitize on equal-width edges (bins [b_m, b_m+1)), a confidence of exactly 1.0 in the last bin."""
    import numpy as np

    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.digitize(conf, edges) - 1
    which[which == n_bins] = n_bins - 1
    ece = 0.0
    for m in range(n_bins):
        sel = which == m
        if sel.any():
            ece += abs(correct[sel].mean() - conf[sel].mean()) * sel.sum()
    return ece / len(conf)


@pytest.mark.parametrize("n_bins", [10, 20])
def test_ece_equals_numpy_digitize_reference_with_edge_confidences(n_bins):
    p, y = _random_probs(seed=3)
    c = p.shape[1]
    # rows whose top confidence sits exactly on a bin edge that both linspaces represent exactly (0.5, 1.0;
    # 0.25 and 0.75 are edges for 20 bins); a few edges (e.g. 0.6) differ by one ulp between numpy's and
    # torch's linspace, so an input exactly there may land in neighbouring bins: not tested
    edge_rows = []
    for top in (0.25, 0.5, 0.75, 1.0, 1.0):
        r = torch.full((c,), (1 - top) / (c - 1), dtype=torch.float64)
        r[0] = top
        edge_rows.append(r)
    p = torch.cat([p.double(), torch.stack(edge_rows)])
    y = torch.cat([y, torch.tensor([0, 1, 0, 2, 0])])  # right, wrong, right, wrong, right
    conf, pred = p.max(1)
    want = _ece_numpy_digitize(conf.numpy(), pred.eq(y).double().numpy(), n_bins)
    assert expected_calibration_error(p, y, n_bins) == pytest.approx(want, abs=1e-12)


def test_nll_and_brier_closed_forms_and_sklearn():
    import sklearn.metrics as sk

    p, y = _random_probs(n=200, c=4, seed=5)
    p = p.double()
    assert negative_log_likelihood(p, y) == pytest.approx(sk.log_loss(y, p, labels=range(4)), rel=1e-5)
    onehot = torch.nn.functional.one_hot(y, 4).float()
    assert brier_score(p, y) == pytest.approx(float(((p - onehot) ** 2).sum(1).mean()), rel=1e-6)
    # binary case: the multi-class Brier is twice sklearn's (it sums both classes' squared errors)
    pb, yb = _random_probs(n=100, c=2, seed=6)
    pb = pb.double()
    assert brier_score(pb, yb) == pytest.approx(2 * sk.brier_score_loss(yb, pb[:, 1]), rel=1e-5)
    # uniform prediction over C classes: NLL = log C, Brier = 1 - 1/C
    u = torch.full((10, 5), 0.2)
    yy = torch.arange(10) % 5
    assert negative_log_likelihood(u, yy) == pytest.approx(math.log(5), rel=1e-6)
    assert brier_score(u, yy) == pytest.approx(0.8, rel=1e-6)


def test_classification_metrics_consistent_with_parts():
    g = torch.Generator().manual_seed(9)
    z = 2 * torch.randn(100, 3, generator=g)
    y = torch.randint(0, 3, (100,), generator=g)
    m = classification_metrics(z, y)
    p = z.softmax(1)
    assert m["accuracy"] == pytest.approx(accuracy(z, y))
    assert m["nll"] == pytest.approx(float(torch.nn.functional.cross_entropy(z, y)), rel=1e-5)
    assert m["brier"] == pytest.approx(brier_score(p, y), rel=1e-5)
    # saturated logits: NLL stays finite (log_softmax), probabilities exactly 0 would give inf otherwise
    zs = torch.tensor([[200.0, -200.0], [-200.0, 200.0]])
    assert math.isfinite(classification_metrics(zs, torch.tensor([1, 1]))["nll"])


@pytest.mark.parametrize("bad, msg", [
    (lambda p, y: (p[:, :, None], y), "shape"),
    (lambda p, y: (torch.where(torch.arange(p.numel()).view_as(p) == 3, torch.nan, p), y), "NaN"),
    (lambda p, y: (p * 2, y), "sum to 1|in \\[0, 1\\]"),
    (lambda p, y: (p, y + 10), "must lie in \\[0, 6\\]"),
    (lambda p, y: (p, y - 10), "must lie in \\[0, 6\\]"),
    (lambda p, y: (p, y.float()), "integer 'labels'"),
    (lambda p, y: (p, y[:-1]), "shape \\[500\\]"),
])
def test_bad_input_one_clear_error(bad, msg):
    p, y = _random_probs()
    pp, yy = bad(p, y)
    with pytest.raises(DataError, match=msg):
        expected_calibration_error(pp, yy)
    with pytest.raises(DataError):
        negative_log_likelihood(pp, yy)


def test_bad_norm_and_bins():
    p, y = _random_probs(n=10)
    with pytest.raises(DataError, match="norm"):
        expected_calibration_error(p, y, norm="l3")
    with pytest.raises(DataError, match="n_bins"):
        expected_calibration_error(p, y, n_bins=0)
    with pytest.raises(DataError, match="NaN"):
        classification_metrics(torch.tensor([[float("nan"), 0.0]]), torch.tensor([0]))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_accuracy_equals_torchmetrics(k):
    from torchmetrics.functional.classification import multiclass_accuracy
    g = torch.Generator().manual_seed(7)
    logits = torch.randn(200, 5, generator=g, dtype=torch.float64)
    y = torch.randint(0, 5, (200,), generator=g)
    want = float(multiclass_accuracy(logits, y, num_classes=5, average="micro", top_k=k))
    assert accuracy(logits, y, top_k=k) == pytest.approx(want, abs=1e-12)
    # hand count for k = 2: the label is one of the two largest scores
    top2 = logits.argsort(1, descending=True)[:, :2]
    assert accuracy(logits, y, top_k=2) == pytest.approx(float((top2 == y[:, None]).any(1).double().mean()))
    with pytest.raises(ConfigError, match="top_k"):
        accuracy(logits, y, top_k=0)
    with pytest.raises(DataError, match="exceeds the 5 classes"):
        accuracy(logits, y, top_k=6)
