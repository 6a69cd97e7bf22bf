"""Greedy and beam search over any model with the incremental decoding interface of
:class:`paperworks.attention.model.Transformer` (also :class:`paperworks.attention.rnn.LSTMSeq2Seq`).

Sec. 6.1 of Vaswani et al.: beam size 4, length penalty alpha = 0.6 (GNMT's ``((5+|Y|)/6)^alpha``),
maximum output length = input length + 50, "terminate early when possible". A hypothesis is ranked by
``log P(Y|X) / lp(|Y|)``; ``|Y|`` counts generated tokens including the final EOS.

``stop="bound"`` (default) follows the official code (tensor2tensor ``utils/beam_search.py``): at each step
the 2k best continuations of the k alive hypotheses are scored; the best k of them that do not end in EOS
stay alive; every one that ends in EOS is a candidate for the finished set, which keeps the k best finished
hypotheses seen so far (by ``log P / lp``). A sentence stops at its length limit, or as soon as its worst
finished hypothesis scores above the best alive one's log-probability divided by ``lp(limit)`` (by the lp of
the next length when ``alpha < 0``, where lp falls with length): log P only falls, so no alive hypothesis
can then enter the finished set and stopping changes nothing (tested against ``stop="never"``, the same
search always run to the length limit). The result is the best finished hypothesis; a sentence with none
at its limit returns its best alive hypothesis.

``stop="first_k"`` is the earlier rule of this library (fairseq-like): only EOS continuations among the
best k finish a hypothesis and a sentence stops once it has k finished hypotheses, or at its limit,
where the alive ones are finished as they are. It stops before longer hypotheses, which the length
penalty favours, can compete; with k = 1 it is exactly greedy search (tested).

Tied scores: candidates of equal ``log P`` rank by their flat index ``beam * V + token`` (lower first: the
earlier beam, then the lower token id), as greedy search's ``argmax`` takes the lowest token id, so beam size 1
with ``stop="first_k"`` is greedy search on ties too. ``torch.topk`` left the order of tied candidates to the
implementation: a step where tokens 3..V-1 were equally likely made beam size 1 return token 4 for V = 5, 6 for
V = 8, 28 for V = 40, where greedy search returns 3.

Both searches decode in eval mode (no dropout), as fairseq's generator does; every submodule's own mode is
restored afterwards, so a model being trained can be decoded between training steps.
"""

from __future__ import annotations

import functools
import math
import operator

import torch

from paperworks.attention.functional import length_penalty
from paperworks.core.ranking import topk_stable
from paperworks.core.trainer import eval_mode

__all__ = ["greedy_search", "beam_search", "max_lengths", "STOP_RULES"]


def _in_eval_mode(search):
    """Run ``search(model, ...)`` with ``model`` in eval mode (a model left in train mode decoded with dropout:
    random outputs that differed from call to call)."""
    @functools.wraps(search)
    def wrapper(model, *args, **kwargs):
        with eval_mode(model):
            return search(model, *args, **kwargs)
    return wrapper


