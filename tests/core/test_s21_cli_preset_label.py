"""`paperworks reproduce NAME --preset smoke` (no --quick) said "reproducing ... (full) ..." and its report
"full reproduction", as if the full-size config had run (probe, hdgi: "(full)", report.md "System `hdgi`, full
reproduction."). The labels now name the preset that ran next to the scale (quick / full); a run's report names
its preset too, also after --resume and after `paperworks report` rebuilds it. Without a preset nothing changes."""

import json

from paperworks.core.report import render_html, render_markdown, schema_problems

from test_cli import ToyLinReg, ok, run_cli


def _reproduce(args, tmp_path, capsys):
    out = tmp_path / "o"
    r = ok(["reproduce", "toy_linreg", *args, "--out", str(out)], capsys)
    (rd,) = list(out.iterdir())
    return r.err, (rd / "report.md").read_text(), json.loads((rd / "report.json").read_text()), rd


def test_the_reproduce_labels_name_the_preset(tmp_path, capsys):
    cases = {(): ("(full)", "full reproduction."),
             ("--quick",): ("(quick)", "quick reproduction."),
             ("--preset", "smoke"): ("(full, preset smoke)", "full reproduction, preset smoke."),
             ("--quick", "--preset", "smoke"): ("(quick, preset smoke)", "quick reproduction, preset smoke.")}
    for i, (args, (line, kind)) in enumerate(cases.items()):
        err, md, d, rd = _reproduce(args, tmp_path / str(i), capsys)
        assert f"[toy_linreg] reproducing " in err and err.splitlines()[0].endswith(f"{line} ..."), err
        assert f"System `toy_linreg`, {kind} Claims holding" in md, md
        assert d.get("preset") == (args[-1] if "--preset" in args else None)
        assert ("preset" in d) == ("--preset" in args)   # a report without a preset is as it was
        assert schema_problems(d) == []
        assert kind.rstrip(".") in render_html(d, rd)
        # `paperworks report` rebuilds the same label from report.json
        before = md
        ok(["report", str(rd)], capsys)
        assert (rd / "report.md").read_text() == before


def test_the_run_report_names_its_preset_also_after_resume(tmp_path, capsys):
    ok(["run", "toy_linreg", "--preset", "smoke", "--out", str(tmp_path)], capsys)
    (rd,) = list(tmp_path.iterdir())
    assert "System `toy_linreg`, training run (`paperworks run`, preset smoke)." in (rd / "report.md").read_text()
    ok(["run", "toy_linreg", "--resume", str(rd)], capsys)
    assert "training run (`paperworks run`, preset smoke)." in (rd / "report.md").read_text()
    ok(["run", "toy_linreg", "steps=3", "--out", str(tmp_path / "plain")], capsys)
    (plain,) = list((tmp_path / "plain").iterdir())
    assert "System `toy_linreg`, training run (`paperworks run`). " in (plain / "report.md").read_text()


def test_the_all_summary_names_the_preset(tmp_path, capsys, monkeypatch):
    import paperworks.core.cli as cli_mod

    monkeypatch.setattr(cli_mod, "_systems_for", lambda name, all_: [ToyLinReg])
    ok(["reproduce", "--all", "--preset", "smoke", "--out", str(tmp_path)], capsys)
    (md,) = tmp_path.glob("summary-*.md")
    assert md.read_text().startswith("# paperworks reproduce --all (full, --preset smoke where a system defines it), ")
    assert json.loads(md.with_suffix(".json").read_text())["preset"] == "smoke"


def test_a_report_json_with_a_bad_preset_is_refused(tmp_path):
    d = {"system": "x", "quick": True, "claims": [], "preset": 3}
    assert schema_problems(d) == ["'preset' must be a string or null"]
    d["preset"] = "<b>smoke</b>"
    assert "<b>" not in render_html(d, tmp_path) and "preset <b>smoke</b>" in render_markdown(d)
