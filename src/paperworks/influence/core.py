"""Influence scores over a parameter subset (see the package docstring)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from paperworks.core.errors import DataError, PaperworksError
from paperworks.curvature.hessian import flat_grad, iter_per_sample_grads
from paperworks.curvature.params import (check_batch_size, check_deterministic, check_finite, grad_mode, n_samples,
                                        select_params, slice_data)
from paperworks.curvature.solvers import SOLVERS, InverseHVP

__all__ = ["influence_scores", "upweight_influence", "influence_scores_loop", "inverse_hvp", "objective_grad"]


def objective_grad(model: nn.Module, objective: Callable[[nn.Module], torch.Tensor], params: Any = None) -> torch.Tensor:
    """Gradient [P] of the scalar ``objective(model)`` w.r.t. the parameter subset; for an objective that
    returns a vector of m >= 2 values (e.g. the loss of each of m test examples) the Jacobian [m, P]."""
    ps = select_params(model, params)
    # under torch.no_grad() (an evaluation block) the objective recorded no graph, and influence_scores /
    # upweight_influence / influence_scores_loop blamed it ("objective(model) does not depend on the selected
    # parameters"), while the curvature functions they call run there as outside it
    with grad_mode("influence"):
        return _objective_grad(objective(model), ps)


def _objective_grad(f: Any, ps) -> torch.Tensor:
    if not isinstance(f, torch.Tensor) or f.numel() == 0 or (f.ndim > 1 and f.numel() != 1):
        raise PaperworksError(f"influence: objective(model) must return a scalar tensor or a vector of m values "
                              f"(got {type(f).__name__}{list(f.shape) if isinstance(f, torch.Tensor) else ''})")
    if not f.requires_grad:
        raise PaperworksError("influence: objective(model) does not depend on the selected parameters "
                              "(its result does not require grad)")
    if f.numel() == 1:     # a scalar, or any one-element tensor (read as a scalar, as before)
        return check_finite("influence: gradient of the objective", flat_grad(f.reshape(()), ps).detach())
    rows = [ps.flat(torch.autograd.grad(f[j], ps.tensors, retain_graph=j < f.numel() - 1, allow_unused=True))
            for j in range(f.numel())]
    return check_finite("influence: Jacobian of the objective", torch.stack(rows).detach())


def inverse_hvp(model: nn.Module, loss_fn, train: Any, v: torch.Tensor, params: Any = None,
                damping: float | str = 0.0, solver: str = "cg", batch_size: int | None = None,
                **solver_kw) -> torch.Tensor:
    """(H + damping I)^{-1} v, H = Hessian of the mean training loss ``loss_fn`` over ``train``."""
    return InverseHVP(model, loss_fn, train, params, damping, solver, batch_size, **solver_kw).solve(v)


def _validate(model, loss_fn, train, objective, solver, who: str = "influence_scores"):
    if not isinstance(model, nn.Module):
        raise PaperworksError(f"{who}: 'model' must be a torch.nn.Module (got {type(model).__name__})")
    if not callable(loss_fn) or not callable(objective):
        raise PaperworksError(f"{who}: 'loss_fn' and 'objective' must be callables "
                              "(loss_fn(model, batch) -> scalar, objective(model) -> scalar)")
    check_deterministic(model, who)
    if solver not in SOLVERS:
        from paperworks.core.errors import UnknownNameError

        raise UnknownNameError("influence solver", solver, SOLVERS)
    n = n_samples(train)
    if n < 1:
        raise PaperworksError(f"{who}: the training data is empty")
    tensors = (train.values() if isinstance(train, dict) else train if isinstance(train, (tuple, list))
               else [train] if isinstance(train, torch.Tensor) else [])  # a Dataset is not scanned
    for t in tensors:
        if isinstance(t, torch.Tensor) and t.is_floating_point() and not torch.isfinite(t).all():
            raise DataError(f"{who}: the training data contain NaN/inf "
                            f"({int((~torch.isfinite(t)).sum())} entries)")
    return n


def upweight_influence(model: nn.Module, loss_fn, train: Any, objective, params: Any = None,
                       damping: float | str = 0.0, solver: str = "cg", batch_size: int | None = 256,
                       return_solver: bool = False, hvp_batch_size: int | None = None, **solver_kw):
    """I_up(z_k) = -grad f^T H^{-1} grad l(z_k) for every training point: tensor [n] ([m, n] for an objective
    returning m values: one row per value, from one multi-right-hand-side inverse-HVP).

    H is the Hessian of the mean training objective ``loss_fn`` over ``train``; l(z_k) = ``loss_fn`` on the
    singleton batch {z_k}. Positive = up-weighting z_k increases ``objective``.
    One inverse-HVP (s = H^{-1} grad f, H symmetric) and one batched pass of per-sample gradients
    (``batch_size`` samples at a time). The inverse-HVP's curvature (Hessian-vector products, the exact
    Hessian) takes the whole training set in one batch by default; ``hvp_batch_size`` bounds its memory by
    chunks of that many samples (the same H, summed chunk by chunk: equal up to rounding). K-FAC's factors
    use ``hvp_batch_size`` or 256 as before.
    """
    n = _validate(model, loss_fn, train, objective, solver, "upweight_influence")
    # the HVPs ran over all n samples at once and no argument reached them (batch_size is the per-sample
    # gradients'; InverseHVP's own batch_size could not be passed): an opt-in bound, None = one batch as before
    check_batch_size(hvp_batch_size, "upweight_influence (hvp_batch_size)")
    ps = select_params(model, params)
    gf = objective_grad(model, objective, ps)
    ihvp = InverseHVP(model, loss_fn, train, ps, damping, solver, hvp_batch_size, **solver_kw)
    s = ihvp.solve(gf if gf.ndim == 1 else gf.T)          # [P] or [P, m]
    out = torch.empty((n,) + tuple(s.shape[1:]), dtype=ps.dtype, device=ps.device)
    i = 0
    for G in iter_per_sample_grads(model, loss_fn, train, ps, batch_size):
        out[i:i + G.shape[0]] = -(G @ s)
        i += G.shape[0]
    out = out.detach() if out.ndim == 1 else out.detach().T.contiguous()
    check_finite("influence scores", out, f"damping used = {ihvp.damping_used:g}; increase damping")
    return (out, ihvp) if return_solver else out


def influence_scores(model: nn.Module, loss_fn, train: Any, objective, params: Any = None,
                     damping: float | str = 0.0, solver: str = "cg", batch_size: int | None = 256,
                     hvp_batch_size: int | None = None, **solver_kw) -> torch.Tensor:
    """Predicted change of ``objective(model)`` when each training point is removed and the model refit.

    ``loss_fn(model, batch)`` is the *mean* training loss of a batch including any regularizer R, i.e. the
    model was fit by minimizing J(theta) = (1/n) sum_i L(z_i) + R(theta) = loss_fn(model, train). Refitting
    without z_k minimizes J_{-k} = (1/(n-1)) sum_{i != k} L(z_i) + R. Weighting z_k by (1 - t) and
    differentiating the optimality condition at t = 0 gives (using grad J(theta_hat) = 0)

        theta_{-k} - theta_hat ~= (1/n) H^{-1} grad l_k,   l_k = L(z_k) + R = loss_fn(model, {z_k}),

    so the returned score is  (1/n) grad f^T H^{-1} grad l_k  = -I_up(z_k) / n  (Koh & Liang 2017, Eq. 2),
    with H = Hessian of J over the parameter subset ``params`` (None = all trainable parameters), damped by
    ``damping`` (a number, or "auto" with solver="exact": the smallest damping that makes H invertible is added
    and reported in a warning). ``solver``: exact | cg | lissa | kfac | ekfac (K-FAC: Fisher approximation
    of H over whole Linear/Conv2d layers). Returns a tensor [n_train]; positive = removing
    the point increases the objective. An objective returning a vector of m >= 2 values (say the loss of each
    of m test examples) gives [m, n_train], one row per value (Captum's test x train influence matrix).
    ``batch_size`` bounds the per-sample gradients' chunks, ``hvp_batch_size`` the curvature's (None: the
    whole training set at once), as in :func:`upweight_influence`.
    """
    n = _validate(model, loss_fn, train, objective, solver)
    return -upweight_influence(model, loss_fn, train, objective, params, damping, solver, batch_size,
                               hvp_batch_size=hvp_batch_size, **solver_kw) / n


def influence_scores_loop(model: nn.Module, loss_fn, train: Any, objective, params: Any = None,
                          damping: float = 0.0) -> torch.Tensor:
    """Reference implementation (for the benchmark): one inverse-HVP per training point, one backward each,
    i.e. the direct per-sample loop s_k = grad f^T (H^{-1} grad l_k) / n with a dense H solve per sample."""
    from paperworks.core.config import is_real
    from paperworks.curvature.hessian import exact_hessian
    from paperworks.curvature.solvers import plain_real

    check_deterministic(model, "influence_scores_loop")
    # a negative damping was used as given (scores of H - |d| I) and a NaN one gave NaN scores, without a word
    if not is_real(damping, 0.0):
        raise PaperworksError(f"influence_scores_loop: damping must be a finite number >= 0 (got {damping!r}; the "
                              "reference loop has no damping='auto': use influence_scores with solver='exact')")
    damping = plain_real(damping)    # a Fraction failed as "unsupported operand type(s) for *"
    n = _validate(model, loss_fn, train, objective, "exact", "influence_scores_loop")  # empty / NaN data named
    ps = select_params(model, params)
    gf = objective_grad(model, objective, ps)
    if gf.ndim != 1:
        raise PaperworksError(f"influence_scores_loop: the reference loop takes a scalar objective (got {gf.shape[0]} "
                              "values); use influence_scores for a vector objective")
    H = exact_hessian(model, loss_fn, train, ps) + damping * torch.eye(ps.numel, dtype=ps.dtype, device=ps.device)
    out = torch.empty(n, dtype=ps.dtype, device=ps.device)
    for k in range(n):
        with grad_mode("influence_scores_loop"):     # (under torch.no_grad() too, as exact_hessian)
            loss = loss_fn(model, slice_data(train, slice(k, k + 1)))
            g = flat_grad(loss, ps)
        out[k] = gf @ torch.linalg.solve(H, g) / n
    return out.detach()
