"""Stateless pieces of the Transformer (Vaswani et al., 2017): attention, positions, loss, LR schedule.

Mask conventions used everywhere in :mod:`paperworks.attention`:

- ``key_padding_mask``: bool ``[B, S]``, **True = padding** (that key is ignored), as in
  ``torch.nn.MultiheadAttention``.
- ``causal=True``: query position i may attend to key positions j <= i only (Sec. 3.2.3).
- the boolean mask handed to ``F.scaled_dot_product_attention`` is built here with **True = allowed**
  (the opposite of torch's MHA ``attn_mask``), so callers never see that convention.
"""

from __future__ import annotations

import math
import operator

import torch
import torch.nn.functional as F

__all__ = [
    "scaled_dot_product_attention", "build_attention_mask", "sinusoidal_positional_encoding",
    "noam_lr", "noam_lambda", "label_smoothed_cross_entropy", "length_penalty",
]


def build_attention_mask(key_padding_mask: torch.Tensor | None, causal: bool, q_len: int, k_len: int,
                         device=None) -> torch.Tensor | None:
    """Boolean mask ``[B or 1, 1, q_len, k_len]`` with True = may attend, or None when nothing is masked.

    With ``causal`` and ``q_len < k_len`` (incremental decoding) the queries are the LAST ``q_len``
    positions, so query i sits at absolute position ``k_len - q_len + i``.
    """
    if causal and q_len > k_len:
        # the first q_len - k_len queries sat before every key: fully masked rows (zero weights), while
        # scaled_dot_product_attention refused the same input
        raise ValueError(f"build_attention_mask: causal attention needs q_len <= k_len (the queries are the last "
                         f"q_len positions) (got q_len {q_len}, k_len {k_len})")
    mask = None
    if causal:
        qi = torch.arange(k_len - q_len, k_len, device=device)[:, None]
        kj = torch.arange(k_len, device=device)[None, :]
        mask = (kj <= qi)[None, None]  # [1, 1, q, k]
    if key_padding_mask is not None:
        keep = (~key_padding_mask)[:, None, None, :]  # [B, 1, 1, k]
        mask = keep if mask is None else (mask & keep)
    return mask


def combine_attention_masks(keep: torch.Tensor | None, attn_mask: torch.Tensor | None) -> torch.Tensor | None:
    """One mask for ``softmax(scores + M)``: ``keep`` (bool, True = may attend, from
    :func:`build_attention_mask`) and a user ``attn_mask`` broadcastable to ``[B, H, T, S]`` in torch's
    convention (bool: True = may NOT attend; float: added to the scores). Bool stays bool (True = may attend);
    a float mask becomes float with -inf where ``keep`` is False."""
    if attn_mask is None:
        return keep
    if attn_mask.dtype == torch.bool:
        allowed = ~attn_mask
        return allowed if keep is None else (keep & allowed)
    return attn_mask if keep is None else attn_mask.masked_fill(~keep, float("-inf"))


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 key_padding_mask: torch.Tensor | None = None, causal: bool = False,
                                 dropout_p: float = 0.0, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
    """``Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k) + M) V`` (Eq. 1), M = -inf where masked.

    Shapes: q ``[B, H, T, d_k]``, k ``[B, H, S, d_k]``, v ``[B, H, S, d_v]`` -> ``[B, H, T, d_v]``.
    ``attn_mask`` (optional, broadcastable to ``[B, H, T, S]``) follows torch's MHA convention: bool True =
    may not attend, float = added to the scores. Runs on ``torch.nn.functional.scaled_dot_product_attention``
    (fused kernels where available).
    """
    T, S = q.shape[-2], k.shape[-2]
    if causal and T > S:
        # the first T - S queries sat before every key: their rows were fully masked and came back as zeros
        raise ValueError(f"scaled_dot_product_attention: causal attention needs q_len <= k_len (the queries are "
                         f"the last q_len positions) (got q_len {T}, k_len {S})")
    if key_padding_mask is not None and (not isinstance(key_padding_mask, torch.Tensor)
                                         or key_padding_mask.dtype != torch.bool
                                         or key_padding_mask.shape != (k.shape[0], S)):
        raise ValueError(f"scaled_dot_product_attention: key_padding_mask must be bool [B, S] = "
                         f"{[k.shape[0], S]} with True = padding (got {getattr(key_padding_mask, 'dtype', None)} "
                         f"{list(getattr(key_padding_mask, 'shape', []))})")
    if causal and key_padding_mask is None and attn_mask is None and T == S:
        return _propagate_nan(q, F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True))
    mask = combine_attention_masks(build_attention_mask(key_padding_mask, causal, T, S, device=q.device), attn_mask)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
    return _propagate_nan(q, out) if mask is None else out


