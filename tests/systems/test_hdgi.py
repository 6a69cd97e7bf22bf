"""HDGI system: smoke reproduce, run, config and data errors; the real reproduction is slow."""

import math

import pytest

from paperworks.core.errors import ConfigError, DataError
from paperworks.core.registry import get_system
from paperworks.core.rundir import RunDir

pytest.importorskip("torch_geometric")


def test_reproduce_smoke_report_structure(reproduce_smoke):
    d = reproduce_smoke("hdgi")
    names = [c["claim"] for c in d["claims"]]
    assert any("DGI" in n for n in names) and any("log 2" in n for n in names)
    init = [c for c in d["claims"] if "log 2" in c["claim"]][0]
    assert abs(init["ours"] - math.log(2)) < 0.05


def test_run_smoke_returns_probe_and_clustering(tmp_path):
    cls = get_system("hdgi")
    out = cls(cls.make_config({}, preset="smoke")).run(RunDir(tmp_path / "run"))
    for k in ("macro_f1", "micro_f1", "nmi", "ari"):
        assert k in out
    assert abs(sum(out["beta"].values()) - 1) < 1e-5


def test_config_errors_name_the_key():
    cls = get_system("hdgi")
    with pytest.raises(ConfigError, match="metapaths"):
        cls.make_config({"metapaths": "PSP,PXP"})
    with pytest.raises(ConfigError, match="metapaths"):
        cls.make_config({"metapaths": ","})
    with pytest.raises(ConfigError, match="data_root"):
        cls.make_config({"dataset": "imdb"})


def test_graph_without_features_is_a_data_error(tmp_path):
    from paperworks.data.hetero import make_academic_hetero

    cls = get_system("hdgi")
    sysm = cls(cls.make_config({}, preset="smoke"))
    d = make_academic_hetero(n_papers=30, n_authors=10, n_subjects=3, n_terms=5)
    del d["paper"].x
    d["paper"].num_nodes = 30
    with pytest.raises(DataError, match="features"):
        sysm.prepare(d)


@pytest.mark.slow
def test_quick_reproduction_claims_hold(tmp_path):
    cls = get_system("hdgi")
    rep = cls(cls.make_config({})).reproduce(RunDir(tmp_path / "repro"), quick=True)
    assert rep.all_hold, [(c.claim, c.ours, c.reference) for c in rep.claims if not c.holds]


def test_bench_compares_with_pyg_dgi_on_same_graph():
    from paperworks.core.registry import get_system

    cls = get_system("hdgi")
    res = cls(cls.make_config({}, preset="smoke")).bench(None, quick=True)
    assert res["ratio"] > 0 and res["epoch_s_ours"] > 0 and res["epoch_s_pyg"] > 0
    assert res["ratio"] == pytest.approx(res["epoch_s_pyg"] / res["epoch_s_ours"])


def test_dgi_baselines_get_the_same_early_stopping_budget_as_hdgi():
    cls = get_system("hdgi")
    for preset in (None, "smoke", "paper"):
        c = cls.make_config({}, preset=preset)
        assert c.dgi_patience == c.patience, preset


def test_a_meta_path_named_twice_is_refused():
    """metapaths=PSP,PSP ran silently with the same view twice in the semantic attention."""
    from paperworks.core.registry import get_system

    with pytest.raises(ConfigError, match="'metapaths' names PSP more than once"):
        get_system("hdgi").make_config({"metapaths": "PSP, PAP,PSP"})


def test_data_root_with_the_synthetic_dataset_is_refused():
    """data_root=DIR without dataset=dblp|acm|imdb was silently ignored (the run trained on generated data)."""
    from paperworks.core.registry import get_system

    with pytest.raises(ConfigError, match="'data_root' \\(/x\\) is read only by dataset=dblp"):
        get_system("hdgi").make_config({"data_root": "/x"})
