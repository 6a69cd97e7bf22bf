"""candidate_pairs / HGPSLPool refuse a hop count that is not an integer >= 1 with one ConfigError. The
dense-block reachability (aabe776) raises powers of (A + I) by repeated squaring: hops=0 crashed inside it with
a TypeError, and a negative count never ended (the bit loop p >>= 1 stays at -1)."""

import pytest
import torch

from paperworks.core import ConfigError
from paperworks.graphs import HGPSLPool, candidate_pairs

PERM = torch.tensor([0, 2])
BATCH = torch.zeros(3, dtype=torch.long)
EDGES = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])


@pytest.mark.parametrize("hops", [0, -1, -4, 2.0, True])
def test_candidate_pairs_refuses_a_bad_hop_count(hops):
    with pytest.raises(ConfigError, match=r"candidate_pairs: 'hops' must be an integer >= 1"):
        candidate_pairs(PERM, BATCH, EDGES, 3, "hops", hops)


@pytest.mark.parametrize("hops", [0, -2, 1.5, False])
def test_hgpsl_pool_refuses_a_bad_hop_count(hops):
    with pytest.raises(ConfigError, match=r"HGPSLPool: 'hops' must be an integer >= 1"):
        HGPSLPool(4, hops=hops)


def test_valid_hop_counts_unchanged():
    # path 0 - 1 - 2 with node 1 dropped: 0 and 2 are 2 hops apart
    assert candidate_pairs(PERM, BATCH, EDGES, 3, "hops", 1).tolist() == [[0, 1], [0, 1]]
    assert candidate_pairs(PERM, BATCH, EDGES, 3, "hops", 2).tolist() == [[0, 0, 1, 1], [0, 1, 0, 1]]
    # mode 'all' ignores hops, as before
    assert candidate_pairs(PERM, BATCH, EDGES, 3, "all", 0).tolist() == [[0, 0, 1, 1], [0, 1, 0, 1]]
