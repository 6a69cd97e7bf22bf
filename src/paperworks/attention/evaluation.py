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


def average_state_dicts(states: Sequence[Mapping[str, torch.Tensor]],
                        integers: str = "last") -> dict[str, torch.Tensor]:
    """Element-wise mean of several checkpoints' parameters (Sec. 6.1: the base model averages the last
    5 checkpoints). Floating tensors are averaged in float64 then cast back to the first state's dtype; integer
    buffers are taken from the last state (``integers="first"``: from the first, as
    :func:`paperworks.core.trainer.average_checkpoints` does). All states must have the same keys (in any order)
    and shapes (else one ValueError); the result has the keys in the order of the first state. The arithmetic is
    :func:`paperworks.core.trainer.average_checkpoints`'s (one shared implementation)."""
    from paperworks.core.trainer import _average_states

    return _average_states(((f"checkpoint {i}", s) for i, s in enumerate(states)), "average_state_dicts",
                           ValueError, integers=integers)
