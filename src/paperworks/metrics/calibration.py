"""Calibration and proper scoring rules for probabilistic classifiers.

- ECE (Naeini et al. 2015; Guo et al. 2017, Eq. 3): confidences c_i = max_k p_ik are put in M equal-width
  bins B_m; ECE = sum_m |B_m|/N * |acc(B_m) - conf(B_m)|. Bins are [m/M, (m+1)/M), edges m/M rounded once to
  the confidences' dtype, with the ``torch.bucketize(..., right=True)`` rule of torchmetrics'
  ``MulticlassCalibrationError``, so both give the same number on the same (float32, moderate-size) inputs
  whose confidences do not sit exactly on an edge. Differences: torchmetrics' ``torch.linspace`` edges are one
  ulp off m/M at some m (float32, M = 15: m = 3, 6, 7), where it puts a confidence of exactly m/M one bin low;
  it puts a confidence of exactly 1.0 into an extra (M+1)-th bin, we close the
  last bin at 1 (so [ (M-1)/M, 1 ]); the two agree whenever no confidence equals 1.0 exactly. The per-bin sums
  are float64 here; torchmetrics' float32 sums drift once a bin holds about 10^6 confidences (2M calibrated
  confidences of 0.95: ECE 0.0172 there, 1.2e-8 here), and it reads float64 inputs in float32.
  ``norm='l2'`` gives the root of the bin-weighted squared gaps, ``'max'`` the MCE.
- NLL: mean of -log p_{i, y_i}.
- Brier score (Brier 1950, multi-class form): mean over examples of sum_k (p_ik - 1[y_i = k])^2, in [0, 2].
"""

from __future__ import annotations

import math

import torch

from paperworks.core.config import check_int, is_int, is_real
from paperworks.core.errors import DataError
from paperworks.core.ranking import topk_stable
from paperworks.metrics._checks import check_labels, check_logits, check_probs

__all__ = ["reliability_bins", "expected_calibration_error", "negative_log_likelihood", "brier_score",
           "accuracy", "classification_metrics"]


def _n_bins(n_bins, where) -> int:
    """``n_bins`` as a Python int: an integer >= 1, NumPy's too (np.int64(15), from a grid of bin counts, was
    refused as "must be an int"), bool refused (the shared :func:`paperworks.core.config.is_int`)."""
    if not is_int(n_bins, 1):
        raise DataError(f"{where}: 'n_bins' must be an integer >= 1 (got {n_bins!r})")
    return int(n_bins)


def reliability_bins(probs, labels, n_bins: int = 15) -> dict[str, torch.Tensor]:
    """Per-bin accuracy, mean confidence and count (for reliability diagrams and the ECE).

    Returns dict(edges [M+1], accuracy [M], confidence [M], count [M]); empty bins have accuracy and
    confidence 0 and count 0.
    """
    b = _reliability_bins(probs, labels, n_bins, "reliability_bins")
    dtype = b["edges"].dtype   # the probabilities' (float32 for half precision), as before
    return {k: v.to(dtype) for k, v in b.items()}


def _reliability_bins(probs, labels, n_bins, where, pred=None):
    """Bins as :func:`reliability_bins`, with the sums and counts in float64 (the edges in the inputs' dtype).

    ``where``: the public function named in the errors (the ECE's errors named reliability_bins). float32
    accumulators stop counting at 2^24: with 17M float32 confidences of 0.95 (95 % right) and 1M of 0.55 (all
    right) a bin counted 16777216 of 17M, its accuracy became 1.0, and the ECE 0.0603 instead of 0.0250.

    ``pred``: the predicted classes [N] when they come from elsewhere (the logits' argmax in
    :func:`classification_metrics`); the confidence is then the probability of that class. None: the argmax
    of ``probs`` (the first maximum), as torchmetrics."""
    n_bins = _n_bins(n_bins, where)
    p = check_probs(probs, where)
    y = check_labels(labels, p.shape[0], p.shape[1], where)
    if pred is None:
        conf, pred = p.max(1)
    else:
        conf = p.gather(1, pred[:, None]).squeeze(1)
    # on the inputs' device (CPU-made edges / accumulators made every CUDA input a device-mismatch RuntimeError).
    # Edge m is m / M rounded once to the confidences' dtype: torch.linspace's edges are off by one ulp at some m
    # (float64, M = 10: 0.30000000000000004; float32, M = 15: m = 3, 6, 7), which put a confidence of exactly m / M
    # (k of K votes or neighbours) one bin low there and in its bin elsewhere, and differently per dtype
    edges = (torch.arange(n_bins + 1, dtype=torch.float64, device=conf.device) / n_bins).to(conf.dtype)
    idx = (torch.bucketize(conf, edges, right=True) - 1).clamp_(0, n_bins - 1)  # 1.0 -> last bin
    conf64 = conf.double()
    zeros = torch.zeros(n_bins, dtype=torch.float64, device=conf.device)
    count = zeros.clone().scatter_add_(0, idx, torch.ones_like(conf64))
    acc_sum = zeros.clone().scatter_add_(0, idx, pred.eq(y).double())
    conf_sum = zeros.clone().scatter_add_(0, idx, conf64)
    safe = count.clamp_min(1)
    return {"edges": edges, "accuracy": acc_sum / safe, "confidence": conf_sum / safe, "count": count}


def expected_calibration_error(probs, labels, n_bins: int = 15, norm: str = "l1") -> float:
    """ECE of top-1 confidences (a fraction in [0, 1]; multiply by 100 for the papers' %).

    probs: [N, C] predicted class probabilities (rows sum to 1); labels: [N] ints in [0, C).
    norm: 'l1' (ECE), 'l2' (RMS calibration error) or 'max' (MCE), as in torchmetrics.
    """
    if norm not in ("l1", "l2", "max"):
        raise DataError(f"expected_calibration_error: 'norm' must be one of l1, l2, max (got {norm!r})")
    return _calibration_error(_reliability_bins(probs, labels, n_bins, "expected_calibration_error"), norm)


