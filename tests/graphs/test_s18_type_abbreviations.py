"""type_abbreviations gave two node types the same short name when every prefix of one was taken: ['ab', 'a'] ->
{'ab': 'A', 'a': 'A'}, ['a', 'A'] -> both 'A', so rank_metapaths named the meta-paths ab-a and a-ab both 'A-A'.
Oracle: the names must be distinct (a bijection), and prefixes unchanged where they were already unique."""

from paperworks.graphs.hetero import type_abbreviations


def test_abbreviations_are_distinct():
    for types in (["ab", "a"], ["a", "A"], ["a", "A", "a2", "A2"], ["paper", "author", "subject", "term", "p"]):
        ab = type_abbreviations(types)
        assert set(ab) == set(types) and len(set(ab.values())) == len(types), ab
    assert type_abbreviations(["paper", "author", "subject", "term"]) == {"paper": "P", "author": "A", "subject": "S",
                                                                          "term": "T"}
    assert type_abbreviations(["paper", "person"]) == {"paper": "P", "person": "PE"}
