"""Word-level counterfactuals of English texts: flip a sensitive attribute by swapping its marker words.

The only attribute so far is ``gender``: every word of :data:`GENDER_PAIRS` is replaced by its partner
(he <-> she, his <-> her, man <-> woman, ...), matching whole words case-insensitively and keeping the case
pattern of the original (``He`` -> ``She``, ``MEN`` -> ``WOMEN``); everything else, punctuation and
whitespace included, is left untouched. The table is a bijection, so the swap is an involution,
``swap_attribute(swap_attribute(t)) == t``, for every text whose marker words are lower-case, UPPER-case or
Title-case (all of them in the fortunes corpus). A marker word in another case pattern (``hIS``, ``SHe``,
``mR``) takes its first letter's case and lower-case after it, so it does not come back as written
(``hIS`` -> ``her`` -> ``his``): partners of different lengths have different numbers of case patterns, so no
case rule keeps every mixed-case word invertible.

English pronouns are not one-to-one: ``her`` is both the possessive (``his``) and the object (``him``).
Without a part-of-speech tagger no word table can be both grammatical everywhere and invertible; we keep
invertibility and pair ``his <-> her`` (the frequent possessive) and ``him <-> hers``. The object form of
``her`` therefore becomes ``his`` and ``him`` becomes ``hers``: ungrammatical, but the gender of every
swapped slot is flipped, which is what a bag-of-words model can see.
"""

from __future__ import annotations

import re

from paperworks.core.errors import DataError, UnknownNameError

__all__ = ["GENDER_PAIRS", "ATTRIBUTE_PAIRS", "swap_attribute", "attribute_counts", "attribute_of"]

# (male, female); every word occurs once in the whole table (checked at import)
GENDER_PAIRS: tuple[tuple[str, str], ...] = (
    ("he", "she"), ("his", "her"), ("him", "hers"), ("himself", "herself"),
    ("man", "woman"), ("men", "women"), ("boy", "girl"), ("boys", "girls"),
    ("father", "mother"), ("fathers", "mothers"), ("husband", "wife"), ("husbands", "wives"),
    ("king", "queen"), ("kings", "queens"), ("mr", "mrs"), ("son", "daughter"), ("sons", "daughters"),
    ("brother", "sister"), ("brothers", "sisters"), ("uncle", "aunt"), ("uncles", "aunts"),
    ("nephew", "niece"), ("nephews", "nieces"), ("gentleman", "lady"), ("gentlemen", "ladies"),
    ("sir", "madam"), ("boyfriend", "girlfriend"), ("male", "female"), ("males", "females"),
    ("prince", "princess"), ("dad", "mom"), ("daddy", "mommy"), ("grandfather", "grandmother"),
    ("grandson", "granddaughter"), ("actor", "actress"), ("waiter", "waitress"),
)
ATTRIBUTE_PAIRS = {"gender": GENDER_PAIRS}


def _swap_table(pairs) -> dict[str, str]:
    table: dict[str, str] = {}
    for a, b in pairs:
        for w in (a, b):
            if w in table or w != w.lower() or not w.isalpha():
                raise ValueError(f"swap table: '{w}' repeated or not a lower-case word")
        table[a], table[b] = b, a
    return table


_TABLES = {k: _swap_table(v) for k, v in ATTRIBUTE_PAIRS.items()}
_WORD = re.compile(r"[A-Za-z]+")


def _table(attribute: str) -> dict[str, str]:
    if attribute not in _TABLES:
        raise UnknownNameError("sensitive attribute for text", attribute, _TABLES)
    return _TABLES[attribute]


def _with_case(src: str, word: str) -> str:
    if len(src) > 1 and src.isupper():
        return word.upper()
    if src[0].isupper():
        return word[0].upper() + word[1:]
    return word


def swap_attribute(text: str, attribute: str = "gender") -> str:
    """The counterfactual of ``text``: every marker word of ``attribute`` replaced by its partner, case kept.

    Words are maximal runs of ASCII letters, so ``he'd`` -> ``she'd`` and ``man's`` -> ``woman's`` while
    ``hello`` or ``manager`` are left alone.
    """
    table = _table(attribute)
    if not isinstance(text, str):
        raise DataError(f"swap_attribute: expected a string (got {type(text).__name__})")

    def sub(m: re.Match) -> str:
        w = m.group(0)
        r = table.get(w.lower())
        return w if r is None else _with_case(w, r)

    return _WORD.sub(sub, text)


def attribute_counts(text: str, attribute: str = "gender") -> tuple[int, int]:
    """(number of first-side words, number of second-side words) of ``attribute`` (gender: male, female)."""
    table = _table(attribute)
    if not isinstance(text, str):
        raise DataError(f"attribute_counts: expected a string (got {type(text).__name__})")
    first = {a for a, _ in ATTRIBUTE_PAIRS[attribute]}
    n0 = n1 = 0
    for w in _WORD.findall(text):
        w = w.lower()
        if w in table:
            if w in first:
                n0 += 1
            else:
                n1 += 1
    return n0, n1


def attribute_of(text: str, attribute: str = "gender") -> int:
    """0 if the first side's words are in the majority (gender: male), 1 if the second's, -1 if neither
    (no marker word, or a tie)."""
    n0, n1 = attribute_counts(text, attribute)
    return 0 if n0 > n1 else 1 if n1 > n0 else -1
