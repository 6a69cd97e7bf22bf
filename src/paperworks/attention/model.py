"""The encoder-decoder Transformer of Vaswani et al. (2017), with an incremental (key/value cached)
decoding interface shared with the LSTM baseline (:mod:`paperworks.attention.rnn`).

Decoding interface (used by :mod:`paperworks.attention.search`)::

    state = model.start_decoding(src, src_padding_mask=None, use_cache=True)
    logprobs, state = model.decode_next(prefix, state)   # prefix [N, t] starts with BOS -> [N, V]
    state = model.reorder_state(state, index)            # beam search: pick / repeat rows
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from paperworks.attention.functional import sinusoidal_positional_encoding
from paperworks.attention.layers import DecoderLayer, EncoderLayer
from paperworks.core.config import is_int

__all__ = ["TransformerSpec", "Transformer", "PRESETS", "check_cached_prefix", "check_token_ids", "check_decode_prefix"]


@dataclass(frozen=True)
class TransformerSpec:
    """Sizes of the model (Table 3). Defaults = the paper's base model."""

    vocab_size: int = 37000
    d_model: int = 512
    n_heads: int = 8
    d_ff: int = 2048
    n_encoder_layers: int = 6
    n_decoder_layers: int = 6
    dropout: float = 0.1            # P_drop: residual + (embedding + PE) dropout
    attention_dropout: float = 0.0  # not in the paper (official code later used 0.1)
    relu_dropout: float = 0.0       # not in the paper (official code later used 0.1)
    norm_first: bool = False        # False = post-LN as in the paper
    positional_encoding: bool = True
    pad_id: int = 0
    bos_id: int = 1
    eos_id: int = 2

    def __post_init__(self):
        # types first: a float size (16.0, as a JSON / YAML config gives it) failed inside torch ("empty(): argument
        # 'size' ... must be tuple of ints", naming no argument), a string rate in a comparison (TypeError), and
        # norm_first="false" (a non-empty string) silently built a pre-LN model. NumPy integers / bools are kept
        # as Python ints / bools.
        problems = []
        for k in ("vocab_size", "d_model", "n_heads", "d_ff", "n_encoder_layers", "n_decoder_layers", "pad_id",
                  "bos_id", "eos_id"):
            v = getattr(self, k)
            if is_int(v):
                object.__setattr__(self, k, int(v))
            else:
                problems.append(f"'{k}' must be an integer (got {v!r})")
        for k in ("dropout", "attention_dropout", "relu_dropout"):
            v = getattr(self, k)
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                problems.append(f"'{k}' must be a number in [0, 1) (got {v!r})")
        for k in ("norm_first", "positional_encoding"):
            v = getattr(self, k)
            if isinstance(v, (bool, np.bool_)):
                object.__setattr__(self, k, bool(v))
            else:
                problems.append(f"'{k}' must be True or False (got {v!r})")
        if problems:
            raise ValueError("TransformerSpec: " + "; ".join(problems))
        for k in ("vocab_size", "d_model", "n_heads", "d_ff"):
            if getattr(self, k) < 1:
                problems.append(f"'{k}' must be >= 1 (got {getattr(self, k)})")
        for k in ("n_encoder_layers", "n_decoder_layers"):
            if getattr(self, k) < 0:
                problems.append(f"'{k}' must be >= 0 (got {getattr(self, k)})")
        if self.n_heads >= 1 and self.d_model % self.n_heads:
            problems.append(f"'d_model' ({self.d_model}) must be divisible by 'n_heads' ({self.n_heads})")
        for k in ("dropout", "attention_dropout", "relu_dropout"):
            if not 0.0 <= getattr(self, k) < 1.0:
                problems.append(f"'{k}' must be in [0, 1) (got {getattr(self, k)})")
        for k in ("pad_id", "bos_id", "eos_id"):
            if not 0 <= getattr(self, k) < self.vocab_size:
                problems.append(f"'{k}' must be a token id in [0, {self.vocab_size}) (got {getattr(self, k)})")
        if problems:
            raise ValueError("TransformerSpec: " + "; ".join(problems))


