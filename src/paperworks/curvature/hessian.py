"""Gradients, per-sample gradients, Hessian-vector products and dense curvature matrices over a parameter subset.

Conventions: ``loss_fn(model, batch) -> scalar`` is the *mean* loss of the batch (including any regularizer),
so the loss of the full data is the size-weighted average of chunk losses and the Hessian of the training
objective is the size-weighted average of chunk Hessians. Every function takes ``batch_size`` to bound memory.
Every entry point that takes a model refuses one whose loss is random or batch-dependent in its current mode
(dropout or batch norm in train mode, see :func:`~paperworks.curvature.params.check_deterministic`), as
``InverseHVP``, ``KFAC`` and the influence functions do: call ``model.eval()`` first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from paperworks.core.errors import PaperworksError
from paperworks.curvature.params import (ParamSubset, check_batch_size, check_deterministic, check_nonempty,
                                        grad_mode, iter_chunks, n_samples, select_params, slice_data)

__all__ = ["flat_grad", "data_grad", "per_sample_grads", "hvp", "hvp_func", "exact_hessian", "ggn_matrix",
           "empirical_fisher", "make_hvp_operator"]

LossFn = Callable[[nn.Module, Any], torch.Tensor]


def _scalar(loss: Any, who: str, what: str = "loss_fn") -> torch.Tensor:
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise PaperworksError(f"{who}: {what} must return a scalar tensor (got "
                              f"{type(loss).__name__}{'' if not isinstance(loss, torch.Tensor) else list(loss.shape)})")
    return loss.reshape(())


def flat_grad(loss: torch.Tensor, ps: ParamSubset, create_graph: bool = False) -> torch.Tensor:
    """d loss / d theta as one vector [P] (parameters the loss does not reach get zeros)."""
    gs = torch.autograd.grad(loss, ps.tensors, create_graph=create_graph, allow_unused=True)
    return ps.flat(gs)


def data_grad(model: nn.Module, loss_fn: LossFn, data: Any, params: Any = None,
              batch_size: int | None = None) -> torch.Tensor:
    """Gradient [P] of the mean loss over all of ``data`` (chunked)."""
    ps = select_params(model, params)
    check_deterministic(model, "data_grad")
    n = check_nonempty(n_samples(data), "data_grad")
    g = torch.zeros(ps.numel, dtype=ps.dtype, device=ps.device)
    with grad_mode("data_grad"):
        for s, e in iter_chunks(n, batch_size):
            loss = _scalar(loss_fn(model, slice_data(data, slice(s, e))), "data_grad")
            g += flat_grad(loss, ps) * ((e - s) / n)
    return g


class _LossModule(nn.Module):
    """Wraps (model, loss_fn) so that torch.func.functional_call can swap the model's parameters."""

    def __init__(self, model: nn.Module, loss_fn: LossFn):
        super().__init__()
        self.model = model
        self.loss_fn = loss_fn

    def forward(self, batch):
        return self.loss_fn(self.model, batch)


def _swap_names(model: nn.Module, ps: ParamSubset) -> list[list[str]]:
    """For each tensor of the subset, the names under which a functional call swaps it: one per distinct
    (module, attribute) slot holding it. A module registered under two names (``self.c = self.a``, a layer
    applied twice) gives two names for ONE slot: ``torch.func.functional_call`` (torch 2.13, tie_weights=True)
    then saved the already-swapped tensor as the second name's original and put it back on exit, so the model
    kept a detached copy in place of its Parameter (later influence scores 93% off, an optimizer built before
    no longer moved the layer). A parameter shared by two modules (``c.weight = a.weight``) has two slots:
    both are swapped, as tie_weights=True did."""
    slots: dict[int, dict[tuple[int, str], str]] = {}
    for mname, mod in model.named_modules(remove_duplicate=False):
        for attr, p in mod._parameters.items():
            if p is not None:
                slots.setdefault(id(p), {}).setdefault((id(mod), attr), f"{mname}.{attr}" if mname else attr)
    return [list(slots[id(t)].values()) for t in ps.tensors]


def _swap_dict(names: list[list[str]], values) -> dict[str, torch.Tensor]:
    """{'model.' + name: value} over every slot name of every subset tensor (for the _LossModule /
    _OutputModule wrappers; called with ``tie_weights=False``, the slots being listed here)."""
    return {"model." + k: v for ks, v in zip(names, values) for k in ks}


class _OutputModule(nn.Module):
    def __init__(self, model: nn.Module, output_fn):
        super().__init__()
        self.model = model
        self.output_fn = output_fn

    def forward(self, batch):
        return self.output_fn(self.model, batch)


def _unsqueeze(batch: Any) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.unsqueeze(0)
    if isinstance(batch, dict):
        return {k: _unsqueeze(v) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):     # a namedtuple takes its fields one by one
        return type(batch)(*(_unsqueeze(v) for v in batch))
    if isinstance(batch, (tuple, list)):
        return type(batch)(_unsqueeze(v) for v in batch)
    return batch


