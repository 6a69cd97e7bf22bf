"""The attacks read their flags by truth value: fgsm(targeted='no') ran the targeted attack (torch.equal to
targeted=True), pgd(random_start='no') drew a random start, success_rate / evaluate_attack(targeted='no')
counted targeted successes, cw_l2(abort_early='no') stopped early. Each flag must be a bool now."""

import numpy as np
import pytest
import torch
from torch import nn

from paperworks import attacks as A
from paperworks.core.errors import ConfigError


def _setup():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Flatten(), nn.Linear(4, 3)).eval()
    x = torch.rand(4, 1, 2, 2, generator=torch.Generator().manual_seed(0))
    return m, x, torch.tensor([0, 1, 2, 0])


@pytest.mark.parametrize("call,name", [
    (lambda m, x, y: A.fgsm(m, x, y, eps=0.1, targeted="no"), "targeted"),
    (lambda m, x, y: A.pgd(m, x, y, eps=0.1, steps=2, targeted="no"), "targeted"),
    (lambda m, x, y: A.pgd(m, x, y, eps=0.1, steps=2, random_start="no"), "random_start"),
    (lambda m, x, y: A.cw_l2(m, x, y, steps=2, binary_search_steps=1, targeted="no"), "targeted"),
    (lambda m, x, y: A.cw_l2(m, x, y, steps=2, binary_search_steps=1, abort_early="no"), "abort_early"),
    (lambda m, x, y: A.success_rate(m, x, y, targeted="no"), "targeted"),
    (lambda m, x, y: A.evaluate_attack(m, "fgsm", x, y, eps=0.1, targeted="no", true_labels=(y + 1) % 3),
     "targeted"),
], ids=["fgsm", "pgd-targeted", "pgd-random_start", "cw-targeted", "cw-abort_early", "success_rate",
        "evaluate_attack"])
def test_non_bool_flags_are_refused(call, name):
    m, x, y = _setup()
    with pytest.raises(ConfigError, match=f"'{name}' must be True or False"):
        call(m, x, y)


def test_numpy_bools_still_accepted():
    m, x, y = _setup()
    assert torch.equal(A.fgsm(m, x, y, eps=0.1, targeted=np.bool_(True)), A.fgsm(m, x, y, eps=0.1, targeted=True))
    assert A.success_rate(m, x, y, targeted=np.bool_(False)) == A.success_rate(m, x, y)
