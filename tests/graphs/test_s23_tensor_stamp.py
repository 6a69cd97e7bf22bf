"""``tensors_stamp`` / ``same_tensors``: the one "these very tensors, unwritten since" check shared by the two caches
keyed on a caller's tensors (``AdjacencyStack.pair_basis``, the GCN baselines' per-graph normalisation; their own
tests are test_s22_gtn_pair_cache.py and test_s22_gcn_cache_graph.py)."""

import torch

from paperworks.graphs.hetero import same_tensors, tensors_stamp


def test_same_objects_unwritten():
    a, b = torch.arange(4), torch.ones(3)
    st = tensors_stamp((a, None, b))
    assert same_tensors(st, (a, None, b))
    assert not same_tensors(None, (a, None, b))
    assert not same_tensors(st, (a, None))                       # another arity
    assert not same_tensors(st, (a, b, None))                    # None is not a tensor and vice versa
    assert not same_tensors(st, (a.clone(), None, b))            # equal content, another object
    b.add_(0)                                                    # an in-place write moves the version counter
    assert not same_tensors(st, (a, None, b))
    assert same_tensors(tensors_stamp((a, None, b)), (a, None, b))
