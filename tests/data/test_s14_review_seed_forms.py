"""Synthetic graph generators with non-integer seeds: a SeedSequence gives the same dataset on every call
(the node-numbering generator spawned from it, which mutated it, so the second call renumbered differently),
and a Generator whose bit generator has no seed sequence (legacy seeding) is accepted as before 1b31b78."""

import numpy as np
import pytest
import torch

from paperworks.data.graphs import community_1v2, community_majority, community_wiring, motif

GENERATORS = [community_1v2, community_wiring, community_majority, motif]


def _same(a, b):
    return len(a) == len(b) and all(
        torch.equal(u.x, v.x) and torch.equal(u.edge_index, v.edge_index) and torch.equal(u.community, v.community)
        and torch.equal(u.y, v.y) for u, v in zip(a, b))


@pytest.mark.parametrize("gen", GENERATORS)
def test_same_seed_sequence_gives_the_same_dataset(gen):
    ss = np.random.SeedSequence(5)
    assert _same(gen(n_per_class=3, seed=ss), gen(n_per_class=3, seed=ss))
    assert ss.n_children_spawned == 0


def test_generator_without_seed_sequence_is_accepted():
    bg = np.random.MT19937()
    bg._legacy_seeding(3)
    d = motif(n_per_class=2, seed=np.random.Generator(bg))
    assert len(d) == 4 and all(g.x.shape[0] == g.community.shape[0] for g in d)


def test_int_seeds_keep_their_own_node_generator():
    a = community_1v2(n_per_class=3, seed=7)
    assert _same(a, community_1v2(n_per_class=3, seed=np.int64(7)))