def max_lengths(src: torch.Tensor, pad_id: int, max_len_a: float = 1.0, max_len_b: int = 50,
                src_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Per-sentence output limit ``a * |x| + b`` (paper: ``|x| + 50``), at least 1 -> int64 ``[B]``."""
    for name, v in (("max_len_a", max_len_a), ("max_len_b", max_len_b)):
        # NaN / inf (and a limit beyond int64) became a limit of 1 through the int64 cast: one-token outputs
        if not _finite(v) or abs(float(v)) > 2 ** 52:
            raise ValueError(f"max_lengths: {name} must be a finite number of magnitude <= 2**52 (got {v!r})")
    if src_padding_mask is None:
        src_padding_mask = src == pad_id
    n = (~src_padding_mask).sum(1).to(torch.float64)
    limit = (max_len_a * n + max_len_b).floor()
    if limit.numel() and float(limit.max()) > 2 ** 52:
        raise ValueError(f"max_lengths: the length limit max_len_a * |x| + max_len_b = {float(limit.max()):.6g} is "
                         f"too large (max_len_a={max_len_a!r}, max_len_b={max_len_b!r})")
    return limit.to(torch.int64).clamp(min=1)


def _finite(v) -> bool:
    """A real number (int, float, numpy or 0-d tensor scalar) that is finite."""
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError, RuntimeError):
        return False


def _check(src, src_padding_mask=None):
    if not isinstance(src, torch.Tensor) or src.dim() != 2:
        raise ValueError(f"search: expected src as integer token ids [B, S] (got "
                         f"{getattr(src, 'shape', type(src))})")
    if src_padding_mask is not None and (not isinstance(src_padding_mask, torch.Tensor)
                                         or src_padding_mask.dtype != torch.bool
                                         or src_padding_mask.shape != src.shape):
        raise ValueError(f"search: src_padding_mask must be bool {list(src.shape)} with True = padding (got "
                         f"{getattr(src_padding_mask, 'dtype', type(src_padding_mask).__name__)} "
                         f"{list(getattr(src_padding_mask, 'shape', []))})")


@_in_eval_mode
@torch.no_grad()
def greedy_search(model, src: torch.Tensor, src_padding_mask: torch.Tensor | None = None,
                  max_len_a: float = 1.0, max_len_b: int = 50, use_cache: bool = True) -> list[list[int]]:
    """Arg-max decoding; returns the generated token ids of each sentence without BOS/EOS."""
    _check(src, src_padding_mask)
    B = src.shape[0]
    if B == 0:                      # no sentences: nothing to decode (max() of an empty limit failed)
        return []
    limit = max_lengths(src, model.pad_id, max_len_a, max_len_b, src_padding_mask)
    state = model.start_decoding(src, src_padding_mask, use_cache=use_cache)
    prefix = torch.full((B, 1), model.bos_id, dtype=torch.long, device=src.device)
    out: list[list[int] | None] = [None] * B
    alive = torch.arange(B, device=src.device)
    for t in range(int(limit.max())):
        logp, state = model.decode_next(prefix, state)
        nxt = logp.argmax(-1)
        prefix = torch.cat([prefix, nxt[:, None]], dim=1)
        done = (nxt == model.eos_id) | (limit[alive] <= t + 1)
        if bool(done.any()):
            for r in done.nonzero().flatten().tolist():
                toks = prefix[r, 1:].tolist()
                out[int(alive[r])] = toks[:-1] if toks[-1] == model.eos_id else toks
            keep = (~done).nonzero().flatten()
            if keep.numel() == 0:
                break
            alive, prefix = alive[keep], prefix[keep]
            state = model.reorder_state(state, keep)
    return [o if o is not None else [] for o in out]


STOP_RULES = ("bound", "first_k", "never")


@_in_eval_mode
@torch.no_grad()
def beam_search(model, src: torch.Tensor, beam_size: int = 4, alpha: float = 0.6,
                src_padding_mask: torch.Tensor | None = None, max_len_a: float = 1.0, max_len_b: int = 50,
                use_cache: bool = True, return_scores: bool = False, stop: str = "bound"):
    """Beam search with the GNMT length penalty; returns the best hypothesis of each sentence (token ids
    without BOS/EOS), and with ``return_scores`` also its ``log P / lp``. ``stop``: ``"bound"`` (official
    code, default), ``"first_k"`` (fairseq-like) or ``"never"`` (bound's search run to the length limit);
    see the module docstring."""
    _check(src, src_padding_mask)
    try:
        k = operator.index(beam_size)
    except TypeError:   # 2.5 failed deep inside (repeat_interleave)
        k = 0
    if k < 1:
        raise ValueError(f"beam_search: beam_size must be an integer >= 1 (got {beam_size!r})")
    beam_size = k
    # NaN / inf gave a silent result: lp(1) = 1 ** NaN = 1 and NaN for longer hypotheses
    if not _finite(alpha):
        raise ValueError(f"beam_search: alpha must be a finite number (got {alpha!r})")
    if stop not in STOP_RULES:
        raise ValueError(f"beam_search: stop must be one of {', '.join(STOP_RULES)} (got {stop!r})")
    first_k = stop == "first_k"
    B, k, dev = src.shape[0], beam_size, src.device
    if B == 0:                      # no sentences: nothing to decode (max() of an empty limit failed)
        return ([], []) if return_scores else []
    limit = max_lengths(src, model.pad_id, max_len_a, max_len_b, src_padding_mask)
    state = model.start_decoding(src, src_padding_mask, use_cache=use_cache)
    # every sentence's k beams are rows [b*k, (b+1)*k); only beam 0 is live at the start
    state = model.reorder_state(state, torch.arange(B, device=dev).repeat_interleave(k))
    prefix = torch.full((B * k, 1), model.bos_id, dtype=torch.long, device=dev)
    scores = torch.full((B, k), float("-inf"), dtype=torch.float64, device=dev)
    scores[:, 0] = 0.0
    # finished[b]: (log P / lp, tokens); "bound"/"never" keep it sorted best first, at most k entries
    finished: list[list[tuple[float, list[int]]]] = [[] for _ in range(B)]
    sent = torch.arange(B, device=dev)      # which original sentence each live group is
    n_cand = min(2 * k, _vocab_size(model) * k)
    for t in range(int(limit.max())):
        logp, state = model.decode_next(prefix, state)                # [G*k, V]
        G, V = sent.shape[0], logp.shape[-1]
        cand = (scores[:, :, None] + logp.view(G, k, V).to(torch.float64)).view(G, k * V)
        top, idx = topk_stable(cand, n_cand, dim=1)                    # [G, 2k], best first, ties by index
        beam_of, tok = idx // V, idx % V
        is_eos = tok == model.eos_id
        new_len = t + 1
        at_limit = limit[sent] <= new_len                              # [G]
        lp = float(length_penalty(new_len, alpha))
        # 1) hypotheses ending in EOS: first_k: those among the best k finish until k are finished;
        #    bound/never: every one among the 2k competes for the k best finished so far
        eos_at = is_eos[:, :k] if first_k else is_eos
        new_fin: dict[int, list[tuple[float, list[int]]]] = {}
        for g, j in (eos_at & torch.isfinite(top[:, : eos_at.shape[1]])).nonzero().tolist():
            row = g * k + int(beam_of[g, j])
            new_fin.setdefault(g, []).append((float(top[g, j]) / lp, prefix[row, 1:].tolist()))
        for g, hyps in new_fin.items():
            b = int(sent[g])
            if first_k:
                finished[b].extend(hyps[: k - len(finished[b])])
            else:  # stable: earlier finished first, then this step's in rank order, on equal scores
                finished[b] = sorted(finished[b] + hyps, key=lambda h: -h[0])[:k]
        # 2) the best k non-EOS candidates stay alive (there are always >= k of them among 2k)
        order = torch.argsort(is_eos.to(torch.int64) * n_cand + torch.arange(n_cand, device=dev), dim=1)[:, :k]
        keep_beam = beam_of.gather(1, order)
        keep_tok = tok.gather(1, order)
        keep_score = top.gather(1, order)
        rows = (torch.arange(G, device=dev)[:, None] * k + keep_beam).flatten()
        prefix = torch.cat([prefix.index_select(0, rows), keep_tok.flatten()[:, None]], dim=1)
        state = model.reorder_state(state, rows)
        scores = keep_score
        # 3) sentences at their length limit: first_k finishes the alive beams as they are; bound/never
        #    return the best alive one only when nothing has finished
        for g in at_limit.nonzero().flatten().tolist():
            b = int(sent[g])
            if first_k or not finished[b]:
                for j in range(k):
                    if len(finished[b]) < k and torch.isfinite(scores[g, j]):
                        finished[b].append((float(scores[g, j]) / lp, prefix[g * k + j, 1:].tolist()))
        if first_k:
            done = torch.tensor([len(finished[int(b)]) >= k for b in sent], device=dev) | at_limit
        elif stop == "bound":
            # no alive hypothesis can beat the worst finished one: log P only falls, lp(|Y|) <= lp(limit);
            # with alpha < 0 lp falls with |Y|, so the largest lp still to come is lp(t + 2) (lp(limit)
            # stopped too early there and missed a better, longer hypothesis)
            lp_max = length_penalty(limit[sent], alpha) if alpha >= 0 else float(length_penalty(new_len + 1, alpha))
            best_alive = scores[:, 0] / lp_max
            worst_fin = torch.tensor([finished[int(b)][-1][0] if finished[int(b)] else float("-inf") for b in sent],
                                     dtype=torch.float64, device=dev)
            done = (worst_fin > best_alive) | at_limit
        else:
            done = at_limit
        if bool(done.all()):
            break
        if bool(done.any()):
            keep_g = (~done).nonzero().flatten()
            sent, scores = sent[keep_g], scores[keep_g]
            rows = (keep_g[:, None] * k + torch.arange(k, device=dev)).flatten()
            prefix = prefix.index_select(0, rows)
            state = model.reorder_state(state, rows)
    results, best_scores = [], []
    for b in range(B):
        if not finished[b]:
            results.append([])
            best_scores.append(float("-inf"))
            continue
        s, toks = max(finished[b], key=lambda x: x[0])  # first of equal scores wins (stable)
        results.append(toks)  # EOS is never part of a stored hypothesis
        best_scores.append(s)
    return (results, best_scores) if return_scores else results


def _vocab_size(model) -> int:
    v = getattr(getattr(model, "spec", None), "vocab_size", None) or getattr(model, "vocab_size", None)
    if v is None:
        raise ValueError("beam_search: the model must expose spec.vocab_size or vocab_size")
    return int(v)