def check_token_ids(owner: str, name: str, t, vocab_size: int) -> None:
    """Integer ids ``[B, L]`` inside the vocabulary (an id outside it failed in the embedding with torch's
    "index out of range in self", which names neither the argument nor the vocabulary); ``owner`` names the
    model in the errors."""
    if not isinstance(t, torch.Tensor) or t.dim() != 2 or t.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"{owner}: expected '{name}' as integer token ids [B, L] "
                         f"(got {getattr(t, 'dtype', type(t).__name__)} of shape {list(getattr(t, 'shape', []))})")
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= vocab_size):
        raise ValueError(f"{owner}: '{name}' has token ids outside [0, {vocab_size}) "
                         f"(min {int(t.min())}, max {int(t.max())})")


def check_decode_prefix(owner: str, prefix, rows: int, new_from: int, vocab_size: int) -> None:
    """``decode_next``'s prefix: integer ids ``[N, t]``, ``t >= 1`` (BOS first), ``N`` = the rows of the state,
    ids of the positions from ``new_from`` on (those not decoded before) inside the vocabulary. Without it an id
    outside the vocabulary failed as torch's "index out of range in self", a prefix of other rows than the state
    as a tensor size mismatch deep inside, and an empty prefix without the cache as "index -1 is out of bounds"."""
    if not isinstance(prefix, torch.Tensor) or prefix.dim() != 2 or prefix.dtype not in (torch.int64, torch.int32) \
            or prefix.shape[1] == 0:
        raise ValueError(f"{owner}.decode_next: expected 'prefix' as integer token ids [N, t] with t >= 1 (BOS first) "
                         f"(got {getattr(prefix, 'dtype', type(prefix).__name__)} of shape "
                         f"{list(getattr(prefix, 'shape', []))})")
    if prefix.shape[0] != rows:
        raise ValueError(f"{owner}.decode_next: 'prefix' has {prefix.shape[0]} rows but the state holds {rows} (the "
                         "batch of start_decoding, or the index given to reorder_state)")
    check_token_ids(f"{owner}.decode_next", "prefix", prefix[:, new_from:], vocab_size)


def check_cached_prefix(owner: str, prefix: torch.Tensor, state: dict) -> None:
    """Refuse a ``decode_next`` call that does not extend the prefix a cached state has seen (``state["t"]``
    positions, tokens in ``state["prefix"]``): only the new positions run through the model, so a shorter or
    equal prefix crashed inside it and changed earlier tokens gave the stale prefix's log-probabilities.
    Remembers ``prefix`` (a copy) for the next call; ``reorder_state`` must carry ``state["prefix"]``."""
    t0, seen = state["t"], state.get("prefix")
    what = f"{owner}.decode_next: with the cache, the prefix must extend the one decoded before (length {t0}"
    if prefix.dim() != 2 or prefix.shape[1] <= t0:
        raise ValueError(f"{what}; got shape {list(prefix.shape)}); start a new state or use use_cache=False "
                         "to decode another prefix")
    if seen is not None:
        if prefix.shape[0] != seen.shape[0]:
            raise ValueError(f"{what} in {seen.shape[0]} rows; got {prefix.shape[0]} rows): reorder the state "
                             "with reorder_state together with the prefix")
        differ = (prefix[:, :t0] != seen).any(1)
        if bool(differ.any()):
            raise ValueError(f"{what}): its tokens differ in rows {differ.nonzero().flatten().tolist()}; start a "
                             "new state or use use_cache=False to decode another prefix")
    state["prefix"] = prefix.clone()


#: Table 3 sizes. ``base``: the paper's base model (Table 3: 65M parameters; ours 63.1M with a 37k shared
#: vocabulary, ``big`` 214.2M vs 213M);
#: ``tiny``: a CPU-sized model; ``smoke``: seconds-long tests.
PRESETS: dict[str, dict] = {
    "base": dict(d_model=512, n_heads=8, d_ff=2048, n_encoder_layers=6, n_decoder_layers=6, dropout=0.1),
    "big": dict(d_model=1024, n_heads=16, d_ff=4096, n_encoder_layers=6, n_decoder_layers=6, dropout=0.3),
    "tiny": dict(d_model=128, n_heads=4, d_ff=512, n_encoder_layers=3, n_decoder_layers=3, dropout=0.1),
    "smoke": dict(d_model=16, n_heads=2, d_ff=32, n_encoder_layers=1, n_decoder_layers=1, dropout=0.0),
}


