"""Top-k selection with a fixed rule for tied values.

``torch.topk`` and an unstable ``torch.sort``/``argsort`` leave the order of equal values to the
implementation: on CPU (torch 2.13) ``torch.zeros(5).topk(2)`` gives indices [2, 4] while 200 zeros give
[0, 1], and ``argsort`` of 100 values with repeats already differs from the stable order. Which tied entry is
kept at the k-th place (and the order of tied entries inside the top k) then depends on the size, the dtype
and the device. :func:`topk_stable` fixes the rule: equal values are ranked by index, lower index first,
exactly as a stable sort does (and as ``argmax``/``argmin`` pick the first extreme entry, so k = 1 agrees
with them). Where no two candidates tie, the result is the one ``torch.topk`` returns.
"""

from __future__ import annotations

import math
import operator

import torch

__all__ = ["topk_stable"]


def topk_stable(x: torch.Tensor, k: int, dim: int = -1, largest: bool = True):
    """``(values, indices)`` (a ``torch.topk`` result) of the k largest (``largest=False``: smallest) entries
    of ``x`` along ``dim``, best first; tied values are ranked by index, lower index first. NaN counts as
    larger than every number, as in ``torch.sort``/``torch.topk`` (first with ``largest=True``, last with
    ``largest=False``)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"topk_stable: expected a tensor (got {type(x).__name__})")
    if x.dim() == 0:   # a scalar is its own top 1 (0-d results, as torch.topk gives)
        v, i = topk_stable(x.reshape(1), k, 0, largest)
        return torch.return_types.topk((v.reshape(()), i.reshape(()))) if k == 1 else torch.return_types.topk((v, i))
    if isinstance(dim, bool) or not hasattr(dim, "__index__") or not -x.dim() <= operator.index(dim) < x.dim():
        raise IndexError(f"topk_stable: dim must be an integer in [{-x.dim()}, {x.dim() - 1}] for a "
                         f"{x.dim()}-d tensor (got {dim!r})")
    dim = operator.index(dim)
    n = x.shape[dim]
    if isinstance(k, bool) or int(k) != k or not 0 <= int(k) <= n:
        raise ValueError(f"topk_stable: k must be an integer in [0, {n}] (got {k!r})")
    k = int(k)
    xt = x.movedim(dim, -1)
    lead = xt.shape[:-1]
    z = xt.reshape(math.prod(lead), n)   # (not -1: ambiguous for a size-0 dimension)
    if k == 0 or z.shape[0] == 0 or (z.is_floating_point() and bool(torch.isnan(z).any())):
        v, i = torch.sort(z, dim=1, descending=largest, stable=True)
        v, i = v[:, :k], i[:, :k]
    else:
        # the k-th best value is the same whatever the tie order; every entry strictly better is kept, and of
        # the entries equal to it the lowest-indexed ones fill the remaining places
        top = z.topk(k, dim=1, largest=largest)
        thr = top.values[:, -1:]
        tied = z == thr
        if not bool((top.values[:, 1:] == top.values[:, :-1]).any()) and bool((tied.sum(1) == 1).all()):
            return _shaped(top.values, top.indices, lead, k, dim)   # no ties: the order is unique
        better = z > thr if largest else z < thr
        need = k - better.sum(1, keepdim=True)
        keep = better | (tied & (torch.cumsum(tied, 1) <= need))
        i = keep.nonzero()[:, 1].view(-1, k)                       # exactly k per row, ascending index
        v = z.gather(1, i)
        o = torch.sort(v, dim=1, descending=largest, stable=True).indices
        v, i = v.gather(1, o), i.gather(1, o)
    return _shaped(v, i, lead, k, dim)


def _shaped(v, i, lead, k, dim):
    return torch.return_types.topk((v.reshape(*lead, k).movedim(-1, dim), i.reshape(*lead, k).movedim(-1, dim)))
