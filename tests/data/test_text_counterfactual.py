"""Word-swap counterfactuals of texts: an explicit, case-preserving involution on the gendered words only."""

import pytest

from paperworks.core.errors import DataError, UnknownNameError
from paperworks.data.text_counterfactual import GENDER_PAIRS, attribute_counts, attribute_of, swap_attribute


def test_every_table_word_maps_to_its_partner_in_every_case_and_back():
    words = [w for pair in GENDER_PAIRS for w in pair]
    assert len(words) == len(set(words))  # a bijection: no word in two pairs
    for m, f in GENDER_PAIRS:
        for a, b in ((m, f), (f, m)):
            for src, want in ((a, b), (a.capitalize(), b.capitalize()), (a.upper(), b.upper())):
                assert swap_attribute(src) == want
                assert swap_attribute(want) == src


def test_swap_of_a_sentence_is_exact_and_an_involution():
    t = "He told HIS wife: 'Mr. Smith's son loves her, not him!'\nThe manager said hello to the shepherd."
    want = "She told HER husband: 'Mrs. Smith's daughter loves his, not hers!'\nThe manager said hello to the shepherd."
    assert swap_attribute(t) == want
    assert swap_attribute(want) == t
    assert swap_attribute("he'd") == "she'd" and swap_attribute("man's") == "woman's"


def test_texts_without_gendered_words_are_unchanged():
    for t in ("", "The cat sat on the mat.", "Hello, manager! Shelf heroes hiss; 42 themes.", "whom? human"):
        assert swap_attribute(t) == t
        assert attribute_counts(t) == (0, 0) and attribute_of(t) == -1


def test_counts_flip_with_the_swap():
    t = "The king and his men met a woman; she laughed."
    assert attribute_counts(t) == (3, 2) and attribute_of(t) == 0
    assert attribute_counts(swap_attribute(t)) == (2, 3) and attribute_of(swap_attribute(t)) == 1
    assert attribute_of("he and she") == -1


def test_bad_input():
    with pytest.raises(UnknownNameError, match="sensitive attribute for text"):
        swap_attribute("he", "race")
    with pytest.raises(UnknownNameError, match="sensitive attribute for text"):
        attribute_of("he", "religion")
    with pytest.raises(DataError, match="expected a string"):
        swap_attribute(["he"])


@pytest.mark.data
def test_involution_on_the_real_corpus():
    from paperworks.data.text import FORTUNES_DIR, read_fortune_file

    texts = read_fortune_file(f"{FORTUNES_DIR}/men-women") + read_fortune_file(f"{FORTUNES_DIR}/people")
    changed = 0
    for t in texts:
        s = swap_attribute(t)
        assert swap_attribute(s) == t
        changed += s != t
        assert attribute_counts(s) == attribute_counts(t)[::-1]
    assert changed > 500
