"""Every run directory has its plots (README: a run directory holds plots/*.png and report.html with the plots
embedded). The quick reproductions of hdgi, hgp_sl and multinomial_link wrote no plot at all, and the plain
`paperworks run` of gtn and hdgi logged epoch/loss records without the `step` the CLI plots them by, so their run
directories had no plots/training.png."""

import json

import pytest

from paperworks.core.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


def _png(path):
    data = path.read_bytes()
    assert data[:8] == PNG and len(data) > 5000, f"{path} is not a (non-trivial) PNG image"


@pytest.mark.parametrize("name,plot", [("hdgi", "training_loss"), ("hgp_sl", "losses"),
                                       ("multinomial_link", "trauma_fit")])
def test_smoke_reproduction_writes_its_plot(name, plot, reproduce_smoke, tmp_path):
    d = reproduce_smoke(name)
    files = [p["file"] for p in d["plots"]]
    assert f"plots/{plot}.png" in files, files
    run = tmp_path / f"{name}-smoke"
    for p in d["plots"]:
        assert p["caption"]
        _png(run / p["file"])
    page = (run / "report.html").read_text()
    assert page.count("data:image/png;base64,") == len(d["plots"]) and "missing plot" not in page


def _loss_records(run):
    recs = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [r for r in recs if "loss" in r]


@pytest.mark.parametrize("name", ["gtn", "hdgi"])
def test_plain_run_writes_the_training_plot(name, tmp_path):
    main(["run", name, "--preset", "smoke", "--out", str(tmp_path)])
    (run,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    _png(run / "plots" / "training.png")
    d = json.loads((run / "report.json").read_text())
    assert [p["file"] for p in d["plots"]] == ["plots/training.png"]
    steps = [r["step"] for r in _loss_records(run)]
    assert steps and steps == sorted(set(steps)), steps   # one loss per step, increasing


def test_gtn_reproduction_steps_increase_over_seeds(reproduce_smoke, tmp_path):
    """The epoch records of a reproduction carry every seed's training: their steps go on increasing."""
    reproduce_smoke("gtn", seeds=2)
    recs = _loss_records(tmp_path / "gtn-smoke")
    assert {r["seed"] for r in recs} == {0, 1}
    steps = [r["step"] for r in recs]
    assert steps == list(range(len(recs)))


def test_line_figure_panels_series_and_legend():
    from paperworks.core.report import line_figure

    fig = line_figure({"train": {"a": [3.0, 2.0, 1.0], "b": [(1, 2.0), (2, 1.5)]},
                       "val": {"a": [(1, 1.0)], "b": [(1, 2.0)]}}, xlabel="epoch", hlines={"ref": 0.5})
    ax0, ax1 = fig.axes
    assert ax0.get_title() == "train" and ax0.get_xlabel() == "epoch"
    lines = {ln.get_label(): ln for ln in ax0.get_lines()}
    assert list(lines["a"].get_xdata()) == [0, 1, 2] and list(lines["b"].get_xdata()) == [1, 2]
    assert "ref" in lines   # the reference line
    # the same series in every panel: one legend, on the first panel
    assert ax0.get_legend() is not None and ax1.get_legend() is None
    # different entries: a legend on each panel; reference lines per panel
    fig = line_figure({"x": {"a": [1.0]}, "y": {"c": [1.0]}, "z": {"a": [2.0]}}, hlines={"z": {"two": 2.0}})
    assert all(ax.get_legend() is not None for ax in fig.axes)
    assert [[ln.get_label() for ln in ax.get_lines()] for ax in fig.axes] == [["a"], ["c"], ["a", "two"]]
    with pytest.raises(ValueError, match="no panels"):
        line_figure({})
