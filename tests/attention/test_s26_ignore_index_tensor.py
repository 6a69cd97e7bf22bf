"""label_smoothed_cross_entropy's ignore_index check (729a618) takes an integral real (0.0, np.float64(0.0)) as
its int but refused the same value as a tensor: torch.tensor(0.0) and torch.tensor([0]), which ignored class 0
correctly before it, became "ignore_index must be an integer class id" (probe /tmp/r_ls_probe.py), and a 0-d NumPy
integer array (accepted by F.cross_entropy) was refused too. A one-element tensor / NumPy array of an integer or
float dtype is now read as its value under the same rule."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from paperworks.attention import label_smoothed_cross_entropy


@pytest.mark.parametrize("ok", [torch.tensor(0.0), torch.tensor([0]), torch.tensor([[0.0]], dtype=torch.float64),
                                np.array(0), np.array([0.0]), torch.tensor(0, dtype=torch.int16)])
def test_one_element_tensor_or_array_ignore_index(ok):
    g = torch.Generator().manual_seed(0)
    logits, target = torch.randn(2, 3, 5, generator=g), torch.tensor([[0, 1, 0], [2, 0, 4]])
    got = label_smoothed_cross_entropy(logits, target, 0.1, ignore_index=ok)
    want = F.cross_entropy(logits.reshape(-1, 5), target.reshape(-1), ignore_index=0, label_smoothing=0.1)
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-7)
