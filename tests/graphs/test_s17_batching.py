"""GraphCollater / collate_graphs equal PyG's Batch.from_data_list, and train_eval's loaders keep the batches and
the global RNG stream of the PyG DataLoaders they replaced (so no reproduction number moves)."""

import random

import pytest
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.loader import DataLoader as PyGLoader
from torch.utils.data import DataLoader

from paperworks.graphs.batching import GraphCollater, collate_graphs
from paperworks.graphs.harness import Split, _FixedBatches, train_eval

from _s17_pyg_reference import pyg_loader_history


def _graph(rng, n, feats=3, extra=True):
    e = rng.randint(0, 3 * n)
    d = Data(x=torch.randn(n, feats), edge_index=torch.randint(0, max(n, 1), (2, e)),
             y=torch.tensor([rng.randint(0, 1)]))
    if extra:
        d.edge_attr = torch.randn(e, 2)
        d.community = torch.randint(0, 3, (n,))
    return d


def _assert_same(a, b):
    assert type(a).__name__ == type(b).__name__
    assert sorted(a.keys()) == sorted(b.keys())
    assert list(a.stores[0].keys()) == list(b.stores[0].keys())   # the same attribute order (Data.keys() is a set)
    for k in a.keys():
        if isinstance(b[k], torch.Tensor):
            assert a[k].dtype == b[k].dtype and torch.equal(a[k], b[k]), k
        else:
            assert a[k] == b[k], k
    assert a.num_graphs == b.num_graphs
    for da, db in ((a._slice_dict, b._slice_dict), (a._inc_dict, b._inc_dict)):
        assert da.keys() == db.keys()
        for k in da:
            assert torch.equal(torch.as_tensor(da[k]), torch.as_tensor(db[k])), k
    for ga, gb in zip(a.to_data_list(), b.to_data_list()):
        for k in gb.keys():
            assert torch.equal(ga[k], gb[k]) if isinstance(gb[k], torch.Tensor) else ga[k] == gb[k]


@pytest.mark.parametrize("extra", [True, False])
def test_collate_equals_pyg(extra):
    rng = random.Random(0)
    torch.manual_seed(0)
    graphs = [_graph(rng, rng.randint(1, 12), extra=extra) for _ in range(30)]
    graphs.append(Data(x=torch.randn(4, 3), edge_index=torch.zeros(2, 0, dtype=torch.long), y=torch.tensor([1]),
                       **({"edge_attr": torch.zeros(0, 2), "community": torch.zeros(4, dtype=torch.long)}
                          if extra else {})))
    coll = GraphCollater(graphs)
    assert coll.keys is not None                       # the fast path is taken
    for _ in range(40):
        idx = rng.sample(range(len(graphs)), rng.randint(1, len(graphs)))
        _assert_same(coll(idx), Batch.from_data_list([graphs[i] for i in idx]))
    _assert_same(collate_graphs(graphs), Batch.from_data_list(graphs))


def test_unusual_graphs_fall_back_to_pyg():
    rng = random.Random(1)
    plain = [_graph(rng, 5, extra=False) for _ in range(3)]
    odd = [g.clone() for g in plain]
    odd[1].face = torch.zeros(3, 1, dtype=torch.long)        # a key with its own increment rule
    counted = [g.clone() for g in plain]
    for g in counted:
        g.num_nodes = 5
    scalar = [g.clone() for g in plain]
    for g in scalar:
        g.y = torch.tensor(1)                                  # 0-dim: PyG stacks these
    for graphs in (odd, counted, scalar):
        coll = GraphCollater(graphs)
        assert coll.keys is None
        _assert_same(coll([2, 0]), Batch.from_data_list([graphs[2], graphs[0]]))


def test_loaders_match_pyg_batches_and_rng_stream():
    rng = random.Random(2)
    torch.manual_seed(2)
    graphs = [_graph(rng, rng.randint(2, 9)) for _ in range(23)]
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    ours = DataLoader(range(len(graphs)), batch_size=5, shuffle=True, generator=g1, collate_fn=GraphCollater(graphs))
    theirs = PyGLoader(graphs, batch_size=5, shuffle=True, generator=g2)
    fixed, pyg_fixed = _FixedBatches(graphs, 10), PyGLoader(graphs, batch_size=10)
    for _ in range(3):                                         # epochs: shuffled training, then a fixed pass
        for a, b in zip(list(ours), list(theirs), strict=True):
            _assert_same(a, b)
        torch.manual_seed(11)
        a_batches = list(fixed)
        after_ours = torch.rand(3)
        torch.manual_seed(11)
        b_batches = list(pyg_fixed)
        after_pyg = torch.rand(3)
        for a, b in zip(a_batches, b_batches, strict=True):
            _assert_same(a, b)
        assert torch.equal(after_ours, after_pyg)             # one global draw per pass, as a DataLoader iterator


def test_train_eval_equals_pyg_loader_reference():
    """train_eval with the PyG loaders (the code before GraphCollater, rebuilt in _s17_pyg_reference) gives the
    same history."""
    import torch.nn.functional as F
    from torch_geometric.nn import GCNConv, global_mean_pool

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = GCNConv(3, 8)
            self.drop = torch.nn.Dropout(0.5)
            self.lin = torch.nn.Linear(8, 2)

        def forward(self, b):
            h = self.drop(F.relu(self.conv(b.x, b.edge_index)))
            return self.lin(global_mean_pool(h, b.batch)), h.new_zeros(())

    rng = random.Random(3)
    torch.manual_seed(3)
    graphs = [_graph(rng, rng.randint(2, 9)) for _ in range(40)]
    split = Split(torch.arange(0, 28).numpy(), torch.arange(28, 34).numpy(), torch.arange(34, 40).numpy())
    r = train_eval(Net, graphs, split, epochs=6, batch_size=8, patience=100, seed=4)

    hist = pyg_loader_history(Net, graphs, 28, 6, epochs=6, batch_size=8, seed=4)
    assert [(h["train_loss"], h["val_acc"], h["val_loss"]) for h in r.history] == hist
