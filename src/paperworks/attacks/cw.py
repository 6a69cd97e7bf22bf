"""Carlini & Wagner L2 attack ("Towards Evaluating the Robustness of Neural Networks", S&P 2017, Sec. V-A).

minimise_w  ||x' - x||_2^2 + c * f(x'),   x' = (tanh(w) + 1) / 2   (change of variables, Sec. V "Method 3")
f = the logit margin f_6 (``cw_margin``) with confidence kappa. Adam on w; a binary search over c per
example (lower c when the attack succeeds, raise it otherwise; multiply by 10 while no upper bound is
known); the result is the smallest-L2 successful x' seen over all iterations and all c. Examples for which
no successful x' was found are returned unchanged (zero perturbation), as in the authors' code.
"""

from __future__ import annotations

import math
import numbers

import torch

from paperworks.attacks._checks import check_attack_inputs, check_eps, check_flag, check_int
from paperworks.attacks.losses import attack_success, cw_margin
from paperworks.core.errors import ConfigError

__all__ = ["cw_l2"]


def cw_l2(model, x: torch.Tensor, y: torch.Tensor, *, c: float = 1e-3, kappa: float = 0.0, steps: int = 1000,
          lr: float = 1e-2, binary_search_steps: int = 9, abort_early: bool = True,
          targeted: bool = False) -> torch.Tensor:
    """C&W L2 attack; defaults are the paper's (initial c = 1e-3, 9 binary-search steps, Adam lr 1e-2,
    kappa = 0) except ``steps`` (10,000 in the paper).

    ``abort_early`` follows the authors' batched code (nn_robust_attacks, l2_attack.py): at iterations 0, k, 2k, ...
    (k = steps // 10, at least 1) the loss summed over the batch, in their form sum ||x' - x||^2 +
    sum c * max(0, margin + kappa), is compared with its value at the previous check (none before the first, which
    only records it: prev = inf, as l2_attack.py now has): not below 0.9999 of it stops the binary-search step, and
    that iteration's iterate is not recorded. (Until 2026-11-28 the checks ran at iterations k - 1, 2k - 1, ..., so
    a step ran at least 2k iterations instead of k + 1, and the compared loss lacked the c * kappa offset: with
    kappa > 0 it could be negative and then never stopped. For a few hours it started from the 1e6 of earlier
    revisions of l2_attack.py, which stopped at once, unrecorded, any batch whose loss began above 1e6; c then grew
    tenfold, so every later step stopped at once too.) So with it an example's result depends on the other examples of its batch
    (and on evaluate_attack's batch_size): up to 0.32 in L2 on a small CNN, 16 images together vs one at a time
    (0.11 with the check timing before 2026-11-28).
    ``abort_early=False`` runs every example independently."""
    who = "cw_l2"
    check_attack_inputs(who, model, x, y)
    c = check_eps(who, c, "c")
    lr = check_eps(who, lr, "lr")
    # kappa = inf passed (inf >= 0) and no margin ever reached -inf: the clean images came back as the attack
    if isinstance(kappa, bool) or not isinstance(kappa, numbers.Real) or not 0 <= kappa < math.inf:
        raise ConfigError(f"'kappa' must be a finite number >= 0 (got {kappa!r})", where=who)
    check_int(who, "steps", steps, 1)
    check_int(who, "binary_search_steps", binary_search_steps, 1)
    targeted = check_flag(who, "targeted", targeted)
    abort_early = check_flag(who, "abort_early", abort_early)

    x0 = x.detach()
    n = x0.shape[0]
    # the optimisation and its bookkeeping run in float32 for half-precision images (float16 cannot hold the
    # binary search's upper bound 1e10, nor Adam's eps 1e-8: float16 images crashed); the model still sees the
    # images in their own dtype, and float32 / float64 images run in their own dtype, as before
    work = x0.dtype if x0.dtype in (torch.float32, torch.float64) else torch.float32
    x0w = x0.to(work)
    # c and lr act in the working dtype, kappa on the logits (checked at the first forward, in the logits' dtype,
    # which a model may choose: float16 images with float32 logits take kappa=1e5): beyond its largest value they
    # were torch's bare "value cannot be converted to type float without overflow" (c=1e39, lr=1e39, kappa=1e39 on
    # float32 images)
    for name, v, dt in (("c", c, work), ("lr", lr, work)):
        _check_fits(who, name, v, dt)
    # x = (tanh(w) + 1) / 2  <=>  w = atanh(2x - 1); shrink slightly so that atanh stays finite at 0 and 1
    w0 = torch.atanh((2 * x0w - 1) * (1 - 1e-6))
    const = torch.full((n,), c, dtype=work, device=x0.device)
    lower = torch.zeros_like(const)
    upper = torch.full_like(const, 1e10)
    best_l2 = torch.full_like(const, float("inf"))
    best_adv = x0.clone()

    for _ in range(binary_search_steps):
        w = w0.clone().requires_grad_(True)
        opt = torch.optim.Adam([w], lr=lr)
        succeeded = torch.zeros(n, dtype=torch.bool, device=x0.device)
        prev = math.inf                     # l2_attack.py's np.inf (earlier revisions: 1e6, see the docstring)
        check_every = max(steps // 10, 1)
        for it in range(steps):
            with torch.enable_grad():
                x_adv = ((torch.tanh(w) + 1) / 2).to(x0.dtype)   # (a no-op for float32 / float64 images)
                l2sq = (x_adv.to(work) - x0w).flatten(1).pow(2).sum(1)
                logits = model(x_adv)
                if logits.is_floating_point():
                    _check_fits(who, "kappa", kappa, logits.dtype)
                margin = cw_margin(logits, y, targeted, kappa)   # in the logits' dtype: -kappa as they round it
                loss = (l2sq + const * margin.to(work)).sum()
            if abort_early and it % check_every == 0:
                # the authors' check, before this iterate is recorded: at iterations 0, k, 2k, ... on their loss
                # value, whose term c * max(0, margin + kappa) is ours, c * max(margin, -kappa), plus c * kappa
                cur = float(loss.detach() + (const * kappa).sum())
                if cur > prev * 0.9999:
                    break
                prev = cur
            with torch.enable_grad():
                # gradient w.r.t. w only: loss.backward() also accumulated .grad into every model parameter
                (w.grad,) = torch.autograd.grad(loss, w)
            with torch.no_grad():
                # success with confidence kappa <=> margin reached -kappa. For kappa = 0 an exact tie (margin 0)
                # is a success only if the arg-max (first maximum) says so, as in the authors' code and
                # evaluate_attack: "successes" on a tie were kept and returned while still classified as y
                ok = margin <= -kappa if kappa > 0 else (margin <= 0) & attack_success(logits.detach(), y, targeted)
                better = ok & (l2sq < best_l2)
                best_l2 = torch.where(better, l2sq.detach(), best_l2)
                best_adv[better] = x_adv.detach()[better]
                succeeded |= ok
            opt.step()
        with torch.no_grad():
            upper = torch.where(succeeded, torch.minimum(upper, const), upper)
            lower = torch.where(succeeded, lower, torch.maximum(lower, const))
            has_upper = upper < 1e9
            const = torch.where(has_upper, (lower + upper) / 2, const * 10)
    return best_adv.clamp(0.0, 1.0).detach()


def _check_fits(who: str, name: str, v, dtype: torch.dtype) -> None:
    """One ConfigError for a value beyond the largest value of the dtype that holds it."""
    if v > torch.finfo(dtype).max:
        raise ConfigError(f"'{name}' = {v!r} exceeds the largest {dtype} value ({torch.finfo(dtype).max:.4g}), the "
                          f"dtype the attack computes it in", where=who)
