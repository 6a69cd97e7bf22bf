"""Only transformer (4x the updates, de and fr) and tame_bnn (a 301-point value function) run more without --quick;
for the nine other systems `reproduce NAME` and `reproduce NAME --quick` compute the same thing, yet the first said
"reproducing ... (full)" and its report "full reproduction" (probe: `reproduce multinomial_link` -> report.md
"System `multinomial_link`, full reproduction."). A system declares a larger scale with System.full_scale; without
one, a reproduction without --quick is labelled "reproduction at the quick scale" (report.json keeps "quick": false
and adds "full_scale": false), and the --all summary says which systems ran a full scale."""

import json
from dataclasses import dataclass

import pytest

from paperworks.core import Paper, System, register
from paperworks.core.cli import main
from paperworks.core.config import Config
from paperworks.core.report import Claim, Report, render_html, render_markdown, schema_problems

QUICK_SCALE = "reproduction at the quick scale (the system has no larger full scale)"


@dataclass(frozen=True)
class _Cfg(Config):
    seed: int = 0


class _OneScale(System):
    full_scale = False
    presets = {"smoke": {}}

    def reproduce(self, run_dir, quick=True):
        rep = Report(self.name, quick)
        rep.add_claim(Claim.at_least("one", "x", 1.0, 0.5))
        return rep


class _TwoScales(_OneScale):
    full_scale = True


class _Undeclared(System):
    """A user's own system that predates System.full_scale (it may well run more with quick=False)."""
    presets = {"smoke": {}}

    def reproduce(self, run_dir, quick=True):
        rep = Report(self.name, quick)
        rep.add_claim(Claim.at_least("one", "x", 1.0, 0.5))
        return rep


@pytest.fixture
def systems(monkeypatch):
    from paperworks.core import registry

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry.all_systems()))
    register("s26_one_scale", paper=Paper("A. Author", "One", "Nowhere", 2000), config=_Cfg)(_OneScale)
    register("s26_two_scales", paper=Paper("A. Author", "Two", "Nowhere", 2000), config=_Cfg)(_TwoScales)
    return registry


def _reproduce(args, out, capsys):
    try:
        main(["reproduce", *args, "--out", str(out)])
    except SystemExit as e:
        assert e.code == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    (rd,) = [p for p in out.iterdir() if p.is_dir()]
    return err, (rd / "report.md").read_text(), json.loads((rd / "report.json").read_text()), rd


@pytest.mark.parametrize("preset", [None, "smoke"])
def test_a_system_with_one_scale_is_not_called_a_full_reproduction(systems, tmp_path, capsys, preset):
    extra = ["--preset", preset] if preset else []
    tail = f", preset {preset}" if preset else ""
    err, md, d, rd = _reproduce(["s26_one_scale", *extra], tmp_path / "full", capsys)
    assert f"(quick scale: the system has no larger full scale{tail}) ..." in err
    assert f"System `s26_one_scale`, {QUICK_SCALE}{tail}. Claims holding" in md
    assert "full reproduction" not in md
    assert d["quick"] is False and d["full_scale"] is False      # "quick" as given
    assert schema_problems(d) == [] and QUICK_SCALE in render_html(d, rd)
    main_ok = (rd / "report.md").read_text()
    try:
        main(["report", str(rd)])   # rebuilt from report.json: the same label
    except SystemExit as e:
        assert e.code == 0
    assert (rd / "report.md").read_text() == main_ok

    # --quick: as before
    err, md, d, _ = _reproduce(["s26_one_scale", "--quick", *extra], tmp_path / "quick", capsys)
    assert f"(quick{tail}) ..." in err and f"System `s26_one_scale`, quick reproduction{tail}. " in md
    assert "full_scale" not in d


def test_a_system_with_a_full_scale_keeps_its_labels(systems, tmp_path, capsys):
    err, md, d, _ = _reproduce(["s26_two_scales"], tmp_path / "full", capsys)
    assert err.splitlines()[0].endswith("(full) ...")
    assert "System `s26_two_scales`, full reproduction. " in md
    assert d["quick"] is False and "full_scale" not in d


def test_an_old_report_json_renders_as_before():
    d = {"system": "x", "quick": False, "claims": []}
    assert "System `x`, full reproduction. " in render_markdown(d)


def test_the_all_summary_names_the_systems_that_ran_a_full_scale(systems, tmp_path, capsys, monkeypatch):
    import paperworks.core.cli as cli_mod

    monkeypatch.setattr(cli_mod, "_systems_for", lambda name, all_: [_TwoScales, _OneScale])
    try:
        main(["reproduce", "--all", "--out", str(tmp_path)])
    except SystemExit as e:
        assert e.code == 0
    (md,) = tmp_path.glob("summary-*.md")
    assert md.read_text().startswith("# paperworks reproduce --all (full for s26_two_scales, the quick scale for the "
                                     "others (they have no larger one)), ")
    monkeypatch.setattr(cli_mod, "_systems_for", lambda name, all_: [_OneScale])
    try:
        main(["reproduce", "--all", "--quick", "--out", str(tmp_path / "q")])
    except SystemExit as e:
        assert e.code == 0
    (md,) = (tmp_path / "q").glob("summary-*.md")
    assert md.read_text().startswith("# paperworks reproduce --all (quick), ")


def test_only_transformer_and_tame_bnn_have_a_larger_full_scale():
    """The systems whose reproduce() computes more with quick=False (the others pass quick to their Report, and
    diffpool / hgp_sl to a note's wording, only)."""
    from paperworks.core.registry import all_systems

    ours = {n: c for n, c in all_systems().items() if c.__module__.startswith("paperworks.systems.")}
    assert len(ours) == 11   # (test systems registered by other test files are left out)
    assert {n for n, c in ours.items() if c.full_scale} == {"transformer", "tame_bnn"}


def test_the_python_api_labels_the_same_way(systems, tmp_path):
    """System.reproduce itself marks the report (the CLI and a program calling reproduce() write the same
    report.json: the determinism test compares the two)."""
    rep = _OneScale(_Cfg()).reproduce(tmp_path / "a", quick=False)
    assert rep.quick is False and rep.to_dict()["full_scale"] is False
    assert QUICK_SCALE in render_markdown(rep.to_dict())
    assert "full_scale" not in _OneScale(_Cfg()).reproduce(tmp_path / "b", quick=True).to_dict()
    assert "full_scale" not in _TwoScales(_Cfg()).reproduce(tmp_path / "c", quick=False).to_dict()
    assert "full reproduction" in render_markdown(_TwoScales(_Cfg()).reproduce(tmp_path / "d", quick=False).to_dict())


def test_an_undeclared_system_keeps_the_full_label(systems, tmp_path):
    """full_scale None (not declared, e.g. a user's own system whose quick=False may run more) keeps the label and
    report.json it had before System.full_scale existed; only a declared False says "quick scale"."""
    register("s26_undeclared", paper=Paper("A. Author", "Three", "Nowhere", 2000), config=_Cfg)(_Undeclared)
    assert _Undeclared.full_scale is None
    d = _Undeclared(_Cfg()).reproduce(tmp_path / "u", quick=False).to_dict()
    assert "full_scale" not in d and "full reproduction" in render_markdown(d)
    from paperworks.core.cli import _larger, _scale
    assert _larger([_Undeclared, _OneScale, _TwoScales]) == [_Undeclared.name, _TwoScales.name]
    assert "full" == _scale(False, None, _Undeclared.full_scale is not False)[:4]
