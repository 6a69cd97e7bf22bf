"""EK-FAC's correction pass built the projected per-sample gradients of a whole batch as one [b, out, in(+1)]
float64 tensor, plus its square (probe: a 512 x 512 Linear at batch 256 grew the peak RSS by 1041 MiB; a
4096 x 4096 one would need 2 x 32 GiB). KFAC(chunk_bytes=...) now caps those tensors (default 256 MiB),
projecting c samples at a time; the diagonal is the same sum (equal to float64 rounding, bitwise when the
batch fits the cap)."""

import pytest
import torch
from torch import nn

import paperworks.curvature.kfac as kfac_mod
from paperworks.core.errors import PaperworksError
from paperworks.curvature import KFAC


def _mlp():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)).double().eval()
    x = torch.randn(23, 5, dtype=torch.float64)
    y = torch.randint(0, 3, (23,))
    return m, (x, y), lambda mm, b: nn.functional.cross_entropy(mm(b[0]), b[1])


def _conv():
    torch.manual_seed(1)
    m = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 5 * 5, 3)).double().eval()
    x = torch.randn(9, 2, 5, 5, dtype=torch.float64)
    y = torch.randint(0, 3, (9,))
    return m, (x, y), lambda mm, b: nn.functional.cross_entropy(mm(b[0]), b[1])


def _per_sample_bytes(L, T):
    return 8 * (2 * L.out * L.inp + T * (L.out + L.inp) * 2)


@pytest.mark.parametrize("build,T", [(_mlp, (1, 1)), (_conv, (25, 1))])
def test_chunked_diagonal_equals_the_whole_batch(build, T):
    m, data, loss = build()
    ref = KFAC(m, loss, data, eigen_correct=True, batch_size=10, chunk_bytes=None).fit()
    sizes = [_per_sample_bytes(L, t) for L, t in zip(ref.layers, T)]
    for c in (1, 2, 3, 7, 10):                 # samples per chunk (the cap of the largest layer's sample)
        k = KFAC(m, loss, data, eigen_correct=True, batch_size=10, chunk_bytes=c * max(sizes)).fit()
        for L, R in zip(k.layers, ref.layers):
            # to float64 rounding of the sum (entries of a null direction are rounding noise, ~1e-33)
            torch.testing.assert_close(L.S, R.S, rtol=1e-13, atol=1e-15 * float(R.S.max()))
    k = KFAC(m, loss, data, eigen_correct=True, batch_size=10).fit()     # the default cap holds the batch
    for L, R in zip(k.layers, ref.layers):
        assert torch.equal(L.S, R.S)
    v = torch.randn(sum(L.out * L.inp for L in ref.layers), dtype=torch.float64)
    k1 = KFAC(m, loss, data, eigen_correct=True, batch_size=10, chunk_bytes=1).fit()   # chunk of one sample
    a, b = k1.inverse_vp(v, 1e-3), ref.inverse_vp(v, 1e-3)
    torch.testing.assert_close(a, b, rtol=1e-11, atol=1e-13 * float(b.abs().max()))


def test_the_projections_stay_within_the_cap(monkeypatch):
    m, data, loss = _mlp()
    biggest = []
    real = torch.einsum

    def spy(eq, *ops):
        out = real(eq, *ops)
        if eq == "bto,bti->boi":
            biggest.append(out.numel() * out.element_size())
        return out

    monkeypatch.setattr(kfac_mod.torch, "einsum", spy)
    cap = 3 * _per_sample_bytes(KFAC(m, loss, data).layers[0], 1)
    KFAC(m, loss, data, eigen_correct=True, batch_size=23, chunk_bytes=cap).fit()
    assert biggest and 2 * max(biggest) <= cap      # the projection and its square, was 23 samples at once
    biggest.clear()
    KFAC(m, loss, data, eigen_correct=True, batch_size=23, chunk_bytes=None).fit()
    assert max(biggest) == 23 * 7 * 6 * 8           # None: the whole batch, as before


@pytest.mark.parametrize("bad", [0, -5, 1.5, "1GB", True])
def test_chunk_bytes_is_checked(bad):
    m, data, loss = _mlp()
    with pytest.raises(PaperworksError, match="chunk_bytes"):
        KFAC(m, loss, data, eigen_correct=True, chunk_bytes=bad)
