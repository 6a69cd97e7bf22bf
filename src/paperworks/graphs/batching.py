"""Mini-batching of small graphs for the graph-classification harness.

:func:`collate_graphs` builds the same :class:`torch_geometric.data.Batch` as ``Batch.from_data_list`` (every
attribute, ``batch``, ``ptr``, the slice and increment tables, the graph count) for the common case of plain
``Data`` objects holding node- and edge-level tensors, in a fraction of the time: the generic PyG collate walks
every attribute of every graph through several layers of Python, which was ~15 % of an HGP-SL epoch on B3DB.
Anything outside that case goes to PyG's own collate, so the result never depends on which path ran.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torch_geometric.data import Batch, Data

__all__ = ["collate_graphs", "GraphCollater"]

# attributes whose PyG collate rule is fixed by their name alone: concatenated on dim 0 with no increment, except
# edge_index (concatenated on the last dim, incremented by the node offsets of the preceding graphs)
_NODE_OR_GRAPH_KEYS = frozenset({"x", "y", "edge_attr", "edge_weight", "pos", "community"})


def _fast_path_keys(data_list: Sequence) -> list[str] | None:
    """The attribute names when every graph is a plain ``Data`` with the same set of plain dense tensors (type
    ``torch.Tensor``, at least one dimension) of the known kinds, node features present, a non-bool [2, E]
    ``edge_index`` and a ``pos`` (if any) of as many rows as ``x``; None when PyG's generic collate must run."""
    first = data_list[0]
    if type(first) is not Data:
        return None
    keys = list(first.stores[0].keys())   # the attribute order PyG's collate follows (Data.keys() goes through a set)
    if "x" not in keys or "edge_index" not in keys:
        return None
    for k in keys:
        if k != "edge_index" and k not in _NODE_OR_GRAPH_KEYS:
            return None
    key_set = set(keys)
    for d in data_list:
        if type(d) is not Data or set(d.keys()) != key_set:
            return None
        for k in keys:
            v = d[k]
            # exactly torch.Tensor: PyG's Index / EdgeIndex subclasses carry sort flags and sizes its collate keeps
            if type(v) is not Tensor or v.dim() == 0 or v.layout != torch.strided:
                return None
        # PyG adds a long increment to edge_index, which turns a bool one into long
        if d.edge_index.dim() != 2 or d.edge_index.size(0) != 2 or d.edge_index.dtype == torch.bool:
            return None
        # PyG counts a graph's nodes from whichever of x / pos comes first in it; the fast path counts x
        if "pos" in key_set and d.pos.size(0) != d.x.size(0):
            return None
    return keys


def collate_graphs(data_list: Sequence) -> Batch:
    """``Batch.from_data_list(data_list)``, computed directly for plain graphs (see the module docstring)."""
    data_list = list(data_list)
    return GraphCollater(data_list)(range(len(data_list)))


class GraphCollater:
    """Mini-batches of a fixed list of graphs by position: ``GraphCollater(graphs)([i, j, ...])`` equals
    ``Batch.from_data_list([graphs[i], graphs[j], ...])``. The graphs are checked and their tensors gathered once,
    so a ``torch.utils.data.DataLoader`` over ``range(len(graphs))`` with this ``collate_fn`` only concatenates
    (same sampler, so the same batches as a PyG ``DataLoader`` over the graphs with the same generator)."""

    def __init__(self, graphs: Sequence):
        self.graphs = list(graphs)
        self.keys = _fast_path_keys(self.graphs) if self.graphs else None
        if self.keys is not None:
            self.values = {k: [d[k] for d in self.graphs] for k in self.keys}
            self.nodes = torch.tensor([v.size(0) for v in self.values["x"]], dtype=torch.long)
            self.sizes = {k: torch.tensor([v.size(-1 if k == "edge_index" else 0) for v in vals], dtype=torch.long)
                          for k, vals in self.values.items()}

    def __call__(self, index) -> Batch:
        index = [int(i) for i in index]
        if self.keys is None or not index:
            return Batch.from_data_list([self.graphs[i] for i in index])
        n = len(index)
        pos = torch.tensor(index, dtype=torch.long)
        nodes = self.nodes.index_select(0, pos)
        node_off = torch.cumsum(nodes, 0) - nodes
        out = Batch(_base_cls=Data)
        slice_dict, inc_dict = {}, {}
        # PyG's collate follows the attribute order of the batch's first graph (graphs may differ in it)
        for k in self.graphs[index[0]].stores[0].keys():
            vals = self.values[k]
            sizes = self.sizes[k].index_select(0, pos)
            if k == "edge_index":
                ei = torch.cat([vals[i] for i in index], dim=1)
                out[k] = ei + torch.repeat_interleave(node_off, sizes).to(ei.dtype)
                inc_dict[k] = node_off
            else:
                out[k] = torch.cat([vals[i] for i in index], dim=0)
                inc_dict[k] = torch.zeros(n, dtype=torch.long)
            slice_dict[k] = torch.cat([sizes.new_zeros(1), torch.cumsum(sizes, 0)])
        out.batch = torch.repeat_interleave(torch.arange(n), nodes)
        out.ptr = torch.cat([nodes.new_zeros(1), torch.cumsum(nodes, 0)])
        out._num_graphs = n
        out._slice_dict = slice_dict
        out._inc_dict = inc_dict
        return out
