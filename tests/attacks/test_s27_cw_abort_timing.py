"""cw_l2's early abort against the authors' code (Carlini & Wagner, nn_robust_attacks, l2_attack.py). There the
check runs at iterations 0, k, 2k, ... (k = max_iterations // 10), starts from prev = np.inf (1e6 in earlier
revisions; see test_s27_cw_abort_sentinel.py), compares the batch loss
sum ||x' - x||^2 + sum c * max(0, margin + kappa) with 0.9999 times the previous check's, and breaks before the
iteration's iterate is recorded. Ours checked at iterations k - 1, 2k - 1, ... (so a binary-search
step ran at least 2k iterations instead of k + 1), on a loss without
the c * kappa offset (negative with kappa > 0, and then it never stopped). Probe: /tmp/s27_p3/probe_cw_abort.py."""

import pytest
import torch
from torch import nn

from paperworks import attacks
from paperworks.attacks.losses import attack_success, cw_margin


class _Const(nn.Module):
    """Logits that do not depend on the input, so the attack's loss stays constant; counts forward passes."""

    def __init__(self, logits):
        super().__init__()
        self.lin = nn.Linear(4, len(logits))
        with torch.no_grad():
            self.lin.weight.zero_()
            self.lin.bias.copy_(torch.tensor(logits))
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return self.lin(x.flatten(1))


def _calls(logits, steps, **kw):
    m = _Const(logits).eval()
    attacks.cw_l2(m, torch.full((1, 1, 2, 2), 0.5), torch.tensor([0]), steps=steps, binary_search_steps=1, **kw)
    return m.calls - 1   # one forward pass is the input check


@pytest.mark.parametrize("steps", [100, 50, 30])
def test_constant_loss_stops_at_the_first_check_after_iteration_0(steps):
    # authors: prev = loss at iteration 0, then loss(k) = loss(0) > 0.9999 * loss(0): break at k (k + 1 passes)
    assert _calls([2.0, 1.0, 0.0], steps, c=1e-3) == steps // 10 + 1


def test_loss_above_1e6_stops_like_any_other_loss():
    # l2_attack.py's prev = np.inf: the first check only records the loss, however large (1e6 stopped it at once)
    assert _calls([2.0, 1.0, 0.0], 100, c=1e7) == 11


def test_kappa_offset_in_the_compared_loss():
    # gap -0.5, kappa 1: our term c * max(gap, -kappa) < 0, the authors' c * max(0, gap + kappa) > 0
    assert _calls([1.0, 1.5, 0.0], 100, c=1e-3, kappa=1.0) == 11


def test_no_abort_runs_every_step():
    assert _calls([2.0, 1.0, 0.0], 40, c=1e-3, abort_early=False) == 40


def _authors_loop(model, x, y, *, c, steps, lr, binary_search_steps):
    """The control flow of l2_attack.py (untargeted, kappa = 0) with this library's tanh change of variables."""
    x0 = x.detach()
    n = x0.shape[0]
    w0 = torch.atanh((2 * x0 - 1) * (1 - 1e-6))
    const = torch.full((n,), c)
    lower, upper = torch.zeros(n), torch.full((n,), 1e10)
    best_l2, best = torch.full((n,), float("inf")), x0.clone()
    k = max(steps // 10, 1)
    for _ in range(binary_search_steps):
        w = w0.clone().requires_grad_(True)
        opt = torch.optim.Adam([w], lr=lr)
        ok_step = torch.zeros(n, dtype=torch.bool)
        prev = float("inf")
        for it in range(steps):
            xa = (torch.tanh(w) + 1) / 2
            l2 = (xa - x0).flatten(1).pow(2).sum(1)
            logits = model(xa)
            margin = cw_margin(logits, y)
            loss = (l2 + const * margin).sum()
            if it % k == 0:
                if float(loss.detach()) > prev * 0.9999:
                    break
                prev = float(loss.detach())
            (w.grad,) = torch.autograd.grad(loss, w)
            with torch.no_grad():
                ok = (margin <= 0) & attack_success(logits, y)
                better = ok & (l2 < best_l2)
                best_l2 = torch.where(better, l2, best_l2)
                best[better] = xa.detach()[better]
                ok_step |= ok
            opt.step()
        upper = torch.where(ok_step, torch.minimum(upper, const), upper)
        lower = torch.where(ok_step, lower, torch.maximum(lower, const))
        const = torch.where(upper < 1e9, (lower + upper) / 2, const * 10)
    return best.clamp(0, 1)


def test_equals_the_authors_loop_on_a_small_cnn(small_setup):
    model, x, y = small_setup
    x, y = x[:12], y[:12]
    kw = dict(c=0.1, steps=60, lr=0.05, binary_search_steps=3)
    ours = attacks.cw_l2(model, x, y, **kw)
    ref = _authors_loop(model, x, y, **kw)
    assert (ours != x).any()          # something was found, so the comparison is not between two copies of x
    assert torch.equal(ours, ref)
