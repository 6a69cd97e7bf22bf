"""Shared helpers for system tests."""

import json

import pytest

from paperworks.core.registry import get_system
from paperworks.core.rundir import RunDir

REPORT_KEYS = {"claim", "metric", "paper", "ours", "baseline", "holds", "rule"}


def run_reproduce_smoke(name: str, tmp_path, preset: str = "smoke", quick: bool = True, **overrides):
    """Run ``reproduce`` of a system with its (seconds-long) smoke preset; check and return report.json."""
    cls = get_system(name)
    cfg = cls.make_config({k: str(v) for k, v in overrides.items()}, preset=preset)
    rd = RunDir(tmp_path / f"{name}-smoke")
    report = cls(cfg).reproduce(rd, quick=quick)
    if preset:   # as `paperworks reproduce --preset` does (87c85f2): report.json names the preset that ran
        report.extra.setdefault("preset", preset)
    rd.write_report(report, paper=cls.paper, config=cfg, env=rd.write_env(getattr(cfg, "seed", None)))
    d = json.loads((rd.path / "report.json").read_text())
    assert d["system"] == name and d["quick"] is quick
    assert d["claims"], "a reproduction must assert at least one claim"
    for c in d["claims"]:
        assert set(c) == REPORT_KEYS, c
        assert isinstance(c["holds"], bool) and isinstance(c["ours"], (int, float))
    for f in ("report.md", "report.html", "env.json"):
        assert (rd.path / f).exists()
    for p in d.get("plots", []):
        assert (rd.path / p["file"]).exists()
    return d


@pytest.fixture
def reproduce_smoke(tmp_path):
    return lambda name, **kw: run_reproduce_smoke(name, tmp_path, **kw)
