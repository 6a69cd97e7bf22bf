"""fmd's top-k harmful / helpful training samples on tied influence scores (duplicated samples have equal
ones): ranked by score, ties by sample index (lower first); NumPy's stable argsort is the oracle. The
unstable torch.argsort used before left which tied samples make the top k to the sort implementation."""

import numpy as np
import pytest
import torch

from paperworks.systems.fmd import rank_influence


@pytest.mark.parametrize("n,k", [(20, 3), (300, 10), (1000, 25)])
def test_rank_influence_ties_by_index(n, k):
    g = torch.Generator().manual_seed(n)
    infl = torch.randint(-2, 3, (n,), generator=g).double() * 0.5
    harmful, helpful = rank_influence(infl, k)
    a = infl.numpy()
    assert harmful.tolist() == np.argsort(-a, kind="stable")[:k].tolist()
    assert helpful.tolist() == np.argsort(a, kind="stable")[:k].tolist()


def test_all_tied_scores_keep_the_first_samples():
    harmful, helpful = rank_influence(torch.zeros(100), 5)
    assert harmful.tolist() == helpful.tolist() == [0, 1, 2, 3, 4]


def test_distinct_scores_give_the_argsort_sets():
    infl = torch.randn(500, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    order = torch.argsort(infl, descending=True)
    harmful, helpful = rank_influence(infl, 5)
    assert harmful.tolist() == order[:5].tolist() and sorted(helpful.tolist()) == sorted(order[-5:].tolist())