def _propagate_nan(q: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """NaN output rows for NaN query rows. Without a mask (and with ``is_causal``) torch's fused CPU kernel
    returns zeros for a query row holding NaN (every score of that row is NaN), so a NaN input came out finite
    (``out_proj(0)`` after the head merge); the written-out softmax, the masked kernels and
    ``torch.nn.MultiheadAttention`` give NaN. Other rows are returned bit for bit.

    On the CPU a NaN-free ``q`` (one summing reduction, NaN iff some entry is NaN) returns ``out`` itself: the
    row test and the select below cost ~30% of a decoder self-attention / decoding step on every call. (On
    other devices the data-dependent branch would be a host sync per call, and under torch.func transforms
    (vmap: per-sample gradients) it is not allowed: there the select always runs.)"""
    if q.device.type == "cpu" and not torch._C._are_functorch_transforms_active() \
            and not bool(torch.isnan(q.detach().sum())):
        return out
    return torch.where(torch.isnan(q).any(-1, keepdim=True), torch.full_like(out, float("nan")), out)


def sinusoidal_positional_encoding(n_positions: int, d_model: int, dtype=torch.float32,
                                   device=None) -> torch.Tensor:
    """Sec. 3.5: ``PE(pos, 2i) = sin(pos / 10000^(2i/d_model))``, ``PE(pos, 2i+1) = cos(same)``.

    Returns ``[n_positions, d_model]`` (positions start at 0). For odd ``d_model`` the last column is
    the sine of the last frequency.
    """
    try:  # a float size failed inside torch.zeros ("zeros() takes 1 positional argument but 2 were given")
        n_positions, d_model = operator.index(n_positions), operator.index(d_model)
    except TypeError:
        raise ValueError(f"sinusoidal_positional_encoding: n_positions and d_model must be integers "
                         f"(got {n_positions!r}, {d_model!r})") from None
    if n_positions < 0 or d_model < 1:
        raise ValueError(f"sinusoidal_positional_encoding: need n_positions >= 0 and d_model >= 1 "
                         f"(got {n_positions}, {d_model})")
    pos = torch.arange(n_positions, dtype=torch.float64, device=device)[:, None]
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64, device=device)
    angle = pos / torch.pow(torch.tensor(10000.0, dtype=torch.float64, device=device), two_i / d_model)
    pe = torch.zeros(n_positions, d_model, dtype=torch.float64, device=device)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : d_model // 2])
    return pe.to(dtype)


def noam_lr(step: int, d_model: int, warmup: int, factor: float = 1.0) -> float:
    """Sec. 5.3, Eq. 3: ``lrate = d_model^-0.5 * min(step^-0.5, step * warmup^-1.5)`` (times ``factor``).

    ``step`` counts optimizer updates from 1; step 0 is treated as step 1 (the first update already
    uses a non-zero rate). The maximum, ``d_model^-0.5 * warmup^-0.5``, is reached at ``step = warmup``.
    """
    _check_noam("noam_lr", d_model, warmup, factor)
    return _noam(step, d_model, warmup, factor)


def _noam(step, d_model, warmup, factor) -> float:
    """:func:`noam_lr` of checked settings (noam_lambda checks them once, not at every step)."""
    s = max(int(step), 1)
    return factor * d_model ** -0.5 * min(s ** -0.5, s * warmup ** -1.5)


def noam_lambda(d_model: int, warmup: int, factor: float = 1.0):
    """``LambdaLR`` multiplier for an optimizer whose base lr is 1.0: ``lambda k: noam_lr(k + 1, ...)``.

    ``LambdaLR`` calls it with the number of completed updates ``k`` (0 before the first update), so
    update number ``k + 1`` uses ``noam_lr(k + 1)``.
    """
    _check_noam("noam_lambda", d_model, warmup, factor)
    return lambda k: _noam(k + 1, d_model, warmup, factor)


def _check_noam(who: str, d_model, warmup, factor) -> None:
    """d_model and warmup finite numbers >= 1, factor a finite number > 0. ``d_model < 1 or warmup < 1`` let NaN
    through: warmup=NaN gave min(step^-0.5, NaN) = step^-0.5 (no warm-up at all, without a word), factor=NaN a
    NaN rate, and a string failed in the comparison."""
    from paperworks.core.config import is_real

    if not (is_real(d_model, 1.0) and is_real(warmup, 1.0)):
        raise ValueError(f"{who}: d_model and warmup must be finite numbers >= 1 (got {d_model!r}, {warmup!r})")
    if not is_real(factor, 0.0, open_low=True):
        raise ValueError(f"{who}: factor must be a finite number > 0 (got {factor!r})")


