"""model_bias: the batch argument at its boundaries; batching does not change the value."""

import pytest
import torch

from paperworks.core.errors import DataError, PaperworksError
from paperworks.systems.fmd import CounterfactualSet, FMDNet, counterfactual_bias, model_bias


def _setup():
    torch.manual_seed(0)
    model = FMDNet(5, (7,), 3).eval()
    x = torch.randn(10, 5)
    x_cf = x.clone()
    x_cf[:, 0] = -x_cf[:, 0] + 1.0
    return model, CounterfactualSet(x, x_cf, torch.randint(0, 3, (10,)))


@pytest.mark.parametrize("batch", [1, 3, 10, 4096])
def test_model_bias_equals_the_direct_bias_for_every_batch(batch):
    model, cf = _setup()
    with torch.no_grad():
        want = float(counterfactual_bias(model(cf.x), model(cf.x_cf), cf.y))
    assert model_bias(model, cf, batch=batch) == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("batch", [0, -1, -4096, 2.0, True])
def test_model_bias_rejects_a_batch_below_one(batch):
    # batch = -1 used to skip every pair and report a bias of exactly 0.0
    model, cf = _setup()
    with pytest.raises(PaperworksError, match="batch must be an integer >= 1"):
        model_bias(model, cf, batch=batch)


def test_model_bias_of_an_empty_set_is_a_data_error():
    model, _ = _setup()
    empty = CounterfactualSet(torch.empty(0, 5), torch.empty(0, 5), torch.empty(0, dtype=torch.long))
    with pytest.raises(DataError, match="no pairs"):
        model_bias(model, empty)
