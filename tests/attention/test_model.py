"""Oracles for the layers and the encoder-decoder: peer layers, causality, padding, equivariance."""

import pytest
import torch
from torch import nn

from paperworks.attention import DecoderLayer, EncoderLayer, LSTMSeq2Seq, Transformer, TransformerSpec

E, H, FF = 16, 4, 24


def _copy_mha(ours, ref):
    wq, wk, wv = ref.in_proj_weight.chunk(3, 0)
    bq, bk, bv = ref.in_proj_bias.chunk(3, 0)
    for lin, w, b in ((ours.q_proj, wq, bq), (ours.k_proj, wk, bk), (ours.v_proj, wv, bv),
                      (ours.out_proj, ref.out_proj.weight, ref.out_proj.bias)):
        lin.weight.copy_(w)
        lin.bias.copy_(b)


def _copy_common(ours, ref):
    ours.ffn.w1.load_state_dict(ref.linear1.state_dict())
    ours.ffn.w2.load_state_dict(ref.linear2.state_dict())
    for i in (1, 2, 3):
        if hasattr(ours, f"norm{i}"):
            getattr(ours, f"norm{i}").load_state_dict(getattr(ref, f"norm{i}").state_dict())


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_equals_torch(norm_first):
    torch.manual_seed(0)
    ref = nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, batch_first=True, norm_first=norm_first,
                                     dtype=torch.float64).eval()
    ours = EncoderLayer(E, H, FF, dropout=0.0, norm_first=norm_first).double().eval()
    with torch.no_grad():
        _copy_mha(ours.self_attn, ref.self_attn)
        _copy_common(ours, ref)
    x = torch.randn(2, 5, E, dtype=torch.float64)
    pad = torch.tensor([[False] * 5, [False, False, False, True, True]])
    torch.testing.assert_close(ours(x, pad)[~pad], ref(x, src_key_padding_mask=pad)[~pad])


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_equals_torch(norm_first):
    torch.manual_seed(1)
    ref = nn.TransformerDecoderLayer(E, H, FF, dropout=0.0, batch_first=True, norm_first=norm_first,
                                     dtype=torch.float64).eval()
    ours = DecoderLayer(E, H, FF, dropout=0.0, norm_first=norm_first).double().eval()
    with torch.no_grad():
        _copy_mha(ours.self_attn, ref.self_attn)
        _copy_mha(ours.cross_attn, ref.multihead_attn)
        _copy_common(ours, ref)
    x = torch.randn(2, 4, E, dtype=torch.float64)
    mem = torch.randn(2, 6, E, dtype=torch.float64)
    mpad = torch.tensor([[False] * 6, [False] * 4 + [True] * 2])
    causal = nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    want = ref(x, mem, tgt_mask=causal, memory_key_padding_mask=mpad)
    torch.testing.assert_close(ours(x, mem, None, mpad), want)


def _model(seed=0, **kw):
    torch.manual_seed(seed)
    spec = dict(vocab_size=23, d_model=16, n_heads=4, d_ff=32, n_encoder_layers=2, n_decoder_layers=2, dropout=0.0)
    spec.update(kw)
    return Transformer(**spec).double().eval()


def _tokens(B, L, seed, V=23):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(3, V, (B, L), generator=g)


def test_causal_decoder_no_leakage_outputs_and_gradients():
    m = _model()
    src, tgt = _tokens(2, 6, 1), _tokens(2, 7, 2)
    base = m(src, tgt)
    for t in range(1, 7):
        tgt2 = tgt.clone()
        tgt2[:, t:] = _tokens(2, 7 - t, 100 + t)
        out = m(src, tgt2)
        assert torch.equal(out[:, :t], base[:, :t]), f"outputs before {t} changed"
    # gradient of the output at position i w.r.t. decoder inputs at j > i is exactly zero
    emb = m.embed(tgt).detach().requires_grad_()
    mem = m.encode(src)
    x = emb
    for layer in m.decoder_layers:
        x = layer(x, mem, None, src == m.pad_id)
    w = torch.randn(E, dtype=torch.float64)  # (a plain sum of a LayerNorm output has zero gradient)
    for i in range(6):
        (g,) = torch.autograd.grad((x[:, i] @ w).sum(), emb, retain_graph=True)
        assert (g[:, i + 1:] == 0).all() and g[:, : i + 1].abs().sum() > 0


