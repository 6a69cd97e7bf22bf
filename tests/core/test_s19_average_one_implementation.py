"""core.trainer.average_checkpoints and attention.average_state_dicts are one implementation (session 19).

They were two copies of the same mean that differed in one rule (integer buffers from the first vs the last
checkpoint). Both names are checked against an independent numpy computation, bit for bit: floating tensors
summed in float64 in checkpoint order, divided by their number, cast to the first checkpoint's dtype."""

import functools

import numpy as np
import pytest
import torch
from torch import nn

from paperworks.attention import average_state_dicts
from paperworks.core.errors import CheckpointError
from paperworks.core.trainer import average_checkpoints, save_checkpoint


class _M(nn.Module):
    def __init__(self, seed):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.w = nn.Parameter(torch.randn(4, 3, generator=g) ** 3)
        self.d = nn.Parameter(torch.randn(5, generator=g, dtype=torch.float64))
        self.z = nn.Parameter(torch.tensor([-0.0, 0.0, -0.0]))     # the mean of -0.0s is -0.0
        self.register_buffer("count", torch.tensor(10 * seed + 1))
        self.register_buffer("flag", torch.tensor([seed % 2 == 0, True]))


def _oracle(states, integers):
    out = {}
    for k, v0 in states[0].items():
        arrays = [s[k].numpy() for s in states]
        if v0.is_floating_point():
            total = functools.reduce(np.add, [a.astype(np.float64) for a in arrays])
            out[k] = (total / len(arrays)).astype(arrays[0].dtype)
        else:
            out[k] = (arrays[0] if integers == "first" else arrays[-1]).copy()
    return out


def _bits(t):
    return t.numpy().tobytes() if isinstance(t, torch.Tensor) else t.tobytes()


@pytest.mark.parametrize("n", [1, 2, 3])
def test_both_names_agree_with_an_independent_mean_bit_for_bit(tmp_path, n):
    models = [_M(s) for s in range(n)]
    states = [{k: v.detach().clone() for k, v in m.state_dict().items()} for m in models]
    copies = [{k: v.clone() for k, v in s.items()} for s in states]
    paths = [save_checkpoint(tmp_path, i, m) for i, m in enumerate(models)]
    results = {"average_checkpoints": (average_checkpoints(paths), "first"),
               "average_state_dicts": (average_state_dicts(states), "last"),
               "average_state_dicts(first)": (average_state_dicts(states, integers="first"), "first")}
    for name, (got, rule) in results.items():
        want = _oracle(states, rule)
        assert sorted(got) == sorted(want), name
        for k in want:
            assert got[k].dtype == states[0][k].dtype and _bits(got[k]) == _bits(want[k]), (name, k)
    assert list(results["average_state_dicts"][0]) == list(states[0])           # the first state's key order
    assert all(_bits(s[k]) == _bits(c[k]) for s, c in zip(states, copies) for k in s)   # inputs untouched
    assert np.signbit(results["average_checkpoints"][0]["z"].numpy()).tolist() == [True, False, True]


def test_the_two_names_keep_their_error_types_and_name_what_differs(tmp_path):
    a, b = _M(0), _M(1)
    b.w = nn.Parameter(torch.zeros(2))
    with pytest.raises(ValueError, match=r"average_state_dicts: parameter 'w' has shape \[2\] in checkpoint 1 "
                                         r"but \[4, 3\] in checkpoint 0"):
        average_state_dicts([a.state_dict(), b.state_dict()])
    paths = [save_checkpoint(tmp_path / "a", 0, a), save_checkpoint(tmp_path / "b", 1, b)]
    with pytest.raises(CheckpointError, match=r"average_checkpoints: parameter 'w' has shape \[2\] in '.*b.*' but"):
        average_checkpoints(paths)
    with pytest.raises(ValueError, match="average_state_dicts: no checkpoints given"):
        average_state_dicts([])
    with pytest.raises(CheckpointError, match="average_checkpoints: no checkpoints given"):
        average_checkpoints([])
    with pytest.raises(ValueError, match="integers"):
        average_state_dicts([a.state_dict()], integers="middle")
