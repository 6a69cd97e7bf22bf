"""Multi-head attention and the encoder / decoder layers of Vaswani et al. (2017), Sec. 3.1-3.3."""

from __future__ import annotations

import math
import numbers

import torch
import torch.nn.functional as F
from torch import nn

from paperworks.attention.functional import build_attention_mask, combine_attention_masks, scaled_dot_product_attention
from paperworks.core.config import is_int

__all__ = ["MultiHeadAttention", "PositionwiseFeedForward", "EncoderLayer", "DecoderLayer"]


class MultiHeadAttention(nn.Module):
    """Sec. 3.2.2: ``MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W^O`` with
    ``head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V)`` and ``d_k = d_v = d_model / h``.

    The h per-head projections are stored as one ``Linear(d_model, d_model)`` each for Q, K and V (the
    h matrices of size d_model x d_k side by side); all projections have biases (the paper is silent;
    the official code and ``torch.nn.MultiheadAttention`` use them). ``dropout`` is attention dropout
    on the softmax weights (official code; the paper only names residual dropout).

    ``forward(query [B,T,D], key [B,S,D], value [B,S,D], key_padding_mask [B,S] True=pad, causal,
    attn_mask)`` returns ``[B, T, D]``; ``attn_mask`` is torch's: ``[T, S]`` or ``[B * n_heads, T, S]``,
    bool (True = may not attend) or float (added to the scores); with ``need_weights=True`` it returns ``(output, weights)`` as
    ``torch.nn.MultiheadAttention`` does: the softmax weights ``[B, T, S]`` averaged over the heads
    (``average_attn_weights=True``) or ``[B, H, T, S]`` per head. One difference: a query whose keys are all
    masked (a sequence that is all padding, or an ``attn_mask`` row that masks every key) gets zero weights and
    the output ``out_proj.bias`` (a zero context), where ``torch.nn.MultiheadAttention`` returns NaN weights
    and a NaN output row. For incremental decoding use :meth:`project_kv` and :meth:`attend`.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        # n_heads = 0 / d_model = 0 failed as ZeroDivisionError, n_heads < 0 only at the first forward, a negative
        # dropout in training as torch's "do not support dropout > 0"; a float size inside torch ("empty(): argument
        # 'size' ... must be tuple of ints"), n_heads=True was one head, a string dropout failed in the comparison
        if not (is_int(d_model, 1) and is_int(n_heads, 1)):
            raise ValueError(f"MultiHeadAttention: d_model and n_heads must be integers >= 1 (got {d_model!r}, "
                             f"{n_heads!r})")
        d_model, n_heads = int(d_model), int(n_heads)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"MultiHeadAttention: dropout must be in [0, 1] (got {dropout})")
        if d_model % n_heads != 0:
            raise ValueError(f"MultiHeadAttention: d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.d_model, self.n_heads, self.d_k = d_model, n_heads, d_model // n_heads
        self.dropout = dropout
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for lin in (self.q_proj, self.k_proj, self.v_proj, self.out_proj):
            nn.init.xavier_uniform_(lin.weight)
            if lin.bias is not None:
                nn.init.zeros_(lin.bias)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:  # [B, L, D] -> [B, H, L, d_k]
        B, L, _ = x.shape
        return x.view(B, L, self.n_heads, self.d_k).transpose(1, 2)

    def project_kv(self, key: torch.Tensor, value: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(K W^K, V W^V)`` split into heads: two ``[B, H, S, d_k]`` tensors (cacheable)."""
        return self._heads(self.k_proj(key)), self._heads(self.v_proj(value))

    def attend(self, query: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
               key_padding_mask: torch.Tensor | None = None, causal: bool = False,
               attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Attention of ``query [B, T, D]`` over already projected heads ``k, v [B, H, S, d_k]``;
        ``attn_mask`` broadcastable to ``[B, H, T, S]`` (torch's convention, see :meth:`forward`)."""
        q = self._heads(self.q_proj(query))
        p = self.dropout if self.training else 0.0
        o = scaled_dot_product_attention(q, k, v, key_padding_mask, causal, p, attn_mask)  # [B, H, T, d_k]
        B, _, T, _ = o.shape
        return self.out_proj(o.transpose(1, 2).reshape(B, T, self.d_model))

    def _attend_with_weights(self, query, k, v, key_padding_mask, causal, attn_mask=None):
        """:meth:`attend` written out (Eq. 1) so that the softmax weights can be returned: ``(out, w)`` with
        ``w [B, H, T, S]`` (after attention dropout, as torch's MHA returns them). A query whose keys are all
        masked gets zero weights and output ``out_proj(0)``, as in the fused path (torch's MHA gives NaN)."""
        q = self._heads(self.q_proj(query))
        T, S = q.shape[-2], k.shape[-2]
        # scaled before the product (as torch's MHA does): Q K^T itself overflowed float16 (inf, NaN output)
        # where the scaled scores fit
        scores = (q * (1.0 / math.sqrt(self.d_k))) @ k.transpose(-2, -1)
        mask = combine_attention_masks(build_attention_mask(key_padding_mask, causal, T, S, device=q.device),
                                       attn_mask)
        dead = None
        if mask is not None and mask.dtype != torch.bool:       # a float attn_mask: added, as in the fused path
            scores = scores + mask
            # a row the float mask sets to -inf everywhere: zero weights, as the fused path and bool masks give
            # (the softmax gave NaN here while the default path returned out_proj(0))
            dead = torch.isneginf(scores).all(-1, keepdim=True)
            mask = None
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        w = torch.softmax(scores, dim=-1)
        if mask is not None:
            w = w.masked_fill(~mask.any(-1, keepdim=True), 0.0)
        if dead is not None:
            w = w.masked_fill(dead, 0.0)
        if self.training and self.dropout > 0:
            w = F.dropout(w, self.dropout, True)
        o = w @ v
        B = o.shape[0]
        return self.out_proj(o.transpose(1, 2).reshape(B, T, self.d_model)), w

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                key_padding_mask: torch.Tensor | None = None, causal: bool = False, need_weights: bool = False,
                average_attn_weights: bool = True, attn_mask: torch.Tensor | None = None
                ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        # the batch sizes too: query [1, T, D] with key/value [3, S, D] broadcast to an output of 3 rows (and 2 vs 1
        # likewise), silently, where torch's MHA refuses; 2 vs 3 failed inside with torch's bare size message
        if query.dim() != 3 or key.dim() != 3 or value.dim() != 3 or query.shape[-1] != self.d_model \
                or key.shape[-1] != self.d_model or value.shape[:-1] != key.shape[:-1] \
                or query.shape[0] != key.shape[0]:
            raise ValueError(
                f"MultiHeadAttention: expected query [B, T, {self.d_model}] and key/value [B, S, "
                f"{self.d_model}] (got {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)})")
        if key_padding_mask is not None and (key_padding_mask.dtype != torch.bool
                                             or key_padding_mask.shape != key.shape[:2]):
            raise ValueError(f"MultiHeadAttention: key_padding_mask must be bool [B, S] = "
                             f"{list(key.shape[:2])} with True = padding (got {key_padding_mask.dtype} "
                             f"{list(key_padding_mask.shape)})")
        attn_mask = self._check_attn_mask(attn_mask, query.shape[0], query.shape[1], key.shape[1], query.dtype)
        k, v = self.project_kv(key, value)
        if need_weights:
            out, w = self._attend_with_weights(query, k, v, key_padding_mask, causal, attn_mask)
            return out, (w.mean(1) if average_attn_weights else w)
        return self.attend(query, k, v, key_padding_mask, causal, attn_mask)

    def _check_attn_mask(self, attn_mask, B, T, S, dtype):
        """torch's MHA shapes ``[T, S]`` or ``[B * n_heads, T, S]`` -> ``[1 or B, 1 or H, T, S]``."""
        if attn_mask is None:
            return None
        H = self.n_heads
        if not isinstance(attn_mask, torch.Tensor) or not (attn_mask.dtype == torch.bool
                                                           or attn_mask.is_floating_point()) \
                or tuple(attn_mask.shape) not in ((T, S), (B * H, T, S)):
            raise ValueError(f"MultiHeadAttention: attn_mask must be a bool or float tensor [T, S] = [{T}, {S}] "
                             f"or [B * n_heads, T, S] = [{B * H}, {T}, {S}] (got "
                             f"{getattr(attn_mask, 'dtype', type(attn_mask).__name__)} "
                             f"{list(getattr(attn_mask, 'shape', []))})")
        if attn_mask.is_floating_point():
            if torch.isnan(attn_mask).any():
                raise ValueError("MultiHeadAttention: attn_mask contains NaN")
            attn_mask = attn_mask.to(dtype)
        return attn_mask[None, None] if attn_mask.dim() == 2 else attn_mask.view(B, H, T, S)


class PositionwiseFeedForward(nn.Module):
    """Sec. 3.3, Eq. 2: ``FFN(x) = max(0, x W1 + b1) W2 + b2``; ``relu_dropout`` after the ReLU
    (official code; 0 reproduces the paper's equation exactly)."""

    def __init__(self, d_model: int, d_ff: int, relu_dropout: float = 0.0):
        super().__init__()
        self.w1 = nn.Linear(d_model, d_ff)
        self.w2 = nn.Linear(d_ff, d_model)
        self.relu_dropout = relu_dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.w1(x))
        if self.relu_dropout:
            h = F.dropout(h, self.relu_dropout, self.training)
        return self.w2(h)


class _Sublayers(nn.Module):
    """Residual wiring shared by both layer types (Sec. 5.4 residual dropout).

    post-LN (paper, ``norm_first=False``): ``x = LayerNorm(x + Dropout(Sublayer(x)))``;
    pre-LN (``norm_first=True``, later tensor2tensor default): ``x = x + Dropout(Sublayer(LayerNorm(x)))``.
    """

    norm_first: bool
    dropout: float

    def _res(self, x, norm, fn):
        if self.norm_first:
            return x + F.dropout(fn(norm(x)), self.dropout, self.training)
        return norm(x + F.dropout(fn(x), self.dropout, self.training))


class EncoderLayer(_Sublayers):
    """Sec. 3.1: self-attention sub-layer, then the position-wise FFN sub-layer."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float = 0.1,
                 attention_dropout: float = 0.0, relu_dropout: float = 0.0, norm_first: bool = False,
                 layer_norm_eps: float = 1e-5):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, n_heads, attention_dropout)
        self.ffn = PositionwiseFeedForward(d_model, d_ff, relu_dropout)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout, self.norm_first = dropout, norm_first

    def forward(self, x: torch.Tensor, key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self._res(x, self.norm1, lambda h: self.self_attn(h, h, h, key_padding_mask))
        return self._res(x, self.norm2, self.ffn)


class DecoderLayer(_Sublayers):
    """Sec. 3.1: masked (causal) self-attention, encoder-decoder attention (queries from the decoder,
    keys/values = final encoder output), then the FFN.

    ``cache`` (a dict, incremental decoding): keys ``"k", "v"`` hold the self-attention keys/values of
    all earlier positions ``[B, H, t, d_k]`` and grow by one position per call; ``"mk", "mv"`` hold the
    projected encoder memory, computed on the first call only. With a cache, ``tgt_padding_mask`` covers
    the positions of ``x`` (the new ones), bool ``[B, T_new]``, True = padding; the cache keeps the mask of
    the earlier positions (``"kpm"``, once any call gave one; calls without a mask add real positions), so
    that the result equals the full forward with the whole mask (it was ignored with a cache).
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float = 0.1,
                 attention_dropout: float = 0.0, relu_dropout: float = 0.0, norm_first: bool = False,
                 layer_norm_eps: float = 1e-5):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, n_heads, attention_dropout)
        self.cross_attn = MultiHeadAttention(d_model, n_heads, attention_dropout)
        self.ffn = PositionwiseFeedForward(d_model, d_ff, relu_dropout)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout, self.norm_first = dropout, norm_first

    def _self(self, h, tgt_padding_mask, cache):
        if cache is None:
            return self.self_attn(h, h, h, tgt_padding_mask, causal=True)
        k, v = self.self_attn.project_kv(h, h)
        if "k" in cache:
            k = torch.cat([cache["k"], k], dim=2)
            v = torch.cat([cache["v"], v], dim=2)
        cache["k"], cache["v"] = k, v
        kpm = None
        if tgt_padding_mask is not None or "kpm" in cache:
            B, T = h.shape[:2]
            if tgt_padding_mask is None:
                tgt_padding_mask = torch.zeros(B, T, dtype=torch.bool, device=h.device)
            elif (not isinstance(tgt_padding_mask, torch.Tensor) or tgt_padding_mask.dtype != torch.bool
                  or tuple(tgt_padding_mask.shape) != (B, T)):
                raise ValueError(f"DecoderLayer: with a cache, tgt_padding_mask must be bool [B, T_new] = "
                                 f"{[B, T]} for the new positions of x, True = padding (got "
                                 f"{getattr(tgt_padding_mask, 'dtype', type(tgt_padding_mask).__name__)} "
                                 f"{list(getattr(tgt_padding_mask, 'shape', []))})")
            earlier = cache.get("kpm")
            if earlier is None:
                earlier = torch.zeros(B, k.shape[2] - T, dtype=torch.bool, device=h.device)
            kpm = torch.cat([earlier, tgt_padding_mask], dim=1)
            cache["kpm"] = kpm
        # the new queries are the last positions; causal masking inside the new block only
        return self.self_attn.attend(h, k, v, kpm, causal=h.shape[1] > 1)

    def _cross(self, h, memory, memory_padding_mask, cache):
        if cache is None:
            return self.cross_attn(h, memory, memory, memory_padding_mask)
        if "mk" not in cache:
            cache["mk"], cache["mv"] = self.cross_attn.project_kv(memory, memory)
        return self.cross_attn.attend(h, cache["mk"], cache["mv"], memory_padding_mask)

    def forward(self, x: torch.Tensor, memory: torch.Tensor, tgt_padding_mask: torch.Tensor | None = None,
                memory_padding_mask: torch.Tensor | None = None, cache: dict | None = None) -> torch.Tensor:
        x = self._res(x, self.norm1, lambda h: self._self(h, tgt_padding_mask, cache))
        x = self._res(x, self.norm2, lambda h: self._cross(h, memory, memory_padding_mask, cache))
        return self._res(x, self.norm3, self.ffn)
