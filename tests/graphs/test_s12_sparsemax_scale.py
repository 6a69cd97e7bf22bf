"""Sparsemax at large input magnitudes, against a float64 sort-based reference computed on max-shifted
inputs (sparsemax is shift invariant: sparsemax(z + c) = sparsemax(z))."""

import numpy as np
import pytest
import torch

from paperworks.graphs import segment_sparsemax, sparsemax


def _reference(z) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max()
    zs = np.sort(z)[::-1]
    cs = np.cumsum(zs)
    k = np.nonzero(1 + np.arange(1, z.size + 1) * zs > cs)[0].max() + 1
    return np.maximum(z - (cs[k - 1] - 1) / k, 0.0)


@pytest.mark.parametrize("dtype,base", [(torch.float32, 1e3), (torch.float32, 1e5), (torch.float32, 1e7),
                                        (torch.float64, 1e12), (torch.float64, 1e15)])
def test_dense_sparsemax_is_shift_invariant_at_large_magnitudes(dtype, base):
    # old code: float32 near 1e7 gave [1, 1, 1, 0] (sum 3), near 1e6 [0.5625, 0.0625, 0.3125, 0]
    z = torch.tensor([[base, base - 0.5, base - 0.25, base - 2.0], [0.0, -0.5, -0.25, -2.0]], dtype=dtype)
    out = sparsemax(z)
    for row in range(2):
        ref = _reference(z[row].double().numpy())
        np.testing.assert_allclose(out[row].double().numpy(), ref, rtol=0, atol=8 * torch.finfo(dtype).eps)
    assert torch.allclose(out.sum(-1).double(), torch.ones(2, dtype=torch.float64),
                          atol=8 * torch.finfo(dtype).eps)


def test_dense_sparsemax_other_dim_and_gradient_unchanged_by_shift():
    torch.manual_seed(0)
    z = (torch.randn(5, 4, dtype=torch.float64) + 1e9).requires_grad_()
    out = sparsemax(z, dim=0)
    w = torch.randn(5, 4, dtype=torch.float64)
    (out * w).sum().backward()
    z0 = (z.detach() - 1e9).requires_grad_()
    out0 = sparsemax(z0, dim=0)
    (out0 * w).sum().backward()
    assert torch.allclose(out, out0, atol=1e-12, rtol=0)
    assert torch.allclose(z.grad, z0.grad, atol=1e-12, rtol=0)


@pytest.mark.parametrize("shape", [(0,), (3, 0)])
def test_dense_sparsemax_empty_last_dim(shape):
    # old code: RuntimeError 'index -1 is out of bounds' from its gather
    assert sparsemax(torch.empty(shape)).shape == shape


def test_segment_sparsemax_flagged_rows_still_exact():
    # the per-segment recomputation goes through the dense sparsemax on max-shifted rows
    z = torch.tensor([1e6, 1e6 - 0.5, 1e6 - 0.25, 3.0, 3.0, 3.0])
    out = segment_sparsemax(z, torch.tensor([0, 0, 0, 1, 1, 1])).double().numpy()
    np.testing.assert_allclose(out[:3], _reference(z[:3].double().numpy()), atol=1e-6)
    np.testing.assert_allclose(out[3:], [1 / 3] * 3, atol=1e-6)


def _segment_reference(z, index):
    z, index = z.double().numpy(), index.numpy()
    out = np.zeros_like(z)
    for s in np.unique(index):
        out[index == s] = _reference(z[index == s])
    return out


@pytest.mark.parametrize("base", [1e2, 1e3, 3e3, -1e3, 1e4])
def test_segment_sparsemax_large_magnitudes_float32(base):
    # old code: a 2-entry segment near 3000 came out 1.2e-4 off (sum 0.99976), accepted because its sum was
    # within the recomputation threshold sqrt(eps) = 3.4e-4; near 1000 3.1e-5 off
    g = torch.Generator().manual_seed(0)
    sizes = [1, 2, 3, 50, 7]
    z = torch.cat([torch.randn(n, generator=g) * 0.3 + (base if i % 2 else 0.0) for i, n in enumerate(sizes)])
    z[5:8] = z[5]                                   # ties inside a segment
    index = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    out = segment_sparsemax(z, index)
    np.testing.assert_allclose(out.double().numpy(), _segment_reference(z, index), rtol=0, atol=2e-6)
