"""BlackBox.probs: a bad batch_size is one ConfigError and costs no query; batching does not change the output."""

import pytest
import torch
import torch.nn.functional as F

from paperworks.core.errors import ConfigError
from paperworks.systems.advgan import BlackBox


def _bb():
    torch.manual_seed(0)
    return BlackBox(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3)).eval())


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_bad_batch_size_is_refused_before_counting(batch_size):
    bb = _bb()
    with pytest.raises(ConfigError, match="batch_size"):
        bb.probs(torch.rand(5, 1, 4, 4), batch_size)
    assert bb.queries == 0


@pytest.mark.parametrize("batch_size", [1, 2, 5, 1000])
def test_probs_equal_the_softmax_for_every_batch_size(batch_size):
    bb = _bb()
    x = torch.rand(5, 1, 4, 4)
    with torch.no_grad():
        want = F.softmax(bb._model(x), 1)
    torch.testing.assert_close(bb.probs(x, batch_size), want)
    assert bb.queries == 5
