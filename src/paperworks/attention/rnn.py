"""Baseline: attentional LSTM encoder-decoder (Luong, Pham & Manning, EMNLP 2015, "global attention").

- encoder: a bidirectional multi-layer LSTM (hidden d/2 per direction, so its outputs have size d);
  padded positions are skipped with packed sequences;
- decoder: a unidirectional multi-layer LSTM of size d, initialised with the encoder's final states
  (forward and backward halves concatenated per layer);
- attention ("general" score, Luong Eq. 8): ``score(h_t, h_s) = h_t^T W_a h_s``, softmax over the
  non-pad source positions, context ``c_t``; attentional state ``h~_t = tanh(W_c [c_t; h_t])``;
- output: ``h~_t E^T`` with the embedding matrix shared between source, target and output, exactly as
  in our Transformer, so both models see the same vocabulary and tying.
Input feeding (Luong Sec. 3.3) is left out so the decoder LSTM runs over a whole sequence at once
during training (fast on CPU); the attention is then computed for all positions in parallel.

It exposes the same decoding interface as :class:`paperworks.attention.model.Transformer`, so
:func:`greedy_search` and :func:`beam_search` apply unchanged.
"""

from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from paperworks.attention.model import check_cached_prefix, check_decode_prefix, check_token_ids
from paperworks.core.config import is_int

__all__ = ["LSTMSeq2Seq"]


def _check_right_padding(name: str, mask, tokens: torch.Tensor, why: str) -> torch.Tensor:
    """``mask`` as a bool [B, L] padding mask of ``tokens`` (True = pad) that marks right padding only."""
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != tokens.shape:
        raise ValueError(f"LSTMSeq2Seq: {name} must be bool {list(tokens.shape)} (True = pad) (got "
                         f"{getattr(mask, 'dtype', None)} {list(getattr(mask, 'shape', []))})")
    if mask.shape[1] > 1 and bool((mask[:, :-1] & ~mask[:, 1:]).any()):
        raise ValueError(f"LSTMSeq2Seq: {name} must mark right padding only (found a pad position before a real "
                         f"token; {why})")
    return mask


