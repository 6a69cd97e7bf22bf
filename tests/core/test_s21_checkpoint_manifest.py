"""A damaged checkpoint manifest.json (session 21): a 'files' entry that is not {bytes, sha256}, a 'files' list,
or a manifest nested deeper than the parser's recursion limit stopped `run --resume` (and load_checkpoint /
average_checkpoints) with "internal error: TypeError / AttributeError / RecursionError" instead of the
CheckpointError that every other damaged checkpoint gives."""

import json

import pytest

from paperworks.core.errors import CheckpointError
from paperworks.core.trainer import average_checkpoints, list_checkpoints

from test_cli import ok, run_cli


@pytest.fixture()
def run_dir(tmp_path, capsys):
    ok(["run", "toy_linreg", "--preset", "smoke", "--out", str(tmp_path)], capsys)
    (rd,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    return rd


def _damage(manifest, how):
    d = json.loads(manifest.read_text())
    if how == "deep":
        manifest.write_text("[" * 100_000 + "]" * 100_000)
        return
    if how == "entry_not_object":
        d["files"]["model.safetensors"] = 5
    elif how == "files_list":
        d["files"] = sorted(d["files"])
    elif how == "bytes_text":
        d["files"]["model.safetensors"]["bytes"] = "144"
    manifest.write_text(json.dumps(d))


@pytest.mark.parametrize("how", ["entry_not_object", "files_list", "bytes_text", "deep"])
def test_resume_from_a_damaged_manifest(run_dir, capsys, how):
    ckpt = list_checkpoints(run_dir / "checkpoints")[-1]
    _damage(ckpt / "manifest.json", how)
    code, _, err = run_cli(["run", "toy_linreg", "--resume", str(run_dir)], capsys)
    assert code == 2 and "internal error" not in err and err.count("\n") == 1
    assert "manifest.json" in err and str(ckpt) in err
    with pytest.raises(CheckpointError, match="manifest.json"):
        average_checkpoints([ckpt])


def test_resume_from_a_manifest_with_an_integer_beyond_the_digit_limit(run_dir, capsys):
    """json raises a plain ValueError (not JSONDecodeError) for it: the CLI printed it without the checkpoint."""
    ckpt = list_checkpoints(run_dir / "checkpoints")[-1]
    man = ckpt / "manifest.json"
    man.write_text(man.read_text().replace('"step": ', '"step": ' + "9" * 5000 + ", \"x\": ", 1))
    code, _, err = run_cli(["run", "toy_linreg", "--resume", str(run_dir)], capsys)
    assert code == 2 and "manifest.json" in err and str(ckpt) in err
