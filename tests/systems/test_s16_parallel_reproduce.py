"""diffpool / hgp_sl reproduce: the fits run in worker processes (config ``workers``) and the report's claims
and tables equal those of a one-process, one-thread run."""

import pytest

from paperworks.core.threads import torch_threads

from conftest import run_reproduce_smoke


@pytest.mark.parametrize("name", ["hgp_sl"])   # diffpool goes through the same graphs.experiment code
def test_reproduce_numbers_do_not_depend_on_workers(name, tmp_path):
    def strip(d):
        return d["claims"], d["tables"]

    with torch_threads(1):
        one = run_reproduce_smoke(name, tmp_path / "w1", workers=1)
    two = run_reproduce_smoke(name, tmp_path / "w2", workers=2)
    assert strip(two) == strip(one)
    assert two["config"]["workers"] == 2


@pytest.mark.parametrize("name", ["diffpool"])
def test_run_folds_do_not_depend_on_workers(name, tmp_path):
    import json

    from paperworks.core.registry import get_system
    from paperworks.core.rundir import RunDir

    cls = get_system(name)
    out, logs = {}, {}
    for w in (1, 2):
        cfg = cls.make_config({"epochs": "2", "folds": "3", "n_per_class": "10", "hidden": "8", "patience": "1",
                               "workers": str(w)})
        rd = RunDir(tmp_path / f"w{w}")
        with torch_threads(1 if w == 1 else None):
            out[w] = cls(cfg).run(rd)
        logs[w] = [{k: v for k, v in json.loads(line).items() if k not in ("time", "seconds")}
                   for line in (rd.path / "metrics.jsonl").read_text().splitlines()]
    assert out[2] == out[1]
    assert logs[2] == logs[1] and len(logs[1]) == 3
