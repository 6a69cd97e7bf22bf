"""`paperworks report RUN_DIR` when a plot named in report.json is a folder (session 19): render_html tested only
exists() and then read it, so the command ended in an internal IsADirectoryError (exit 1). It is reported as a
missing plot now, like an absent file, and both report files are written."""

import json

from click.testing import CliRunner

from paperworks.core.cli import cli
from paperworks.core.report import Claim, Report
from paperworks.core.rundir import RunDir


def test_a_plot_that_is_a_folder_is_a_missing_plot(tmp_path):
    rd = RunDir(tmp_path / "r")
    rd.write_config("transformer", {"a": 1}, extra={"kind": "run"})
    rep = Report("transformer", True)
    rep.add_claim(Claim.at_least("x >= 1", "x", 2.0, 1.0))
    rd.write_report(rep)
    d = json.loads((rd.path / "report.json").read_text())
    d["plots"] = [{"file": "plots/a.png", "caption": "a"}, {"file": "plots/b.png", "caption": "b"}]
    (rd.path / "report.json").write_text(json.dumps(d))
    (rd.path / "plots" / "a.png").mkdir()
    (rd.path / "report.html").unlink()
    r = CliRunner().invoke(cli, ["report", str(rd.path)])
    assert r.exit_code == 0, r.output
    page = (rd.path / "report.html").read_text()
    assert "(missing plot plots/a.png)" in page and "(missing plot plots/b.png)" in page
