"""evaluate_attack, untargeted, with true_labels that differ from y: one DataError.

Success was counted against y and the clean / adversarial accuracies against true_labels, so the report mixed
two label sets without a word (probe: success_rate 1.0 beside adversarial_accuracy 0.33).
metrics.evaluate_under_attack refuses true_labels for untargeted attacks too.
"""

import pytest
import torch

from paperworks import attacks
from paperworks.core.errors import DataError


def test_untargeted_true_labels_that_differ_from_y_are_refused(small_setup):
    model, x, y = small_setup
    other = (y + 1) % 4
    with pytest.raises(DataError, match="differs from it at 32 example"):
        attacks.evaluate_attack(model, "fgsm", x, y, eps=0.1, true_labels=other)
    with pytest.raises(DataError, match="true_labels"):
        attacks.evaluate_attack(model, x.clone(), x, y, true_labels=torch.where(y == 0, 1, y))
    # equal to y (also as another integer dtype): the same report as without them
    a = attacks.evaluate_attack(model, "fgsm", x, y, eps=0.3, true_labels=y.to(torch.int32))
    b = attacks.evaluate_attack(model, "fgsm", x, y, eps=0.3)
    assert torch.equal(a.x_adv, b.x_adv) and torch.equal(a.success, b.success)
    assert {k: v for k, v in a.as_dict().items() if k != "time_per_example_s"} == \
        {k: v for k, v in b.as_dict().items() if k != "time_per_example_s"}
