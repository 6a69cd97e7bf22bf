"""gtn bench on a real dataset: it loaded the graph and timed a GTN epoch (1.46 s on a 3000-paper graph)
before raising that it needs the generated graph; it now refuses before any work."""

import pytest

from paperworks.core.errors import DataError
from paperworks.core.registry import get_system


@pytest.mark.parametrize("dataset", ["acm", "dblp", "imdb"])
def test_bench_on_real_data_refuses_before_loading_the_graph(dataset, tmp_path, monkeypatch):
    cls = get_system("gtn")
    monkeypatch.setattr(cls, "_graph", lambda self, seed: pytest.fail("bench loaded the graph before refusing"))
    sysm = cls(cls.make_config({"dataset": dataset, "data_root": str(tmp_path)}))
    with pytest.raises(DataError, match=f"GTN.bench needs the generated graph \\(dataset=synthetic\\).*'{dataset}'"):
        sysm.bench(None, quick=True)
