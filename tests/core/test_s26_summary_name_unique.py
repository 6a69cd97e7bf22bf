"""`reproduce --all` names its summary OUT/summary-<second>.md / .json: two such commands finishing in the same
second into one --out (parallel jobs) wrote the same two files, the second silently replacing the first. The name
is now claimed exclusively, with -2, -3, ... as run directories get (summary-*.md globs still find them)."""

import datetime as real_datetime
import json
import sys
import types

import pytest

from paperworks.core.cli import write_summary


@pytest.fixture
def frozen_clock(monkeypatch):
    class FrozenDatetime(real_datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 11, 28, 12, 0, 0)

    fake = types.ModuleType("datetime")
    fake.__dict__.update(real_datetime.__dict__)
    fake.datetime = FrozenDatetime
    monkeypatch.setitem(sys.modules, "datetime", fake)


def test_two_summaries_in_one_second_keep_both(tmp_path, frozen_clock):
    a = write_summary(tmp_path, [("sys_a", 3, 4, 10.0, "/runs/a", None)], {"sys_a": ["claim x"]}, quick=True)
    b = write_summary(tmp_path, [("sys_b", 2, 2, 11.0, "/runs/b", None)], {}, quick=True)
    c = write_summary(tmp_path, [("sys_c", 1, 1, 1.0, "/runs/c", None)], {}, quick=False)
    assert [p.name for p in (a, b, c)] == ["summary-20261128-120000.md", "summary-20261128-120000-2.md",
                                           "summary-20261128-120000-3.md"]
    assert "| sys_a | 3/4 |" in a.read_text() and "- **sys_a**: claim x" in a.read_text()
    assert "| sys_b | 2/2 |" in b.read_text() and "| sys_c | 1/1 |" in c.read_text()
    assert [json.loads(p.with_suffix(".json").read_text())["systems"][0]["system"] for p in (a, b, c)] == \
        ["sys_a", "sys_b", "sys_c"]
    assert len(list(tmp_path.glob("summary-*.md"))) == 3 and len(list(tmp_path.glob("summary-*.json"))) == 3


def test_a_taken_json_alone_also_moves_the_name_on(tmp_path, frozen_clock):
    (tmp_path / "summary-20261128-120000.json").write_text("{}")
    md = write_summary(tmp_path, [("sys_a", 1, 1, 1.0, "/runs/a", None)], {}, quick=True)
    assert md.name == "summary-20261128-120000-2.md"
    assert (tmp_path / "summary-20261128-120000.json").read_text() == "{}"
    assert not (tmp_path / "summary-20261128-120000.md").exists()


def test_out_folder_is_created(tmp_path, frozen_clock):
    md = write_summary(tmp_path / "new" / "sub", [("s", 1, 1, 1.0, "/r", None)], {}, quick=True)
    assert md == tmp_path / "new" / "sub" / "summary-20261128-120000.md" and md.stat().st_size > 0
