"""A plain run's per-index plot is named per_<key>; since RunDir.save_figure refuses names leaving plots/
(3ca85f8), records numbered by a key holding '/' at an end or a backslash made the finished run's report fail
(ValueError) where it used to be written. Such keys now give a plain file name; ordinary keys, and keys whose
name save_figure takes (eval/fold: a sub-folder), keep their plot name."""

import pytest

from paperworks.core.cli import _run_report
from paperworks.core.rundir import RunDir


@pytest.mark.parametrize("key,plot", [
    ("fold/", "plots/per_fold_.png"),
    ("a\\b", "plots/per_a_b.png"),
    ("x//y", "plots/per_x__y.png"),
    ("eval/../fold", "plots/per_eval_.._fold.png"),
    # unchanged names
    ("fold", "plots/per_fold.png"),
    ("eval/fold", "plots/per_eval/fold.png"),
])
def test_per_index_plot_of_any_key_is_written_inside_plots(key, plot, tmp_path):
    rd = RunDir(tmp_path / "run")
    for i in range(3):
        rd.log_metrics({key: i, "acc": 0.5 + i / 10})
    rep = _run_report("x", rd, {"acc": 0.6})
    assert [p["file"] for p in rep.plots] == [plot]
    f = rd.path / plot
    assert f.read_bytes()[:4] == b"\x89PNG"
    assert f.resolve().is_relative_to((rd.path / "plots").resolve())
