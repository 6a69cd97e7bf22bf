"""`paperworks report RUN_DIR` rebuilt report.md / report.html from report.json as stored (session 25): a claim
whose ``holds`` had been edited (or whose ``ours`` had) was shown as holding beside numbers that fail its rule,
"4/4 claims hold". ``schema_problems`` now re-decides each claim's printed rule from its stored numbers where they
decide it (beyond the 6 significant digits the rule prints its constants with: ties and near-ties are left as
stored) and refuses a ``holds`` (or an ``all_hold``) that says otherwise; reports as written are unchanged."""

import json
import re

import pytest

from paperworks.core.errors import DataError
from paperworks.core.report import Claim, Report, schema_problems
from paperworks.core.rundir import RunDir


def _report(tmp_path):
    rd = RunDir(tmp_path / "r")
    rep = Report("toy", quick=True)
    rep.add_claim(Claim.beats("beats", "f1", 0.74, 0.54, margin=0.05, paper=0.93))
    rep.add_claim(Claim.no_worse("no worse", "f1", 0.74, 0.765, tolerance=0.05))
    rep.add_claim(Claim.at_least("at least", "acc", 0.9985, 0.99))
    rep.add_claim(Claim.at_most("at most", "ratio", 0.727, 0.5))
    rep.add_claim(Claim.beats("lower", "mse", 0.3, 0.2, higher_is_better=False))
    rep.add_claim(Claim.within("within", "aic", 2456.4, 2465.2, 10.0))
    rep.add_claim(Claim.at_least("tie", "acc", 1.0, 1.0))
    rep.add_claim(Claim.at_least("nan", "acc", float("nan"), 0.5))
    return rd, rd.write_report(rep)


def test_reports_as_written_pass_and_rebuild(tmp_path):
    from paperworks.core.report import rule_verdict

    rd, d = _report(tmp_path)
    assert schema_problems(d) == []
    assert [c["holds"] for c in d["claims"]] == [True, True, True, False, False, True, True, False]
    assert [rule_verdict(c) for c in d["claims"]] == [True, True, True, False, False, True, None, None]
    before = (rd.path / "report.md").read_text()
    rd.rebuild_report()
    assert (rd.path / "report.md").read_text() == before


@pytest.mark.parametrize("i, field, value", [(0, "holds", False), (3, "holds", True), (4, "holds", True),
                                             (5, "holds", False), (0, "ours", 0.1), (2, "ours", 0.5),
                                             (1, "baseline", 0.9)])
def test_an_edited_claim_is_refused(tmp_path, i, field, value):
    rd, d = _report(tmp_path)
    d["claims"][i][field] = value
    (rd.path / "report.json").write_text(json.dumps(d))
    md = (rd.path / "report.md").read_text()
    with pytest.raises(DataError, match=re.escape(f"claims[{i}].holds is ") + ".*its rule"):
        rd.rebuild_report()
    assert (rd.path / "report.md").read_text() == md   # left as it was


def test_all_hold_must_agree_with_the_claims(tmp_path):
    rd, d = _report(tmp_path)
    d["all_hold"] = True
    (rd.path / "report.json").write_text(json.dumps(d))
    with pytest.raises(DataError, match=re.escape("'all_hold' is true, but 5 of 8 claims hold")):
        rd.rebuild_report()


def test_ties_and_rounded_rules_are_left_as_stored():
    from paperworks.core.report import rule_verdict

    # the rule prints its constants to 6 digits: a difference within that rounding is not re-decided
    c = {"claim": "c", "metric": "m", "paper": None, "ours": 0.1234567, "baseline": None, "holds": False,
         "rule": "ours >= 0.123457"}
    assert rule_verdict(c) is None and schema_problems({"system": "x", "quick": True, "claims": [c]}) == []
    for rule in ("ours beats the LSTM", "", "ours >= baseline"):   # another form, or no baseline to compare with
        assert rule_verdict({**c, "rule": rule}) is None
    huge = {**c, "ours": 10 ** 400, "rule": "ours >= 0.99", "holds": True}   # no float holds it: not decided
    assert rule_verdict(huge) is None and schema_problems({"system": "x", "quick": True, "claims": [huge]}) == []


def test_cli_report_names_the_edited_claim(tmp_path, capsys):
    from paperworks.core.cli import main

    rd, d = _report(tmp_path)
    d["claims"][3]["holds"] = True
    (rd.path / "report.json").write_text(json.dumps(d))
    with pytest.raises(SystemExit) as e:
        main(["report", str(rd.path)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "claims[3].holds is true, but its numbers fail its rule 'ours <= 0.5'" in err
