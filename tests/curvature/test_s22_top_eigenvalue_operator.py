"""top_eigenvalue called directly with a float32 operator under its float64 default failed inside torch ("addmv
input tensors must have the same dtype"), and an operator of the wrong size in a bare broadcast error; lissa and
cg already named both. Both are now one PaperworksError; the values are unchanged."""

import pytest
import torch

from paperworks.core.errors import PaperworksError
from paperworks.curvature import lissa, top_eigenvalue

H32 = torch.diag(torch.tensor([1.0, -5.0, 2.0]))


def test_float32_operator_under_float64_default_is_named():
    with pytest.raises(PaperworksError, match=r"top_eigenvalue: the operator A failed on a torch.float64 vector"
                                              r".*pass dtype="):
        top_eigenvalue(lambda v: H32 @ v, 3)


def test_wrong_size_operator_is_named():
    with pytest.raises(PaperworksError, match=r"top_eigenvalue: the operator A must return a tensor of its input's "
                                              r"shape \[3\] \(got \[2\]\)"):
        top_eigenvalue(lambda v: (H32 @ v)[:2], 3, dtype=torch.float32)


def test_matching_dtype_value_unchanged():
    assert top_eigenvalue(lambda v: H32 @ v, 3, dtype=torch.float32) == pytest.approx(5.0, rel=1e-6)
    H64 = H32.double()
    assert top_eigenvalue(lambda v: H64 @ v, 3) == pytest.approx(5.0, rel=1e-12)


def test_lissa_message_keeps_its_right_hand_side_hint():
    with pytest.raises(PaperworksError, match="give the right-hand side in the dtype the operator computes in"):
        lissa(lambda v: H32.abs() @ v, torch.ones(3, dtype=torch.float64))
