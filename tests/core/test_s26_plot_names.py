"""Report.add_plot / RunDir.save_figure write plots/NAME.png inside the run directory (their docstrings; README:
"plot paths must lie inside the run directory"). Before, a name with '..' wrote the figure beside plots/ and a
report.json that `paperworks report` then refused, an absolute name wrote it anywhere on disk (and referenced a
file that was not there), and '' wrote a hidden plots/.png."""

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from paperworks.core.report import Claim, Report, schema_problems  # noqa: E402
from paperworks.core.rundir import RunDir  # noqa: E402


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("name", ["../evil", "plots_escape/../../evil", "", ".", "a//b", "a/./b", "ABS"])
def test_a_name_leaving_plots_is_refused_and_nothing_is_written(tmp_path, name):
    if name == "ABS":
        name = str(tmp_path / "outside")
    rd = RunDir(tmp_path / "run")
    rep = Report("x")
    before = _files(tmp_path)
    fig = plt.figure()
    with pytest.raises(ValueError, match="stays inside plots/"):
        rep.add_plot(rd, fig, name)
    plt.close(fig)
    assert _files(tmp_path) == before and rep.plots == []


@pytest.mark.parametrize("name", ["ok", "per_fold", "sub/curve"])
def test_plain_names_and_sub_folders_still_give_a_valid_report(tmp_path, name):
    rd = RunDir(tmp_path / "run")
    rep = Report("x")
    rep.add_claim(Claim.at_least("c", "m", 1.0, 0.5))
    assert rep.add_plot(rd, plt.figure(), name) == f"plots/{name}.png"
    assert (rd.path / "plots" / f"{name}.png").is_file()
    rd.write_report(rep)
    assert schema_problems(json.loads((rd.path / "report.json").read_text())) == []
