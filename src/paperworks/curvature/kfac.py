"""K-FAC and EK-FAC curvature for ``nn.Linear`` and ``nn.Conv2d`` layers.

K-FAC (Martens & Grosse 2015; KFC for convolutions, Grosse & Martens 2016): for a layer s = W a (bias folded in
as a homogeneous coordinate, W of shape [out, in(+1)]), the per-sample gradient is DW_n = sum_t g_nt a_nt^T
(t runs over spatial positions for a convolution, T = 1 for a linear layer) and the Fisher block
F = E_n[vec(DW_n) vec(DW_n)^T] is approximated by the Kronecker product

    F ~= G (x) A,   A = E_n[sum_t a_nt a_nt^T],   G = E_n[(1/T) sum_t g_nt g_nt^T]

in the row-major vec of W used by ``tensor.flatten()``. g_n is the gradient of the *per-sample* loss w.r.t. the
layer output: with ``loss_fn`` returning the mean over a batch of b samples, g_n = b * dloss/ds_n.
The "empirical" Fisher uses the data's labels; pass a ``loss_fn`` whose labels are sampled from the model's
predictive distribution for the true (Monte-Carlo) Fisher.

EK-FAC (George et al. 2018): keep K-FAC's Kronecker eigenbasis Q = Q_G (x) Q_A, and re-fit the diagonal in that
basis to the second moments of the projected per-sample gradients, s = E_n[(Q^T vec DW_n)^2]. In that basis this
diagonal is the Frobenius-optimal one, so ||F - F_ekfac||_F <= ||F - F_kfac||_F for the Fisher F of the same
per-sample gradients.

Inverse products use the eigendecompositions: (F~ + damping I)^{-1} v = Q diag(1/(s + damping)) Q^T v.
The eigendecompositions, the EK-FAC diagonal and the inverse run in float64 (results in the model's dtype); as
in the exact solver, curvature below the factors' own precision (100 eps x the largest eigenvalue of A or G)
counts as zero, so such a direction needs damping (a SingularHessianError names it).
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from paperworks.core.config import as_flag, check_int
from paperworks.core.errors import PaperworksError
from paperworks.curvature.params import (check_batch_size, check_deterministic, check_nonempty, grad_mode, iter_chunks,
                                         meta_device_error, n_samples, slice_data)
from paperworks.curvature.solvers import _check_damping, _finite

__all__ = ["KFAC", "kfac_layers"]

_CHUNK_BYTES = 256 * 2 ** 20    # KFAC's default chunk_bytes (EK-FAC's correction pass)


def _common_dtype(layers) -> torch.dtype:
    """The dtype fitted factors of several layers promote to (their own when they share one)."""
    dt = layers[0].A.dtype
    for L in layers[1:]:
        dt = torch.promote_types(dt, L.A.dtype)
    return dt


def kfac_layers(model: nn.Module, layers: Any = None) -> dict[str, nn.Module]:
    """The Linear / Conv2d submodules to approximate: all of them (None), or the given names / modules."""
    named = dict(model.named_modules())
    if layers is None:
        out = {n: m for n, m in named.items() if isinstance(m, (nn.Linear, nn.Conv2d))}
    else:
        items = [layers] if isinstance(layers, (str, nn.Module)) else list(layers)
        by_id = {id(m): n for n, m in named.items()}
        out = {}
        for it in items:
            if isinstance(it, str):
                if it not in named:
                    # a second name of a module registered twice (self.c = self.a): named_modules lists it once,
                    # and 'c' was refused as "no submodule named 'c'"; it selects the module, under its first name
                    alias = dict(model.named_modules(remove_duplicate=False)).get(it)
                    if alias is None:
                        raise PaperworksError(f"KFAC: no submodule named '{it}'")
                    out[by_id[id(alias)]] = alias
                    continue
                out[it] = named[it]
            elif isinstance(it, nn.Module) and id(it) in by_id:
                out[by_id[id(it)]] = it
            else:
                raise PaperworksError("KFAC: 'layers' must hold names or submodules of the model")
    for n, m in out.items():
        if not isinstance(m, (nn.Linear, nn.Conv2d)):
            raise PaperworksError(f"KFAC: layer '{n}' is a {type(m).__name__}; only Linear and Conv2d are supported")
        if isinstance(m, nn.Conv2d) and (m.groups != 1 or m.padding_mode != "zeros"):
            raise PaperworksError(f"KFAC: Conv2d '{n}' has groups={m.groups}, padding_mode={m.padding_mode!r}; "
                                  "only groups=1 with zero padding is supported")
    if not out:
        if layers is not None:      # (an empty list was reported as a model without Linear / Conv2d layers)
            raise PaperworksError("KFAC: 'layers' is empty; name at least one layer, or pass None for every "
                                  "Linear / Conv2d layer of the model")
        raise PaperworksError("KFAC: the model has no Linear or Conv2d layer to approximate")
    owners: dict[int, list[str]] = {}      # parameter -> the modules that hold it (tied weights: several)
    for mn, mod in named.items():
        for p in mod.parameters(recurse=False):
            owners.setdefault(id(p), []).append(mn)
    for n, m in out.items():
        for what, p in (("weight", m.weight), ("bias", m.bias)):
            others = [o for o in owners.get(id(p), []) if o != n] if p is not None else []
            if others:
                # the hooks of layer n see only its own call: the share of the other call sites was left out
                raise PaperworksError(f"KFAC: layer '{n}' shares its {what} with module(s) {', '.join(others)} "
                                      "(tied parameters); K-FAC here needs each parameter used by one layer")
    return out


def _activations(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Layer inputs as [b, T, in(+1)] (homogeneous coordinate appended when the layer has a bias)."""
    if isinstance(m, nn.Linear):
        a = x.reshape(-1, 1, x.shape[-1]) if x.ndim == 2 else x.reshape(x.shape[0], -1, x.shape[-1])
    else:
        pad = m.padding
        if isinstance(pad, str):
            # padding='valid' / 'same': F.unfold takes numbers only, and 'same' with an even dilation*(k-1) pads
            # one more zero at the end than at the start (as Conv2d does): pad explicitly, then unfold unpadded
            widths = []
            for d, k in zip(reversed(m.dilation), reversed(m.kernel_size)):   # F.pad order: last dim first
                total = d * (k - 1) if pad == "same" else 0
                widths += [total // 2, total - total // 2]
            x, pad = F.pad(x, widths), 0
        cols = F.unfold(x, m.kernel_size, dilation=m.dilation, padding=pad, stride=m.stride)  # [b, in, T]
        a = cols.transpose(1, 2)
    if m.bias is not None:
        a = torch.cat([a, torch.ones(*a.shape[:-1], 1, dtype=a.dtype, device=a.device)], -1)
    return a


def _out_grads(m: nn.Module, gy: torch.Tensor) -> torch.Tensor:
    """Output gradients as [b, T, out]."""
    if isinstance(m, nn.Linear):
        return gy.reshape(-1, 1, gy.shape[-1]) if gy.ndim == 2 else gy.reshape(gy.shape[0], -1, gy.shape[-1])
    return gy.flatten(2).transpose(1, 2)


class _Layer:
    def __init__(self, name: str, m: nn.Module):
        self.name, self.m = name, m
        self.out = m.weight.shape[0]
        self.inp = m.weight[0].numel() + (1 if m.bias is not None else 0)
        self.A = None
        self.G = None
        self.S = None  # diagonal in the eigenbasis [out, in]
        self.QA = self.QG = self.lA = self.lG = None

    def param_names(self) -> list[str]:
        pre = f"{self.name}." if self.name else ""      # "" = the model itself is the layer
        return [f"{pre}weight"] + ([f"{pre}bias"] if self.m.bias is not None else [])

    def to_matrix(self, v: torch.Tensor) -> torch.Tensor:
        """Flat [weight, bias] vector -> [out, in(+1)] matrix."""
        k = self.m.weight.numel()
        W = v[:k].reshape(self.out, -1)
        if self.m.bias is not None:
            W = torch.cat([W, v[k:k + self.out].reshape(self.out, 1)], 1)
        return W

    def from_matrix(self, M: torch.Tensor) -> torch.Tensor:
        if self.m.bias is not None:
            return torch.cat([M[:, :-1].reshape(-1), M[:, -1]])
        return M.reshape(-1)

    def perm(self) -> torch.Tensor:
        """Index map: position in flat [weight, bias] order -> position in row-major [out, in+1] order."""
        idx = torch.arange(self.out * self.inp).reshape(self.out, self.inp)
        return self.from_matrix(idx)


class KFAC:
    """Kronecker-factored curvature of ``loss_fn`` over ``data`` for the given layers.

    ``fit()`` estimates the factors (one pass over the data); ``eigen_correct=True`` (EK-FAC) adds a second
    pass re-fitting the eigenbasis diagonal. ``params`` lists the flat parameter names in the order used by
    :meth:`inverse_vp` and :meth:`dense` (per layer: weight then bias).

    ``chunk_bytes`` caps the float64 work tensors of EK-FAC's second pass (the projected per-sample gradients,
    [c, out, in(+1)] for c samples, and their squares): each batch is projected c samples at a time, c as large as
    the cap allows (at least 1; ``None``: the whole batch at once). The diagonal is the same sum, grouped by
    chunk (equal to float64 rounding). Default 256 MiB: a 4096 x 4096 Linear took 2 x 32 GiB at batch 256.

    Each layer's input must be batch-first, one row per sample (an input of another row count is refused). A
    sequence-first input [L, b, in] with L == b cannot be told from [b, L, in] by its shape: K-FAC's factors are
    the same either way (they sum over every row), EK-FAC's diagonal is not (it groups the rows into per-sample
    gradients: 66 % off in a probe), so keep such inputs batch-first with ``eigen_correct=True``.
    """

    def __init__(self, model: nn.Module, loss_fn, data: Any, layers: Any = None, eigen_correct: bool = False,
                 batch_size: int | None = 256, chunk_bytes: int | None = _CHUNK_BYTES):
        self.model, self.loss_fn, self.data = model, loss_fn, data
        self.layers = [_Layer(n, m) for n, m in kfac_layers(model, layers).items()]
        meta = [L.name or type(L.m).__name__ for L in self.layers if any(p.is_meta for p in L.m.parameters())]
        if meta:  # fit() failed deep in the forward pass
            raise meta_device_error("KFAC", f"layer(s) {', '.join(meta[:5])} have parameters")
        flag = as_flag(eigen_correct)   # (a 0-d boolean array / tensor too)
        if flag is None:
            # a string such as "no" counted as True: EK-FAC's second pass ran and changed the curvature silently
            raise PaperworksError(f"KFAC: eigen_correct must be True or False (got {eigen_correct!r})")
        self.eigen_correct = flag
        check_batch_size(batch_size, "KFAC")    # (a negative size was refused only by fit(), unnamed)
        self.batch_size = batch_size
        # a 4096 x 4096 Linear at batch 256 needed 2 x 32 GiB at once in the correction pass
        self.chunk_bytes = None if chunk_bytes is None else check_int("chunk_bytes", chunk_bytes, 1, where="KFAC")
        self.params = [p for L in self.layers for p in L.param_names()]
        self._fitted = False
        # per layer: (gap, curvature) of loss terms on its parameters outside its call, found by fit()
        self.outside_terms: dict[str, tuple[float, float | None]] = {}
        self._warned_outside = False

    # -- passes over the data with hooks
    def _pass(self, on_batch, gaps: dict | None = None):
        """One pass over the data with the hooks; ``gaps`` (a dict) also collects, per layer, the gradient of
        the first batch's loss on its trainable parameters minus the part through its outputs, and the size of
        the per-sample terms (see :meth:`_outside_terms`). The first batch only: a term outside the layers' calls
        (a regulariser, another use of the weights) is in every batch's loss, and comparing every batch cost fit()
        +20-60 % on several batches (a small CNN, or a 512 x 512 MLP on 2048 samples)."""
        n = check_nonempty(n_samples(self.data), "KFAC")
        check_deterministic(self.model, "KFAC")
        store: dict[str, dict[str, torch.Tensor]] = {L.name: {} for L in self.layers}
        handles = []
        for L in self.layers:
            def fwd(mod, inp, out, L=L):
                if "a" in store[L.name]:
                    # a second call in one forward pass overwrote the first's inputs, while the output-gradient
                    # hooks fire in reverse order: the factors paired one call's a with another call's g
                    raise PaperworksError(f"KFAC: layer '{L.name or type(mod).__name__}' is called more than once "
                                          "per forward pass (weight sharing); K-FAC here needs one call per layer")
                store[L.name]["a"] = _activations(mod, inp[0].detach())
                if out.requires_grad:
                    out.register_hook(lambda g, L=L: store[L.name].__setitem__("g", g.detach()))

            handles.append(L.m.register_forward_hook(fwd))
        try:
            for s, e in iter_chunks(n, self.batch_size):
                for L in self.layers:
                    store[L.name].clear()
                with grad_mode("KFAC"):
                    loss = self.loss_fn(self.model, slice_data(self.data, slice(s, e)))
                    if isinstance(loss, torch.Tensor) and loss.numel() != 1:
                        # a per-sample (unreduced) loss failed in autograd: "grad can be implicitly created only
                        # for scalar outputs" (hvp and exact_hessian name it)
                        raise PaperworksError(f"KFAC: loss_fn must return a scalar tensor, the batch's mean loss "
                                              f"(got Tensor{list(loss.shape)})")
                    # each layer's weight (its bias when only the bias trains): the output-gradient hooks fire
                    params = [L.m.weight if L.m.weight.requires_grad or L.m.bias is None else L.m.bias
                              for L in self.layers]
                    params = [p for p in params if p.requires_grad]
                    if not isinstance(loss, torch.Tensor) or not loss.requires_grad or not params:
                        raise PaperworksError("KFAC: the loss does not depend on a trainable weight of the chosen "
                                              "layers")
                    if gaps is None or s > 0:
                        torch.autograd.grad(loss, params, allow_unused=True)
                    else:   # every trainable weight and bias, to compare with the part through the outputs
                        every = [p for L in self.layers for p in (L.m.weight, L.m.bias)
                                 if p is not None and p.requires_grad]
                        grads = dict(zip(map(id, every), torch.autograd.grad(loss, every, allow_unused=True)))
                for L in self.layers:
                    if "a" not in store[L.name] or "g" not in store[L.name]:
                        # was a bare KeyError (layer unused by the loss, or frozen with no trainable input)
                        raise PaperworksError(f"KFAC: layer '{L.name or type(L.m).__name__}' "
                                              f"{'is not called' if 'a' not in store[L.name] else 'gets no gradient'}"
                                              " in the loss's forward pass; leave it out of 'layers'")
                    a = store[L.name]["a"]
                    if a.shape[0] != e - s:
                        # an input whose first dimension is not the samples' (a [b, L, d] batch flattened to
                        # [b*L, d], node features of a graph): every row was taken for a sample, so G came out
                        # L times too large and the EK-FAC diagonal missed the cross-position terms (79% off)
                        raise PaperworksError(
                            f"KFAC: layer '{L.name or type(L.m).__name__}' gets an input of {a.shape[0]} rows for "
                            f"a batch of {e - s} samples; K-FAC here needs the layer's input batch-first, one "
                            "row per sample ([b, in], [b, ..., in] for a Linear, [b, C, H, W] for a Conv2d): "
                            "keep the sample dimension (e.g. apply the Linear to [b, L, d], not to [b*L, d])")
                    g = _out_grads(L.m, store[L.name]["g"]) * (e - s)  # per-sample loss gradients
                    on_batch(L, a, g)
                    if gaps is not None and s == 0:
                        self._gap_batch(L, a, _out_grads(L.m, store[L.name]["g"]), grads, gaps)
        finally:
            for h in handles:
                h.remove()
        return n

    def fit(self) -> "KFAC":
        for L in self.layers:
            w = L.m.weight
            L.A = torch.zeros(L.inp, L.inp, dtype=w.dtype, device=w.device)
            L.G = torch.zeros(L.out, L.out, dtype=w.dtype, device=w.device)

        def acc(L, a, g):
            T = g.shape[1]
            L.A += torch.einsum("bti,btj->ij", a, a)
            L.G += torch.einsum("bti,btj->ij", g, g) / T

        gaps: dict = {}
        n = self._pass(acc, gaps)
        self.outside_terms = self._outside_terms(gaps)
        self._warned_outside = False
        for L in self.layers:
            L.A /= n
            L.G /= n
            bad_a = not torch.isfinite(L.A).all()
            if bad_a or not torch.isfinite(L.G).all():
                # NaN in the data (or the weights) ended in eigh: "_LinAlgError: linalg.eigh: The algorithm failed
                # to converge because the input matrix is ill-conditioned"
                what = "its inputs" if bad_a else "the gradients of its outputs"
                raise PaperworksError(f"KFAC: the factors of layer '{L.name or type(L.m).__name__}' contain NaN/inf "
                                      f"({what} are not finite): check the data, the parameters and the loss")
            # in float64 whatever the model's dtype (as the exact solver's dense_factor): float32 eigenvectors of
            # a factor spanning a few decades put (F~ + 1e-5 I)^{-1} v 4e-3 off the same factors' inverse
            L.lA, L.QA = torch.linalg.eigh(L.A.double())
            L.lG, L.QG = torch.linalg.eigh(L.G.double())
            L.lA = L.lA.clamp_min(0)
            L.lG = L.lG.clamp_min(0)
            L.S = torch.outer(L.lG, L.lA)
        if self.eigen_correct:
            for L in self.layers:
                L.S = torch.zeros_like(L.S)

            def corr(L, a, g):
                # Q_G^T DW_n Q_A of the per-sample gradients DW_n = sum_t g_nt a_nt^T, projected before the sum
                # over t: [c, out, in] float64 tensors (no float32 DW plus float64 copies of it), c samples at a
                # time within chunk_bytes (the projections, their squares and the projected g and a)
                b, T = a.shape[0], a.shape[1]
                per_sample = 8 * (2 * L.out * L.inp + T * (L.out + L.inp) * 2)
                c = b if self.chunk_bytes is None else max(1, min(b, self.chunk_bytes // per_sample))
                for s in range(0, b, c):
                    proj = torch.einsum("bto,bti->boi", g[s:s + c].double() @ L.QG, a[s:s + c].double() @ L.QA)
                    L.S += (proj ** 2).sum(0)

            self._pass(corr)
            for L in self.layers:
                L.S /= n
        self._fitted = True
        return self

    @staticmethod
    def _gap_batch(L: _Layer, a: torch.Tensor, gy: torch.Tensor, grads: dict, gaps: dict) -> None:
        """Record, for L's trainable weight and bias, the batch loss's gradient minus sum_t gy a^T (the part
        through L's outputs) and the size of that sum's terms (a bound on its rounding)."""
        rec = torch.einsum("bto,bti->oi", gy, a)
        mag = torch.einsum("bto,bti->oi", gy.abs(), a.abs())
        rows = gy.shape[0] * gy.shape[1]   # terms in each sum: its rounding grows with them (a conv: b x positions)
        k = L.m.weight[0].numel()
        for key, p, cols in (("weight", L.m.weight, slice(0, k)), ("bias", L.m.bias, slice(k, None))):
            if p is None or not p.requires_grad or grads.get(id(p)) is None:
                continue
            d = grads[id(p)].reshape(L.out, -1) - rec[:, cols]
            gaps[L.name, key] = [d, mag[:, cols], p.detach().reshape(L.out, -1), rows]

    @staticmethod
    def _outside_terms(gaps: dict) -> dict[str, tuple[float, float | None]]:
        """Layers whose parameters the loss reaches outside the layer's call (a regulariser, another use of the
        weights): the gradient of those terms is the loss gradient minus the part through the outputs. K-FAC's
        Fisher leaves their curvature out; InverseHVP(solver='kfac') took it for the Hessian of the whole loss
        (an L2 term of 0.01 left out: influence scores' Pearson with the exact ones 0.88, norm x1.64; with it
        added as damping 0.9996). Returns {layer: (largest gap relative to its terms' size, c or None)}: c when
        the gap of every parameter with one is c_p theta_p (an L2 term c_p/2 |theta_p|^2: curvature c_p I;
        cosine > 0.999), c = the largest c_p."""
        out: dict[str, tuple[float, float | None]] = {}
        for (name, _), (d, m, theta, rows) in gaps.items():
            eps = torch.finfo(d.dtype).eps
            dn, mn = float(d.norm()), float(m.norm())
            tn = float(theta.norm())
            dot = float(d.double().reshape(-1) @ theta.double().reshape(-1))
            c = dot / tn ** 2 if tn > 0 and dot > 0.999 * dn * tn else None
            # rounding of the sums over samples (or no gap at all). A gap along theta (an L2 term) is told from
            # rounding by its direction, down to 1e3 eps of the terms' size; any other gap must exceed the bound on
            # the rounding of a sum of that many terms (rows x eps): the two float32 sums of a conv's weight
            # gradient over b x positions terms differ by up to 7e-3 x rows x eps (9e-4 of their size at 1M terms),
            # and a plain CNN on 128 x 128 inputs was warned of a term it does not have
            if not dn > (1e3 if c is not None else max(1e3, rows)) * eps * mn:
                continue
            rel = dn / mn if mn > 0 else float("inf")
            if name in out:
                r0, c0 = out[name]
                c = None if c is None or c0 is None else max(c, c0)
                rel = max(rel, r0)
            out[name] = (rel, c)
        return out

    def _warn_outside(self, damping: float) -> None:
        """One warning per fit when the loss has terms on the layers' parameters outside their calls whose
        curvature ``damping`` does not cover (an L2 term's c is covered by damping >= c)."""
        if self._warned_outside or not self.outside_terms:
            return
        short = {k: v for k, v in self.outside_terms.items() if v[1] is None or damping < v[1] * (1 - 1e-6)}
        if not short:
            return
        self._warned_outside = True
        l2 = [f"'{k or 'the model'}' (curvature {c:.3g})" for k, (_, c) in short.items() if c is not None]
        other = [f"'{k or 'the model'}'" for k, (_, c) in short.items() if c is None]
        msg = "KFAC: the loss has terms on the parameters of layer(s) outside their calls, whose curvature K-FAC's "
        msg += "Fisher leaves out, so (F~ + damping I) misses it: "
        if l2:
            c = max(v[1] for v in short.values() if v[1] is not None)
            msg += (f"an L2 term (c/2 |theta|^2) on {', '.join(l2)}: pass damping >= {c:.3g} (got {damping:g}) to "
                    "include it")
        if other:
            msg += ("; " if l2 else "") + (f"another term on {', '.join(other)} (a regulariser that is not "
                                           "c/2 |theta|^2, or the weights used elsewhere): add its curvature "
                                           "through damping")
        warnings.warn(msg, stacklevel=3)

    def _need_fit(self):
        if not self._fitted:
            self.fit()

    def factors(self, layer: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(A, G) of a layer (A over inputs incl. the homogeneous coordinate, G over outputs)."""
        self._need_fit()
        L = self._layer(layer)
        return L.A, L.G

    def _layer(self, name: str) -> _Layer:
        for L in self.layers:
            if L.name == name:
                return L
        raise PaperworksError(f"KFAC: no fitted layer '{name}' (layers: {', '.join(x.name for x in self.layers)})")

    def dense(self, layer: str | None = None) -> torch.Tensor:
        """Dense approximation [P, P] (block-diagonal over layers) in flat [weight, bias] parameter order."""
        self._need_fit()
        Ls = self.layers if layer is None else [self._layer(layer)]
        blocks = []
        for L in Ls:
            Q = torch.kron(L.QG, L.QA)
            M = Q @ torch.diag(L.S.reshape(-1)) @ Q.T  # row-major [out, in+1] order
            p = L.perm()
            blocks.append(M[p][:, p])
        return torch.block_diag(*blocks).to(_common_dtype(Ls))     # the factors' (the model's) dtype

    def inverse_vp(self, v: torch.Tensor, damping: float = 0.0) -> torch.Tensor:
        """(F~ + damping I)^{-1} v for v over :attr:`params` (flat, [P] or [P, k]; a complex v by linearity)."""
        if isinstance(v, torch.Tensor) and v.is_complex():   # (its imaginary part was dropped in the conversion)
            return torch.complex(self.inverse_vp(v.real, damping), self.inverse_vp(v.imag, damping))
        self._need_fit()
        _check_damping(damping)
        if isinstance(damping, str):
            raise PaperworksError("KFAC.inverse_vp: damping must be a number")
        damping = float(damping)
        P = sum(L.out * L.inp for L in self.layers)
        if not isinstance(v, torch.Tensor):     # a NumPy array failed in torch.isfinite with a bare TypeError
            raise PaperworksError(f"KFAC.inverse_vp: v must be a torch tensor of {P} entries, [P] or [P, k] (got "
                                  f"{type(v).__name__})")
        if v.ndim not in (1, 2) or v.shape[0] != P:
            raise PaperworksError(f"KFAC.inverse_vp: expected {P} entries, [P] or [P, k] (got shape {list(v.shape)})")
        if not torch.isfinite(v).all():   # was reported as an ill-conditioned curvature
            raise PaperworksError("KFAC.inverse_vp: the vector contains NaN/inf")
        self._warn_outside(float(damping))
        A0 = self.layers[0].A
        # the factors' (the model's) dtype, computed in float64 like S; layers of several dtypes: the one they
        # promote to (a flat vector's, as ParamSubset.dtype). It was the first layer's: a float64 layer's result
        # after a float32 one came back rounded to float32
        out_dtype = _common_dtype(self.layers)
        v = v.to(dtype=torch.float64, device=A0.device)    # another dtype than the factors' failed inside matmul
        cols = v.unsqueeze(1) if v.ndim == 1 else v
        if cols.shape[1] == 0:      # a [P, 0] block: the empty solution (torch.stack of no column failed)
            return torch.zeros(P, 0, dtype=out_dtype, device=A0.device)
        outs, i = [], 0
        for L in self.layers:
            k = L.out * L.inp
            seg = cols[i:i + k]
            res = []
            # singular at the factors' own precision (solve_dense's 100 eps rule): an eigenvalue of A (of G)
            # is known to +-100 eps max(A) (max(G)), so lG_i lA_j to +-floor_ij below. The null direction of a
            # rank-deficient factor comes out of eigh as +-eps noise, and a positive one was inverted (1e6-1e8)
            # (each layer at its own factors' precision: with the first layer's float64 eps, a float32 layer after it
            # had its rounding-noise directions, ~1e-8, inverted without a word: 7.7e5 where it alone is refused)
            floor = 100 * torch.finfo(L.A.dtype).eps * (L.lG.max() * L.lA[None, :] + L.lG[:, None] * L.lA.max())
            D = L.S + damping          # the same for every column: checked once per layer
            if seg.shape[1] and (D <= floor).any():
                from paperworks.curvature.solvers import SingularHessianError

                sug = max(1e-3 * float(L.S.max()), 2 * float(floor.max()))
                raise SingularHessianError(
                    f"KFAC.inverse_vp: layer '{L.name}' has zero curvature directions (at the factors' "
                    f"precision); pass damping >= {sug:.3g}", sug)
            for j in range(seg.shape[1]):
                M = L.to_matrix(seg[:, j])
                Mt = L.QG @ ((L.QG.T @ M @ L.QA) / D) @ L.QA.T
                res.append(L.from_matrix(Mt))
            outs.append(torch.stack(res, 1))
            i += k
        x = _finite(torch.cat(outs, 0).to(out_dtype), "KFAC.inverse_vp")
        return x[:, 0] if v.ndim == 1 else x
