"""The flag check of adcb1d7 (targeted / random_start / abort_early must be bools) refused a 0-d boolean tensor
(torch.tensor(True)) or 0-d numpy bool array (np.array(True)), which the attacks took before (read by truth
value). They are accepted again, as the Python bool they hold; strings, numbers, non-boolean or non-0-d arrays
and tensors are still refused."""

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


ZERO_D = [torch.tensor, np.array]


@pytest.mark.parametrize("wrap", ZERO_D, ids=["tensor", "ndarray"])
def test_zero_d_boolean_flags_act_as_the_bool(wrap):
    m, x, y = _setup()
    for v in (True, False):
        assert torch.equal(A.fgsm(m, x, y, eps=0.1, targeted=wrap(v)), A.fgsm(m, x, y, eps=0.1, targeted=v))
        torch.manual_seed(1)
        a = A.pgd(m, x, y, eps=0.1, steps=2, random_start=wrap(v), targeted=wrap(not v))
        torch.manual_seed(1)
        b = A.pgd(m, x, y, eps=0.1, steps=2, random_start=v, targeted=not v)
        assert torch.equal(a, b)
        assert torch.equal(A.cw_l2(m, x, y, steps=2, binary_search_steps=1, abort_early=wrap(v)),
                           A.cw_l2(m, x, y, steps=2, binary_search_steps=1, abort_early=v))
        assert A.success_rate(m, x, y, targeted=wrap(v)) == A.success_rate(m, x, y, targeted=v)


@pytest.mark.parametrize("bad", ["no", 1, 0.0, torch.tensor(1), torch.tensor(1.0), np.array(1), np.array("True"),
                                 torch.tensor([True]), np.array([True]), np.array([[False]]),
                                 torch.tensor(True, device="meta"), None],
                         ids=["str", "int", "float", "t-int", "t-float", "a-int", "a-str", "t-1d", "a-1d", "a-2d",
                              "t-meta", "None"])
def test_other_values_still_refused(bad):
    m, x, y = _setup()
    with pytest.raises(ConfigError, match="'targeted' must be True or False"):
        A.fgsm(m, x, y, eps=0.1, targeted=bad)
