"""check_batch_size takes 0 (the whole data in one chunk) as well as None and integers >= 1, but its refusal said
"batch_size must be None or an integer >= 1", so a caller reading it would not know 0 is allowed. The message now
names the three forms; what is accepted and refused is unchanged."""
import numpy as np
import pytest
import torch
from torch import nn

from paperworks.core.errors import PaperworksError
from paperworks.curvature import KFAC
from paperworks.curvature.params import check_batch_size


@pytest.mark.parametrize("ok", [None, 0, 1, 256, np.int64(3)])
def test_accepted_forms(ok):
    check_batch_size(ok, "hvp")


@pytest.mark.parametrize("bad", [-1, 2.5, True, "8"])
def test_message_names_zero_as_the_whole_data(bad):
    with pytest.raises(PaperworksError) as ei:
        check_batch_size(bad, "hvp")
    msg = str(ei.value)
    assert msg.startswith("hvp: batch_size must be None, 0 (the whole data in one chunk) or an integer >= 1")
    assert repr(bad) in msg


def test_kfac_batch_size_zero_accepted_and_named_in_the_refusal():
    torch.manual_seed(0)
    m = nn.Linear(3, 2)
    data = (torch.randn(10, 3), torch.randint(0, 2, (10,)))
    loss = lambda mod, b: nn.functional.cross_entropy(mod(b[0]), b[1])
    KFAC(m, loss, data, batch_size=0).fit()
    with pytest.raises(PaperworksError, match=r"^KFAC: batch_size must be None, 0 \(the whole data"):
        KFAC(m, loss, data, batch_size=-2)
