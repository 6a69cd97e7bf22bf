"""perturbation_norms (and so evaluate_attack's mean norms) on float16 / bfloat16 images.

The norms were computed and returned in the images' own dtype: bfloat16 holds integers exactly only up to 256,
so the L_0 count of an MNIST-sized perturbation was rounded (774 changed pixels read 776, 777 read 776), and the
L2 norm of bfloat16-rounded differences was off by 0.3 %. Half-precision images are measured in float32 now.
"""

import pytest
import torch

from paperworks import attacks


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_norms_are_exact_counts_and_float32_norms(dtype):
    torch.manual_seed(0)
    x = torch.rand(2, 1, 28, 28)
    xa = (x + 0.01).clamp(0, 1)
    xa[:, 0, 0, :5] = x[:, 0, 0, :5]
    x, xa = x.to(dtype), xa.to(dtype)
    d = xa.double() - x.double()
    n = attacks.perturbation_norms(x, xa)
    assert torch.equal(n["l0"], (d != 0).flatten(1).sum(1).float())
    torch.testing.assert_close(n["l2"].double(), d.flatten(1).norm(dim=1), rtol=1e-6, atol=0)
    torch.testing.assert_close(n["linf"].double(), d.abs().flatten(1).amax(1), rtol=0, atol=0)


def test_float32_norms_keep_their_dtype_and_values():
    torch.manual_seed(1)
    x = torch.rand(3, 1, 5, 5)
    xa = (x + 0.1 * torch.randn_like(x)).clamp(0, 1)
    n = attacks.perturbation_norms(x, xa)
    d = (xa - x).flatten(1)
    assert n["l2"].dtype == torch.float32
    assert torch.equal(n["l2"], d.norm(dim=1)) and torch.equal(n["l0"], (d != 0).sum(1).float())
