"""Gradient-sign and projected-gradient attacks on a differentiable classifier.

FGSM: Goodfellow, Shlens & Szegedy, "Explaining and Harnessing Adversarial Examples", ICLR 2015.
PGD:  Madry et al., "Towards Deep Learning Models Resistant to Adversarial Attacks", ICLR 2018.

All attacks take images in [0, 1] (NCHW), integer labels (the true labels, or the target labels when
``targeted=True``) and a model in eval mode returning logits; they return detached adversarial images of
the same shape and dtype that lie in the eps-ball around ``x`` and in the [0, 1] box exactly
(``clip_to_ball``: no rounding slack, not even one ulp).
"""

from __future__ import annotations

import torch

from paperworks.attacks._checks import (check_attack_inputs, check_eps, check_flag, check_images, check_int,
                                        check_not_meta_tensor, check_seed, parse_norm)
from paperworks.attacks.losses import cross_entropy_sum
from paperworks.core.errors import ConfigError, DataError

__all__ = ["fgsm", "pgd", "input_gradient", "random_ball_point", "clip_to_ball"]


def input_gradient(model, x: torch.Tensor, y: torch.Tensor, loss_fn=cross_entropy_sum) -> torch.Tensor:
    """d loss(model(x), y) / dx for a summed loss (one example's gradient does not depend on the batch).

    Model parameters receive no gradient (only ``x`` is an input of autograd.grad).
    """
    # images / labels made under torch.inference_mode() are inference tensors, which autograd refuses
    # ("Setting requires_grad=True on inference tensor outside InferenceMode"): a normal copy of them is used
    x = x.detach()
    x = (x.clone() if x.is_inference() else x).requires_grad_(True)
    y = y.clone() if y.is_inference() else y
    with torch.enable_grad():
        loss = loss_fn(model(x), y)
        (g,) = torch.autograd.grad(loss, x)
    return g


def _fgsm_raw(model, x, y, eps, targeted, loss_fn=cross_entropy_sum):
    g = input_gradient(model, x, y, loss_fn)
    step = -g.sign() if targeted else g.sign()
    # an eps above the images' largest value (1e39 on float32) became inf, and inf * 0 (a pixel with zero gradient)
    # NaN; capped, it is the unbounded step it stands for (any eps up to that value: unchanged)
    return (x + min(eps, torch.finfo(x.dtype).max) * step).clamp(0.0, 1.0).detach()


def fgsm(model, x: torch.Tensor, y: torch.Tensor, *, eps: float, targeted: bool = False,
         norm: str | float = "inf") -> torch.Tensor:
    """Fast gradient sign method, one step of L_inf size eps.

    untargeted: x' = clip_[0,1](x + eps * sign(grad_x CE(f(x), y)))
    targeted:   x' = clip_[0,1](x - eps * sign(grad_x CE(f(x), t)))   (y holds the targets t)

    ``norm=2`` gives the L2 fast gradient method (ART's ``FastGradientMethod(norm=2)``): the step is
    eps * g / ||g||_2 per example instead of eps * sign(g) (an example with zero gradient does not move).
    """
    check_attack_inputs("fgsm", model, x, y)
    targeted = check_flag("fgsm", "targeted", targeted)
    eps = check_eps("fgsm", eps)
    norm = parse_norm("fgsm", norm)
    return clip_to_ball(_fgm_raw(model, x, y, eps, bool(targeted), norm), x, eps, norm)


def _fgm_raw(model, x, y, eps, targeted, norm, loss_fn=cross_entropy_sum):
    """One fast-gradient step of size eps in ``norm`` ('inf': FGSM, '2': eps g / ||g||_2), clipped to [0, 1]."""
    if norm == "inf":
        return _fgsm_raw(model, x, y, eps, targeted, loss_fn)
    g = input_gradient(model, x, y, loss_fn)
    step = _unit_rows(g, lambda v: v / _flat_norm(v).clamp_min(torch.finfo(v.dtype).tiny))
    eps = min(eps, torch.finfo(x.dtype).max)   # (inf * 0 = NaN beyond it, as in _fgsm_raw)
    return (x + eps * (-step if targeted else step)).clamp(0.0, 1.0).detach()


