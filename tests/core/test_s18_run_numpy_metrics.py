"""A plain run whose final metrics are NumPy scalars or 0-d tensors (np.float32(0.5), np.int64(3),
torch.tensor(0.25)): results.json stored them as numbers, but the report's "Final metrics" table and plot and the
printed summary line left them out ("3 more in results.json"), as if they were lists."""

import json
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from paperworks.core import Paper, System, register
from paperworks.core.cli import main
from paperworks.core.config import Config


@dataclass(frozen=True)
class _Cfg(Config):
    seed: int = 0


class _ScalarRun(System):
    def run(self, run_dir):
        return {"acc_a": np.float32(0.5), "acc_b": np.int64(3), "acc_c": torch.tensor(0.25), "acc_d": 0.75}


@pytest.fixture
def scalar_system(monkeypatch):
    from paperworks.core import registry

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry.all_systems()))
    register("s18_scalar_run", paper=Paper("A. Author", "Scalars", "Nowhere", 2000), config=_Cfg)(_ScalarRun)
    return "s18_scalar_run"


def test_numpy_and_tensor_scalars_are_in_the_report_and_the_summary(scalar_system, tmp_path, capsys):
    main(["run", scalar_system, "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "acc_a=0.5, acc_b=3, acc_c=0.25, acc_d=0.75 " in out and "more in results.json" not in out
    (rd,) = list(tmp_path.iterdir())
    rep = json.loads((rd / "report.json").read_text())
    (table,) = [t for t in rep["tables"] if t["title"] == "Final metrics"]
    assert table["rows"] == [["acc_a", 0.5], ["acc_b", 3], ["acc_c", 0.25], ["acc_d", 0.75]]
    assert [p["file"] for p in rep["plots"]] == ["plots/final_metrics.png"]
    assert json.loads((rd / "results.json").read_text()) == {"acc_a": 0.5, "acc_b": 3, "acc_c": 0.25, "acc_d": 0.75}
