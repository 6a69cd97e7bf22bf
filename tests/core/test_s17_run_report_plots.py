"""The report of a plain `paperworks run` whose records carry no `step`: a plot of the records numbered by a key
0, 1, ... or 1, 2, ... (per fold / split / epoch), else of its final metrics that share a name stem
(trauma_aic_best / trauma_aic_mnl); before, such a run's report had no plot at all."""

import math

import pytest

from paperworks.core.cli import _final_metrics_figure, _per_index_series, _run_report
from paperworks.core.rundir import RunDir


def test_per_index_series_picks_the_key_numbering_the_records():
    recs = [{"fold": i, "test_acc": a, "val_acc": 1 - a, "best_epoch": e, "ok": True, "name": "x"}
            for i, (a, e) in enumerate([(0.5, 1), (0.75, 0), (1.0, 2)])]
    index, series = _per_index_series(recs)
    assert index == "fold"   # best_epoch (1, 0, 2) does not count 0, 1, 2
    assert series == {"test_acc": [(0, 0.5), (1, 0.75), (2, 1.0)], "val_acc": [(0, 0.5), (1, 0.25), (2, 0.0)],
                      "best_epoch": [(0, 1), (1, 0), (2, 2)]}
    # a first-seen key wins a tie; records with a step are left to the training plot
    index, _ = _per_index_series([{"split": i, "seed": i, "acc": 0.5} for i in range(2)] + [{"step": 0, "loss": 1}])
    assert index == "split"
    # epochs counted from 1 (advgan), a float count
    assert _per_index_series([{"epoch": e, "loss": 1.0 / e} for e in (1, 2)] + [{"acc": 0.5}]) == (
        "epoch", {"loss": [(1, 1.0), (2, 0.5)]})
    assert _per_index_series([{"i": 0.0, "b": 1}, {"i": 1.0, "b": 2}]) == ("i", {"b": [(0, 1), (1, 2)]})
    # no key numbers two or more records: nothing
    for recs in ([{"a": 0, "b": 1.0}], [{"i": 0, "b": 0.5}, {"i": 0, "b": 0.7}], [{"i": 2}, {"i": 3}],
                 [{"i": "a"}, {"i": "b"}], [{"i": math.nan}, {"i": math.inf}], [{"i": True}, {"i": 1}]):
        assert _per_index_series(recs) == (None, {}), recs


def test_final_metrics_figure_panels_by_family_and_skips_the_rest():
    fig = _final_metrics_figure([["aic_best", 2467.8], ["aic_mnl", 2465.1], ["bic_best", 2491.2],
                                 ["bic_mnl", 2502.6], ["bic_bad", math.nan], ["seconds", 3.0], ["fit_time", 1.0]])
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == ["aic", "bic"]
    assert [t.get_text() for t in shown[1].get_yticklabels()] == ["best", "mnl"]
    assert [t.get_text() for t in shown[0].get_yticklabels()] == ["best", "mnl"]
    lo, hi = shown[0].get_xlim()
    assert lo < 2465.1 and 2467.8 < hi and hi - lo < 10   # spans the values, so 2465 and 2468 stay apart
    assert _final_metrics_figure([["x_a", math.inf], ["x_b", 1.0], ["y", 2.0]]) is None


@pytest.mark.parametrize("records,metrics,plot", [
    ([{"fold": i, "test_acc": 0.5 + i / 10} for i in range(3)], {"accuracy": 0.6}, "plots/per_fold.png"),
    ([{"aic_a": 1.0, "aic_b": 2.0}], {"aic_a": 1.0, "aic_b": 2.0}, "plots/final_metrics.png"),
    ([{"acc": 1.0, "loss": 2.0}], {"acc": 1.0, "loss": 2.0}, None),
    ([{"step": s, "loss": 1.0 / (s + 1)} for s in range(3)], {"loss": 0.33}, "plots/training.png"),
    ([], {"note": "no numbers"}, None),
])
def test_run_report_plots_what_the_run_logged(records, metrics, plot, tmp_path):
    rd = RunDir(tmp_path / "run")
    for r in records:
        rd.log_metrics(r)
    rep = _run_report("x", rd, metrics)
    assert [p["file"] for p in rep.plots] == ([plot] if plot else [])
    if plot:
        assert (rd.path / plot).read_bytes()[:4] == b"\x89PNG"


def test_final_metrics_panels_keep_one_scale_each():
    """Metrics named condition_metric (variational_classification) group by metric: a panel of clean accuracy
    beside clean NLL squashed one of them; names metric_model (multinomial_link) still group by stem."""
    from paperworks.core.cli import _metric_families

    vc = [["clean_accuracy", 0.98], ["clean_ece", 0.02], ["clean_nll", 0.07], ["noise_accuracy", 0.9],
          ["noise_ece", 0.05], ["noise_nll", 0.3], ["fgsm_x0.4_accuracy", 0.4], ["train_seconds", 9.0]]
    fam = _metric_families(vc)
    assert list(fam) == ["accuracy", "ece", "nll"]
    assert fam["accuracy"] == [("clean", 0.98), ("noise", 0.9), ("fgsm_x0.4", 0.4)]
    ml = [["aic_best", 2467.8], ["aic_mnl", 2465.1], ["bic_best", 2491.2], ["bic_mnl", 2502.6]]
    assert list(_metric_families(ml)) == ["aic", "bic"]
    assert _metric_families([["a_x", 0.0], ["a_y", 0.0]]) == {"a": [("x", 0.0), ("y", 0.0)]}   # zeros: no error
    assert _metric_families([["a", 1.0], ["b_c", 2.0]]) == {}


@pytest.mark.parametrize("big", [1.7e308, -1.7e308, 10 ** 400])
def test_run_report_survives_values_near_the_float_maximum(big, tmp_path):
    """A final metric or per-fold field near (or, as an int, beyond) the float64 maximum made the report's figure
    fail (axis padding overflowed to inf, a line fit went singular, int -> float overflowed), and with it the
    finished run; such values are left to the table."""
    rd = RunDir(tmp_path / "a")
    rd.log_metrics({"aic_a": big, "aic_b": 2.0, "aic_c": 3.0})
    rep = _run_report("x", rd, {"aic_a": big, "aic_b": 2.0, "aic_c": 3.0})
    assert [p["file"] for p in rep.plots] == ["plots/final_metrics.png"]
    rd = RunDir(tmp_path / "b")
    for i in range(3):
        rd.log_metrics({"fold": i, "test_acc": 0.5 + i / 10, "huge": big if i == 1 else 1.0})
    rep = _run_report("x", rd, {"accuracy": 0.6})
    assert [p["file"] for p in rep.plots] == ["plots/per_fold.png"]
