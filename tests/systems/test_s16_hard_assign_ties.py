"""sparse_mpc.hard_assign: neurons with equal ReLU probabilities are kept lowest (layer, neuron) index first, the
tie rule of every top-k in the library (the old code, a reverse sort of (p, layer, neuron) tuples, kept the
HIGHEST indices). No tie occurs at the quick reproduction's four hard assignments (probed 2026-11-27: the k-th
and (k+1)-th probabilities differ at k = 32, 16, 8, 4), so its numbers are unchanged."""

import torch

from paperworks.systems.sparse_mpc import RELU, SparseDynamics, hard_assign


def test_tied_relu_probabilities_keep_the_lowest_indices():
    m = SparseDynamics(2, 1, hidden=(6, 5))      # every neuron starts with the same logits: all tied
    h = hard_assign(m, 4)
    assert h.n_relu() == 4
    assert torch.nonzero(h.kinds()[0] == RELU).flatten().tolist() == [0, 1, 2, 3]
    assert not (h.kinds()[1] == RELU).any()
    h = hard_assign(m, 8)
    assert (h.kinds()[0] == RELU).all() and torch.nonzero(h.kinds()[1] == RELU).flatten().tolist() == [0, 1]


def test_ties_only_decide_between_equal_probabilities():
    m = SparseDynamics(2, 1, hidden=(4, 4))
    m.logits[1].data[3, 0] = 5.0                  # layer 1, neuron 3: the one clear favourite
    h = hard_assign(m, 2)
    assert h.kinds()[1][3] == RELU and h.kinds()[0][0] == RELU and h.n_relu() == 2