class LSTMSeq2Seq(nn.Module):
    def __init__(self, vocab_size: int, d_model: int = 128, n_layers: int = 2, dropout: float = 0.1,
                 pad_id: int = 0, bos_id: int = 1, eos_id: int = 2):
        super().__init__()
        # a float size failed inside torch ("empty(): argument 'size' ... must be tuple of ints") and a string
        # dropout in a comparison; a float id (pad_id=0.0) was taken
        sizes = (("vocab_size", vocab_size), ("d_model", d_model), ("n_layers", n_layers), ("pad_id", pad_id),
                 ("bos_id", bos_id), ("eos_id", eos_id))
        problems = [f"'{k}' must be an integer (got {v!r})" for k, v in sizes if not is_int(v)]
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
            problems.append(f"'dropout' must be a number in [0, 1) (got {dropout!r})")
        if problems:
            raise ValueError("LSTMSeq2Seq: " + "; ".join(problems))
        vocab_size, d_model, n_layers, pad_id, bos_id, eos_id = (int(v) for _, v in sizes)
        if d_model % 2 or d_model < 2 or n_layers < 1 or vocab_size < 1:
            raise ValueError(f"LSTMSeq2Seq: need an even d_model >= 2, n_layers >= 1, vocab_size >= 1 "
                             f"(got {d_model}, {n_layers}, {vocab_size})")
        # as TransformerSpec: an eos_id outside the vocabulary can never be generated (every search ran silently
        # to its length limit), a bos_id outside it failed at decoding as "index out of range in self"
        problems = [f"'{k}' must be a token id in [0, {vocab_size}) (got {v})"
                    for k, v in (("pad_id", pad_id), ("bos_id", bos_id), ("eos_id", eos_id)) if not 0 <= v < vocab_size]
        if not 0.0 <= dropout < 1.0:
            problems.append(f"'dropout' must be in [0, 1) (got {dropout})")
        if problems:
            raise ValueError("LSTMSeq2Seq: " + "; ".join(problems))
        self.vocab_size, self.d_model, self.n_layers, self.dropout = vocab_size, d_model, n_layers, dropout
        self.pad_id, self.bos_id, self.eos_id = pad_id, bos_id, eos_id
        self.embedding = nn.Embedding(vocab_size, d_model)
        nn.init.normal_(self.embedding.weight, 0.0, d_model ** -0.5)
        drop = dropout if n_layers > 1 else 0.0
        self.encoder = nn.LSTM(d_model, d_model // 2, n_layers, batch_first=True, bidirectional=True,
                               dropout=drop)
        self.decoder = nn.LSTM(d_model, d_model, n_layers, batch_first=True, dropout=drop)
        self.w_a = nn.Linear(d_model, d_model, bias=False)
        self.w_c = nn.Linear(2 * d_model, d_model, bias=False)

    def _check_tokens(self, name: str, t: torch.Tensor) -> None:
        check_token_ids("LSTMSeq2Seq", name, t, self.vocab_size)

    def _emb(self, tokens):
        return F.dropout(self.embedding(tokens) * self.d_model ** 0.5, self.dropout, self.training)

    def encode(self, src: torch.Tensor, src_padding_mask: torch.Tensor | None = None):
        # packing keeps the FIRST (number of non-pad) positions of each row: with padding before a real token
        # the encoder would read pads and drop real tokens, silently
        src_padding_mask = _check_right_padding("src_padding_mask", src == self.pad_id if src_padding_mask is None
                                                else src_padding_mask, src, "the encoder would read the pad")
        B = src.shape[0]
        if src.shape[1] == 0:
            # a length-0 source has no real token, like a row of padding only (pack_padded_sequence refused it):
            # it is encoded as such a row is, a single pad position that attention masks (a zero context, as in
            # the Transformer)
            src, src_padding_mask = src.new_full((B, 1), self.pad_id), src_padding_mask.new_ones(B, 1)
        if B == 0:      # no sentence (pack_padded_sequence refuses an empty batch): empty outputs and states
            w = self.embedding.weight
            z = w.new_zeros(self.n_layers, 0, self.d_model)
            return w.new_zeros(0, src.shape[1], self.d_model), src_padding_mask, (z, z.clone())
        lengths = (~src_padding_mask).sum(1).clamp(min=1).cpu()
        packed = pack_padded_sequence(self._emb(src), lengths, batch_first=True, enforce_sorted=False)
        out, (h, c) = self.encoder(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])

        def merge(s):  # [L*2, B, d/2] -> [L, B, d]
            return s.view(self.n_layers, 2, B, self.d_model // 2).transpose(1, 2).reshape(
                self.n_layers, B, self.d_model)

        return out, src_padding_mask, (merge(h).contiguous(), merge(c).contiguous())

    def _attend(self, dec_out, keys, enc_out, mask):
        scores = torch.bmm(dec_out, keys.transpose(1, 2))                 # [B, T, S]
        scores = scores.masked_fill(mask[:, None, :], float("-inf"))
        # a source row that is all padding has no key to attend: zero weights (a zero context), as in the
        # Transformer, instead of a softmax over -inf only (NaN); other rows are unchanged bit for bit
        w = torch.softmax(scores, -1).masked_fill(mask.all(1)[:, None, None], 0.0)
        ctx = torch.bmm(w, enc_out)                                       # [B, T, d]
        h = torch.tanh(self.w_c(torch.cat([ctx, dec_out], -1)))
        return F.linear(F.dropout(h, self.dropout, self.training), self.embedding.weight)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor, src_padding_mask: torch.Tensor | None = None,
                tgt_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        self._check_tokens("src", src)
        self._check_tokens("tgt_in", tgt_in)
        if src.shape[0] != tgt_in.shape[0]:
            raise ValueError(f"LSTMSeq2Seq: src and tgt_in batch sizes differ ({src.shape[0]} vs {tgt_in.shape[0]})")
        if tgt_padding_mask is not None:
            # the decoder is causal, so right padding of the target never reaches a real position and the mask
            # needs no use (interface parity with Transformer); any other mask would be silently ignored
            _check_right_padding("tgt_padding_mask", tgt_padding_mask, tgt_in, "the recurrent decoder would read "
                                 "the pad")
        enc_out, mask, hc = self.encode(src, src_padding_mask)
        if tgt_in.shape[1] == 0:    # nothing to predict: logits [B, 0, V] as the Transformer's (nn.LSTM refuses T = 0)
            dec_out = hc[0].new_zeros(tgt_in.shape[0], 0, self.d_model)
        else:
            dec_out, _ = self.decoder(self._emb(tgt_in), hc)
        return self._attend(dec_out, self.w_a(enc_out), enc_out, mask)

    # ------------------------------------------------------------------------ incremental decoding
    def start_decoding(self, src, src_padding_mask=None, use_cache: bool = True) -> dict:
        self._check_tokens("src", src)
        enc_out, mask, hc = self.encode(src, src_padding_mask)
        return {"enc": enc_out, "keys": self.w_a(enc_out), "mask": mask, "h": hc[0], "c": hc[1],
                "h0": hc[0], "c0": hc[1], "t": 0, "use_cache": use_cache}

    def decode_next(self, prefix: torch.Tensor, state: dict):
        """Log-probabilities of the next token after ``prefix [N, t]`` -> ``[N, V]``; with the cache each call
        must extend the prefix of the call before (see :meth:`Transformer.decode_next`)."""
        check_decode_prefix("LSTMSeq2Seq", prefix, state["enc"].shape[0], state["t"] if state["use_cache"] else 0,
                            self.vocab_size)
        if state["use_cache"]:
            check_cached_prefix("LSTMSeq2Seq", prefix, state)
            x, hc = prefix[:, state["t"]:], (state["h"], state["c"])
        else:  # recompute from the initial state (reference path)
            x, hc = prefix, (state["h0"], state["c0"])
        out, (h, c) = self.decoder(self._emb(x), hc)
        state["h"], state["c"], state["t"] = h, c, prefix.shape[1]
        logits = self._attend(out[:, -1:], state["keys"], state["enc"], state["mask"])[:, 0]
        return F.log_softmax(logits if logits.dtype == torch.float64 else logits.float(), -1), state

    @staticmethod
    def reorder_state(state: dict, index: torch.Tensor) -> dict:
        new = dict(state)
        for k in ("enc", "keys", "mask"):
            new[k] = state[k].index_select(0, index)
        if state.get("prefix") is not None:
            new["prefix"] = state["prefix"].index_select(0, index)
        for k in ("h", "c", "h0", "c0"):
            new[k] = state[k].index_select(1, index)
        return new

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
