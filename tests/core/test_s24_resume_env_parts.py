"""`paperworks run NAME --resume DIR` rewrote env.json with the resumed part alone: wall_time_s was that part's,
and the earlier part's argv, git commit and finish time were lost. A resumed run's env.json now keeps
`earlier_parts` (oldest first: argv, git_commit, wall_time_s, finished_at, or 'killed' for a part that never
finished) and `wall_time_total_s`; a plain run's env.json is as before."""
import json
from dataclasses import dataclass

import pytest

from paperworks.core import Paper, System, register
from paperworks.core.cli import main
from paperworks.core.config import Config

PLAN = []   # per call: "fail" or "ok"


@dataclass(frozen=True)
class _Cfg(Config):
    seed: int = 0


class _Resumable(System):
    resumable = True

    def run(self, run_dir):
        what = PLAN.pop(0)
        run_dir.log_metrics({"step": 1, "loss": 1.0})
        if what == "fail":   # stands for a kill: the part never reaches write_env
            raise ValueError("killed")
        return {"loss": 1.0}


@pytest.fixture
def system(monkeypatch):
    from paperworks.core import registry

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry.all_systems()))
    register("s24_resumable", paper=Paper("A. Author", "Resumes", "Nowhere", 2000), config=_Cfg)(_Resumable)
    PLAN.clear()
    return "s24_resumable"


def _run(args):
    try:
        main(args)
    except SystemExit as e:
        return e.code
    return 0


def _env(rd):
    return json.loads((rd / "env.json").read_text())


def test_a_plain_run_has_no_parts(system, tmp_path):
    PLAN[:] = ["ok"]
    assert _run(["run", system, "--out", str(tmp_path)]) == 0
    (rd,) = list(tmp_path.iterdir())
    env = _env(rd)
    assert "earlier_parts" not in env and "wall_time_total_s" not in env and "started_at" not in env


def test_a_resume_of_a_finished_part_keeps_its_record(system, tmp_path):
    PLAN[:] = ["ok", "ok"]
    assert _run(["run", system, "--out", str(tmp_path)]) == 0
    (rd,) = list(tmp_path.iterdir())
    first = _env(rd)
    assert _run(["run", system, "--resume", str(rd)]) == 0
    env = _env(rd)
    (part,) = env["earlier_parts"]
    assert part == {"argv": first["argv"], "git_commit": first["git_commit"], "wall_time_s": first["wall_time_s"],
                    "finished_at": first["finished_at"]}
    assert env["wall_time_total_s"] == pytest.approx(env["wall_time_s"] + first["wall_time_s"], abs=2e-3)
    assert env["wall_time_unknown_parts"] == 0 and env["finished_at"] != "running"


def test_killed_parts_are_recorded(system, tmp_path):
    PLAN[:] = ["fail", "fail", "ok"]
    assert _run(["run", system, "--out", str(tmp_path)]) == 2
    (rd,) = list(tmp_path.iterdir())
    assert not (rd / "env.json").exists()   # the killed first part wrote none
    assert _run(["run", system, "--resume", str(rd)]) == 2
    assert _env(rd)["finished_at"] == "running"   # the resumed part recorded its start
    assert _run(["run", system, "--resume", str(rd)]) == 0
    env = _env(rd)
    first, second = env["earlier_parts"]
    assert first["finished_at"] == "killed" and first["argv"] is None and "started_at" in first
    assert second["finished_at"] == "killed" and second["argv"] is not None and second["git_commit"] == env["git_commit"]
    assert second["wall_time_s"] is None and "started_at" in second
    assert env["wall_time_unknown_parts"] == 2 and env["wall_time_total_s"] == env["wall_time_s"]
