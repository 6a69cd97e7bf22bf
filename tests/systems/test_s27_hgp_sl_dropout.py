"""hgp_sl's default dropout is the official code's (2026-11-28).

The network follows the official models.py of cszhangzhen/HGP-SL at its 2-pool version (GCN -> pool -> readout x2,
GCN -> readout); that version's main.py sets ``--dropout_ratio 0.0``, and the repository README's parameter table
lists dropout 0.0 for PROTEINS, NCI1, NCI109 and Mutagenicity (pooling ratio 0.5 / 0.8, 3 layers). The default was
0.5, a value of the repository's earlier 3-pool commit, whose main.py moreover switched the model to eval mode after
the first epoch's validation and never back (dropout active in epoch 1 only). Every model of the reproduction shares
the config's dropout, so the baselines change with it.
"""

import pytest
import torch
from torch_geometric.data import Batch

from paperworks.graphs.experiment import data_spec, load_graphs
from paperworks.systems.hgp_sl import HGPSL, HGPSLConfig

POOLS = ("hgpsl", "hgpsl_nosl", "none", "topk", "sag", "sag_graphconv")


@pytest.fixture(scope="module")
def graphs():
    return load_graphs("syn_community_majority", 0, 6)


def _dropouts(model):
    return [m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)]


def test_default_dropout_is_the_official_value():
    assert HGPSLConfig().dropout == 0.0


@pytest.mark.parametrize("pool", POOLS)
def test_reproduction_models_train_without_dropout_by_default(graphs, pool):
    torch.manual_seed(0)
    model = HGPSL(HGPSLConfig())._model(data_spec(graphs), pool)()
    assert _dropouts(model) == [0.0, 0.0]
    model.train()
    batch = Batch.from_data_list(graphs[:4])
    a, _ = model(batch)
    b, _ = model(batch)
    assert torch.equal(a, b)   # train-mode forwards are deterministic: no dropout mask drawn


def test_dropout_stays_configurable(graphs):
    model = HGPSL(HGPSLConfig(dropout=0.5))._model(data_spec(graphs), "hgpsl")()
    assert _dropouts(model) == [0.5, 0.5]
