"""A seeded L2 PGD gives the same result for every batch_size (evaluate_attack / run_batched).

run_batched hands one seeded generator to the batches in turn (8bb272e), but random_ball_point drew the L2 start
of a batch as all its directions, then all its radii, so an example's start depended on the batch it sat in:
evaluate_attack(..., 'pgd', norm=2, seed=0) with batch_size 1 vs None differed by 0.09 (the L_inf start, one
uniform stream on CPU, did not). The L2 start is now drawn example by example.
"""

import torch
from torch import nn

from paperworks import attacks


def test_l2_starts_do_not_depend_on_the_batch():
    x = torch.rand(7, 1, 8, 8, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    for norm in ("2", "inf"):
        whole = attacks.random_ball_point(x, 0.5, norm, torch.Generator().manual_seed(0))
        g = torch.Generator().manual_seed(0)
        parts = torch.cat([attacks.random_ball_point(x[i:i + 3], 0.5, norm, g) for i in range(0, 7, 3)])
        assert torch.equal(whole, parts), norm


def test_seeded_l2_pgd_same_for_every_batch_size():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 5)).double().eval()
    x = torch.rand(7, 1, 8, 8, dtype=torch.float64)
    y = torch.randint(0, 5, (7,))
    kw = dict(eps=0.5, steps=10, norm=2, seed=0)
    ref = attacks.evaluate_attack(model, "pgd", x, y, **kw).x_adv
    for bs in (1, 3):
        got = attacks.evaluate_attack(model, "pgd", x, y, batch_size=bs, **kw).x_adv
        # (a BLAS kernel chosen by batch size moves the float64 gradients in their last bits: 1e-13 after 10 steps)
        torch.testing.assert_close(got, ref, rtol=0, atol=1e-10)
