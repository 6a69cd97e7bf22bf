"""cw_l2's early abort starts from no previous loss (review of 7fa5be1). carlini/nn_robust_attacks l2_attack.py, as
stored (commit 610c43f), sets prev = np.inf before each binary-search step, so the check at iteration 0 only records
the loss; earlier revisions (and 7fa5be1) started from 1e6, which stopped at once, before anything was recorded, any
batch whose loss began above 1e6; the binary search then took it for a failure and multiplied c by 10, so every
later step stopped at once too and the image came back unchanged. Probe: /tmp/s27_r3/probe_cw_sentinel.py."""

import torch
from torch import nn

from paperworks import attacks


class _Sum(nn.Module):
    """Two classes, margin z_0 - z_1 = 1e3 (3 - sum of the pixels): 1e3 at the input (4 pixels at 0.5), negative
    once the pixels sum to more than 3. Counts forward passes."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        s = x.flatten(1).sum(1, keepdim=True)
        return torch.cat([1e3 * (3 - s), torch.zeros_like(s)], 1)


def test_a_loss_above_1e6_at_iteration_0_does_not_stop_the_attack():
    x, y = torch.full((1, 1, 2, 2), 0.5), torch.tensor([0])
    m = _Sum().eval()
    adv = attacks.cw_l2(m, x, y, c=1e4, steps=100, binary_search_steps=3)   # loss at iteration 0: 1e7
    assert m.calls - 1 > 3                     # 1e6: one forward pass per binary-search step, nothing recorded
    assert int(m(adv).argmax(1)) == 1          # the attack succeeds (with 1e6 the image came back unchanged)
    assert (adv != x).any()


def test_small_losses_are_unaffected():
    # below 1e6 the first check recorded the loss either way: same stopping iteration (constant loss: k + 1 passes)
    class _Const(nn.Module):
        def __init__(self):
            super().__init__()
            self.calls = 0

        def forward(self, x):
            self.calls += 1
            return torch.tensor([[2.0, 1.0, 0.0]]).expand(x.shape[0], 3)

    m = _Const().eval()
    attacks.cw_l2(m, torch.full((1, 1, 2, 2), 0.5), torch.tensor([0]), c=1e-3, steps=100, binary_search_steps=1)
    assert m.calls - 1 == 11