def test_padding_contents_do_not_change_outputs():
    m = _model(norm_first=True)
    src, tgt = _tokens(3, 8, 3), _tokens(3, 5, 4)
    spad = torch.zeros(3, 8, dtype=torch.bool)
    spad[0, 5:] = True
    spad[2, 2:] = True
    a = m(src, tgt, src_padding_mask=spad)
    src2 = src.clone()
    src2[spad] = _tokens(1, int(spad.sum()), 5)[0]
    b = m(src2, tgt, src_padding_mask=spad)
    torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    # default masks (tokens == pad) agree with explicit ones, and padded targets don't change earlier positions
    src3 = src.masked_fill(spad, m.pad_id)
    torch.testing.assert_close(m(src3, tgt), a, rtol=0, atol=1e-12)
    tgt_pad = tgt.clone()
    tgt_pad[:, 3:] = m.pad_id
    torch.testing.assert_close(m(src3, tgt_pad)[:, :3], a[:, :3], rtol=0, atol=1e-12)


def test_encoder_permutation_equivariant_only_without_positions():
    src = _tokens(2, 7, 6)
    perm = torch.tensor([3, 0, 6, 1, 5, 2, 4])
    no_pe = _model(positional_encoding=False)
    torch.testing.assert_close(no_pe.encode(src)[:, perm], no_pe.encode(src[:, perm]))
    with_pe = _model(positional_encoding=True)
    assert not torch.allclose(with_pe.encode(src)[:, perm], with_pe.encode(src[:, perm]), atol=1e-3)


def test_shared_embedding_and_tied_output():
    m = _model()
    assert m.output_logits(torch.eye(16, dtype=torch.float64)).T.data_ptr() is not None
    torch.testing.assert_close(m.output_logits(torch.eye(16, dtype=torch.float64)), m.embedding.weight.T)
    names = [n for n, _ in m.named_parameters()]
    assert sum("embedding" in n for n in names) == 1 and not any("out" in n and "proj" not in n for n in names)
    # base model size (Table 3: 65M with a 37k shared vocabulary)
    base = Transformer(vocab_size=37000)
    assert abs(base.num_parameters() / 1e6 - 63.1) < 0.5


@pytest.mark.parametrize("norm_first", [False, True])
def test_cached_decoding_equals_full_decoding(norm_first):
    m = _model(norm_first=norm_first)
    src, tgt = _tokens(2, 6, 7), _tokens(2, 5, 8)
    tgt[:, 0] = m.bos_id
    full = torch.log_softmax(m(src, tgt), -1)
    state = m.start_decoding(src, use_cache=True)
    state_nc = m.start_decoding(src, use_cache=False)
    for t in range(1, 6):
        lp, state = m.decode_next(tgt[:, :t], state)
        lp_nc, state_nc = m.decode_next(tgt[:, :t], state_nc)
        torch.testing.assert_close(lp, full[:, t - 1], rtol=1e-10, atol=1e-10)
        torch.testing.assert_close(lp_nc, full[:, t - 1], rtol=1e-10, atol=1e-10)


def test_lstm_cached_equals_teacher_forced_and_padding():
    torch.manual_seed(0)
    m = LSTMSeq2Seq(23, 16, 2, dropout=0.0).double().eval()
    src, tgt = _tokens(2, 6, 9), _tokens(2, 5, 10)
    src[1, 4:] = 0
    tgt[:, 0] = m.bos_id
    full = torch.log_softmax(m(src, tgt), -1)
    st = m.start_decoding(src)
    for t in range(1, 6):
        lp, st = m.decode_next(tgt[:, :t], st)
        torch.testing.assert_close(lp, full[:, t - 1])
    src2 = src.clone()
    src2[1, 4:] = 5
    pad = src == 0
    torch.testing.assert_close(m(src2, tgt, src_padding_mask=pad), m(src, tgt))


def test_model_rejects_bad_input():
    m = _model()
    with pytest.raises(ValueError, match="token ids"):
        m(torch.randn(2, 3), _tokens(2, 3, 0))
    with pytest.raises(ValueError, match="outside"):
        m(_tokens(2, 3, 0) + 100, _tokens(2, 3, 0))
    with pytest.raises(ValueError, match="batch sizes"):
        m(_tokens(2, 3, 0), _tokens(3, 3, 0))
    with pytest.raises(ValueError, match="divisible"):
        TransformerSpec(d_model=10, n_heads=3)
    with pytest.raises(ValueError, match="dropout"):
        TransformerSpec(dropout=1.5)
