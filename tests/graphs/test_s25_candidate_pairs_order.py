"""candidate_pairs takes the kept nodes ``perm`` in any order (session 25). Its slot table assumed perm grouped by
graph (as topk_per_graph returns it, the only order HGPSLPool passes): perm = [3, 0, 4] with nodes 0-2 in graph 0
and 3-5 in graph 1 paired node 0 with node 4 (two graphs) and lost the pair of nodes 3 and 4, without a word;
[2, 0] raised a bare IndexError. Out-of-range or repeated kept nodes, an unsorted batch or a batch of another
length were bare errors or silent; each is one DataError now."""

import itertools

import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.graphs import candidate_pairs

BATCH = torch.tensor([0, 0, 0, 1, 1, 1])
EDGES = torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]])   # paths 0-1-2 and 3-4, node 5 isolated


def reference(perm, mode, hops):
    """Pairs (a, b) of positions in perm of one graph, within ``hops`` hops ("all": any), self-pairs included,
    ordered by graph, then a, then b."""
    n = BATCH.numel()
    reach = torch.zeros(n, n)
    reach[EDGES[0], EDGES[1]] = 1.0
    reach = torch.linalg.matrix_power(reach + torch.eye(n), hops) > 0
    out = [(a, b) for a in range(len(perm)) for b in range(len(perm))
           if BATCH[perm[a]] == BATCH[perm[b]] and (mode == "all" or reach[perm[a], perm[b]])]
    out.sort(key=lambda ab: int(BATCH[perm[ab[0]]]))   # stable: a, then b within a graph
    return [list(t) for t in zip(*out)] if out else [[], []]


def test_probe_perm_not_grouped_by_graph():
    got = candidate_pairs(torch.tensor([3, 0, 4]), BATCH, EDGES, 6, "hops", 1)
    assert got.tolist() == [[1, 0, 0, 2, 2], [1, 0, 2, 0, 2]]


@pytest.mark.parametrize("mode,hops", [("hops", 1), ("hops", 2), ("hops", 4), ("all", 4)])
def test_every_order_of_kept_nodes_equals_the_reference(mode, hops):
    for kept in ([0, 3, 4], [1, 2, 3, 5], [0, 1, 2, 3, 4, 5]):
        for perm in itertools.permutations(kept):
            got = candidate_pairs(torch.tensor(perm), BATCH, EDGES, 6, mode, hops)
            assert got.tolist() == reference(perm, mode, hops), perm


@pytest.mark.parametrize("perm,match", [([0, 7], "outside"), ([-1, 2], "outside"), ([0, 0], "twice"),
                                        ([0.0, 1.0], "integers")])
def test_bad_kept_nodes_are_one_data_error(perm, match):
    with pytest.raises(DataError, match=match):
        candidate_pairs(torch.tensor(perm), BATCH, EDGES, 6)


def test_bad_batch_is_one_data_error():
    with pytest.raises(DataError, match="sorted"):
        candidate_pairs(torch.tensor([0, 1]), torch.tensor([1, 1, 1, 0, 0, 0]), EDGES, 6)
    with pytest.raises(DataError, match="entries"):
        candidate_pairs(torch.tensor([0, 1]), BATCH[:5], EDGES[:, :4], 6)
    with pytest.raises(DataError, match="edge_index"):
        candidate_pairs(torch.tensor([0, 1]), BATCH, torch.tensor([[0], [6]]), 6)
