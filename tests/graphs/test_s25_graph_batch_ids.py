"""check_graph (the entry check of HierGCN, HGPSLPool, node_information_score's callers and to_dense) refuses a
'batch' of float, bool or negative graph ids with one DataError (session 25). They passed the shape and order checks
and failed later in torch.bincount with a bare NotImplementedError ('"bincount_cpu" not implemented for 'Float'')
or RuntimeError ('bincount only supports 1-d non-negative integral inputs')."""

import pytest
import torch
from torch_geometric.data import Data

from paperworks.core.errors import DataError
from paperworks.graphs import DiffPoolNet, HGPSLPool, HierGCN

X = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
EDGES = torch.tensor([[0, 1, 3, 4], [1, 0, 4, 3]])
IDS = [0, 0, 0, 1, 1, 1]
BAD = {"float": (torch.tensor(IDS, dtype=torch.float32), "integer graph ids"),
       "bool": (torch.tensor(IDS, dtype=torch.bool), "integer graph ids"),
       "negative": (torch.tensor(IDS) - 1, "graph id -1")}


def _calls(batch):
    torch.manual_seed(0)
    return {"HGPSLPool": lambda: HGPSLPool(3)(X, EDGES, batch=batch),
            "HierGCN": lambda: HierGCN(3, 2, hidden=8)(Data(x=X, edge_index=EDGES, batch=batch)),
            "DiffPoolNet": lambda: DiffPoolNet(3, 2, 3, hidden=8)(Data(x=X, edge_index=EDGES, batch=batch))}


@pytest.mark.parametrize("who", ["HGPSLPool", "HierGCN", "DiffPoolNet"])
@pytest.mark.parametrize("bad", list(BAD))
def test_bad_graph_ids_are_one_data_error(who, bad):
    batch, match = BAD[bad]
    with pytest.raises(DataError, match=match):
        _calls(batch)[who]()


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32])
def test_integer_graph_ids_unchanged(dtype):
    batch = torch.tensor(IDS, dtype=dtype)
    out = _calls(batch)
    assert out["HGPSLPool"]()[3].tolist() == [0, 0, 1, 1]
    assert out["HierGCN"]()[0].shape == (2, 2)
    assert out["DiffPoolNet"]()[0].shape == (2, 2)