def label_smoothed_cross_entropy(logits: torch.Tensor, target: torch.Tensor, epsilon: float = 0.1,
                                 ignore_index: int | None = None, reduction: str = "mean") -> torch.Tensor:
    """Label-smoothed cross-entropy (Sec. 5.4, eps_ls = 0.1; Szegedy et al. 2016).

    Convention (PyTorch's, = ``F.cross_entropy(label_smoothing=eps)``): the smoothed target puts
    ``eps / V`` on EVERY class of the vocabulary (the true class included), so the true class gets
    ``1 - eps + eps / V``. Closed form per token::

        loss = (1 - eps) * (-log p_y) + eps * mean_k(-log p_k)

    (fairseq instead gives the true class ``1 - eps`` and the others ``eps / (V - 1)``; the paper does
    not say which it used.) Positions whose target equals ``ignore_index`` contribute nothing;
    ``reduction="mean"`` averages over the non-ignored tokens, ``"sum"`` sums, ``"none"`` returns per
    token (0 at ignored positions).

    Shapes: logits ``[..., V]``, target ``[...]`` (int64).
    """
    try:   # a str / None / list was the comparison's bare TypeError, a tensor of several values a RuntimeError
        eps_ok = bool(0.0 <= epsilon < 1.0)
    except (TypeError, RuntimeError):
        eps_ok = False
    if not eps_ok:
        raise ValueError(f"label_smoothed_cross_entropy: epsilon must be a number in [0, 1) (got {epsilon!r})")
    if logits.shape[:-1] != target.shape:
        raise ValueError(f"label_smoothed_cross_entropy: logits {tuple(logits.shape)} and target "
                         f"{tuple(target.shape)} disagree (expected logits = target shape + [V])")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"label_smoothed_cross_entropy: reduction must be mean, sum or none (got {reduction!r})")
    if target.dtype.is_floating_point or target.dtype.is_complex or target.dtype == torch.bool:
        raise ValueError(f"label_smoothed_cross_entropy: target must hold integer class ids (got {target.dtype})")
    ignore_index = _check_ignore_index(ignore_index)
    if target.dtype not in (torch.int64, torch.int32):   # uint8 / int16 ids: gather failed on them
        target = target.long()
    if logits.dtype not in (torch.float32, torch.float64):  # half precision: accumulate in float32
        logits = logits.float()
    logp = F.log_softmax(logits, dim=-1)
    keep = torch.ones_like(target, dtype=torch.bool) if ignore_index is None else target != ignore_index
    safe_target = torch.where(keep, target, torch.zeros_like(target))
    V = logits.shape[-1]
    # an id outside the vocabulary failed in gather as "index 7 is out of bounds for dimension 2 with size 7"
    # (not checked under torch.func transforms, e.g. vmap for per-sample losses: no data-dependent branch there)
    outside = None if torch._C._are_functorch_transforms_active() else keep & ((target < 0) | (target >= V))
    if outside is not None and bool(outside.any()):
        bad = target[outside]
        raise ValueError(f"label_smoothed_cross_entropy: target holds class ids outside [0, {V}) (the logits' last "
                         f"dimension): {sorted(set(bad.tolist()))[:5]}")
    nll = -logp.gather(-1, safe_target.unsqueeze(-1)).squeeze(-1)
    smooth = -logp.mean(dim=-1)
    loss = ((1.0 - epsilon) * nll + epsilon * smooth) * keep
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / keep.sum().clamp(min=1)


def _check_ignore_index(ignore_index):
    """``ignore_index`` as a Python int (None stays None): an integer (NumPy's too) or a real holding one exactly,
    also as a one-element torch tensor / NumPy array of an integer or float dtype, within int64.
    ``F.cross_entropy`` refuses anything but an int; here ``target != ignore_index`` took any value: 1.5 matched no
    target and ignored nothing, True ignored class 1, both without a word, and a string or a list failed inside
    torch.where with a bare TypeError. (torch.tensor(0.) and torch.tensor([0]) compared as 0, and still do.)"""
    import numpy as np

    from paperworks.core.config import is_whole

    if ignore_index is None:
        return None
    value = ignore_index
    if isinstance(value, torch.Tensor):
        if value.numel() == 1 and not value.is_meta and not (value.dtype.is_complex or value.dtype == torch.bool):
            value = value.item()
    elif isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        value = value.item()
    if not is_whole(value) or not -2 ** 63 <= value < 2 ** 63:
        raise ValueError(f"label_smoothed_cross_entropy: ignore_index must be an integer class id (got "
                         f"{ignore_index!r})")
    return int(value)


def length_penalty(length: torch.Tensor | int, alpha: float) -> torch.Tensor | float:
    """GNMT length penalty (Wu et al. 2016, Eq. 14), used by Vaswani et al. with alpha = 0.6:
    ``lp(Y) = ((5 + |Y|) / 6) ^ alpha``; a hypothesis is ranked by ``log P(Y|X) / lp(Y)``."""
    if isinstance(length, torch.Tensor):
        return ((5.0 + length.to(torch.float64)) / 6.0) ** alpha
    return ((5.0 + length) / 6.0) ** alpha


def _check_finite(name: str, x: torch.Tensor) -> None:
    if x.is_floating_point() and not torch.isfinite(x).all():
        raise ValueError(f"{name}: input contains NaN or inf")


def embed_scale(d_model: int) -> float:
    """Sec. 3.4: embeddings are multiplied by sqrt(d_model)."""
    return math.sqrt(d_model)
