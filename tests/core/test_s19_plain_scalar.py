"""One scalar conversion for results.json and the JSON encoder (session 19): core.io.plain_scalar, used by the CLI
(its _plain_scalar was a copy of json_default's scalar cases) and by json_default, imports neither numpy nor
torch. json_default used to import both (~2 s) to serialize a path or a set in a process that had neither."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from paperworks.core import cli
from paperworks.core.io import dumps, json_default, plain_scalar


def _fresh(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_serializing_a_path_or_a_set_imports_neither_numpy_nor_torch():
    got = _fresh("import json, sys; from pathlib import Path; from paperworks.core.io import dumps, plain_scalar; "
                 "t = dumps({'p': Path('a/b'), 's': {3, 1}}, indent=None); plain_scalar(0.5); "
                 "print(json.dumps([t, 'numpy' in sys.modules, 'torch' in sys.modules]))")
    assert got == ['{"p": "a/b", "s": [1, 3]}', False, False]


def test_the_cli_starts_without_numpy_or_torch():
    assert _fresh("import json, sys, paperworks.core.cli; "
                  "print(json.dumps(['numpy' in sys.modules, 'torch' in sys.modules]))") == [False, False]


@pytest.mark.parametrize("value, want", [
    (np.float32(0.5), 0.5), (np.int64(-3), -3), (np.bool_(True), True), (np.array(2.25), 2.25),
    (torch.tensor(0.25), 0.25), (torch.tensor(7), 7), (torch.tensor(False), False),
    (torch.nn.Parameter(torch.tensor(1.5)), 1.5), (torch.tensor(0.5, dtype=torch.float64), 0.5)])
def test_scalars_become_python_values(value, want):
    for f in (plain_scalar, cli._plain_scalar, json_default):
        got = f(value)
        assert type(got) is type(want) and got == want, f


def test_other_values():
    t, a = torch.tensor([1.0, 2.0]), np.array([[1, 2]])
    for v in (t, a, "x", 3, None, [np.float32(1)]):
        assert plain_scalar(v) is v and cli._plain_scalar(v) is v   # not a 0-d value: unchanged
    assert json_default(t) == [1.0, 2.0] and json_default(a) == [[1, 2]]
    assert json_default(Path("a")) == "a" and json_default(frozenset({2, 1})) == [1, 2]
    with pytest.raises(TypeError, match="not JSON serializable: object"):
        json_default(object())
    assert dumps({"x": np.float32(0.5), "y": torch.tensor([np.nan])}, indent=None) == '{"x": 0.5, "y": [null]}'
