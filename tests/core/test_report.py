import json
import re

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from paperworks.core.report import Claim, Report  # noqa: E402
from paperworks.core.rundir import RunDir  # noqa: E402


def test_holds_is_computed_from_numbers():
    assert Claim.at_least("acc", "acc", 0.99, 0.99).holds
    assert not Claim.at_least("acc", "acc", 0.98, 0.99).holds
    assert Claim.beats("b", "acc", 0.8, 0.7, margin=0.05).holds
    assert not Claim.beats("b", "acc", 0.74, 0.7, margin=0.05).holds
    assert Claim.beats("b", "err", 0.1, 0.2, higher_is_better=False).holds
    assert Claim.no_worse("n", "acc", 0.69, 0.70, tolerance=0.02).holds
    assert not Claim.at_most("m", "ece", float("nan"), 0.1).holds
    w = Claim.within("w", "x", 1.05, 1.0, 0.1)
    assert w.holds and w.ours == 1.05
    with pytest.raises(TypeError):
        Claim("c", "m", 1.0, ">=", 0.0, holds=False)  # holds cannot be written by hand


@pytest.mark.parametrize("make, holds", [
    # at_least / at_most: inclusive thresholds
    (lambda: Claim.at_least("c", "m", 0.5, 0.5), True), (lambda: Claim.at_least("c", "m", 0.4999, 0.5), False),
    (lambda: Claim.at_most("c", "m", 0.1, 0.1), True), (lambda: Claim.at_most("c", "m", 0.1001, 0.1), False),
    # beats: strictly better than baseline + margin (higher) / baseline - margin (lower is better)
    (lambda: Claim.beats("c", "m", 0.75, 0.7, margin=0.05), False),
    (lambda: Claim.beats("c", "m", 0.7, 0.7), False),
    (lambda: Claim.beats("c", "m", 0.2, 0.1, higher_is_better=False), False),
    (lambda: Claim.beats("c", "m", 0.06, 0.1, margin=0.05, higher_is_better=False), False),
    (lambda: Claim.beats("c", "m", 0.04, 0.1, margin=0.05, higher_is_better=False), True),
    # no_worse: within the tolerance on the bad side only
    (lambda: Claim.no_worse("c", "m", 0.67, 0.70, tolerance=0.02), False),
    (lambda: Claim.no_worse("c", "m", 0.70, 0.70), True),
    (lambda: Claim.no_worse("c", "m", 0.11, 0.10, tolerance=0.02, higher_is_better=False), True),
    (lambda: Claim.no_worse("c", "m", 0.13, 0.10, tolerance=0.02, higher_is_better=False), False),
    (lambda: Claim.no_worse("c", "m", 0.01, 0.10, tolerance=0.0, higher_is_better=False), True),
    # within: two-sided
    (lambda: Claim.within("c", "m", 0.85, 1.0, 0.1), False), (lambda: Claim.within("c", "m", 1.15, 1.0, 0.1), False),
    (lambda: Claim.within("c", "m", 0.95, 1.0, 0.1), True),
    # a NaN measurement never holds, whatever the rule
    (lambda: Claim.at_least("c", "m", float("nan"), 0.0), False),
    (lambda: Claim.beats("c", "m", float("nan"), 0.0), False),
    (lambda: Claim.within("c", "m", float("nan"), 1.0, 10.0), False),
])
def test_claim_rules_truth_table(make, holds):
    """Each rule on both sides of (and at) its boundary: the first test only showed most rules holding."""
    assert make().holds is holds


def test_report_files_and_schema(tmp_path):
    rd = RunDir(tmp_path / "r")
    rep = Report("toy", quick=True)
    rep.add_claim(Claim.beats("ours beats baseline", "acc", 0.9, 0.5, paper=0.95))
    rep.add_table("t", ["a", "b"], [[1, 2.5]])
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    rep.add_plot(rd, fig, "line", "a line")
    rd.write_report(rep)
    for f in ("report.json", "report.md", "report.html", "plots/line.png"):
        assert (rd.path / f).exists()
    j = json.loads((rd.path / "report.json").read_text())
    assert j["system"] == "toy" and j["quick"] is True
    assert j["claims"][0] == {"claim": "ours beats baseline", "metric": "acc", "paper": 0.95, "ours": 0.9,
                              "baseline": 0.5, "holds": True, "rule": "ours > baseline"}
    assert "data:image/png;base64," in (rd.path / "report.html").read_text()
    (rd.path / "report.md").unlink()
    rd.rebuild_report()
    assert "ours beats baseline" in (rd.path / "report.md").read_text()
    with pytest.raises(ValueError, match="row"):
        rep.add_table("bad", ["a"], [[1, 2]])


