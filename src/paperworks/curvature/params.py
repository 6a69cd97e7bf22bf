"""Parameter subsets and data batching shared by the curvature and influence engines.

A *parameter subset* is an ordered list of ``(name, tensor)`` pairs of one ``nn.Module``; every vector the
engines exchange (gradients, Hessian-vector products, inverse-HVP solutions) is the concatenation of the
flattened tensors in that order (row-major, like ``tensor.flatten()``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from paperworks.core.errors import DataError, PaperworksError

__all__ = ["ParamSubset", "select_params", "n_samples", "slice_data", "iter_chunks", "as_dataset_batch",
           "check_finite", "check_deterministic", "check_batch_size", "check_nonempty", "grad_mode"]


class ParamSubset:
    """Ordered, named subset of a module's parameters, with flat <-> per-tensor conversions."""

    def __init__(self, module: nn.Module, names: Sequence[str]):
        named = dict(module.named_parameters())
        self.module = module
        self.names = list(names)
        self.tensors = [named[n] for n in self.names]
        self.shapes = [t.shape for t in self.tensors]
        self.numels = [t.numel() for t in self.tensors]

    @property
    def numel(self) -> int:
        return int(sum(self.numels))

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of every flat vector of the subset: the parameters' own, or for parameters of several
        dtypes the one they all promote to (torch.cat's; the first tensor's dtype made hvp fail with "dot :
        expected both vectors to have same dtype" on a float32 layer followed by a float64 one)."""
        dt = self.tensors[0].dtype
        for t in self.tensors[1:]:
            if t.dtype != dt:
                dt = torch.promote_types(dt, t.dtype)
        return dt

    def unflat_params(self, v: torch.Tensor) -> list[torch.Tensor]:
        """:meth:`unflat`, each piece in its own parameter's dtype (to call the model functionally with)."""
        return [u if u.dtype == t.dtype else u.to(t.dtype) for u, t in zip(self.unflat(v), self.tensors)]

    @property
    def device(self) -> torch.device:
        return self.tensors[0].device

    def flat(self, tensors: Sequence[torch.Tensor | None] | None = None) -> torch.Tensor:
        """Concatenate ``tensors`` (default: the parameters) into one vector [P]; None counts as zeros."""
        ts = self.tensors if tensors is None else tensors
        return torch.cat([(torch.zeros(s, dtype=self.dtype, device=self.device) if t is None else t).reshape(-1)
                          for t, s in zip(ts, self.shapes)])

    def unflat(self, v: torch.Tensor) -> list[torch.Tensor]:
        """Split a vector [P] (or a batch [B, P]) into tensors of the parameters' shapes."""
        lead = v.shape[:-1]
        out, i = [], 0
        for s, k in zip(self.shapes, self.numels):
            out.append(v[..., i:i + k].reshape(*lead, *s))
            i += k
        return out

    def as_dict(self, v: torch.Tensor) -> dict[str, torch.Tensor]:
        return dict(zip(self.names, self.unflat(v)))

    @torch.no_grad()
    def add_(self, delta: torch.Tensor) -> None:
        """theta <- theta + delta (in place on the module's parameters)."""
        for t, d in zip(self.tensors, self.unflat(delta.to(self.dtype))):
            t.add_(d)

    @torch.no_grad()
    def set_(self, v: torch.Tensor) -> None:
        for t, d in zip(self.tensors, self.unflat(v.to(self.dtype))):
            t.copy_(d)

    def __repr__(self) -> str:
        return f"ParamSubset({self.names}, numel={self.numel})"


def select_params(model: nn.Module, params: Any = None) -> ParamSubset:
    """Resolve ``params`` into a :class:`ParamSubset` of ``model``.

    ``params`` may be None (every parameter with ``requires_grad``), a ParamSubset, a submodule of
    ``model`` (its parameters), one name / name prefix (``"fc"`` selects ``fc.weight`` and ``fc.bias``), or an
    iterable of names, prefixes or parameter tensors.
    """
    if isinstance(params, ParamSubset):
        if isinstance(model, nn.Module):
            # a subset built on another module was used as given: the loss does not reach its tensors, so every
            # HVP was 0 and InverseHVP returned v / damping (influence scores of 0), without a word
            own = {id(p) for p in model.parameters()}
            foreign = [n for n, t in zip(params.names, params.tensors) if id(t) not in own]
            if foreign:
                raise PaperworksError(f"select_params: the ParamSubset holds {', '.join(foreign)}, not parameters of "
                                      "this model (built on another module?)")
            if params.module is not model:
                # a subset of a submodule names its tensors as the submodule does ('weight' for model[2].weight):
                # the functional paths (vmap per-sample gradients, hvp_func) looked those names up on the model,
                # found nothing and returned zeros; the same tensors, named as the model names them
                by_id = {id(p): n for n, p in model.named_parameters()}
                return ParamSubset(model, [by_id[id(t)] for t in params.tensors])
        return params
    if not isinstance(model, nn.Module):
        raise PaperworksError(f"select_params: 'model' must be a torch.nn.Module (got {type(model).__name__})")
    named = list(model.named_parameters())
    if not named:
        raise PaperworksError("select_params: the model has no parameters")
    by_id = {id(p): n for n, p in named}
    if params is None:
        names = [n for n, p in named if p.requires_grad]
    elif isinstance(params, nn.Module):
        names = [by_id[id(p)] for p in params.parameters() if id(p) in by_id]
        if not names:
            raise PaperworksError("select_params: the module given as 'params' is not part of the model")
    else:
        items = [params] if isinstance(params, (str, torch.Tensor)) else list(params)
        names = []
        seen = set()
        index = None
        for it in items:
            if isinstance(it, torch.Tensor):
                if id(it) not in by_id:
                    raise PaperworksError("select_params: a tensor in 'params' is not a parameter of the model")
                hits = [by_id[id(it)]]
            elif isinstance(it, str):
                if index is None:
                    index = _prefix_index(model, by_id)
                hits = index.get(it, ())
                if not hits:
                    raise PaperworksError(f"select_params: no parameter named '{it}' (valid: "
                                          f"{', '.join(n for n, _ in named)})")
            else:
                raise PaperworksError(f"select_params: entries of 'params' must be names or tensors "
                                      f"(got {type(it).__name__})")
            for h in hits:      # a set beside the list: 'h not in names' made a list of k names O(k^2)
                if h not in seen:
                    seen.add(h)
                    names.append(h)
    if not names:
        raise PaperworksError("select_params: the parameter subset is empty (nothing requires grad?)")
    by_name = dict(named)   # once: a dict per name made this quadratic in the parameter count
    frozen = [n for n in names if not by_name[n].requires_grad]
    if frozen:
        raise PaperworksError(f"select_params: parameter(s) {', '.join(frozen)} do not require grad (frozen); "
                              f"unfreeze them or leave them out of 'params'")
    # a model on the meta device (shapes, no values) failed deep in autograd ("Tensor on device meta is not on
    # the expected device cpu!") with nothing naming the parameters
    meta = [n for n in names if by_name[n].is_meta]
    if meta:
        raise meta_device_error("select_params", f"parameter(s) {', '.join(meta[:5])}{' ...' if len(meta) > 5 else ''} "
                                "are")
    return ParamSubset(model, names)


def _prefix_index(model: nn.Module, by_id: dict[int, str]) -> dict[str, list[str]]:
    """Every name a string entry of ``params`` can select by -> the parameters it selects (canonical names, in
    ``named_parameters`` order, each once). A name ``n`` is selected by ``n`` itself and by each of its dotted
    prefixes (``"a"`` and ``"a.b"`` for ``"a.b.weight"``), under every name of a tied parameter (``'c.weight'``
    for a.weight shared with c: a prefix matched only the names listed once, so 'c' lost the shared weight that
    m.c selects). Built once per call: scanning every name for every entry was quadratic (4000 names, 2.4 s)."""
    index: dict[str, dict[str, None]] = {}
    for n, p in model.named_parameters(remove_duplicate=False):
        c = by_id[id(p)]
        index.setdefault(n, {})[c] = None
        i = n.find(".")
        while i >= 0:
            index.setdefault(n[:i], {})[c] = None
            i = n.find(".", i + 1)
    return {k: list(v) for k, v in index.items()}


def meta_device_error(who: str, subject: str, error: type[PaperworksError] = PaperworksError) -> PaperworksError:
    """The error for parameters on the meta device (shapes, no values), which failed deep in autograd or the
    forward pass ("Tensor on device meta is not on the expected device cpu!") naming nothing. ``error``: the
    class to raise (the attacks raise DataError for their inputs)."""
    return error(f"{who}: {subject} on the meta device (no values); load real weights first (e.g. "
                 "model.to_empty(device=...) then load_state_dict)")


# ------------------------------------------------------------------------------------------- data
def n_samples(data: Any) -> int:
    """Number of samples of a tensor, tuple/list of tensors, dict of tensors or map-style Dataset."""
    if isinstance(data, torch.Tensor):
        return int(data.shape[0])
    if isinstance(data, Mapping):
        other = [f"{k}: {type(v).__name__}" for k, v in data.items() if not isinstance(v, torch.Tensor)]
        if other and len(other) < len(data):
            # {'x': X, 'y': y, 'w': 0.5} was counted by its tensors, then slicing it failed with KeyError: 0
            raise DataError(f"a dict of data must hold only tensors (batch-first) (got {', '.join(other)}); pass "
                            "constants through loss_fn instead")
        ns = {int(v.shape[0]) for v in data.values() if isinstance(v, torch.Tensor)}
    elif isinstance(data, (tuple, list)) and data and all(isinstance(v, torch.Tensor) for v in data):
        ns = {int(v.shape[0]) for v in data}
    elif isinstance(data, (tuple, list)) and any(isinstance(v, torch.Tensor) for v in data):
        # (X, y, 0.5) was read as a Dataset of 3 samples (its length) and failed later in a torch call
        raise DataError(f"a tuple/list of data must hold only tensors (batch-first) (got "
                        f"{', '.join(type(v).__name__ for v in data)}); pass constants through loss_fn instead")
    elif hasattr(data, "__len__") and hasattr(data, "__getitem__"):
        return len(data)
    else:
        raise DataError(f"expected a tensor, a tuple/dict of tensors or a Dataset as data (got {type(data).__name__})")
    if len(ns) != 1:
        raise DataError(f"the tensors of the data disagree on the number of samples (leading sizes {sorted(ns)})")
    return ns.pop()


def _is_tensor_struct(data: Any) -> bool:
    if isinstance(data, torch.Tensor):
        return True
    if isinstance(data, Mapping):
        return all(isinstance(v, torch.Tensor) for v in data.values())
    return isinstance(data, (tuple, list)) and bool(data) and all(isinstance(v, torch.Tensor) for v in data)


def slice_data(data: Any, idx) -> Any:
    """Rows ``idx`` (slice, index tensor or list) of the data, in the data's own batch format."""
    if isinstance(data, torch.Tensor):
        return data[idx]
    if isinstance(data, Mapping) and _is_tensor_struct(data):
        return {k: v[idx] for k, v in data.items()}
    if _is_tensor_struct(data):
        if isinstance(data, tuple) and hasattr(data, "_fields"):    # a namedtuple takes its fields one by one
            return type(data)(*(v[idx] for v in data))
        return type(data)(v[idx] for v in data) if isinstance(data, tuple) else [v[idx] for v in data]
    # map-style dataset: collate the items
    from torch.utils.data import default_collate

    if isinstance(idx, slice):
        idx = range(*idx.indices(len(data)))
    elif isinstance(idx, torch.Tensor):
        idx = idx.tolist()
    return default_collate([data[i] for i in idx])


def as_dataset_batch(data: Any) -> Any:
    """The whole data as one batch (collates a Dataset)."""
    return data if _is_tensor_struct(data) else slice_data(data, slice(None))


def check_batch_size(batch_size: Any, who: str = "batch_size") -> None:
    """None or 0 (the whole data in one chunk) or an integer >= 1. A negative size made ``range`` empty, so
    every chunked sum (gradient, HVP, Hessian, K-FAC factors) silently came out as zeros."""
    if batch_size is None:
        return
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 0:
        # (the message said "None or an integer >= 1" while 0 passes as the whole data)
        raise PaperworksError(f"{who}: batch_size must be None, 0 (the whole data in one chunk) or an integer >= 1 "
                              f"(got {batch_size!r})")


def iter_chunks(n: int, batch_size: int | None):
    check_batch_size(batch_size)
    bs = n if not batch_size else int(batch_size)
    for s in range(0, n, bs):
        yield s, min(n, s + bs)


def check_nonempty(n: int, who: str) -> int:
    """The mean loss over no sample is undefined: one clear error (was ``range() arg 3 must not be zero``)."""
    if n < 1:
        raise DataError(f"{who}: the data are empty (0 samples)")
    return n


def grad_mode(who: str):
    """A context in which the autograd entry points record their graph: ``torch.enable_grad()``. Called under
    ``torch.no_grad()`` (an evaluation block), hvp / exact_hessian / data_grad / the per-sample loop failed with
    "element 0 of tensors does not require grad" and KFAC blamed the layers ("the loss does not depend on a
    trainable weight"), while the torch.func paths (hvp_func, vmap per-sample gradients, ggn_matrix) returned
    the answer; now all of them do. Under ``torch.inference_mode()`` no graph can be recorded: one error."""
    if torch.is_inference_mode_enabled():
        raise PaperworksError(f"{who}: called under torch.inference_mode(), where no gradient can be recorded; "
                              "call it outside that block (torch.no_grad() is fine)")
    return torch.enable_grad()


def check_finite(name: str, t: torch.Tensor, hint: str = "") -> torch.Tensor:
    if not torch.isfinite(t).all():
        raise PaperworksError(f"{name} is not finite ({int((~torch.isfinite(t)).sum())} NaN/inf entries)"
                              + (f"; {hint}" if hint else ""))
    return t


def check_deterministic(model: nn.Module, who: str) -> None:
    """Refuse a model whose forward pass is random or batch-dependent in its current mode: a dropout module
    (p > 0), a module holding a dropout probability as a number (attention, stacked RNNs), RReLU or a
    batch-norm layer in train mode. Curvature and influence need one fixed function of the
    parameters: with dropout active every Hessian-vector product sees a new random network (CG / LiSSA
    then solve a different system at each step and two calls disagree), and batch norm in train mode makes
    a sample's loss depend on the rest of its batch (per-sample gradients no longer add up to the batch's).
    """
    from torch.nn.modules.batchnorm import _BatchNorm
    from torch.nn.modules.dropout import _DropoutNd
    from torch.nn.modules.rnn import RNNBase

    def float_dropout(m: nn.Module) -> bool:
        """A dropout probability held as a number, not as an nn.Dropout child (nn.MultiheadAttention, this
        library's MultiHeadAttention, a stacked RNN: its dropout acts between layers only)."""
        p = getattr(m, "dropout", None)
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not p > 0:
            return False
        return not (isinstance(m, RNNBase) and m.num_layers < 2)

    for name, m in model.named_modules():
        if isinstance(m, _BatchNorm) and m.running_mean is None and m.running_var is None:
            # track_running_stats=False: batch statistics in eval mode too (a sample's own batch of one made
            # per-sample gradients fail with "Expected more than 1 value per channel when training")
            raise DataError(f"{who}: module '{name or type(model).__name__}' ({type(m).__name__}) has no running "
                            "statistics (track_running_stats=False), so the loss of a sample depends on its batch "
                            "in every mode; use a norm layer with running statistics or a per-sample one")
        if not m.training:
            continue
        if ((isinstance(m, _DropoutNd) and m.p > 0) or isinstance(m, _BatchNorm) or isinstance(m, nn.RReLU)
                or float_dropout(m)):
            raise DataError(f"{who}: module '{name or type(model).__name__}' ({type(m).__name__}) is in train "
                            "mode, so the loss is random or depends on the batch; call model.eval() first "
                            "(the curvature and influence of the trained function are those of eval mode)")