def _unit_rows(g: torch.Tensor, unit) -> torch.Tensor:
    """``unit(g)`` (g / ||g||_2 per example), computed in float32 for float16 / bfloat16 gradients.

    In half precision a gradient whose row norm is below float16's smallest normal number (6.1e-5; e.g. a
    confident model, input gradients ~1e-6) was divided by that clamp instead of by its norm: the L2 steps of
    fgsm(norm=2) and pgd(norm=2) came out ~17 times shorter than eps without a word. float32 / float64 gradients
    take ``unit`` in their own dtype, as before."""
    if g.dtype in (torch.float16, torch.bfloat16):
        return unit(g.float()).to(g.dtype)
    return unit(g)


def _flat_norm(v: torch.Tensor) -> torch.Tensor:
    return v.flatten(1).norm(dim=1).view(-1, *([1] * (v.dim() - 1)))


def _project(delta: torch.Tensor, eps: float, norm: str) -> torch.Tensor:
    """Euclidean projection onto the L_inf ball, rescaling onto the L_2 ball."""
    if norm == "inf":
        return delta.clamp(-eps, eps)
    n = _flat_norm(delta)
    scale = torch.where(n > eps, eps / n.clamp_min(torch.finfo(delta.dtype).tiny), torch.ones_like(n))
    return delta * scale


