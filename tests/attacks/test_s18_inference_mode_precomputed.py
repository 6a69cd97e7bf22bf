"""evaluate_attack of precomputed adversarial images needs no input gradient, so it works inside
torch.inference_mode() (it did before the inference-mode refusal of session 18 was put into the shared input
check, which refused it with "called inside torch.inference_mode(), where no input gradient can be taken").
The gradient attacks themselves still refuse an inference_mode block, also when run through evaluate_attack."""

import pytest
import torch

from paperworks import attacks
from paperworks.core.errors import DataError


def test_precomputed_images_are_measured_inside_inference_mode(small_setup):
    model, x, y = small_setup
    x_adv = attacks.fgsm(model, x, y, eps=0.4)
    ref = attacks.evaluate_attack(model, x_adv, x, y)
    with torch.inference_mode():
        rep = attacks.evaluate_attack(model, x_adv, x, y)
    assert rep.success_rate == ref.success_rate > 0
    assert rep.clean_accuracy == ref.clean_accuracy
    assert torch.equal(rep.success, ref.success)
    assert rep.mean_l2 == ref.mean_l2


def test_gradient_attacks_through_evaluate_attack_still_name_inference_mode(small_setup):
    model, x, y = small_setup
    with torch.inference_mode():
        for attack in ("fgsm", "pgd"):
            with pytest.raises(DataError, match="inside torch.inference_mode"):
                attacks.evaluate_attack(model, attack, x, y, eps=0.1)
