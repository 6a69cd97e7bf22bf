"""The separable toy 'images' that several AdvGAN tests share (tests/systems/test_advgan.py, test_s23_*)."""

import torch


def toy_images(n, s=16, k=3, seed=0):
    """``n`` images [n, 1, s, s] in [0, 1]: noisy copies of ``k`` random prototypes, labels ``arange(n) % k``."""
    g = torch.Generator().manual_seed(seed)
    protos = torch.rand(k, 1, s, s, generator=g)
    y = torch.arange(n) % k
    x = (protos[y] + 0.15 * torch.randn(n, 1, s, s, generator=g)).clamp(0, 1)
    return x, y