def _round_toward(t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``t`` (float64) rounded to ``x``'s dtype so that |result - x| <= |t - x| (never outward)."""
    r = t.to(x.dtype)
    outward = (r.double() - x.double()).abs() > (t - x.double()).abs()
    return torch.where(outward, torch.nextafter(r, x), r)


def clip_to_ball(x_adv: torch.Tensor, x: torch.Tensor, eps: float, norm: str = "inf") -> torch.Tensor:
    """``x_adv`` moved into the [0, 1] box and the eps-ball around ``x`` *exactly*.

    Exactly means in real arithmetic on the stored values: for float32 images every difference x_adv - x is
    exact in float64, so after this call ``(x_adv.double() - x.double()).abs().max() <= eps`` (L_inf) and the
    float64 L2 norm of each row is <= eps (L2), for the float eps as given; the float32 checks
    ``(x_adv - x).abs() <= eps`` (rounding is monotone) and ``(x_adv - x).flatten(1).norm(dim=1) <= eps`` hold
    too. Plain float arithmetic (x + eps, delta * eps / ||delta||) rounds to nearest and can leave the ball by a
    few ulps; entries already inside are returned unchanged, the others move by those ulps towards x (points
    farther out are first clamped / projected). ``norm``: 'inf' or '2'. Detached output.
    """
    who = "clip_to_ball"
    norm = parse_norm(who, norm)
    eps = check_eps(who, eps)
    for name, t in (("x_adv", x_adv), ("x", x)):
        if not isinstance(t, torch.Tensor) or not t.is_floating_point() or t.dim() < 2:
            raise ConfigError(f"'{name}' must be a floating tensor [N, ...]", where=who)
    if x_adv.shape != x.shape:
        raise ConfigError(f"'x_adv' has shape {list(x_adv.shape)} but 'x' has {list(x.shape)}", where=who)
    for name, t in (("x", x), ("x_adv", x_adv)):   # (failed in "Tensor.item() cannot be called on meta tensors")
        check_not_meta_tensor(who, t, name)
    # the ball around x meets the box only for x in the box (x = 1.5 came back as 1.0, outside the ball)
    if not torch.isfinite(x).all():
        raise DataError(f"{who}: 'x' contains NaN or infinite values")
    x = x.detach()   # (read from an x that requires grad, float(x.min()) warned on every fgsm / pgd call)
    if x.numel() and (float(x.min()) < 0.0 or float(x.max()) > 1.0):
        raise DataError(f"{who}: 'x' must lie in [0, 1] (got values in [{float(x.min()):.4g}, {float(x.max()):.4g}])")
    if torch.isnan(x_adv).any():
        raise DataError(f"{who}: 'x_adv' contains NaN")
    xa = x_adv.detach().clamp(0.0, 1.0)
    x64 = x.double()
    if norm == "inf":
        lo = _round_toward((x64 - eps).clamp_min(0.0), x)
        hi = _round_toward((x64 + eps).clamp_max(1.0), x)
        xa = torch.minimum(torch.maximum(xa, lo), hi)
    else:
        d = (xa.double() - x64).flatten(1)
        n = d.norm(dim=1)
        over = n > eps
        if over.any():
            # shrink the offending rows a hair more than eps / ||d|| (float64 norm rounding), rounding each entry
            # towards x: every |delta_i| then shrinks, so the row's norm is <= eps
            scale = torch.where(over, eps / n.clamp_min(1e-300) * (1 - 1e-12), torch.ones_like(n))
            t = x64 + (d * scale[:, None]).view_as(x64)
            xa = torch.where(over.view(-1, *([1] * (x.dim() - 1))), _round_toward(t, x), xa)
    # a last exact check (float64 inputs round in float64 as well): step any remaining offender one ulp towards x
    for _ in range(8):
        diff = xa.double() - x64
        if norm == "inf":
            bad = diff.abs() > eps
        else:
            # also the norm as computed in the images' own dtype (its summation rounds too)
            row = (diff.flatten(1).norm(dim=1) > eps) | ((xa - x).flatten(1).norm(dim=1) > eps)
            bad = row.view(-1, *([1] * (x.dim() - 1))) & (diff != 0)
        if not bad.any():
            break
        xa = torch.where(bad, torch.nextafter(xa, x), xa)
    return xa


def random_ball_point(x: torch.Tensor, eps: float, norm: str, generator: torch.Generator | None = None) -> torch.Tensor:
    """A uniformly random point of the eps-ball around x (L_inf: uniform cube; L_2: uniform ball), in [0, 1].

    L_2 draws example by example (direction, then radius), so with one generator the starts of a batch equal
    those of its examples drawn one after another: a seeded PGD gives the same starts for every batch_size.

    The noise is drawn on ``generator``'s device and moved to x's (a CPU generator with CUDA inputs failed:
    torch draws only on the generator's own device); a CPU generator so gives the same start on every device.
    """
    dev = x.device if generator is None else generator.device
    if norm == "inf":
        u = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=dev).to(x.device)
        delta = (2 * u - 1) * eps
    else:
        # one example at a time, its direction then its radius: drawn as one batch (all directions, then all radii)
        # an example's start depended on how many examples shared its batch, so a seeded L2 PGD gave other
        # results for another batch_size (0.09 apart on one probe; the L_inf draw is one uniform stream on CPU)
        d = x[0].numel()
        if x.shape[0] == 0:
            return x.clone()
        deltas = []
        for _ in range(x.shape[0]):
            g = torch.randn(x.shape[1:], generator=generator, dtype=x.dtype, device=dev)
            r = torch.rand((), generator=generator, dtype=x.dtype, device=dev) ** (1.0 / d)
            deltas.append(g / g.norm().clamp_min(1e-12) * (eps * r))
        delta = torch.stack(deltas).to(x.device)
    return (x + delta).clamp(0.0, 1.0)


def _unit_or_zero(g: torch.Tensor) -> torch.Tensor:
    gn = _flat_norm(g)
    return torch.where(gn > 0, g / gn.clamp_min(torch.finfo(g.dtype).tiny), torch.zeros_like(g))


