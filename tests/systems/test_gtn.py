"""GTN system: smoke reproduce, run, bench, config and data errors; the real reproduction is slow."""

import pytest

from paperworks.core.errors import ConfigError, DataError
from paperworks.core.registry import get_system
from paperworks.core.rundir import RunDir

pytest.importorskip("torch_geometric")


def test_reproduce_smoke_report_structure(reproduce_smoke):
    d = reproduce_smoke("gtn")
    names = [c["claim"] for c in d["claims"]]
    assert any("P-S-P" in n for n in names) and any("homogeneous" in n for n in names)
    assert any("Paper" in t["title"] for t in d["tables"])


def test_run_and_bench_smoke(tmp_path):
    cls = get_system("gtn")
    sysm = cls(cls.make_config({}, preset="smoke"))
    out = sysm.run(RunDir(tmp_path / "run"))
    assert 0 <= out["test_macro_f1"] <= 1 and out["relations"][-1] == "I"
    assert len(out["alphas"]) == 2 and abs(sum(out["alphas"][0][0]) - 1) < 1e-5
    b = sysm.bench(None, quick=True)
    assert b["ratio"] > 0 and b["dense_over_sparse"] > 0 and isinstance(b["summary"], str)


def test_config_errors_name_the_key():
    cls = get_system("gtn")
    with pytest.raises(ConfigError, match="dataset"):
        cls.make_config({"dataset": "cora"})
    with pytest.raises(ConfigError, match="data_root"):
        cls.make_config({"dataset": "acm"})
    with pytest.raises(ConfigError, match="channels"):
        cls.make_config({"channels": "0"})


def test_missing_data_folder_and_unlabelled_graph_are_data_errors(tmp_path):
    from paperworks.data.hetero import make_academic_hetero
    from paperworks.systems.gtn import prepare_hetero

    cls = get_system("gtn")
    sysm = cls(cls.make_config({"dataset": "dblp", "data_root": str(tmp_path / "none")}))
    with pytest.raises(DataError, match="does not exist"):
        sysm.run(RunDir(tmp_path / "r"))
    d = make_academic_hetero(n_papers=30, n_authors=10, n_subjects=3, n_terms=5)
    del d["paper"].train_mask
    with pytest.raises(DataError, match="train_mask"):
        prepare_hetero(d)
    d = make_academic_hetero(n_papers=30, n_authors=10, n_subjects=3, n_terms=5)
    d["paper"].x[0, 0] = float("nan")
    with pytest.raises(DataError, match="NaN"):
        prepare_hetero(d)


@pytest.mark.slow
def test_quick_reproduction_claims_hold(tmp_path):
    cls = get_system("gtn")
    rep = cls(cls.make_config({})).reproduce(RunDir(tmp_path / "repro"), quick=True)
    assert rep.all_hold, [(c.claim, c.ours, c.reference) for c in rep.claims if not c.holds]


def test_run_on_a_local_npz_dataset(tmp_path):
    from paperworks.data.hetero import make_academic_hetero, save_hetero_npz

    d = make_academic_hetero(n_papers=60, n_authors=20, n_subjects=6, n_terms=10, seed=0)
    save_hetero_npz(d, tmp_path / "acm.npz", target="paper")
    cls = get_system("gtn")
    out = cls(cls.make_config({"dataset": "acm", "data_root": str(tmp_path), "epochs": "2",
                               "hidden": "8"})).run(RunDir(tmp_path / "run"))
    assert sorted(out["relations"]) == sorted(["pa", "ap", "ps", "sp", "pt", "tp", "I"])
    assert 0.0 <= out["test_macro_f1"] <= 1.0


def test_data_root_with_the_synthetic_dataset_is_refused():
    """data_root=DIR without dataset=dblp|acm|imdb was silently ignored (the run trained on generated data)."""
    from paperworks.core.registry import get_system

    with pytest.raises(ConfigError, match="'data_root' \\(/x\\) is read only by dataset=dblp"):
        get_system("gtn").make_config({"data_root": "/x"})
