"""fmd.head_hessian built its Hessian on the CPU whatever the head's device (a CUDA head hit a device mismatch).
The CUDA case runs in scripts/gpu-check.sh; the CPU case pins the closed form against autograd."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from paperworks.systems.fmd import head_hessian


def _check(device):
    torch.manual_seed(0)
    head = nn.Linear(3, 4, bias=False).double().to(device)
    feats = torch.randn(10, 3, dtype=torch.float64, device=device)
    lam = 1e-2
    H = head_hessian(head, feats, lam, chunk=4)
    y = torch.randint(0, 4, (10,), device=device)

    def obj(w):   # mean CE + lam/2 ||W||^2: the Hessian does not depend on y
        return F.cross_entropy(feats @ w.reshape(4, 3).T, y) + 0.5 * lam * w.pow(2).sum()

    ref = torch.autograd.functional.hessian(obj, head.weight.detach().reshape(-1))
    assert H.device == feats.device
    torch.testing.assert_close(H, ref, rtol=1e-12, atol=1e-12)


def test_head_hessian_on_cpu_equals_autograd():
    _check("cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (run scripts/gpu-check.sh there)")
def test_head_hessian_stays_on_the_head_device():
    _check("cuda")
