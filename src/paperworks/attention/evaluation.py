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
    from sacrebleu.metrics.bleu import BLEU

    # an unknown name was sacrebleu's bare "KeyError: 'foo'"
    names = tuple(getattr(BLEU, "TOKENIZERS", ()))
    if tokenize is not None and names and tokenize not in names:
        raise ValueError(f"corpus_bleu: unknown tokenize {tokenize!r} (sacrebleu's tokenizers: {', '.join(names)})")
    hypotheses, references = (_sentences(name, v) for name, v in (("hypotheses", hypotheses),
                                                                    ("references", references)))
    if len(hypotheses) != len(references):
        raise ValueError(f"corpus_bleu: {len(hypotheses)} hypotheses but {len(references)} references")
    if not hypotheses:
        raise ValueError("corpus_bleu: no sentences to score")
    # a non-string entry was sacrebleu's "`refs` should be a sequence of sequence of strings", naming no position
    # (and, for a list of several references per sentence, describing what was passed)
    for name, seq in (("hypotheses", hypotheses), ("references", references)):
        for i, s in enumerate(seq):
            if not isinstance(s, str):
                hint = ("; one reference string per hypothesis: several references per sentence are not supported"
                        if name == "references" and isinstance(s, (list, tuple)) else "")
                raise ValueError(f"corpus_bleu: {name}[{i}] is a {type(s).__name__}, not a string (one detokenized "
                                 f"sentence{hint})")
    return float(sacrebleu.corpus_bleu(hypotheses, [references], tokenize=tokenize).score)


def _sentences(name: str, v) -> list:
    """``v`` as a list (an iterable is read once: a generator was "object of type 'generator' has no len()")."""
    if isinstance(v, (str, bytes)):   # a bare string is a sequence of 1-character "sentences": BLEU 0, silently
        raise ValueError(f"corpus_bleu: '{name}' must be a list of sentences (got one string; wrap it in a list)")
    try:
        return list(v)
    except TypeError:
        raise ValueError(f"corpus_bleu: '{name}' must be a list of sentences (got {type(v).__name__})") from None


def exact_match(hypotheses: Sequence[Sequence[int]], references: Sequence[Sequence[int]]) -> float:
    """Fraction of sequences reproduced exactly (token for token, same length)."""
    if isinstance(hypotheses, (str, bytes)) or isinstance(references, (str, bytes)):
        raise ValueError("exact_match: expected lists of sequences (got a string; it was scored per character)")
    try:   # iterables read once (a generator was "object of type 'generator' has no len()")
        hypotheses, references = list(hypotheses), list(references)
    except TypeError:
        raise ValueError(f"exact_match: expected lists of sequences (got {type(hypotheses).__name__}, "
                         f"{type(references).__name__})") from None
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
