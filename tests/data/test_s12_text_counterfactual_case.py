"""swap_attribute: the involution holds for lower / UPPER / Title case, as documented; mixed case does not."""

import pytest

from paperworks.data.text_counterfactual import GENDER_PAIRS, swap_attribute


@pytest.mark.parametrize("case", [str.lower, str.upper, str.title])
def test_double_swap_restores_every_marker_word_in_the_documented_case_patterns(case):
    words = [w for pair in GENDER_PAIRS for w in pair]
    text = ", ".join(case(w) for w in words) + "."
    once = swap_attribute(text)
    assert all(a != b for a, b in zip(text.split(", "), once.split(", ")))
    assert swap_attribute(once) == text


def test_mixed_case_marker_words_are_swapped_but_not_restored_as_written():
    assert swap_attribute("hIS hat") == "her hat"
    assert swap_attribute(swap_attribute("hIS hat")) == "his hat"
