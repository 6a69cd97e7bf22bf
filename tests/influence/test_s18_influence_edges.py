"""influence_scores_loop (the reference loop of the fmd bench) checks its damping like influence_scores does
(session 18 probe); fails on the code before the fix."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from paperworks.core.errors import PaperworksError
from paperworks.influence import influence_scores, influence_scores_loop


def _problem():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(10, 3, generator=g, dtype=torch.float64)
    y = (torch.rand(10, generator=g) < 0.5).double()
    m = nn.Linear(3, 1, bias=False).double()

    def loss(mod, b):
        return F.binary_cross_entropy_with_logits(mod(b[0]).squeeze(-1), b[1]) + 0.01 * (mod.weight ** 2).sum()

    return m, loss, (x, y), lambda mod: loss(mod, (x[:2], y[:2]))


@pytest.mark.parametrize("damping", [-0.1, float("nan"), "auto"])
def test_loop_reference_refuses_a_bad_damping(damping):
    """damping=-0.1 gave the scores of H - 0.1 I and NaN gave NaN scores, silently ('auto': a TypeError inside
    torch); influence_scores refuses the first two by name."""
    m, loss, data, obj = _problem()
    with pytest.raises(PaperworksError, match="damping"):
        influence_scores_loop(m, loss, data, obj, damping=damping)


def test_loop_reference_still_equals_the_exact_scores():
    m, loss, data, obj = _problem()
    for d in (0.0, 0.3):
        torch.testing.assert_close(influence_scores_loop(m, loss, data, obj, damping=d),
                                   influence_scores(m, loss, data, obj, damping=d, solver="exact"))