def _pgd_raw(model, x, y, eps, alpha, steps, norm, x_start, targeted, loss_fn=cross_entropy_sum):
    x0 = x.detach()
    x_adv = x0.clone() if x_start is None else x_start.detach().clone()
    dtype = x0.dtype
    if dtype in (torch.float16, torch.bfloat16):
        # the iterate is held in float32 (the model sees it rounded to the images' dtype): a bfloat16 iterate
        # never moved where alpha is below half its spacing (0.0039 on [0.5, 1)), e.g. eps 0.03 in 40 steps,
        # and PGD returned x itself; float32 / float64 iterates run as before
        x0, x_adv = x0.float(), x_adv.float()
    # eps and alpha beyond the iterate dtype's largest value (eps=1e39 on float32 images, or 2.5 * eps / steps = inf
    # in Python for eps > 7e307) failed in clamp ("value cannot be converted to type float without overflow") or
    # became inf, and inf * 0 (a pixel with zero gradient) made the iterate NaN ("'x_adv' contains NaN"); capped at
    # that value they act as the unbounded ball / step they stand for (any eps, alpha up to it: unchanged)
    big = torch.finfo(x0.dtype).max
    eps, alpha = min(eps, big), min(alpha, big)
    for _ in range(steps):
        g = input_gradient(model, x_adv.to(dtype), y, loss_fn).to(x0.dtype)
        if targeted:
            g = -g
        if norm == "inf":
            step = g.sign()
        else:
            step = _unit_rows(g, _unit_or_zero)
        x_adv = (x_adv + alpha * step).clamp(0.0, 1.0)
        x_adv = x0 + _project(x_adv - x0, eps, norm)
    # guard against one-ulp rounding of x0 + delta outside the box or the ball
    if norm == "inf":
        x_adv = torch.minimum(torch.maximum(x_adv, x0 - eps), x0 + eps)
    return x_adv.clamp(0.0, 1.0).to(dtype).detach()


def pgd(model, x: torch.Tensor, y: torch.Tensor, *, eps: float, alpha: float | None = None, steps: int = 40,
        norm: str | float = "inf", random_start: bool = True, targeted: bool = False,
        seed: int | None = None, generator: torch.Generator | None = None,
        x_start: torch.Tensor | None = None) -> torch.Tensor:
    """Projected gradient descent on the cross-entropy (Madry et al. 2018, Eq. (2) inner maximisation).

    x^{t+1} = Proj_{B(x, eps)}( clip_[0,1]( x^t + alpha * s(grad) ) ),  s = sign (L_inf) or g/||g||_2 (L_2);
    the step is taken against the gradient for targeted attacks. The start x^0 is ``x_start`` when given,
    otherwise a uniform random point of the ball (``random_start=True``, Madry et al.; drawn from ``generator``,
    else from a generator seeded with ``seed``, else from torch's global RNG, which it then advances) or x itself.
    ``alpha`` defaults to 2.5 * eps / steps (Madry et al.'s rule of thumb).
    """
    who = "pgd"
    check_attack_inputs(who, model, x, y)
    targeted = check_flag(who, "targeted", targeted)
    random_start = check_flag(who, "random_start", random_start)
    eps = check_eps(who, eps)
    norm = parse_norm(who, norm)
    steps = check_int(who, "steps", steps, 1)   # (numpy integers too, as cw_l2's steps; they were refused)
    alpha = 2.5 * eps / steps if alpha is None else check_eps(who, alpha, "alpha")
    seed = None if seed is None else check_seed(who, seed)   # (seed=1.5 ran as seed 1)
    if x_start is not None:
        if not isinstance(x_start, torch.Tensor) or x_start.shape != x.shape:
            raise ConfigError(f"'x_start' must be a tensor of shape {list(x.shape)}", where=who)
        # (a float64 start for float32 images ran the attack in float64 and returned float64 images)
        if x_start.dtype != x.dtype or x_start.device != x.device:
            raise ConfigError(f"'x_start' must have x's dtype and device ({x.dtype} on {x.device}; got "
                              f"{x_start.dtype} on {x_start.device})", where=who)
        check_images(who, x_start, name="x_start")   # finite, in [0, 1] (a start outside the ball is projected)
    elif random_start:
        if generator is None and seed is not None:
            generator = torch.Generator(device=x.device).manual_seed(seed)
        x_start = random_ball_point(x.detach(), eps, norm, generator)
    return clip_to_ball(_pgd_raw(model, x, y, eps, alpha, steps, norm, x_start, bool(targeted)), x, eps, norm)
