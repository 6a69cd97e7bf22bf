"""`paperworks run NAME --resume DIR` that fails again: DIR/error.txt names the new failure. Before, the except
branch of a resumed run wrote nothing, so error.txt kept the traceback of the earlier failure (the one the
resume had run past) while the command printed another error."""

from dataclasses import dataclass

import pytest

from paperworks.core import Paper, System, register
from paperworks.core.cli import main
from paperworks.core.config import Config

CALLS = []


@dataclass(frozen=True)
class _Cfg(Config):
    seed: int = 0


class _FailingResumable(System):
    resumable = True

    def run(self, run_dir):
        CALLS.append(1)
        run_dir.log_metrics({"step": len(CALLS), "loss": 1.0})
        raise ValueError(f"failure number {len(CALLS)}")


@pytest.fixture
def failing_system(monkeypatch):
    """The system registered for this test only (a copy of the registry, restored afterwards)."""
    from paperworks.core import registry

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry.all_systems()))
    register("s18_failing_resumable", paper=Paper("A. Author", "Fails every time", "Nowhere", 2000),
             config=_Cfg)(_FailingResumable)
    CALLS.clear()
    return "s18_failing_resumable"


def _run(args, capsys):
    with pytest.raises(SystemExit) as e:
        main(args)
    return e.value.code, capsys.readouterr().err


def test_a_resumed_run_that_fails_records_its_own_error(failing_system, tmp_path, capsys):
    code, err = _run(["run", failing_system, "--out", str(tmp_path)], capsys)
    (rd,) = list(tmp_path.iterdir())
    assert code == 2 and "failure number 1" in err
    assert (rd / "error.txt").read_text().strip().endswith("ValueError: failure number 1")
    code, err = _run(["run", failing_system, "--resume", str(rd)], capsys)
    assert code == 2 and "failure number 2" in err
    assert (rd / "error.txt").read_text().strip().endswith("ValueError: failure number 2")
    assert (rd / "config.json").exists()   # a resumed folder is never removed
