"""System-level tests of multinomial_link (Wang, Tong & Yang, arXiv:2312.16260)."""

import pytest

from paperworks.core.errors import ConfigError
from paperworks.core.registry import get_system
from paperworks.core.rundir import RunDir
from paperworks.stats import InfeasibleError, MultinomialLinkModel
from paperworks.systems.multinomial_link import (SINGLE_LINKS, near_boundary_data, trauma_candidates,
                                                 two_group_data)


def test_reproduce_smoke_report_structure(reproduce_smoke):
    d = reproduce_smoke("multinomial_link")
    names = " ".join(c["claim"] for c in d["claims"])
    assert "Trauma" in names and "NA category" in names and "Feasibility" in names
    trauma = next(t for t in d["tables"] if "Trauma data" in t["title"])
    # the selected model is also set against the best of ALL multinomial logistic models, not only the
    # baseline-category logit of the claims
    assert sum("best multinomial logistic model" in str(r[0]) for r in trauma["rows"]) == 2


def test_trauma_search_covers_mixed_links_of_every_ordinal_family_including_cumulative():
    """The paper's mixed-link class (one link per predictor) spans the cumulative family too, whose
    feasibility the paper's algorithm handles; the search used to skip it ('always feasible' families only)."""
    cls = get_system("multinomial_link")
    mnl, cands, best = cls(cls.make_config({})).trauma()
    n_mixed = len(SINGLE_LINKS) ** 4 - len(SINGLE_LINKS)
    for fam in ("cumulative", "continuation", "adjacent"):
        assert sum(k[0] == fam and not isinstance(k[1], str) for k in cands) == n_mixed, fam
    assert len(cands) == len(trauma_candidates(True)) == 3 * (len(SINGLE_LINKS) + n_mixed)
    assert len(trauma_candidates(False)) == 3 * len(SINGLE_LINKS)
    # every candidate is a valid (feasible) fit, and the selected one is the AIC minimum over all of them
    assert all(r.min_prob > 0 for r in cands.values())
    assert cands[best].aic == min(r.aic for r in cands.values())


def test_config_rejects_bad_values():
    cls = get_system("multinomial_link")
    with pytest.raises(ConfigError, match="na_zeta"):
        cls.make_config({"na_zeta": "9"})


def test_near_boundary_generator_provokes_naive_failure_and_two_group_data_has_na():
    fails = 0
    for s in range(3):
        y, x = near_boundary_data(s)
        m = MultinomialLinkModel(y, x, model="cumulative", link="probit", assumption="npo")
        try:
            m.fit(step_halving=False)
        except InfeasibleError:
            fails += 1
        assert (m.fit().predict() > 0).all()
    assert fails >= 1
    y, x = two_group_data(0, 300, 0.2)
    assert 0.1 < y.isna().mean() < 0.5 and x.shape == (300, 1)


@pytest.mark.slow
def test_quick_reproduction_claims_hold(tmp_path):
    cls = get_system("multinomial_link")
    rep = cls(cls.make_config({})).reproduce(RunDir(tmp_path / "r"), quick=True)
    assert rep.all_hold, [c.claim for c in rep.claims if not c.holds]


def test_bench_smoke_times_only_the_small_sample_size():
    cls = get_system("multinomial_link")
    out = cls(cls.make_config({}, preset="smoke")).bench(None, quick=True)
    assert {r["n"] for r in out["rows"]} == {1000} and {r["J"] for r in out["rows"]} == {3, 5, 8}
    assert out["ratio"] > 0 and "n up to 1000" in out["summary"]
    with pytest.raises(ConfigError, match="bench_max_n"):
        cls.make_config({"bench_max_n": "10"})
