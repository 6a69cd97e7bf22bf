"""A manifest.json with "files": {} (or one file left out) checked no checksum for the files it left out: a
damaged model.safetensors beside it was loaded unverified (here a flipped byte inside a weight gave a silently
different model). Now such a manifest is refused as corrupt, naming the unlisted files."""

import json

import pytest
import torch

from paperworks.core.errors import CheckpointError
from paperworks.core.trainer import average_checkpoints, list_checkpoints, load_checkpoint, save_checkpoint

from test_cli import ok, run_cli


def _ckpt(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    return model, save_checkpoint(tmp_path, 1, model, torch.optim.SGD(model.parameters(), lr=0.1))


def _flip_last_byte(f):
    data = bytearray(f.read_bytes())
    data[-1] ^= 0x01   # the last byte of the last tensor's data: still a readable safetensors file
    f.write_bytes(bytes(data))


@pytest.mark.parametrize("drop", [None, "model.safetensors", "state.json"])
def test_manifest_leaving_files_out_is_refused(tmp_path, drop):
    model, path = _ckpt(tmp_path)
    man = path / "manifest.json"
    d = json.loads(man.read_text())
    if drop is None:
        d["files"] = {}
    else:
        del d["files"][drop]
    man.write_text(json.dumps(d))
    _flip_last_byte(path / "model.safetensors")
    want = "model.safetensors" if drop in (None, "model.safetensors") else "state.json"
    with pytest.raises(CheckpointError, match=f"corrupt manifest.json \\(no checksum for .*'{want}'"):
        load_checkpoint(path, torch.nn.Linear(3, 2))
    with pytest.raises(CheckpointError, match="no checksum for"):
        average_checkpoints([path])


def test_intact_checkpoint_still_loads(tmp_path):
    model, path = _ckpt(tmp_path)
    other = torch.nn.Linear(3, 2)
    load_checkpoint(path, other)
    assert torch.equal(other.weight, model.weight) and torch.equal(other.bias, model.bias)


def test_cli_resume_names_the_manifest(tmp_path, capsys):
    ok(["run", "toy_linreg", "--preset", "smoke", "--out", str(tmp_path)], capsys)
    (rd,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    ckpt = list_checkpoints(rd / "checkpoints")[-1]
    man = ckpt / "manifest.json"
    d = json.loads(man.read_text())
    d["files"] = {}
    man.write_text(json.dumps(d))
    code, _, err = run_cli(["run", "toy_linreg", "--resume", str(rd)], capsys)
    assert code == 2 and "internal error" not in err and err.count("\n") == 1
    assert "no checksum for" in err and str(ckpt) in err
