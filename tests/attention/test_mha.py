"""Oracle: our MultiHeadAttention equals torch.nn.MultiheadAttention with the same weights."""

import pytest
import torch
from torch import nn

from paperworks.attention import MultiHeadAttention, scaled_dot_product_attention


def _pair(E=16, H=4, seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    ref = nn.MultiheadAttention(E, H, batch_first=True, dtype=dtype)
    with torch.no_grad():  # non-zero biases so that they are compared too
        ref.in_proj_bias.normal_()
        ref.out_proj.bias.normal_()
    ours = MultiHeadAttention(E, H).to(dtype)
    with torch.no_grad():
        wq, wk, wv = ref.in_proj_weight.chunk(3, 0)
        bq, bk, bv = ref.in_proj_bias.chunk(3, 0)
        for lin, w, b in ((ours.q_proj, wq, bq), (ours.k_proj, wk, bk), (ours.v_proj, wv, bv)):
            lin.weight.copy_(w)
            lin.bias.copy_(b)
        ours.out_proj.weight.copy_(ref.out_proj.weight)
        ours.out_proj.bias.copy_(ref.out_proj.bias)
    return ours, ref


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
@pytest.mark.parametrize("causal", [False, True])
def test_mha_equals_torch_outputs_and_gradients(dtype, tol, causal):
    ours, ref = _pair(dtype=dtype)
    B, T, E = 3, 6, 16
    torch.manual_seed(1)
    x = torch.randn(B, T, E, dtype=dtype)
    mem = torch.randn(B, T, E, dtype=dtype)
    pad = torch.zeros(B, T, dtype=torch.bool)
    pad[0, 4:] = True
    pad[2, 5:] = True
    xq, xk = x.clone().requires_grad_(), mem.clone().requires_grad_()
    yq, yk = x.clone().requires_grad_(), mem.clone().requires_grad_()
    out = ours(xq, xk, xk, key_padding_mask=pad, causal=causal)
    attn_mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1) if causal else None
    want, _ = ref(yq, yk, yk, key_padding_mask=pad, attn_mask=attn_mask, need_weights=False)
    torch.testing.assert_close(out, want, rtol=tol, atol=tol)
    g = torch.randn_like(out)
    out.backward(g)
    want.backward(g)
    torch.testing.assert_close(xq.grad, yq.grad, rtol=tol, atol=tol)
    torch.testing.assert_close(xk.grad, yk.grad, rtol=tol, atol=tol)
    wq, wk, wv = ref.in_proj_weight.grad.chunk(3, 0)
    for ours_g, ref_g in ((ours.q_proj.weight.grad, wq), (ours.k_proj.weight.grad, wk),
                          (ours.v_proj.weight.grad, wv), (ours.out_proj.weight.grad, ref.out_proj.weight.grad),
                          (ours.out_proj.bias.grad, ref.out_proj.bias.grad)):
        torch.testing.assert_close(ours_g, ref_g, rtol=tol, atol=tol)


def test_sdpa_equals_explicit_softmax_formula():
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 3, 5, 4, dtype=torch.float64) for _ in range(3))
    pad = torch.tensor([[False] * 5, [False, False, False, True, True]])
    got = scaled_dot_product_attention(q, k, v, key_padding_mask=pad, causal=True)
    s = q @ k.transpose(-1, -2) / 2.0  # sqrt(d_k) = 2
    s = s.masked_fill(torch.triu(torch.ones(5, 5, dtype=torch.bool), 1), float("-inf"))
    s = s.masked_fill(pad[:, None, None, :], float("-inf"))
    torch.testing.assert_close(got, torch.softmax(s, -1) @ v)


def test_mha_padding_contents_do_not_matter():
    ours, _ = _pair()
    torch.manual_seed(2)
    x = torch.randn(2, 7, 16, dtype=torch.float64)
    pad = torch.zeros(2, 7, dtype=torch.bool)
    pad[:, 5:] = True
    y = x.clone()
    y[:, 5:] = 1e3 * torch.randn(2, 2, 16, dtype=torch.float64)
    a = ours(x, x, x, key_padding_mask=pad)[:, :5]
    b = ours(x, y, y, key_padding_mask=pad)[:, :5]
    torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_mha_rejects_bad_shapes_and_masks():
    ours, _ = _pair()
    x = torch.randn(2, 3, 16, dtype=torch.float64)
    with pytest.raises(ValueError, match="expected query"):
        ours(x[0], x, x)
    with pytest.raises(ValueError, match="key_padding_mask"):
        ours(x, x, x, key_padding_mask=torch.zeros(2, 3))
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 3)


