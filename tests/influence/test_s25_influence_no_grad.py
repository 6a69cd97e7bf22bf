"""The influence functions under torch.no_grad() (an evaluation block). The curvature functions they call run
there as outside it (tests/curvature/test_s23_grad_mode.py), but objective_grad called the objective without a
graph, so influence_scores / upweight_influence / influence_scores_loop / objective_grad blamed the objective
("objective(model) does not depend on the selected parameters (its result does not require grad)"). They now
give the same scores as outside the block; torch.inference_mode() is still refused by name."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from paperworks.core.errors import PaperworksError
from paperworks.influence import influence_scores, influence_scores_loop, objective_grad, upweight_influence


def _setup():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double().eval()
    x = torch.randn(10, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (10,))

    def loss(mm, b):
        return F.cross_entropy(mm(b[0]), b[1]) + 0.05 * sum((p ** 2).sum() for p in mm.parameters())

    def obj(mm):
        return F.cross_entropy(mm(x[:3]), y[:3], reduction="none")    # m = 3 values

    return m, loss, (x, y), obj


CALLS = {
    "influence_scores exact": lambda m, lf, d, o: influence_scores(m, lf, d, o, solver="exact", damping=1.0),
    "influence_scores cg": lambda m, lf, d, o: influence_scores(m, lf, d, o, solver="cg", damping=1.0),
    "influence_scores kfac": lambda m, lf, d, o: influence_scores(m, lf, d, o, solver="kfac", damping=1.0),
    "upweight_influence": lambda m, lf, d, o: upweight_influence(m, lf, d, o, solver="exact", damping=1.0),
    "influence_scores_loop": lambda m, lf, d, o: influence_scores_loop(m, lf, d, lambda mm: o(mm).sum(),
                                                                       damping=1.0),
    "objective_grad": lambda m, lf, d, o: objective_grad(m, o),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_the_same_result_under_no_grad(name):
    import warnings

    m, lf, data, obj = _setup()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # (K-FAC's note on the L2 term: the same call both times)
        want = CALLS[name](m, lf, data, obj)
        with torch.no_grad():
            got = CALLS[name](m, lf, data, obj)
    assert torch.equal(got, want)
    assert not got.requires_grad


def test_inference_mode_is_refused_by_name():
    m, lf, data, obj = _setup()
    with torch.inference_mode(), pytest.raises(PaperworksError, match="inference_mode"):
        influence_scores(m, lf, data, obj, solver="exact", damping=1.0)
