"""candidate_pairs and check_graph (the entry check of HierGCN, HGPSLPool, to_dense / DiffPool,
node_information_score, train_eval's dataset check) carried twin batch / edge checks with their own messages;
they share one check_edge_index / check_batch now. Defects both twins had:
- a complex edge_index passed the dtype test and failed in min() ('"min_all" not implemented for ComplexFloat');
- int16 / int8 / uint8 edge_index or batch passed and failed in every model with a bare RuntimeError
  ("index_add_(): Expected dtype int32/int64 for index"; uint8 was read as a boolean mask by DiffPool's indexing);
- check_graph's range message named both extremes, a valid node among them ("refers to node 2 or -1").
int64 and int32 (which work) give the same results as before."""

import pytest
import torch
from torch_geometric.data import Data

from paperworks.core.errors import DataError
from paperworks.graphs import DiffPoolNet, HGPSLPool, HierGCN, candidate_pairs, node_information_score
from paperworks.graphs._checks import check_graph

X = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
EDGES = torch.tensor([[0, 1, 3, 4], [1, 0, 4, 3]])
B = torch.tensor([0, 0, 0, 1, 1, 1])


def _calls(e, b):
    return {"HGPSLPool": lambda: HGPSLPool(3)(X, e, batch=b),
            "HierGCN": lambda: HierGCN(3, 2, hidden=8)(Data(x=X, edge_index=e, batch=b)),
            "DiffPoolNet": lambda: DiffPoolNet(3, 2, 3, hidden=8)(Data(x=X, edge_index=e, batch=b)),
            "candidate_pairs": lambda: candidate_pairs(torch.tensor([0, 3]), b, e, 6)}


WHO = ["HGPSLPool", "HierGCN", "DiffPoolNet", "candidate_pairs"]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("dtype", [torch.int16, torch.int8, torch.uint8, torch.complex64])
def test_edge_index_of_a_non_index_dtype_is_one_data_error(who, dtype):
    with pytest.raises(DataError, match=r"'edge_index' of shape \[2, E\] and integer dtype int64 or int32"):
        _calls(EDGES.to(dtype), B)[who]()


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("dtype", [torch.int16, torch.uint8, torch.complex64])
def test_batch_of_a_non_index_dtype_is_one_data_error(who, dtype):
    with pytest.raises(DataError, match=r"'batch' must hold integer graph ids of dtype int64 or int32"):
        _calls(EDGES, B.to(dtype))[who]()


@pytest.mark.parametrize("who", WHO)
def test_int32_and_int64_give_the_same_results(who):
    outs = []
    for dt in (torch.int64, torch.int32):
        torch.manual_seed(0)
        out = _calls(EDGES.to(dt), B.to(dt))[who]()
        outs.append([o for o in (out if isinstance(out, tuple) else (out,)) if isinstance(o, torch.Tensor)])
    for a, b in zip(*outs):
        assert torch.equal(a.long() if not a.is_floating_point() else a, b.long() if not b.is_floating_point() else b)


def test_range_message_names_the_offending_node_only():
    with pytest.raises(DataError, match=r"refers to node -1, outside \[0, 3\)") as e:
        node_information_score(torch.randn(3, 2), torch.tensor([[0, -1], [2, 1]]))
    assert "node 2" not in str(e.value)
    with pytest.raises(DataError, match=r"refers to node 7, outside \[0, 6\) \(num_nodes=6\)"):
        candidate_pairs(torch.tensor([0, 1]), B, torch.tensor([[0], [7]]), 6)


def test_the_twins_say_the_same_thing():
    """Each bad batch / edge_index gets the same message from both, apart from the caller and the node count."""
    cases = [(EDGES, B[:5]), (EDGES, torch.tensor([1, 1, 1, 0, 0, 0])), (EDGES, B - 1), (EDGES, B[None]),
             (torch.tensor([[0], [9]]), B), (EDGES.float(), B)]
    for e, b in cases:
        msgs = []
        for call in (lambda: check_graph("W", X, e, None, b), lambda: candidate_pairs(torch.tensor([0]), b, e, 6)):
            with pytest.raises(DataError) as err:
                call()
            msgs.append(str(err.value).replace("candidate_pairs:", "W:").replace("num_nodes=6", "the 6 nodes of 'x'"))
        assert msgs[0] == msgs[1]


def test_dataset_check_names_the_graph():
    from paperworks.graphs._checks import check_dataset

    data = [Data(x=torch.randn(3, 2), edge_index=torch.tensor([[0], [1]], dtype=torch.int16), y=torch.tensor([0]))]
    with pytest.raises(DataError, match=r"dataset: graph 0: expected 'edge_index' .* int16"):
        check_dataset("dataset", data)
