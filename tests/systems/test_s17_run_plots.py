"""`paperworks run diffpool|hgp_sl|multinomial_link` logged records without the `step` the CLI plots by, so their run
directories had an empty plots/ and a report without a figure. A run logging per fold / split now gets a plot of
those records (plots/per_fold.png, plots/per_split.png), a run logging one record a plot of its final metrics
(plots/final_metrics.png); what is logged and returned is unchanged."""

import json

import pytest

from paperworks.core.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name,plot", [("diffpool", "per_fold"), ("hgp_sl", "per_split"),
                                       ("multinomial_link", "final_metrics")])
def test_plain_run_writes_a_plot_into_its_run_folder(name, plot, tmp_path):
    main(["run", name, "--preset", "smoke", "--out", str(tmp_path)])
    (run,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    pngs = sorted(p.name for p in (run / "plots").glob("*.png"))
    assert pngs == [f"{plot}.png"], pngs
    data = (run / "plots" / pngs[0]).read_bytes()
    assert data[:8] == PNG and len(data) > 5000
    d = json.loads((run / "report.json").read_text())
    assert [p["file"] for p in d["plots"]] == [f"plots/{plot}.png"] and d["plots"][0]["caption"]
    # what the run logged and returned: one record per fold / split, the mean of their test accuracies
    recs = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    results = json.loads((run / "results.json").read_text())
    if name == "multinomial_link":
        assert recs == [results]
    else:
        key = plot.removeprefix("per_")
        assert [r[key] for r in recs] == list(range(3)) and all("step" not in r for r in recs)
        assert results["accuracy"] == pytest.approx(sum(r["test_acc"] for r in recs) / 3, abs=1e-12)
    # `paperworks report RUN_DIR` rebuilds the page with the plot embedded
    (run / "report.html").unlink()
    main(["report", str(run)])
    page = (run / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 1 and "missing plot" not in page