def per_sample_grads(model: nn.Module, loss_fn: LossFn, data: Any, params: Any = None,
                     batch_size: int | None = 256, method: str = "auto") -> torch.Tensor:
    """Gradient of ``loss_fn(model, {z_i})`` for every sample z_i: tensor [n, P].

    ``method``: ``"vmap"`` (torch.func.vmap over a functional call: one batched pass per chunk), ``"loop"``
    (one backward per sample), or ``"auto"`` (vmap, falling back to the loop if the loss is not vmappable,
    e.g. it calls ``.item()`` or uses batch statistics).
    """
    chunks = list(iter_per_sample_grads(model, loss_fn, data, params, batch_size, method))
    if not chunks:      # no sample: an empty [0, P] (torch.cat of nothing failed)
        ps = select_params(model, params)
        return torch.zeros(0, ps.numel, dtype=ps.dtype, device=ps.device)
    return torch.cat(chunks, 0)


def iter_per_sample_grads(model: nn.Module, loss_fn: LossFn, data: Any, params: Any = None,
                          batch_size: int | None = 256, method: str = "auto"):
    """Generator over chunks of per-sample gradients ([b, P] each), in data order."""
    if method not in ("auto", "vmap", "loop"):
        raise PaperworksError(f"per_sample_grads: method must be one of auto, loop, vmap (got {method!r})")
    ps = select_params(model, params)
    check_deterministic(model, "per_sample_grads")
    n = n_samples(data)
    wrapper = _LossModule(model, loss_fn)
    names = _swap_names(model, ps)

    def one(pvals, sample):
        return torch.func.functional_call(wrapper, _swap_dict(names, pvals), (_unsqueeze(sample),), tie_weights=False)

    gfn = torch.func.vmap(torch.func.grad(one), in_dims=(None, 0))
    use_vmap = method in ("auto", "vmap")
    for s, e in iter_chunks(n, batch_size):
        chunk = slice_data(data, slice(s, e))
        if use_vmap:
            try:
                gs = gfn(tuple(t.detach() for t in ps.tensors), chunk)
                # detached like the loop's gradients (parameters outside the subset would otherwise carry a graph)
                yield torch.cat([g.reshape(e - s, -1) for g in gs], 1).detach()
                continue
            except Exception:
                if method == "vmap":
                    raise
                use_vmap = False
        rows = []
        with grad_mode("per_sample_grads"):
            for i in range(s, e):
                loss = _scalar(loss_fn(model, slice_data(data, slice(i, i + 1))), "per_sample_grads")
                rows.append(flat_grad(loss, ps))
        yield torch.stack(rows)


def hvp(model: nn.Module, loss_fn: LossFn, data: Any, v: torch.Tensor, params: Any = None,
        batch_size: int | None = None) -> torch.Tensor:
    """H v by double backward (Pearlmutter), H = Hessian of the mean loss over ``data`` w.r.t. the subset (a
    complex v: H v.real + i H v.imag)."""
    if isinstance(v, torch.Tensor) and v.is_complex():   # (its imaginary part was dropped in the conversion)
        return torch.complex(hvp(model, loss_fn, data, v.real, params, batch_size),
                             hvp(model, loss_fn, data, v.imag, params, batch_size))
    ps = select_params(model, params)
    check_deterministic(model, "hvp")
    n = check_nonempty(n_samples(data), "hvp")
    check_batch_size(batch_size, "hvp")
    v = _check_vector(v, ps, "hvp")
    out = torch.zeros_like(v)
    with grad_mode("hvp"):
        for s, e in iter_chunks(n, batch_size):
            loss = _scalar(loss_fn(model, slice_data(data, slice(s, e))), "hvp")
            g = flat_grad(loss, ps, create_graph=True)
            if not g.requires_grad:  # loss is linear in the subset: zero curvature
                continue
            hv = torch.autograd.grad(g @ v, ps.tensors, allow_unused=True)
            out += ps.flat(hv) * ((e - s) / n)
    return out


def hvp_func(model: nn.Module, loss_fn: LossFn, data: Any, v: torch.Tensor, params: Any = None) -> torch.Tensor:
    """H v by forward-over-reverse with torch.func (jvp of grad); same result as :func:`hvp`."""
    if isinstance(v, torch.Tensor) and v.is_complex():   # (its imaginary part was dropped in the conversion)
        return torch.complex(hvp_func(model, loss_fn, data, v.real, params),
                             hvp_func(model, loss_fn, data, v.imag, params))
    ps = select_params(model, params)
    check_deterministic(model, "hvp_func")
    wrapper = _LossModule(model, loss_fn)
    names = _swap_names(model, ps)
    batch = slice_data(data, slice(None))

    def f(flat):
        return torch.func.functional_call(wrapper, _swap_dict(names, ps.unflat_params(flat)), (batch,),
                                          tie_weights=False)

    theta = ps.flat().detach()
    check_nonempty(n_samples(data), "hvp_func")
    _, hv = torch.func.jvp(torch.func.grad(f), (theta,), (_check_vector(v, ps, "hvp_func"),))
    # detached as hvp's: through the parameters outside the subset it kept the forward graph (requires_grad,
    # .numpy() refused, a backward through it sent gradients into those parameters)
    return hv.detach()