@pytest.mark.parametrize("average", [True, False])
@pytest.mark.parametrize("causal", [False, True])
def test_need_weights_equals_torch_weights_and_output(causal, average):
    """need_weights=True returns (output, softmax weights) like torch.nn.MultiheadAttention: weights averaged
    over the heads [B, T, S] or per head [B, H, T, S]; the output equals the fused (SDPA) path's."""
    ours, ref = _pair()
    B, T, E = 3, 6, 16
    torch.manual_seed(2)
    x = torch.randn(B, T, E, dtype=torch.float64)
    pad = torch.zeros(B, T, dtype=torch.bool)
    pad[0, 4:] = True
    pad[2, 1:] = True
    attn_mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1) if causal else None
    out, w = ours(x, x, x, key_padding_mask=pad, causal=causal, need_weights=True, average_attn_weights=average)
    want, want_w = ref(x, x, x, key_padding_mask=pad, attn_mask=attn_mask, need_weights=True,
                       average_attn_weights=average)
    assert w.shape == ((B, T, T) if average else (B, 4, T, T))
    torch.testing.assert_close(w, want_w, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(out, want, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(out, ours(x, x, x, key_padding_mask=pad, causal=causal), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(w.sum(-1), torch.ones_like(w.sum(-1)), rtol=0, atol=1e-12)


def test_need_weights_fully_masked_query_gets_zero_weights_like_the_fused_path():
    ours, _ = _pair()
    x = torch.randn(2, 3, 16, dtype=torch.float64)
    pad = torch.tensor([[True, True, True], [False, False, True]])
    out, w = ours(x, x, x, key_padding_mask=pad, need_weights=True, average_attn_weights=False)
    assert torch.equal(w[0], torch.zeros_like(w[0])) and torch.isfinite(out).all()
    torch.testing.assert_close(out, ours(x, x, x, key_padding_mask=pad), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("need_weights", [False, True])
@pytest.mark.parametrize("kind", ["bool2d", "bool3d", "float2d", "float3d"])
def test_attn_mask_equals_torch_mha(kind, need_weights):
    """attn_mask in torch's convention ([T, S] or [B * H, T, S]; bool True = may not attend, float = added),
    together with a key padding mask: output (fused and explicit paths) and weights equal torch's MHA."""
    ours, ref = _pair()
    B, T, S, E, H = 3, 5, 6, 16, 4
    g = torch.Generator().manual_seed(4)
    x = torch.randn(B, T, E, dtype=torch.float64, generator=g)
    mem = torch.randn(B, S, E, dtype=torch.float64, generator=g)
    pad = torch.zeros(B, S, dtype=torch.bool)
    pad[1, 4:] = True
    shape = (T, S) if kind.endswith("2d") else (B * H, T, S)
    if kind.startswith("bool"):
        m = torch.rand(shape, generator=g) < 0.3
        m[..., 0] = False                              # no query loses every key (torch gives NaN there)
    else:
        m = torch.randn(shape, dtype=torch.float64, generator=g)
    want, want_w = ref(x, mem, mem, key_padding_mask=pad, attn_mask=m, need_weights=True,
                       average_attn_weights=False)
    got = ours(x, mem, mem, key_padding_mask=pad, attn_mask=m, need_weights=need_weights,
               average_attn_weights=False)
    out = got[0] if need_weights else got
    torch.testing.assert_close(out, want, rtol=1e-10, atol=1e-10)
    if need_weights:
        torch.testing.assert_close(got[1], want_w, rtol=1e-12, atol=1e-12)
    # the mask matters: without it the output differs
    assert not torch.allclose(ours(x, mem, mem, key_padding_mask=pad), want, rtol=1e-6, atol=1e-6)


def test_attn_mask_bad_input_is_named():
    ours, _ = _pair()
    x = torch.randn(2, 3, 16, dtype=torch.float64)
    for bad in (torch.zeros(3, 4, dtype=torch.bool), torch.zeros(2, 3, 3, dtype=torch.bool),
                torch.zeros(3, 3, dtype=torch.long)):
        with pytest.raises(ValueError, match="attn_mask must be a bool or float tensor"):
            ours(x, x, x, attn_mask=bad)
    with pytest.raises(ValueError, match="attn_mask contains NaN"):
        ours(x, x, x, attn_mask=torch.full((3, 3), float("nan"), dtype=torch.float64))
