"""A setting too large for float32 arithmetic (session 24, probed as a new user): `paperworks run gtn lr=1e39`
(and the same in advgan, diffpool, fmd, hdgi, hgp_sl, sparse_mpc, transformer, variational_classification)
ended in "internal error: RuntimeError: value cannot be converted to type float without overflow" with exit 1,
from torch's optimizer step. It is bad input: exit 2 with one line naming the setting."""

from dataclasses import dataclass

import torch

from paperworks.core import Claim, Paper, Report, System, register
from paperworks.core.config import Config

from test_cli import ok, run_cli


@dataclass(frozen=True)
class S24OverflowConfig(Config):
    lr: float = 0.1
    steps: int = 2
    seed: int = 0


def _train(lr: float, steps: int) -> float:
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 1)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    x = torch.randn(8, 3)
    for _ in range(steps):
        opt.zero_grad()
        loss = net(x).pow(2).mean()
        loss.backward()
        opt.step()
    return float(loss)


@register("toy_s24_overflow", paper=Paper("N. Body", "A toy for the CLI", "Toy", 1807), config=S24OverflowConfig)
class S24OverflowToy(System):
    def run(self, run_dir):
        return {"loss": _train(self.config.lr, self.config.steps)}

    def reproduce(self, run_dir, quick=True):
        rep = Report(self.name, quick)
        rep.add_claim(Claim.at_most("the loss is small", "loss", None, _train(self.config.lr, self.config.steps)))
        return rep


def test_a_learning_rate_beyond_float32_is_bad_input_naming_the_key(tmp_path, capsys):
    code, _, err = run_cli(["run", "toy_s24_overflow", "lr=1e39", "--out", str(tmp_path)], capsys)
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("error:") and "lr=1e+39" in err
    assert "internal error" not in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())   # nothing was written: no run directory is left


def test_reproduce_names_it_too(tmp_path, capsys):
    code, _, err = run_cli(["reproduce", "toy_s24_overflow", "lr=1e39", "--out", str(tmp_path)], capsys)
    assert code == 2 and "lr=1e+39" in err and "internal error" not in err


def test_debug_shows_the_traceback(tmp_path, capsys):
    code, _, err = run_cli(["run", "toy_s24_overflow", "lr=1e39", "--out", str(tmp_path), "--debug"], capsys)
    assert code == 2 and "Traceback" in err and "without overflow" in err


def test_other_runtime_errors_stay_internal(tmp_path, capsys, monkeypatch):
    def boom(self, run_dir):
        raise RuntimeError("a bug")

    monkeypatch.setattr(S24OverflowToy, "run", boom)
    code, _, err = run_cli(["run", "toy_s24_overflow", "--out", str(tmp_path)], capsys)
    assert code == 1 and "internal error: RuntimeError: a bug" in err


def test_a_normal_run_is_unchanged(tmp_path, capsys):
    out = ok(["run", "toy_s24_overflow", "--out", str(tmp_path)], capsys).out
    assert "loss=" in out
