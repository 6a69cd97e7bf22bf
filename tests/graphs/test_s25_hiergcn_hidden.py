"""HierGCN (HGP-SL's network and its baselines) refuses hidden < 2 with one ConfigError (session 25). Its classifier
is Linear(hidden, hidden) - Linear(hidden, hidden // 2) - Linear(hidden // 2, C): with hidden=1 the middle layer has
0 units, so the logits are the last layer's bias whatever the graph, and `paperworks run hgp_sl hidden=1` trained
and reported such a constant model without a word."""

import pytest
import torch
from torch_geometric.data import Batch, Data

from paperworks.core.errors import ConfigError
from paperworks.graphs import HierGCN
from paperworks.systems.hgp_sl import HGPSL


@pytest.mark.parametrize("pool", ["hgpsl", "none", "topk"])
@pytest.mark.parametrize("hidden", [1, 0, -3, 2.5, True])
def test_hidden_below_two_is_one_config_error(pool, hidden):
    with pytest.raises(ConfigError, match=r"HierGCN: 'hidden' must be an integer >= 2"):
        HierGCN(3, 2, hidden=hidden, pool=pool)


@pytest.mark.parametrize("hidden", [1, 0])
def test_hgp_sl_config_refuses_hidden_below_two(hidden):
    with pytest.raises(ConfigError, match="hidden"):
        HGPSL.make_config({"hidden": str(hidden)})


def test_hidden_two_and_up_depend_on_the_input():
    g = torch.Generator().manual_seed(0)
    graphs = [Data(x=torch.randn(6, 3, generator=g), edge_index=torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]]))
              for _ in range(8)]
    batch = Batch.from_data_list(graphs)
    torch.manual_seed(0)
    model = HierGCN(3, 2, hidden=4, dropout=0.0)
    logits, _ = model(batch)
    logits.sum().backward()
    assert model.convs[0].lin.weight.grad.abs().sum() > 0
    assert HGPSL.make_config({"hidden": "2"}).hidden == 2