def _check_vector(v: Any, ps: ParamSubset, who: str) -> torch.Tensor:
    """v as a [P] vector in the subset's dtype/device; a [P, 1] column or a wrong length is named (they failed
    deep in autograd: a column made g @ v a vector)."""
    if not isinstance(v, torch.Tensor) or v.shape != (ps.numel,):
        raise PaperworksError(f"{who}: v must be a vector of {ps.numel} entries (the parameter subset) (got "
                              f"{list(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__})")
    return v.to(dtype=ps.dtype, device=ps.device)


def make_hvp_operator(model: nn.Module, loss_fn: LossFn, data: Any, params: Any = None,
                      batch_size: int | None = None) -> Callable[[torch.Tensor], torch.Tensor]:
    ps = select_params(model, params)
    check_deterministic(model, "make_hvp_operator")
    return lambda v: hvp(model, loss_fn, data, v, ps, batch_size)


def exact_hessian(model: nn.Module, loss_fn: LossFn, data: Any, params: Any = None,
                  batch_size: int | None = None, max_params: int = 20000) -> torch.Tensor:
    """Dense Hessian [P, P] of the mean loss w.r.t. the subset (P Hessian-vector products per chunk)."""
    ps = select_params(model, params)
    check_deterministic(model, "exact_hessian")
    P = ps.numel
    if P > max_params:
        raise PaperworksError(f"exact_hessian: the subset has {P} parameters (> max_params={max_params}); "
                              "choose a smaller subset or use an iterative solver (cg, lissa) / K-FAC")
    n = check_nonempty(n_samples(data), "exact_hessian")
    H = torch.zeros(P, P, dtype=ps.dtype, device=ps.device)
    with grad_mode("exact_hessian"):
        for s, e in iter_chunks(n, batch_size):
            loss = _scalar(loss_fn(model, slice_data(data, slice(s, e))), "exact_hessian")
            g = flat_grad(loss, ps, create_graph=True)
            if not g.requires_grad:
                continue
            w = (e - s) / n
            for i in range(P):  # one reverse pass per row (faster than is_grads_batched for small P on CPU)
                row = torch.autograd.grad(g[i], ps.tensors, retain_graph=i < P - 1, allow_unused=True)
                H[i] += ps.flat(row) * w
    return 0.5 * (H + H.T)


def ggn_matrix(model: nn.Module, output_fn: Callable[[nn.Module, Any], torch.Tensor],
               loss_of_output: Callable[[torch.Tensor, Any], torch.Tensor], data: Any,
               params: Any = None) -> torch.Tensor:
    """Generalized Gauss-Newton G = J^T H_out J [P, P] of loss = loss_of_output(output_fn(model, data), data).

    J = d outputs / d theta, H_out = Hessian of the loss in the outputs (Schraudolph 2002; Martens 2020).
    Equals the Hessian when the outputs are linear in theta.
    """
    ps = select_params(model, params)
    check_deterministic(model, "ggn_matrix")
    check_nonempty(n_samples(data), "ggn_matrix")    # was a reshape error deep in jacrev
    batch = slice_data(data, slice(None))
    names = _swap_names(model, ps)

    wrapper = _OutputModule(model, output_fn)

    def _call_out(flat):
        pieces = ps.unflat_params(flat)     # each in its parameter's dtype (a mixed subset's flat is promoted)
        return torch.func.functional_call(wrapper, _swap_dict(names, pieces), (batch,), tie_weights=False)

    theta = ps.flat().detach()
    z = _call_out(theta).detach()
    # [O, P], in the subset's dtype (outputs of a lower precision than a mixed subset's gave a float J)
    J = torch.func.jacrev(_call_out)(theta).reshape(z.numel(), -1).to(theta.dtype)

    def _loss_of_flat(zz):
        # a per-sample (unreduced) loss was a reshape error ("shape '[14, 14]' is invalid for input of size 1372")
        return _scalar(loss_of_output(zz.reshape(z.shape), batch), "ggn_matrix", "loss_of_output")

    Hz = torch.func.hessian(_loss_of_flat)(z.reshape(-1))
    G = J.T @ Hz.reshape(z.numel(), z.numel()).to(theta.dtype) @ J
    # detached as exact_hessian's: J and H_out hung on the model's parameters outside the subset (G.numpy()
    # refused, G.trace().backward() put gradients on the other layers' .grad)
    return (0.5 * (G + G.T)).detach()


def empirical_fisher(model: nn.Module, loss_fn: LossFn, data: Any, params: Any = None,
                     batch_size: int | None = 256) -> torch.Tensor:
    """Empirical Fisher (1/n) sum_i g_i g_i^T [P, P] with g_i the per-sample gradients."""
    ps = select_params(model, params)
    check_deterministic(model, "empirical_fisher")
    n = check_nonempty(n_samples(data), "empirical_fisher")
    F = torch.zeros(ps.numel, ps.numel, dtype=ps.dtype, device=ps.device)
    for G in iter_per_sample_grads(model, loss_fn, data, ps, batch_size):
        F += G.T @ G
    return F / n
