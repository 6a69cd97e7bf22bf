"""variational_classification's reliability diagram: its bars are binned on the predictions and confidences that
classification_metrics' ECE scores (the logits' argmax, the diagram's title shows that ECE). They took the
softmax's argmax, which fbf956a had replaced in the ECE only: float64 logits [0, 1e-17, -5] with label 1 gave a
bar of accuracy 0 at confidence 0.498 under a title ECE of 0.502 (accuracy 1)."""
import torch

from paperworks.metrics import classification_metrics
from paperworks.systems.variational_classification import experiment


def _ece_of(b):
    prop = b["count"] / b["count"].sum()
    return float((prop * (b["accuracy"] - b["confidence"]).abs()).sum())


def test_bars_score_the_logits_argmax_like_the_title_ece():
    z = torch.tensor([[0.0, 1e-17, -5.0], [2.0, 0.5, -1.0], [0.1, 0.3, 0.2]], dtype=torch.float64)
    y = torch.tensor([1, 0, 2])
    b = experiment.clean_reliability_bins(z, y, 20)
    m = classification_metrics(z, y, 20)
    k = int(0.4983 * 20)   # the tied row's bin (confidence 0.498, alone there)
    assert int(b["count"][k]) == 1
    assert float(b["accuracy"][k]) == 1.0
    assert abs(_ece_of(b) - m["ece"]) < 1e-15


def test_untied_float32_logits_give_the_softmax_argmax_bins():
    torch.manual_seed(0)
    z, y = torch.randn(200, 5), torch.randint(0, 5, (200,))
    b = experiment.clean_reliability_bins(z, y, 15)
    assert abs(_ece_of(b) - classification_metrics(z, y, 15)["ece"]) < 1e-12
    assert int(b["count"].sum()) == 200
