"""MultiHeadAttention(need_weights=True) in float16 where Q K^T exceeds float16's range (65504) but the
scaled scores Q K^T / sqrt(d_k) do not; oracle: the same module in float64."""

import torch

from paperworks.attention.layers import MultiHeadAttention


def test_need_weights_path_does_not_overflow_before_scaling_in_float16():
    torch.manual_seed(0)
    ref = MultiHeadAttention(64, 1).eval().double()
    x = torch.randn(1, 4, 64, dtype=torch.float64) * 90
    with torch.no_grad():
        q, k = ref._heads(ref.q_proj(x)), ref._heads(ref.k_proj(x))
        raw = (q @ k.transpose(-2, -1)).abs().max()
        assert raw > 65504 and raw / 8 < 65504     # unscaled overflows float16, scaled does not
        out64, w64 = ref(x, x, x, need_weights=True)
        half = MultiHeadAttention(64, 1).eval()
        half.load_state_dict(ref.state_dict())
        half = half.half()
        out16, w16 = half(x.half(), x.half(), x.half(), need_weights=True)
        fused16 = half(x.half(), x.half(), x.half())
    # old code: Q K^T overflowed to inf and the output and weights were NaN
    assert torch.isfinite(out16).all() and torch.isfinite(w16).all()
    assert ((out16.double() - out64).abs().max() / out64.abs().max()) < 2e-3
    assert (w16.double() - w64).abs().max() < 2e-3
    assert ((out16.double() - fused16.double()).abs().max() / out64.abs().max()) < 2e-3