class Transformer(nn.Module):
    """Encoder-decoder Transformer (Sec. 3) with one embedding matrix shared by the source embedding,
    the target embedding and the pre-softmax projection (Sec. 3.4; needs a joint vocabulary).

    - embeddings are scaled by sqrt(d_model), sinusoidal positions are added, dropout on the sum;
    - post-LN layers by default (``norm_first=True`` gives pre-LN, which then needs and gets a final
      LayerNorm after each stack; post-LN stacks end with the last layer's LayerNorm as in the paper);
    - the embedding is initialised N(0, d_model^-0.5) (paper silent; tensor2tensor's choice), so the
      scaled embeddings have unit variance.

    ``forward(src [B, S], tgt_in [B, T])`` -> logits ``[B, T, V]``; ``tgt_in`` is the target shifted right
    (BOS first). Padding masks default to ``tokens == pad_id``; pass them explicitly to decouple.
    """

    def __init__(self, spec: TransformerSpec | None = None, **kwargs):
        super().__init__()
        if spec is not None and kwargs:
            # the keywords were dropped without a word: Transformer(spec, vocab_size=100) had the spec's vocabulary
            raise ValueError(f"Transformer: pass a TransformerSpec or its fields as keywords, not both (got a spec and "
                             f"{', '.join(sorted(kwargs))}); for a changed spec use dataclasses.replace(spec, ...)")
        spec = spec if spec is not None else TransformerSpec(**kwargs)
        self.spec = spec
        self.pad_id, self.bos_id, self.eos_id = spec.pad_id, spec.bos_id, spec.eos_id
        self.embedding = nn.Embedding(spec.vocab_size, spec.d_model)
        nn.init.normal_(self.embedding.weight, 0.0, spec.d_model ** -0.5)
        layer_kw = dict(d_model=spec.d_model, n_heads=spec.n_heads, d_ff=spec.d_ff, dropout=spec.dropout,
                        attention_dropout=spec.attention_dropout, relu_dropout=spec.relu_dropout,
                        norm_first=spec.norm_first)
        self.encoder_layers = nn.ModuleList(EncoderLayer(**layer_kw) for _ in range(spec.n_encoder_layers))
        self.decoder_layers = nn.ModuleList(DecoderLayer(**layer_kw) for _ in range(spec.n_decoder_layers))
        self.encoder_norm = nn.LayerNorm(spec.d_model) if spec.norm_first else nn.Identity()
        self.decoder_norm = nn.LayerNorm(spec.d_model) if spec.norm_first else nn.Identity()
        self.register_buffer("pe", sinusoidal_positional_encoding(256, spec.d_model), persistent=False)
        self._scale = math.sqrt(spec.d_model)

    def _apply(self, fn, *args, **kwargs):
        """Module casts (``half()``, ``bfloat16()``, ``double()``, ``to(dtype)``) also cast the ``pe`` buffer; it is
        kept float32 (recomputed when a cast changed its dtype; a move to another device is kept). A round trip
        (``model.bfloat16().float()``) left it rounded to 8 mantissa bits (2e-3 off), so the outputs differed
        from the same weights in a fresh model; ``_positions`` casts the exact table to the model's dtype."""
        out = super()._apply(fn, *args, **kwargs)
        if self.pe.is_floating_point() and self.pe.dtype != torch.float32:
            self.pe = sinusoidal_positional_encoding(self.pe.shape[0], self.spec.d_model, device=self.pe.device)
        return out

    # ------------------------------------------------------------------------------------ pieces
    def _positions(self, n: int, offset: int = 0) -> torch.Tensor:
        if offset + n > self.pe.shape[0]:
            size = max(2 * self.pe.shape[0], offset + n)
            self.pe = sinusoidal_positional_encoding(size, self.spec.d_model, device=self.pe.device)
        dtype = self.embedding.weight.dtype
        if dtype == torch.float64:
            # the buffer holds float32-rounded values (also after model.double()): a float64 model gets its
            # positions computed in float64 (cached per length and device); other dtypes cast the buffer
            cache = getattr(self, "_pe64", None)
            if cache is None or cache.shape[0] < self.pe.shape[0] or cache.device != self.pe.device:
                cache = sinusoidal_positional_encoding(self.pe.shape[0], self.spec.d_model, dtype=torch.float64,
                                                       device=self.pe.device)
                object.__setattr__(self, "_pe64", cache)        # a plain attribute: not a buffer, not saved
            return cache[offset: offset + n]
        return self.pe[offset: offset + n].to(dtype)

    def embed(self, tokens: torch.Tensor, offset: int = 0) -> torch.Tensor:
        """``Dropout(E[tokens] * sqrt(d_model) + PE[offset : offset + T])`` -> ``[B, T, D]``."""
        x = self.embedding(tokens) * self._scale
        if self.spec.positional_encoding:
            x = x + self._positions(tokens.shape[1], offset)
        return F.dropout(x, self.spec.dropout, self.training)

    def _check_tokens(self, name: str, t: torch.Tensor) -> None:
        check_token_ids("Transformer", name, t, self.spec.vocab_size)

    def encode(self, src: torch.Tensor, src_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Encoder stack: ``src [B, S]`` -> memory ``[B, S, D]``."""
        if src_padding_mask is None:
            src_padding_mask = src == self.pad_id
        x = self.embed(src)
        for layer in self.encoder_layers:
            x = layer(x, src_padding_mask)
        return self.encoder_norm(x)

    def output_logits(self, h: torch.Tensor) -> torch.Tensor:
        """Tied pre-softmax projection: ``h E^T`` (no bias)."""
        return F.linear(h, self.embedding.weight)

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, memory_padding_mask: torch.Tensor | None,
               tgt_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Decoder stack (teacher forcing): ``tgt_in [B, T]`` -> logits ``[B, T, V]``.

        ``tgt_padding_mask`` is optional: with causal masking, padded target positions (which come after
        the real ones) are never attended by real positions, so it changes nothing there.
        """
        x = self.embed(tgt_in)
        for layer in self.decoder_layers:
            x = layer(x, memory, tgt_padding_mask, memory_padding_mask)
        return self.output_logits(self.decoder_norm(x))

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor, src_padding_mask: torch.Tensor | None = None,
                tgt_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        self._check_tokens("src", src)
        self._check_tokens("tgt_in", tgt_in)
        if src.shape[0] != tgt_in.shape[0]:
            raise ValueError(f"Transformer: src and tgt_in batch sizes differ ({src.shape[0]} vs {tgt_in.shape[0]})")
        if src_padding_mask is None:
            src_padding_mask = src == self.pad_id
        elif src_padding_mask.shape != src.shape or src_padding_mask.dtype != torch.bool:
            raise ValueError(f"Transformer: src_padding_mask must be bool {list(src.shape)} (True = pad) "
                             f"(got {src_padding_mask.dtype} {list(src_padding_mask.shape)})")
        memory = self.encode(src, src_padding_mask)
        return self.decode(tgt_in, memory, src_padding_mask, tgt_padding_mask)

    # ------------------------------------------------------------------------ incremental decoding
    def start_decoding(self, src: torch.Tensor, src_padding_mask: torch.Tensor | None = None,
                       use_cache: bool = True) -> dict:
        self._check_tokens("src", src)
        if src_padding_mask is None:
            src_padding_mask = src == self.pad_id
        memory = self.encode(src, src_padding_mask)
        caches = [{} for _ in self.decoder_layers] if use_cache else None
        return {"memory": memory, "mask": src_padding_mask, "caches": caches, "t": 0}

    def decode_next(self, prefix: torch.Tensor, state: dict,
                    tgt_padding_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, dict]:
        """Log-probabilities of the next token after ``prefix [N, t]`` -> ``[N, V]``.

        With the cache only the newest token(s) since the last call pass through the decoder, so each call
        must extend the prefix of the call before (a shorter or equal one, or one whose earlier tokens
        differ, is refused: the cache holds that prefix's keys/values); without it the whole prefix is
        recomputed (the reference the cache is tested against).

        ``tgt_padding_mask`` (bool ``[N, t]``, True = padding) masks prefix positions as keys, e.g. forced
        prefixes of different lengths, which must be LEFT-padded (the next token is read at the last
        position; a mask marking it is refused). The result equals the full forward
        ``decode(prefix, ..., tgt_padding_mask)`` at the last position; positions count the pads, as there.
        The state remembers the mask: later calls may give the mask of the longer prefix (it must agree on
        the positions already decoded) or none (the new positions are real tokens).
        """
        check_decode_prefix("Transformer", prefix, state["memory"].shape[0],
                            state["t"] if state["caches"] is not None else 0, self.spec.vocab_size)
        if state["caches"] is not None:
            check_cached_prefix("Transformer", prefix, state)
        tgt_padding_mask = self._prefix_mask(prefix, state, tgt_padding_mask)
        if state["caches"] is None:
            h = self.embed(prefix)
            for layer in self.decoder_layers:
                h = layer(h, state["memory"], tgt_padding_mask, state["mask"])
        else:
            t0 = state["t"]
            h = self.embed(prefix[:, t0:], offset=t0)
            new_mask = None if tgt_padding_mask is None else tgt_padding_mask[:, t0:]
            for layer, cache in zip(self.decoder_layers, state["caches"]):
                h = layer(h, state["memory"], new_mask, state["mask"], cache=cache)
            state["t"] = prefix.shape[1]
        logits = self.output_logits(self.decoder_norm(h[:, -1]))
        return F.log_softmax(logits if logits.dtype == torch.float64 else logits.float(), dim=-1), state

    @staticmethod
    def _prefix_mask(prefix: torch.Tensor, state: dict, mask: torch.Tensor | None) -> torch.Tensor | None:
        """The padding mask of the whole prefix (None: no padding anywhere); checks ``mask`` against the
        prefix and against the mask the state holds for the positions decoded before."""
        seen = state.get("tgt_mask")            # [N, t_seen] or None (no padding so far)
        t_seen = state.get("t_seen", 0)         # prefix length of the previous call
        N, t = prefix.shape
        state["t_seen"] = t
        if mask is None:
            if seen is None:
                return None
            mask = torch.cat([seen, seen.new_zeros(N, t - t_seen)], dim=1) if t > t_seen else seen[:, :t]
        else:
            if (not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool
                    or tuple(mask.shape) != (N, t)):
                raise ValueError(f"Transformer.decode_next: tgt_padding_mask must be bool [N, t] = {[N, t]} like "
                                 f"the prefix, True = padding (got {getattr(mask, 'dtype', type(mask).__name__)} "
                                 f"{list(getattr(mask, 'shape', []))})")
            n = min(t_seen, t)
            before = seen[:, :n] if seen is not None else mask.new_zeros(N, n)
            if not torch.equal(mask[:, :n], before):
                raise ValueError("Transformer.decode_next: tgt_padding_mask changed for prefix positions already "
                                 "decoded with this state (the cached keys/values used the earlier mask); give "
                                 "the same mask for them, or start a new state")
        if t and bool(mask[:, -1].any()):
            raise ValueError(f"Transformer.decode_next: tgt_padding_mask marks the last prefix position as padding "
                             f"(rows {mask[:, -1].nonzero().flatten().tolist()}): the next token is read at the "
                             "last position, so prefixes of different lengths must be left-padded")
        state["tgt_mask"] = mask
        return mask

    @staticmethod
    def reorder_state(state: dict, index: torch.Tensor) -> dict:
        new = {"memory": state["memory"].index_select(0, index), "mask": state["mask"].index_select(0, index),
               "t": state["t"], "caches": None}
        if "t_seen" in state:
            new["t_seen"] = state["t_seen"]
        if state.get("tgt_mask") is not None:
            new["tgt_mask"] = state["tgt_mask"].index_select(0, index)
        if state.get("prefix") is not None:
            new["prefix"] = state["prefix"].index_select(0, index)
        if state["caches"] is not None:
            new["caches"] = [{k: v.index_select(0, index) for k, v in c.items()} for c in state["caches"]]
        return new

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
