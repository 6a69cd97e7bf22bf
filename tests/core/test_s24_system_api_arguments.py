"""The Python API of a system, probed as a new user (session 24): ``GTN({"epochs": 5})`` (a dict, or another
system's config) was taken and failed inside ``run()`` with "AttributeError: 'dict' object has no attribute
'seed'"; ``GTN(cfg).run("/tmp/out")`` failed with "AttributeError: 'str' object has no attribute
'log_metrics'". A config of the wrong type is now one ConfigError naming the expected class and make_config; a
path given as run_dir is opened as a RunDir."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from paperworks.core import Paper, Report, System, register
from paperworks.core.config import Config
from paperworks.core.errors import ConfigError, PaperworksError
from paperworks.core.rundir import RunDir


@dataclass(frozen=True)
class S24ApiConfig(Config):
    steps: int = 2
    seed: int = 0


@dataclass(frozen=True)
class S24OtherConfig(Config):
    width: int = 2


@register("toy_s24_api", paper=Paper("N. Body", "A toy for the API", "Toy", 1807), config=S24ApiConfig)
class S24Api(System):
    def run(self, run_dir):
        run_dir.log_metrics({"step": 1, "loss": 1.0})
        return {"steps": self.config.steps, "where": str(run_dir.path)}

    def reproduce(self, run_dir, quick=True):
        run_dir.log_metrics({"quick": quick})
        return Report(self.name, quick)

    def bench(self, run_dir=None, quick=True):
        return {"ratio": 1.0, "summary": "toy", "run_dir": None if run_dir is None else str(run_dir.path)}


@pytest.mark.parametrize("bad", [{"steps": 3}, S24OtherConfig(), "steps=3", 3])
def test_a_config_of_another_type_is_refused_by_name(bad):
    with pytest.raises(ConfigError, match=r"S24Api takes a S24ApiConfig \(got \w+\); build one with "
                                          r"S24Api\.make_config"):
        S24Api(bad)


def test_the_right_config_and_none_are_taken():
    cfg = S24Api.make_config({"steps": "3"})
    assert S24Api(cfg).config is cfg and S24Api().config == S24ApiConfig()


@pytest.mark.parametrize("as_path", [str, Path])
def test_run_dir_as_a_path(tmp_path, as_path):
    where = tmp_path / "a" / "run"
    out = S24Api().run(as_path(where))
    assert out["where"] == str(where) and (where / "metrics.jsonl").is_file()
    S24Api().reproduce(as_path(tmp_path / "r"), quick=False)
    assert (tmp_path / "r" / "metrics.jsonl").read_text().strip() == '{"quick": false}'
    assert S24Api().bench(run_dir=as_path(tmp_path / "b"))["run_dir"] == str(tmp_path / "b")


def test_a_run_dir_and_none_pass_as_they_were(tmp_path):
    rd = RunDir(tmp_path / "x")
    assert S24Api().run(rd)["where"] == str(rd.path)
    assert S24Api().bench()["run_dir"] is None


def test_an_empty_path_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PaperworksError, match="run_dir must name a folder"):
        S24Api().run("")
    assert not list(tmp_path.iterdir())


def test_a_real_system():
    from paperworks.core.registry import get_system

    gtn = get_system("gtn")
    with pytest.raises(ConfigError, match="GTN takes a GTNConfig"):
        gtn({"epochs": 3})
    with pytest.raises(ConfigError, match="GTN takes a GTNConfig"):
        gtn(get_system("tame_bnn").make_config())
