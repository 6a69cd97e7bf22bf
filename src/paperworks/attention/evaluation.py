"""BLEU (via sacrebleu) and checkpoint averaging for the Transformer system."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

__all__ = ["corpus_bleu", "average_state_dicts", "exact_match"]


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str], tokenize: str = "13a") -> float:
    """Corpus sacreBLEU (Post, 2018) of detokenized strings against one reference each, in [0, 100].

    Note: the paper's numbers are tokenized multi-bleu BLEU, not sacreBLEU (usually lower).
    """
    import sacrebleu

    for name, v in (("hypotheses", hypotheses), ("references", references)):
        if isinstance(v, (str, bytes)):   # a bare string is a sequence of 1-character "sentences": BLEU 0, silently
            raise ValueError(f"corpus_bleu: '{name}' must be a list of sentences (got one string; wrap it in a list)")
    if len(hypotheses) != len(references):
        raise ValueError(f"corpus_bleu: {len(hypotheses)} hypotheses but {len(references)} references")
    if not hypotheses:
        raise ValueError("corpus_bleu: no sentences to score")
    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)], tokenize=tokenize).score)


def exact_match(hypotheses: Sequence[Sequence[int]], references: Sequence[Sequence[int]]) -> float:
    """Fraction of sequences reproduced exactly (token for token, same length)."""
    if isinstance(hypotheses, (str, bytes)) or isinstance(references, (str, bytes)):
        raise ValueError("exact_match: expected lists of sequences (got a string; it was scored per character)")
    if len(hypotheses) != len(references) or not hypotheses:
        raise ValueError(f"exact_match: need equally many (>0) hypotheses and references "
                         f"(got {len(hypotheses)} and {len(references)})")
    return sum(list(h) == list(r) for h, r in zip(hypotheses, references)) / len(hypotheses)


def average_state_dicts(states: Sequence[Mapping[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Element-wise mean of several checkpoints' parameters (Sec. 6.1: the base model averages the last
    5 checkpoints). Floating tensors are averaged in float64 then cast back; integer buffers are taken
    from the last state. All states must have the same keys (in any order) and shapes; the result has the
    keys in the order of the first state."""
    if not states:
        raise ValueError("average_state_dicts: no checkpoints given")
    keys = list(states[0].keys())
    names = set(keys)
    for i, s in enumerate(states[1:], 1):
        # names as a set: the same parameters in another order (a state dict read back from safetensors comes
        # with sorted keys) were refused as "different parameter names"; the result keeps state 0's order
        if len(s) != len(keys) or set(s.keys()) != names:
            raise ValueError(f"average_state_dicts: checkpoint {i} has different parameter names than checkpoint 0")
    out = {}
    for k in keys:
        ts = [s[k] for s in states]
        if any(t.shape != ts[0].shape for t in ts):
            raise ValueError(f"average_state_dicts: parameter '{k}' has different shapes across checkpoints")
        if ts[0].is_floating_point():
            out[k] = (sum(t.detach().to(torch.float64) for t in ts) / len(ts)).to(ts[0].dtype)
        else:
            out[k] = ts[-1].detach().clone()
    return out