def _calibration_error(b: dict, norm: str) -> float:
    """ECE / RMS / MCE of the bins ``b`` of :func:`_reliability_bins`."""
    prop = b["count"] / b["count"].sum()
    gap = (b["accuracy"] - b["confidence"]).abs()
    if norm == "l1":
        return float((gap * prop).sum())
    if norm == "max":
        return float(gap[b["count"] > 0].max())
    return math.sqrt(float((gap.pow(2) * prop).sum()))


def negative_log_likelihood(probs, labels, eps: float = 0.0) -> float:
    """Mean -log p(y_i | x_i). With eps > 0 probabilities are clamped at eps (log 0 would be inf); eps in [0, 1)."""
    where = "negative_log_likelihood"
    # (eps >= 1 clamped every probability up to eps and gave a negative NLL, -log 2 for eps = 2; NaN / negative
    # eps were ignored without a word)
    if not is_real(eps, 0.0, 1.0, open_high=True):
        raise DataError(f"{where}: 'eps' must be a number in [0, 1) (got {eps!r})")
    p = check_probs(probs, where)
    y = check_labels(labels, p.shape[0], p.shape[1], where)
    py = p.gather(1, y[:, None]).squeeze(1)
    if eps > 0:
        py = py.clamp_min(eps)
    return float(-torch.log(py).mean())


def brier_score(probs, labels) -> float:
    """Multi-class Brier score: mean_i sum_k (p_ik - 1[y_i = k])^2 (0 = perfect, 2 = worst)."""
    where = "brier_score"
    p = check_probs(probs, where)
    y = check_labels(labels, p.shape[0], p.shape[1], where)
    onehot = torch.zeros_like(p).scatter_(1, y[:, None], 1.0)
    return float((p - onehot).pow(2).sum(1).mean())


def accuracy(scores, labels, top_k: int = 1) -> float:
    """Top-k accuracy of [N, C] scores (logits or probabilities): the label is among the k highest scores
    (k = 1: argmax; ``torchmetrics``' micro ``multiclass_accuracy(top_k=k)`` on untied scores).

    Tied scores rank by class index, lower first, for every k (k = 1 is argmax's first-maximum rule), so the
    accuracy never falls as k grows. ``torch.topk`` leaves tied classes in an implementation-defined order:
    scores [1, 1, 1, 0, 0] with label 0 gave top-1 accuracy 1 but top-2 accuracy 0 (CPU, torch 2.13).
    scikit-learn's ``top_k_accuracy_score`` ranks ties the other way (higher index first)."""
    where = "accuracy"
    s = check_logits(scores, where, "scores")
    y = check_labels(labels, s.shape[0], s.shape[1], where)
    k = check_int("top_k", top_k, 1, where=where)
    if k > s.shape[1]:
        raise DataError(f"{where}: top_k={k} exceeds the {s.shape[1]} classes")
    if k == 1:
        return float(s.argmax(1).eq(y).float().mean())
    return float(topk_stable(s, k, dim=1).indices.eq(y[:, None]).any(1).float().mean())


def classification_metrics(logits, labels, n_bins: int = 15) -> dict[str, float]:
    """accuracy, ece, nll, brier of [N, C] logits (softmax gives the probabilities).

    NLL is computed from log_softmax directly, so it stays finite for saturated logits.

    The ECE scores the same predictions as the accuracy, the logits' argmax, with the softmax probability of
    that class as the confidence (the official VC evaluation, ``VC.py`` ``validate``: predicted = argmax of
    the logits, confidence = softmax(logits)[predicted]). It took the softmax's argmax before: float64 logits
    closer than the softmax resolves ([0, 1e-17, -5], label 1) were right for the accuracy (1.0) and wrong
    for the ECE (0.498 instead of 0.502).
    """
    where = "classification_metrics"
    z = check_logits(logits, where)
    y = check_labels(labels, z.shape[0], z.shape[1], where)
    logp, p, pred, bins = _logit_bins(z, y, n_bins, where)
    return {"accuracy": float(pred.eq(y).float().mean()),
            "ece": _calibration_error(bins, "l1"),
            "nll": float(-logp.gather(1, y[:, None]).mean()),
            "brier": brier_score(p, y)}


def _logit_bins(z, y, n_bins, where):
    """(log-probabilities, probabilities, predictions, bins) of checked logits ``z``: float64 log_softmax, its
    exp renormalised, the logits' argmax, and :func:`_reliability_bins` on those predictions with the probability
    of the predicted class as the confidence (what :func:`classification_metrics`' ECE scores)."""
    logp = torch.log_softmax(z.double(), 1)
    p = logp.exp()
    p = p / p.sum(1, keepdim=True)
    pred = z.argmax(1)
    return logp, p, pred, _reliability_bins(p, y, n_bins, where, pred=pred)


def logit_reliability_bins(logits, labels, n_bins: int = 15) -> dict[str, torch.Tensor]:
    """Reliability-diagram bins of [N, C] logits on the predictions and confidences that
    :func:`classification_metrics`' ECE scores (the logits' argmax, the float64 softmax probability of that
    class); every value float64. :func:`reliability_bins` takes probabilities and their first maximum instead."""
    where = "logit_reliability_bins"
    z = check_logits(logits, where)
    y = check_labels(labels, z.shape[0], z.shape[1], where)
    b = _logit_bins(z, y, n_bins, where)[3]
    return {k: v.to(b["edges"].dtype) for k, v in b.items()}
