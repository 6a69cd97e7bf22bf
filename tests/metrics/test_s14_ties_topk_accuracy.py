"""Top-k accuracy on tied scores: classes of equal score rank by index (lower first) for every k, as argmax
does for k = 1. Oracle: scikit-learn's top_k_accuracy_score, which ranks ties the other way (higher index
first), on the scores with the class order reversed."""

import numpy as np
import pytest
import torch
from sklearn.metrics import top_k_accuracy_score

from paperworks.metrics import accuracy


def test_top_k_accuracy_never_falls_with_k_on_ties():
    s = torch.tensor([[1.0, 1.0, 1.0, 0.0, 0.0]])
    y = torch.tensor([0])
    # old code: top-1 1.0 (argmax) but top-2 0.0 (torch.topk returned classes 2 and 4)
    assert [accuracy(s, y, top_k=k) for k in (1, 2, 3)] == [1.0, 1.0, 1.0]
    assert accuracy(s, torch.tensor([2]), top_k=2) == 0.0


@pytest.mark.parametrize("C", [3, 5, 8, 13, 50, 120])
def test_tied_top_k_accuracy_equals_sklearn_on_reversed_classes(C):
    g = torch.Generator().manual_seed(C)
    s = torch.randint(0, 3, (400, C), generator=g).double()
    y = torch.randint(0, C, (400,), generator=g)
    for k in sorted({1, 2, C // 2, C - 1}):
        want = top_k_accuracy_score(C - 1 - y.numpy(), s.flip(1).numpy(), k=k, labels=np.arange(C))
        assert accuracy(s, y, top_k=k) == pytest.approx(want, abs=1e-6), k
        assert accuracy(s.float(), y, top_k=k) == pytest.approx(want, abs=1e-6), k
