"""RunDir.log_metrics took any value (session 24, probed through the Python API): a list of pairs
(`[("step", 2), ("loss", 0.5)]`) or a bare number was written to metrics.jsonl as a JSON line that is no record.
With records after it, read_metrics then refused the whole file as damaged ("line 2 is not a JSON record (a
damaged file; ...)"): the run's own report failed at the end, blaming the file, and a resume could not read it.
A record that is not a dict is now a TypeError at the call, and nothing is written."""

from dataclasses import dataclass

import pytest

from paperworks.core import Paper, System, register
from paperworks.core.config import Config
from paperworks.core.rundir import RunDir

from test_cli import run_cli


@pytest.mark.parametrize("bad", [[("step", 2), ("loss", 0.5)], 0.5, "loss=0.5", None, ({"loss": 1.0},)])
def test_a_record_that_is_not_a_dict_is_refused_and_not_written(tmp_path, bad):
    rd = RunDir(tmp_path / "r")
    rd.log_metrics({"step": 1, "loss": 1.0})
    with pytest.raises(TypeError, match=r"log_metrics: a record is a dict of metric names to values \(got \w+\)"):
        rd.log_metrics(bad)
    rd.log_metrics({"step": 3, "loss": 0.25})
    assert rd.read_metrics() == [{"step": 1, "loss": 1.0}, {"step": 3, "loss": 0.25}]


def test_dicts_are_written_as_before(tmp_path):
    from collections import OrderedDict

    rd = RunDir(tmp_path / "r")
    rd.log_metrics(OrderedDict([("step", 1), ("loss", 0.5)]))
    rd.log_metrics({"fold": 0, "accuracy": 0.75})
    assert rd.metrics_path.read_text() == '{"step": 1, "loss": 0.5}\n{"fold": 0, "accuracy": 0.75}\n'


@dataclass(frozen=True)
class S24LogConfig(Config):
    seed: int = 0


@register("toy_s24_log_list", paper=Paper("N. Body", "A toy for the CLI", "Toy", 1807), config=S24LogConfig)
class S24LogList(System):
    def run(self, run_dir):
        run_dir.log_metrics({"step": 1, "loss": 1.0})
        run_dir.log_metrics([("step", 2), ("loss", 0.5)])   # the system's bug
        run_dir.log_metrics({"step": 3, "loss": 0.25})
        return {"loss": 0.25}


def test_the_cli_names_the_bug_not_a_damaged_file(tmp_path, capsys):
    code, _, err = run_cli(["run", "toy_s24_log_list", "--out", str(tmp_path)], capsys)
    assert code == 1 and "log_metrics: a record is a dict" in err and "damaged" not in err
    (rd,) = tmp_path.iterdir()
    assert (rd / "metrics.jsonl").read_text() == '{"step": 1, "loss": 1.0}\n' and (rd / "error.txt").is_file()
