"""average_state_dicts compared the checkpoints' key LISTS, so the same parameters in another order (a state
dict read back from safetensors, whose keys come sorted, next to ``model.state_dict()``) were refused with
"checkpoint 1 has different parameter names than checkpoint 0", which is false. The keys are compared as sets
now; the result keeps the first state's order. Oracle: the element-wise mean of the stored tensors."""

import pytest
import torch
from safetensors.torch import load_file, save_file

from paperworks.attention import PRESETS, Transformer, average_state_dicts


def _states(tmp_path):
    torch.manual_seed(0)
    a = Transformer(vocab_size=11, **PRESETS["smoke"]).state_dict()
    torch.manual_seed(1)
    b = Transformer(vocab_size=11, **PRESETS["smoke"]).state_dict()
    save_file({k: v.contiguous() for k, v in b.items()}, str(tmp_path / "b.safetensors"))
    return a, b, load_file(str(tmp_path / "b.safetensors"))


def test_same_parameters_in_another_order_are_averaged(tmp_path):
    a, b, b_read = _states(tmp_path)
    assert list(b_read) != list(a)                       # the file's order differs (sorted keys)
    avg = average_state_dicts([a, b_read])
    assert list(avg) == list(a)
    for k in a:
        want = ((a[k].double() + b[k].double()) / 2).to(a[k].dtype)
        assert torch.equal(avg[k], want), k
    rev = dict(reversed(list(b.items())))
    out = average_state_dicts([a, rev])
    assert all(torch.equal(out[k], avg[k]) for k in a)


def test_really_different_names_are_still_refused(tmp_path):
    a, b, _ = _states(tmp_path)
    extra = dict(b, **{"extra.weight": torch.zeros(2)})
    missing = {k: v for k, v in b.items() if k != "embedding.weight"}
    for other in (extra, missing):
        with pytest.raises(ValueError, match="checkpoint 1 has different parameter names than checkpoint 0"):
            average_state_dicts([a, other])
