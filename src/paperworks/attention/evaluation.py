"""BLEU (via sacrebleu) and checkpoint averaging for the Transformer system."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

__all__ = ["corpus_bleu", "average_state_dicts", "exact_match"]


def corpus_bleu(hypotheses: Sequence[str], references: Sequence, tokenize: str = "13a", layout: str = "auto") -> float:
    """Corpus sacreBLEU (Post, 2018) of detokenized strings, in [0, 100].

    ``references`` is either one reference string per hypothesis, or several reference *streams*, as
    sacrebleu's ``corpus_bleu(hyps, [refs1, refs2, ...])`` takes them: ``[stream_1, stream_2, ...]``, each stream
    a list with one reference string per hypothesis (``stream_k[i]`` is the k-th reference of hypothesis i). With
    several references, n-gram counts are clipped by their largest count in any one reference of the sentence
    and the brevity penalty uses, per sentence, the reference length closest to the hypothesis length (the
    shorter one on a tie). A stream entry may be ``None`` where a sentence has fewer references than others;
    every sentence needs at least one. One stream gives the single-reference score exactly.

    ``layout`` says how a list of lists is read: ``"streams"`` (sacrebleu's layout above), ``"sentences"`` (one
    entry per hypothesis, each a reference string or a list of them, as NLTK's ``corpus_bleu`` takes them; lists of
    unequal length are fine) or ``"auto"`` (the default: streams, except that a list of lists as long as the list of
    hypotheses, with two or more hypotheses, is refused, since both layouts fit it and they score differently).

    Note: the paper's numbers are tokenized multi-bleu BLEU, not sacreBLEU (usually lower).
    """
    import sacrebleu
    from sacrebleu.metrics.bleu import BLEU

    # an unknown name was sacrebleu's bare "KeyError: 'foo'"
    names = tuple(getattr(BLEU, "TOKENIZERS", ()))
    if tokenize is not None and names and tokenize not in names:
        raise ValueError(f"corpus_bleu: unknown tokenize {tokenize!r} (sacrebleu's tokenizers: {', '.join(names)})")
    if layout not in ("auto", "streams", "sentences"):
        raise ValueError(f"corpus_bleu: unknown layout {layout!r} (one of 'auto', 'streams', 'sentences')")
    hypotheses, references = (_sentences(name, v) for name, v in (("hypotheses", hypotheses),
                                                                    ("references", references)))
    if layout == "sentences":
        references = _transpose_sentences(hypotheses, references)
        if all(isinstance(r, str) for r in references[0]) and len(references) == 1:
            references = references[0]     # one reference each: the single-reference path below
        else:
            return _multi_reference_bleu(hypotheses, references, tokenize)
    elif references and all(not isinstance(r, (str, bytes)) and r is not None for r in references):
        if layout == "auto" and len(references) == len(hypotheses) >= 2:
            raise ValueError(f"corpus_bleu: references is a list of {len(references)} lists for {len(hypotheses)} "
                             f"hypotheses: it reads as {len(references)} reference streams (sacrebleu's layout) or as "
                             f"one list of references per hypothesis (NLTK's), which score differently; pass "
                             f"layout='streams' or layout='sentences'")
        return _multi_reference_bleu(hypotheses, references, tokenize)
    elif layout == "streams":
        if not hypotheses and not references:   # (was "got a list of strings" for two empty lists)
            raise ValueError("corpus_bleu: no sentences to score")
        got = "a list of strings" if references else "an empty list"
        raise ValueError(f"corpus_bleu: layout='streams' needs a list of reference streams (lists of strings), "
                         f"got {got} (give [references] for one stream)")
    if len(hypotheses) != len(references):
        raise ValueError(f"corpus_bleu: {len(hypotheses)} hypotheses but {len(references)} references")
    if not hypotheses:
        raise ValueError("corpus_bleu: no sentences to score")
    # a non-string entry was sacrebleu's "`refs` should be a sequence of sequence of strings", naming no position
    for name, seq in (("hypotheses", hypotheses), ("references", references)):
        for i, s in enumerate(seq):
            if not isinstance(s, str):
                hint = ("; give either one reference string per hypothesis or a list of reference streams, "
                        "not a mix" if name == "references" and isinstance(s, (list, tuple)) else "")
                raise ValueError(f"corpus_bleu: {name}[{i}] is a {type(s).__name__}, not a string (one detokenized "
                                 f"sentence{hint})")
    return float(sacrebleu.corpus_bleu(hypotheses, [references], tokenize=tokenize).score)


def _multi_reference_bleu(hypotheses: list, streams: list, tokenize) -> float:
    """:func:`corpus_bleu` with ``streams`` a list of reference streams (checked here: sacrebleu zips streams of
    unequal length without a word, dropping sentences, and fails on a sentence whose references are all None)."""
    import sacrebleu

    if not hypotheses:
        raise ValueError("corpus_bleu: no sentences to score")
    for i, s in enumerate(hypotheses):
        if not isinstance(s, str):
            raise ValueError(f"corpus_bleu: hypotheses[{i}] is a {type(s).__name__}, not a string (one detokenized "
                             f"sentence)")
    n = len(hypotheses)
    streams = [_sentences(f"references[{k}]", stream) for k, stream in enumerate(streams)]
    for k, stream in enumerate(streams):
        if len(stream) != n:
            raise ValueError(f"corpus_bleu: reference stream references[{k}] has {len(stream)} sentences but there "
                             f"are {n} hypotheses (several references are given as streams, [stream_1, stream_2, "
                             f"...], each with one reference per hypothesis; for a list of per-sentence reference lists "
                             f"pass layout='sentences')")
        for i, s in enumerate(stream):
            if s is not None and not isinstance(s, str):
                raise ValueError(f"corpus_bleu: references[{k}][{i}] is a {type(s).__name__}, not a string (one "
                                 f"detokenized sentence, or None where sentence {i} has no reference in this "
                                 f"stream)")
    for i in range(n):
        if all(stream[i] is None for stream in streams):
            raise ValueError(f"corpus_bleu: hypothesis {i} has no reference (None in every stream)")
    return float(sacrebleu.corpus_bleu(hypotheses, streams, tokenize=tokenize).score)


def _transpose_sentences(hypotheses: list, references: list) -> list:
    """Per-sentence references (``references[i]`` a string or a list of strings for hypothesis i) as streams
    padded with None, for :func:`_multi_reference_bleu`."""
    if len(references) != len(hypotheses):
        raise ValueError(f"corpus_bleu: {len(hypotheses)} hypotheses but {len(references)} per-sentence reference "
                         f"entries (layout='sentences')")
    if not hypotheses:   # (was the bare "max() arg is an empty sequence")
        raise ValueError("corpus_bleu: no sentences to score")
    per = []
    for i, r in enumerate(references):
        refs = [r] if isinstance(r, str) else (_sentences(f"references[{i}]", r) if r is not None else [])
        if not refs:
            raise ValueError(f"corpus_bleu: hypothesis {i} has no reference (layout='sentences')")
        for j, x in enumerate(refs):
            if not isinstance(x, str):
                raise ValueError(f"corpus_bleu: references[{i}][{j}] is a {type(x).__name__}, not a string (one "
                                 f"detokenized sentence)")
        per.append(refs)
    k = max(len(refs) for refs in per)
    return [[refs[j] if j < len(refs) else None for refs in per] for j in range(k)]


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
