"""Review of c8687f2 (segment_sparsemax shifted by each segment's maximum): finite entries whose distance to
their segment's maximum overflows the dtype (float32 [3e38, -3e38]; float16 [40000, -40000], distance 80000 >
65504) shift to -inf, and -inf * 0 in the support sum made tau NaN: the whole segment came back NaN, silently
(the row sparsemax gives [1, 0]; the code before c8687f2 raised a DataError there). Oracle: the projection's
closed form (such an entry is outside the support, the others are projected on their own) and the row
:func:`sparsemax`."""

import pytest
import torch

from paperworks.graphs.structure_pool import segment_sparsemax, sparsemax


@pytest.mark.parametrize("dtype, big", [(torch.float32, 3e38), (torch.float16, 40000.0), (torch.float64, 1e308)])
def test_a_spread_beyond_the_dtype_range_is_no_nan(dtype, big):
    z = torch.tensor([big, -big, 0.5, 0.25, -big, 1.0], dtype=dtype)
    index = torch.tensor([0, 0, 1, 1, 1, 2])
    out = segment_sparsemax(z, index, 3)
    # segment 0: one finite maximum far above the rest -> [1, 0]; segment 1: the -big entry is outside the
    # support, 0.5 and 0.25 split the unit mass: tau = -0.125 -> [0.625, 0.375]; segment 2: a single entry -> 1
    want = torch.tensor([1.0, 0.0, 0.625, 0.0, 0.0, 1.0], dtype=torch.float64)
    want[3] = 0.375
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out.double(), want, rtol=0, atol=torch.finfo(dtype).eps * 4)
    torch.testing.assert_close(out[:2].double(), sparsemax(z[:2]).double(), rtol=0, atol=0)


@pytest.mark.parametrize("dtype, big", [(torch.float32, 3e38), (torch.float64, 1e308)])
def test_gradient_stays_finite_and_exact_next_to_an_overflowed_entry(dtype, big):
    z = torch.tensor([big, big, -big, 1.0, 0.9, 0.0], dtype=dtype, requires_grad=True)
    index = torch.tensor([0, 0, 0, 1, 1, 1])
    out = segment_sparsemax(z, index, 2)
    assert torch.isfinite(out).all() and out[:3].tolist() == [0.5, 0.5, 0.0]
    g = torch.tensor([1.0, -2.0, 3.0, 0.5, 4.0, -1.0], dtype=dtype)
    (gz,) = torch.autograd.grad(out, z, g)
    # Jacobian on a segment with support S of size k: diag(1_S) - 1_S 1_S^T / k
    want = torch.tensor([1.5, -1.5, 0.0, -1.75, 1.75, 0.0], dtype=dtype)
    assert torch.equal(gz, want)
