"""Python-API QA of the GTN engine model: per-call target sets, bad target indices, non-finite features."""

import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.graphs.hetero import adjacency_stack
from paperworks.graphs.hetero_gtn import GTNModel

pytest.importorskip("torch_geometric")
from torch_geometric.data import HeteroData  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def _graph():
    g = torch.Generator().manual_seed(0)
    n_p, n_a, n_s = 10, 6, 3
    pa = torch.unique(torch.stack([torch.randint(0, n_p, (18,), generator=g),
                                   torch.randint(0, n_a, (18,), generator=g)]), dim=1)
    ps = torch.stack([torch.arange(n_p), torch.randint(0, n_s, (n_p,), generator=g)])
    d = HeteroData()
    for t, n in (("paper", n_p), ("author", n_a), ("subject", n_s)):
        d[t].x = torch.rand(n, 4, generator=g)
    d["paper", "pa", "author"].edge_index = pa.contiguous()
    d["author", "ap", "paper"].edge_index = pa.flip(0).contiguous()
    d["paper", "ps", "subject"].edge_index = ps.contiguous()
    d["subject", "sp", "paper"].edge_index = ps.flip(0).contiguous()
    return torch.cat([d[t].x for t in d.node_types]), adjacency_stack(d)


@pytest.mark.parametrize("num_layers", [1, 2])
def test_gtn_api_qa_target_sets_sharing_count_sum_and_ends_get_their_own_rows(num_layers):
    # [0, 2, 3, 5] and [0, 1, 4, 5]: same size, sum, first and last node. The stack's product cache was keyed
    # on those four numbers only, so the second call got the first set's basis (wrong nodes' logits, no error).
    x, stack = _graph()
    torch.manual_seed(0)
    model = GTNModel(stack.num_relations, 4, 8, 3, channels=2, num_layers=num_layers)
    full = model(x, stack)                                   # every node, no column restriction
    for idx in ([0, 2, 3, 5], [0, 1, 4, 5], [0, 2, 3, 5]):
        t = torch.tensor(idx)
        assert torch.allclose(model(x, stack, t), full[t], atol=1e-6), idx


@pytest.mark.parametrize("bad", [[-1], [100], [], [[1, 2]], [0.0, 1.0]])
def test_gtn_api_qa_bad_target_index_is_one_data_error(bad):
    x, stack = _graph()
    model = GTNModel(stack.num_relations, 4, 8, 3)
    with pytest.raises(DataError, match="target_index"):
        model(x, stack, torch.tensor(bad))


def test_gtn_api_qa_non_finite_features_are_refused():
    x, stack = _graph()
    model = GTNModel(stack.num_relations, 4, 8, 3)
    x[3, 1] = float("nan")
    with pytest.raises(DataError, match="NaN"):
        model(x, stack)


def test_gtn_api_qa_rank_metapaths_refuses_what_it_would_silently_misrank():
    from paperworks.core.errors import ConfigError
    from paperworks.graphs.hetero_gtn import rank_metapaths

    x, stack = _graph()
    alphas = GTNModel(stack.num_relations, 4, 8, 3, num_layers=1).alphas()
    with pytest.raises(DataError, match="source 'papr'"):             # a typo returned [] (no meta-path)
        rank_metapaths(alphas, stack, source="papr")
    with pytest.raises(DataError, match="selection weights 0"):       # K=3 of 5 types: ranked on a subset
        rank_metapaths([a[:, :3] for a in alphas], stack)
    with pytest.raises(ConfigError, match="top_k"):                    # top_k=-1 dropped the last path
        rank_metapaths(alphas, stack, top_k=-1)
    # one-hot selections: the chosen meta-path scores exactly 1 in every channel (closed form)
    names = stack.names
    onehot = [torch.zeros_like(alphas[0]) for _ in alphas]
    onehot[0][:, names.index("pa")] = 1.0
    onehot[1][:, names.index("ap")] = 1.0
    top = rank_metapaths(onehot, stack, source="paper", target="paper", top_k=2)
    assert top[0]["name"] == "P-A-P" and top[0]["score"] == 1.0
    assert all(t["score"] == 0.0 for t in top[1:])
