"""Session-18: tame_bnn's 'only some seeds' claim when the MILP proved no bound (time limit before any: -inf)."""

import math

from paperworks.systems.tame_bnn import some_seeds_claim


def test_some_seeds_claim_without_a_proved_bound_does_not_hold_and_does_not_crash():
    for bound in (-math.inf, math.nan):
        c = some_seeds_claim([1, 2, 0], bound)    # was OverflowError / ValueError from math.ceil
        assert c.ours == 0.0 and not c.holds      # no seed is certified to reach an unknown optimum


def test_some_seeds_claim_with_a_finite_bound_is_unchanged():
    c = some_seeds_claim([1, 2, 0], 0.0)          # one of three seeds reaches 0: fraction 1/3, within [1/3, 2/3]
    assert abs(c.ours - 1 / 3) < 1e-15 and c.holds
