"""The training plot of a plain `paperworks run` (records with `step` and `loss` / `eval/*`): a logged value near
the float64 maximum (an eval perplexity exp(loss) at a loss of ~700), or an int beyond it, made the figure fail
("ValueError: arange: cannot compute length" / OverflowError) after the training had finished, so the run ended
with exit 2 and no report. Such a value is a gap in the line, as NaN and inf already were."""

import math

import pytest

from paperworks.core.cli import _run_report
from paperworks.core.report import schema_problems
from paperworks.core.rundir import RunDir


@pytest.mark.parametrize("big", [1.7e308, -1.7e308, 10 ** 400], ids=["max", "minus_max", "int_beyond"])
def test_training_plot_survives_values_near_the_float_maximum(big, tmp_path):
    rd = RunDir(tmp_path / "run")
    for step, v in ((1, 3.0), (2, big), (3, 2.0)):
        rd.log_metrics({"step": step, "loss": 0.5 / step, "eval/ppl": v})
    rep = _run_report("x", rd, {"ppl": 2.0})
    assert [p["file"] for p in rep.plots] == ["plots/training.png"]
    d = rd.write_report(rep)
    assert not schema_problems(d) and (tmp_path / "run" / "plots" / "training.png").stat().st_size > 0


def test_non_finite_values_still_give_the_plot(tmp_path):
    rd = RunDir(tmp_path / "run")
    for step, v in ((1, math.nan), (2, math.inf), (3, 2.0)):
        rd.log_metrics({"step": step, "loss": 0.5 / step, "eval/ppl": v})
    rep = _run_report("x", rd, {"ppl": 2.0})
    assert [p["file"] for p in rep.plots] == ["plots/training.png"]
