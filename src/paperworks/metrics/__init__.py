"""Shared evaluation metrics: calibration (ECE), proper scores (NLL, Brier), accuracy under adversarial
attack and under distribution shift, and stratified label-fraction subsets for low-label regimes.

    from paperworks.metrics import classification_metrics, expected_calibration_error, evaluate_under_attack
    m = classification_metrics(logits, labels)            # {'accuracy', 'ece', 'nll', 'brier'}
"""

from paperworks.metrics.calibration import (
    accuracy,
    brier_score,
    classification_metrics,
    expected_calibration_error,
    logit_reliability_bins,
    negative_log_likelihood,
    reliability_bins,
)
from paperworks.metrics.labels import label_fraction_indices, label_fraction_subset
from paperworks.metrics.robustness import (
    ATTACKS,
    SHIFTS,
    apply_shift,
    evaluate_under_attack,
    evaluate_under_shift,
    gaussian_noise,
    predict_logits,
    rotate,
)

__all__ = [
    "accuracy", "brier_score", "classification_metrics", "expected_calibration_error",
    "logit_reliability_bins", "negative_log_likelihood", "reliability_bins", "label_fraction_indices", "label_fraction_subset",
    "ATTACKS", "SHIFTS", "apply_shift", "evaluate_under_attack", "evaluate_under_shift", "gaussian_noise",
    "predict_logits", "rotate",
]
