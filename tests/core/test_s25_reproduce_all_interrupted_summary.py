"""`reproduce --all` stopped by Ctrl-C or SIGTERM (a batch job's time limit, `timeout`) wrote no summary (session 25;
probe: `timeout -s TERM 20 paperworks reproduce --all --preset smoke --quick`: 9 systems finished, the 10th was
stopped, and no summary-*.md, no claim lines: the command said only where the stopped run was). It now writes the
summary of the systems that finished, naming the stopped one and those not run, and says where it is; the exit
code (130 / 143) and the stopped run's folder are as before."""

import json
from dataclasses import dataclass

from paperworks.core import Claim, Paper, Report, System
from paperworks.core.config import Config

from test_cli import run_cli


@dataclass(frozen=True)
class S25Config(Config):
    seed: int = 0


class _Base(System):
    Config = S25Config
    paper = Paper("N. Body", "Interrupted runs", "Toy", 1809)

    def reproduce(self, run_dir, quick=True):
        run_dir.log_metrics({"step": 1, "loss": 1.0})
        rep = Report(self.name, quick)
        rep.add_claim(Claim.at_most("the loss is small", "loss", 0.5, 0.1))   # does not hold
        rep.add_claim(Claim.at_most("the loss is finite", "loss2", 0.5, 1.0))
        return rep


class First(_Base):
    name = "s25_first"


class Stopped(_Base):
    name = "s25_stopped"

    def reproduce(self, run_dir, quick=True):
        run_dir.log_metrics({"step": 1, "loss": 1.0})
        raise KeyboardInterrupt   # Ctrl-C (SIGTERM is raised as a KeyboardInterrupt subclass by the CLI)


class Never(_Base):
    name = "s25_never"


def _all(monkeypatch, systems):
    import paperworks.core.cli as cli_mod

    monkeypatch.setattr(cli_mod, "_systems_for", lambda name, all_: list(systems))


def test_the_systems_that_finished_get_their_summary(tmp_path, capsys, monkeypatch):
    _all(monkeypatch, [First, Stopped, Never])
    code, out, err = run_cli(["reproduce", "--all", "--quick", "--out", str(tmp_path)], capsys)
    assert code == 130
    (md,) = tmp_path.glob("summary-*.md")
    assert f"summary of the 1 system that finished before Ctrl-C -> {md}" in err
    assert "interrupted; the partial run is kept in" in err and "s25_stopped-reproduce-" in err
    text = md.read_text()
    assert "**Stopped by Ctrl-C** during `s25_stopped` (its partial run:" in text and "not run: s25_never." in text
    assert "1/2 claims hold over 1 systems" in text and "| s25_first | 1/2 |" in text
    assert "- **s25_first**: the loss is small" in text
    d = json.loads(md.with_suffix(".json").read_text())
    assert [r["system"] for r in d["systems"]] == ["s25_first"]
    assert d["interrupted"]["by"] == "Ctrl-C" and d["interrupted"]["during"] == "s25_stopped"
    assert d["interrupted"]["not_run"] == ["s25_never"] and "s25_stopped-reproduce-" in d["interrupted"]["partial_run"]
    stopped = [p for p in tmp_path.iterdir() if p.name.startswith("s25_stopped")]
    assert len(stopped) == 1 and (stopped[0] / "error.txt").is_file()


def test_stopped_in_the_first_system_writes_no_summary(tmp_path, capsys, monkeypatch):
    _all(monkeypatch, [Stopped, First])
    code, _, err = run_cli(["reproduce", "--all", "--quick", "--out", str(tmp_path)], capsys)
    assert code == 130 and not list(tmp_path.glob("summary-*")) and "summary" not in err


def test_a_finished_command_writes_the_summary_as_before(tmp_path, capsys, monkeypatch):
    _all(monkeypatch, [First, Never])
    from paperworks.core.cli import main

    main(["reproduce", "--all", "--quick", "--out", str(tmp_path)])
    (md,) = tmp_path.glob("summary-*.md")
    d = json.loads(md.with_suffix(".json").read_text())
    assert "interrupted" not in d and "Stopped by" not in md.read_text()
    assert "2/4 claims hold over 2 systems (0 runs failed)" in md.read_text()
