"""Review of topk_per_graph (c8687f2 touched its sort): the kept count ceil(ratio * n_i) was computed in the
scores' dtype, so half-precision scores rounded the node count itself: bfloat16 scores on a 257-node graph kept
256 nodes at ratio 1.0 (the docstring: ratio=1.0 keeps every node), float16 scores on 2049 nodes kept 1024 at
ratio 0.5 (ceil(1024.5) = 1025). Oracle: exact rational ceil(ratio * n_i) (fractions), for ratios whose
float32 product is exact; float32 / float64 scores keep their old counts."""

import math
from fractions import Fraction

import pytest
import torch

from paperworks.graphs.structure_pool import topk_per_graph


def _want_counts(ratio, sizes):
    return [math.ceil(Fraction(ratio) * n) for n in sizes]


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float32, torch.float64])
@pytest.mark.parametrize("ratio", [1.0, 0.5, 0.25])
def test_kept_counts_do_not_depend_on_the_score_dtype(dtype, ratio):
    sizes = [257, 301, 2049, 1, 3, 4097]
    batch = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    score = torch.randn(batch.numel(), generator=torch.Generator().manual_seed(0)).to(dtype)
    perm = topk_per_graph(score, ratio, batch)
    got = torch.bincount(batch[perm], minlength=len(sizes)).tolist()
    assert got == _want_counts(ratio, sizes)
    if ratio == 1.0:
        assert sorted(perm.tolist()) == list(range(batch.numel()))
