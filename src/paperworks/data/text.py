"""Labelled short texts from the Debian ``fortunes`` package, and a bag-of-words (TF-IDF) pipeline.

Each file ``/usr/share/games/fortunes/<category>`` holds records separated by a line containing only
``%``; the label of a record is its file name. ``load("fortunes")`` returns a deterministic, class-
stratified train/test split of the chosen categories (default: six well-separated topics, 2,531 texts:
2,532 records, one of them twice).
Records appearing more than once (within or across the chosen files) are kept once, under the first
category in ``categories`` order, so no text is in both splits.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from paperworks.core.errors import DataError
from paperworks.core.config import is_real
from paperworks.data import check_seed, debian_file, items_of, register_dataset

__all__ = ["FORTUNES_DIR", "DEFAULT_CATEGORIES", "read_fortune_file", "load_fortunes", "tokenize",
           "BagOfWords", "word_dropout"]

FORTUNES_DIR = "/usr/share/games/fortunes"
DEFAULT_CATEGORIES = ("computers", "politics", "food", "law", "sports", "startrek")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def read_fortune_file(path: str | Path) -> list[str]:
    """Records of one fortune file: split on lines that are exactly '%', stripped, empty ones dropped (a leading
    byte-order mark is not text).
    The file must be UTF-8 (all 43 files of Debian's fortunes 1:1.99.1-7.3 are): a byte that is not is a
    DataError naming the file and the byte offset (it became U+FFFD silently)."""
    try:   # a missing file or a folder was a bare FileNotFoundError / IsADirectoryError
        data = Path(path).read_bytes()
    except OSError as e:
        raise DataError(f"read_fortune_file: cannot read '{path}' ({type(e).__name__}: {e.strerror or e})") from None
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"read_fortune_file: '{path}' is not UTF-8: byte offset {e.start} "
                        f"({data[e.start:e.end]!r}: {e.reason}); convert it, e.g. `iconv -f latin1 -t utf-8`") from None
    # a leading UTF-8 byte-order mark (a file saved by Notepad) is dropped: it stayed in the first record's text,
    # and a file opening with a '%' line read that line as text ('\ufeff%\nfirst record')
    out, cur = [], []
    for line in raw.removeprefix("\ufeff").splitlines():
        if line.strip() == "%":
            out.append("\n".join(cur).strip())
            cur = []
        else:
            cur.append(line)
    out.append("\n".join(cur).strip())
    # some records carry backspace overstriking (x\bx): keep the visible character
    return [re.sub(r".\x08", "", r) for r in out if r]


@register_dataset("fortunes")
def load_fortunes(categories=DEFAULT_CATEGORIES, test_fraction: float = 0.2, seed: int = 0,
                  root: str | None = None) -> dict:
    """Fortune-cookie texts labelled by category (Debian package ``fortunes``).

    Returns dict(texts_train list[str], y_train int64 [N], texts_test, y_test, classes tuple[str]).
    The split is stratified: class c puts round(test_fraction * n_c) of its records, chosen by
    ``numpy.random.default_rng(seed)``, in the test set.
    """
    if isinstance(categories, str):   # it was split into letters: "no category 'c'"
        raise DataError(f"load_fortunes: 'categories' must be a list of category names (got the string "
                        f"{categories!r})")
    categories = tuple(categories)
    if len(categories) < 2 or len(set(categories)) != len(categories):
        raise DataError(f"load_fortunes: need >= 2 distinct categories (got {list(categories)})")
    if isinstance(test_fraction, (bool, str)) or not (0 < test_fraction < 1):   # a str was a TypeError
        raise DataError(f"load_fortunes: 'test_fraction' must be in (0, 1) (got {test_fraction!r})")
    check_seed(seed, "load_fortunes")
    base = Path(root) if root is not None else None
    if base is None:
        base = debian_file(FORTUNES_DIR, "fortunes")
    elif not base.is_dir():   # it was a bare FileNotFoundError / NotADirectoryError from listing the categories
        raise DataError(f"load_fortunes: root '{base}' is not a folder (expected one file per category, "
                        f"records separated by '%' lines)")
    seen, texts, labels = set(), [], []
    for c, cat in enumerate(categories):
        p = base / cat
        if not p.is_file():
            have = sorted(q.name for q in base.iterdir() if q.is_file() and "." not in q.name)
            raise DataError(f"load_fortunes: no category '{cat}' in {base} (available: {', '.join(have)})")
        for r in read_fortune_file(p):
            if r not in seen:
                seen.add(r)
                texts.append(r)
                labels.append(c)
    y = np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in range(len(categories)):
        idx = np.flatnonzero(y == c)
        if len(idx) < 2:
            raise DataError(f"load_fortunes: category '{categories[c]}' has {len(idx)} records (need >= 2)")
        k = min(len(idx) - 1, max(1, int(round(test_fraction * len(idx)))))
        test[rng.permutation(idx)[:k]] = True
    tr, te = np.flatnonzero(~test), np.flatnonzero(test)
    return {"texts_train": [texts[i] for i in tr], "y_train": torch.as_tensor(y[tr]),
            "texts_test": [texts[i] for i in te], "y_test": torch.as_tensor(y[te]), "classes": categories}


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens: runs of [a-z0-9], keeping one apostrophe suffix (don't, it's)."""
    return _TOKEN.findall(text.lower())


class BagOfWords:
    """TF-IDF bag of words, L2-normalised rows (so every feature lies in [0, 1]).

    Weights follow the usual smoothed form (as scikit-learn's TfidfVectorizer defaults):
    tf = raw count, idf(t) = ln((1 + n) / (1 + df(t))) + 1, row / ||row||_2. The vocabulary holds the
    ``max_features`` most frequent terms (by document frequency, ties by term) with df >= ``min_df``.
    """

    def __init__(self, min_df: int = 2, max_features: int | None = 5000):
        if min_df < 1:
            raise DataError(f"BagOfWords: 'min_df' must be >= 1 (got {min_df})")
        if max_features is not None and max_features < 1:
            raise DataError(f"BagOfWords: 'max_features' must be >= 1 or None (got {max_features})")
        self.min_df, self.max_features = min_df, max_features

    def fit(self, texts) -> "BagOfWords":
        texts = self._check(texts, "fit")
        df = Counter()
        for t in texts:
            df.update(set(tokenize(t)))
        terms = sorted((t for t, n in df.items() if n >= self.min_df), key=lambda t: (-df[t], t))
        if self.max_features is not None:
            terms = terms[: self.max_features]
        if not terms:
            raise DataError(f"BagOfWords.fit: no term occurs in >= {self.min_df} documents")
        terms.sort()
        self.vocabulary_ = {t: i for i, t in enumerate(terms)}
        n = len(texts)
        self.idf_ = torch.tensor([math.log((1 + n) / (1 + df[t])) + 1 for t in terms], dtype=torch.float64)
        return self

    def transform(self, texts) -> torch.Tensor:
        """[N, V] float32 TF-IDF rows (all-zero for texts with no known term)."""
        if not hasattr(self, "vocabulary_"):
            raise DataError("BagOfWords.transform: call fit() first")
        texts = self._check(texts, "transform")
        x = torch.zeros(len(texts), len(self.vocabulary_), dtype=torch.float64)
        for i, t in enumerate(texts):
            for tok, c in Counter(tokenize(t)).items():
                j = self.vocabulary_.get(tok)
                if j is not None:
                    x[i, j] = c
        x = x * self.idf_
        x = x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)
        return x.float()

    def fit_transform(self, texts) -> torch.Tensor:
        texts = self._check(texts, "fit_transform")   # an iterator is read once: fit() would leave nothing
        return self.fit(texts).transform(texts)

    @staticmethod
    def _check(texts, where):
        # materialized before the check: a generator was consumed by it, so transform() returned 0 rows and fit()
        # said "no term occurs", silently / misleadingly
        texts = items_of(texts)
        if texts is None or not all(isinstance(t, str) for t in texts):
            raise DataError(f"BagOfWords.{where}: expected a list of strings")
        return texts


def word_dropout(texts, p: float, seed: int = 0) -> list[str]:
    """Distribution shift for text: delete each word token independently with probability p (seeded)."""
    if not is_real(p, 0, 1):   # a str p was a bare TypeError from the comparison
        raise DataError(f"word_dropout: 'p' must be in [0, 1] (got {p!r})")
    check_seed(seed, "word_dropout")
    # one string was iterated character by character (a list of single letters, silently)
    if isinstance(texts, str):
        raise DataError(f"word_dropout: 'texts' must be a list of strings (got the string {texts[:40]!r})")
    given, texts = texts, items_of(texts)   # a non-iterable (an int, None) was a bare TypeError from list()
    if texts is None:
        raise DataError(f"word_dropout: 'texts' must be a list of strings (got {type(given).__name__})")
    bad = [t for t in texts if not isinstance(t, str)]
    if bad:
        raise DataError(f"word_dropout: 'texts' must be a list of strings (got {type(bad[0]).__name__})")
    rng = np.random.default_rng(seed)
    out = []
    for t in texts:
        toks = t.split()
        keep = rng.random(len(toks)) >= p
        out.append(" ".join(w for w, k in zip(toks, keep) if k))
    return out
