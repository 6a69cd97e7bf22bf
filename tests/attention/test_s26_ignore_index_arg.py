"""label_smoothed_cross_entropy's ignore_index (differential fuzz against F.cross_entropy, session 26).

``target != ignore_index`` took any value: 1.5 matched no target and ignored nothing, True ignored class 1, both
silently (F.cross_entropy refuses both), and a string or a list failed inside torch.where with a bare TypeError.
Integers (NumPy's, 0-d integer tensors, integral reals) keep working and equal F.cross_entropy."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from paperworks.attention import label_smoothed_cross_entropy


def _data():
    g = torch.Generator().manual_seed(0)
    return torch.randn(2, 3, 5, generator=g), torch.tensor([[0, 1, 0], [2, 0, 4]])


@pytest.mark.parametrize("bad", [1.5, True, np.bool_(True), "0", [0], torch.tensor([0, 1]), torch.tensor(0.5),
                                 torch.tensor(True), 2 ** 70, float("nan")])
def test_non_integer_ignore_index_is_one_clear_error(bad):
    logits, target = _data()
    with pytest.raises(ValueError, match="ignore_index must be an integer"):
        label_smoothed_cross_entropy(logits, target, 0.1, ignore_index=bad)


@pytest.mark.parametrize("ok", [0, np.int64(0), torch.tensor(0), np.float64(0.0), 0.0, -100, 4])
def test_integer_ignore_index_equals_torch(ok):
    logits, target = _data()
    got = label_smoothed_cross_entropy(logits, target, 0.1, ignore_index=ok)
    want = F.cross_entropy(logits.reshape(-1, 5), target.reshape(-1), ignore_index=int(ok), label_smoothing=0.1)
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-7)
