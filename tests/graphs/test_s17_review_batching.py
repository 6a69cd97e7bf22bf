"""Review of GraphCollater / _FixedBatches: inputs on which the fast path differed from PyG's collate (a pos with
another row count than x, Index / EdgeIndex tensors, a bool edge_index) now go to PyG, and the precollated
validation / test batches of train_eval are copied on every pass, so a model writing to its input batch sees the
same batches on every pass, as with the PyG DataLoader they replaced."""

import random

import torch
from torch_geometric import EdgeIndex, Index
from torch_geometric.data import Batch, Data
from torch_geometric.loader import DataLoader as PyGLoader
from torch_geometric.nn import global_mean_pool

from paperworks.graphs.batching import GraphCollater
from paperworks.graphs.harness import Split, _FixedBatches, evaluate, train_eval

from _s17_pyg_reference import pyg_loader_history


def _E(*pairs):
    return torch.tensor(pairs, dtype=torch.long).t().contiguous()


def _pos_first(n_pos, n_x, ei):
    d = Data()
    d.pos = torch.randn(n_pos, 3)          # set before x: PyG counts the nodes from pos
    d.x = torch.randn(n_x, 2)
    d.edge_index = ei
    return d


def test_pos_with_other_row_count_than_x_batches_as_pyg():
    graphs = [_pos_first(4, 2, _E((0, 3))), _pos_first(5, 3, _E((0, 4)))]
    ours, ref = GraphCollater(graphs)([0, 1]), Batch.from_data_list(graphs)
    assert ref.edge_index.tolist() == [[0, 4], [3, 8]]
    assert torch.equal(ours.edge_index, ref.edge_index)       # old fast path: [[0, 2], [3, 6]]
    assert torch.equal(ours.batch, ref.batch) and torch.equal(ours.ptr, ref.ptr)


def test_edge_index_and_index_subclasses_keep_their_flags():
    graphs = [Data(x=torch.randn(3, 2), edge_index=EdgeIndex(_E((0, 1), (1, 2)), sparse_size=(3, 3),
                                                             sort_order="row")),
              Data(x=torch.randn(2, 2), edge_index=EdgeIndex(_E((0, 1)), sparse_size=(2, 2), sort_order="row"))]
    ours, ref = GraphCollater(graphs)([0, 1]), Batch.from_data_list(graphs)
    assert ref.edge_index.sparse_size() == (5, 5) and ref.edge_index.sort_order == "row"
    assert ours.edge_index.sparse_size() == ref.edge_index.sparse_size()      # old: (None, None)
    assert ours.edge_index.sort_order == ref.edge_index.sort_order            # old: None
    empty = torch.zeros(2, 0, dtype=torch.long)
    graphs = [Data(x=torch.randn(3, 2), edge_index=empty, y=Index(torch.tensor([0, 1]), dim_size=2, is_sorted=True)),
              Data(x=torch.randn(2, 2), edge_index=empty, y=Index(torch.tensor([1]), dim_size=2, is_sorted=True))]
    ours, ref = GraphCollater(graphs)([0, 1]), Batch.from_data_list(graphs)
    assert ref.y.is_sorted and ours.y.is_sorted                               # old: False


def test_bool_edge_index_batches_as_pyg():
    graphs = [Data(x=torch.randn(3, 2), edge_index=_E((0, 1)).bool()),
              Data(x=torch.randn(2, 2), edge_index=_E((1, 0)).bool())]
    ours, ref = GraphCollater(graphs)([0, 1]), Batch.from_data_list(graphs)
    assert ours.edge_index.dtype == ref.edge_index.dtype == torch.long       # old: bool, [[F, T], [T, T]]
    assert torch.equal(ours.edge_index, ref.edge_index)


def test_plain_graphs_stay_on_the_fast_path():
    graphs = [Data(x=torch.randn(n, 2), edge_index=_E((0, n - 1)), y=torch.tensor([1]), pos=torch.randn(n, 3),
                   edge_attr=torch.randn(1, 2)) for n in (2, 3, 4)]
    coll = GraphCollater(graphs)
    assert coll.keys is not None
    ours, ref = coll([2, 0, 2]), Batch.from_data_list([graphs[2], graphs[0], graphs[2]])
    for k in ref.keys():
        assert torch.equal(ours[k], ref[k]), k


class _WritesToBatch(torch.nn.Module):
    """A PyG-style model that stores its hidden features on the batch (data.x = ...) and scales them in place."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 3)
        self.out = torch.nn.Linear(3, 2)

    def forward(self, b):
        b.x.mul_(0.5)
        b.x = torch.relu(self.lin(b.x))
        return self.out(global_mean_pool(b.x, b.batch)), b.x.new_zeros(())


def _graphs(n, seed):
    rng = random.Random(seed)
    torch.manual_seed(seed)
    return [Data(x=torch.randn(k, 3), edge_index=torch.randint(0, k, (2, 2 * k)), y=torch.tensor([rng.randint(0, 1)]))
            for k in (rng.randint(2, 8) for _ in range(n))]


def test_fixed_batches_are_the_same_on_every_pass_for_a_model_writing_to_them():
    graphs = _graphs(12, 0)
    torch.manual_seed(1)
    model = _WritesToBatch()
    fixed, loader = _FixedBatches(graphs, 5), PyGLoader(graphs, batch_size=5)
    for _ in range(3):
        assert evaluate(model, fixed) == evaluate(model, loader)     # old: differ from the second pass on


def test_train_eval_history_of_a_model_writing_to_its_batch_matches_the_pyg_loaders():
    """train_eval's validation losses per epoch equal those of the same loop over PyG DataLoaders."""
    import math

    graphs = _graphs(30, 2)
    split = Split(list(range(20)), list(range(20, 25)), list(range(25, 30)))
    r = train_eval(_WritesToBatch, graphs, split, epochs=4, batch_size=8, patience=100, seed=3)
    losses = [vl for _, _, vl in pyg_loader_history(_WritesToBatch, graphs, 20, 5, epochs=4, batch_size=8, seed=3)]
    assert all(math.isfinite(v) for v in losses)
    assert [h["val_loss"] for h in r.history] == losses
