"""Claims without a margin or tolerance decide rounding ties like the ones with one (core.report._tied_holds):
two means of the same per-seed counts may differ in the last bit, and a claim must not be decided by that bit."""

import math

import numpy as np
import pytest

from paperworks.core.report import Claim

# hgp_sl quick reproduction (node-order rerun, 1b31b78): 12+12+14 = 38 of 60 test graphs right for HGP-SL,
# 11+16+11 = 38 of 60 for the ablation; the per-seed accuracies averaged in a different order of roundings
HGP = float(np.mean([0.6, 0.6, 0.7]))
ABL = float(np.mean([0.55, 0.8, 0.55]))


def test_the_two_means_differ_only_by_rounding():
    assert HGP != ABL and abs(HGP - ABL) <= math.ulp(HGP) + math.ulp(ABL)


def test_no_worse_holds_on_a_rounding_tie():
    assert Claim.no_worse("c", "acc", HGP, ABL).holds
    assert Claim.no_worse("c", "err", ABL, HGP, higher_is_better=False).holds


def test_beats_fails_on_a_rounding_tie():
    assert not Claim.beats("c", "acc", ABL, HGP).holds
    assert not Claim.beats("c", "err", HGP, ABL, higher_is_better=False).holds


@pytest.mark.parametrize("make", [Claim.at_least, Claim.at_most])
def test_thresholds_hold_on_a_rounding_tie(make):
    x = 0.1 + 0.2   # 0.30000000000000004: "0.1 + 0.2 is 0.3"
    assert make("c", "m", x, 0.3).holds and make("c", "m", 0.3, x).holds


def test_within_zero_tolerance_holds_on_a_rounding_tie():
    assert Claim.within("c", "m", HGP, ABL, 0.0).holds


@pytest.mark.parametrize("gap", [1e-12, 1e-9, 0.01])
def test_real_differences_still_decide(gap):
    lo, hi = 0.6333, 0.6333 + gap
    assert not Claim.no_worse("c", "acc", lo, hi).holds
    assert Claim.beats("c", "acc", hi, lo).holds
    assert not Claim.at_least("c", "m", lo, hi).holds
    assert not Claim.at_most("c", "m", hi, lo).holds
    assert not Claim.within("c", "m", lo, hi, 0.0).holds


def test_nan_still_fails():
    assert not Claim.no_worse("c", "acc", math.nan, 0.5).holds
    assert not Claim.at_least("c", "m", math.nan, 0.5).holds
    assert not Claim.at_least("c", "m", 0.5, math.nan).holds
    assert not Claim.beats("c", "acc", 0.5, math.nan).holds
