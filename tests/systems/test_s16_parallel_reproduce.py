"""diffpool / hgp_sl reproduce: the fits run in worker processes (config ``workers``) and the report's claims
and tables equal those of a one-process, one-thread run."""

import pytest

from paperworks.core.threads import torch_threads

from conftest import run_reproduce_smoke


@pytest.mark.parametrize("name", ["hgp_sl", "diffpool"])
def test_reproduce_numbers_do_not_depend_on_workers(name, tmp_path):
    def strip(d):
        return d["claims"], d["tables"]

    with torch_threads(1):
        one = run_reproduce_smoke(name, tmp_path / "w1", workers=1)
    two = run_reproduce_smoke(name, tmp_path / "w2", workers=2)
    assert strip(two) == strip(one)
    assert two["config"]["workers"] == 2