def test_report_json_follows_the_issue_schema_and_bad_documents_are_named(tmp_path):
    """schema_problems is the issue's report.json schema; `paperworks report` refuses a malformed document
    with one message naming the first problem (it used to fail with "'int' object is not iterable" or
    "missing key 'holds'")."""
    from paperworks.core.errors import DataError
    from paperworks.core.report import schema_problems

    rd = RunDir(tmp_path / "r")
    rep = Report("toy", quick=True)
    rep.add_claim(Claim.beats("b", "acc", 0.9, 0.5, paper=0.95))
    rep.add_claim(Claim.at_least("nan", "acc", float("nan"), 0.5))   # stored as null, does not hold
    d = rd.write_report(rep)
    assert schema_problems(d) == [] and d["claims"][1]["ours"] is None and d["claims"][1]["holds"] is False
    cases = {'{"system": "x", "quick": true, "claims": 5}': "'claims' must be a list",
             '[1, 2]': "not an object",
             '{"system": "x", "quick": 1, "claims": []}': "'quick' must be true or false",
             '{"system": "x", "quick": true, "claims": [{"claim": "a", "metric": "m", "paper": null, '
             '"ours": "0.9", "baseline": null, "holds": true}]}': "claims[0].ours must be a number or null",
             '{"system": "x", "quick": true, "claims": [{"claim": "a", "metric": "m", "paper": null, '
             '"ours": null, "baseline": null, "holds": true}]}': "holds without a measured number",
             '{"system": "x", "quick": true, "claims": [], "tables": [{"title": "t"}]}': "tables[0]"}
    for text, problem in cases.items():
        (rd.path / "report.json").write_text(text)
        with pytest.raises(DataError, match=re.escape(problem)):
            rd.rebuild_report()


def test_run_folders_of_runs_started_in_the_same_second_are_distinct(tmp_path, monkeypatch):
    """RunDir.new picked a free name with exists() and then created it with mkdir(exist_ok=True), so two runs
    started in the same second by parallel jobs could both take the folder; here the other job's folder
    appears between the two calls (exists() says False, as it did for the loser of the race)."""
    from pathlib import Path

    real_exists = Path.exists
    monkeypatch.setattr(Path, "exists", lambda self: False if self.name.startswith("toy-run-") else real_exists(self))
    paths = {RunDir.new(tmp_path, "toy", "run").path for _ in range(3)}
    assert len(paths) == 3 and all(p.is_dir() for p in paths)


def test_report_json_is_written_last_so_a_failed_write_leaves_no_finished_mark(tmp_path, monkeypatch):
    # report.json marks a finished run: when writing report.md / report.html fails (a full disk), it must not
    # exist beside a missing report.html (it used to be written first)
    import paperworks.core.rundir as rundir_mod

    real = rundir_mod.atomic_write_text

    def failing(path, text):
        if str(path).endswith("report.html"):
            raise OSError(28, "No space left on device", str(path))
        return real(path, text)

    monkeypatch.setattr(rundir_mod, "atomic_write_text", failing)
    rd = RunDir(tmp_path / "r")
    rep = Report("toy", True)
    rep.add_claim(Claim.at_least("c", "acc", 0.5, 0.1))
    with pytest.raises(OSError, match="No space left"):
        rd.write_report(rep)
    assert not (rd.path / "report.json").exists() and not (rd.path / "report.html").exists()
    monkeypatch.setattr(rundir_mod, "atomic_write_text", real)
    rd.write_report(rep)
    assert all((rd.path / f).exists() for f in ("report.json", "report.md", "report.html"))
