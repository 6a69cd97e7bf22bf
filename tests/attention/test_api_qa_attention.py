"""Public-API QA of paperworks.attention against torch.nn.MultiheadAttention and closed forms: NaN inputs,
float64 models, empty batches, mask dtypes / layouts (each test fails on the code before its fix)."""

import math

import pytest
import torch
import torch.nn.functional as F

from paperworks.attention import (PRESETS, LSTMSeq2Seq, MultiHeadAttention, Transformer, beam_search,
                                  greedy_search, scaled_dot_product_attention, sinusoidal_positional_encoding)


def _torch_mha_like(m: MultiHeadAttention) -> torch.nn.MultiheadAttention:
    t = torch.nn.MultiheadAttention(m.d_model, m.n_heads, batch_first=True).to(m.q_proj.weight.dtype)
    with torch.no_grad():
        t.in_proj_weight.copy_(torch.cat([m.q_proj.weight, m.k_proj.weight, m.v_proj.weight]))
        t.in_proj_bias.copy_(torch.cat([m.q_proj.bias, m.k_proj.bias, m.v_proj.bias]))
        t.out_proj.weight.copy_(m.out_proj.weight)
        t.out_proj.bias.copy_(m.out_proj.bias)
    return t.eval()


def test_nan_query_row_gives_nan_like_torch_mha_other_rows_unchanged():
    torch.manual_seed(0)
    m = MultiHeadAttention(8, 2).double().eval()
    t = _torch_mha_like(m)
    x = torch.randn(2, 4, 8, dtype=torch.float64)
    xn = x.clone()
    xn[0, 1, 3] = float("nan")                      # one query row holds a NaN; keys / values are finite
    with torch.no_grad():
        # torch's math path (need_weights=True; its fused eval fast path also zeroes the row) and ours with weights
        ours, peer = m(xn, x, x), t(xn, x, x, need_weights=True)[0]
        ours_w = m(xn, x, x, need_weights=True)[0]
    assert torch.equal(torch.isnan(ours), torch.isnan(peer))        # old code: finite out_proj(0) row
    assert torch.equal(torch.isnan(ours), torch.isnan(ours_w))      # old: the two paths of ours disagreed
    assert torch.isnan(ours[0, 1]).all()
    ok = ~torch.isnan(peer)
    assert torch.allclose(ours[ok], peer[ok], atol=1e-12)
    # the causal fused path (no mask): the written-out Eq. 1 gives NaN for that row, finite elsewhere
    q = torch.randn(1, 2, 3, 4, dtype=torch.float64)
    qn = q.clone()
    qn[0, 1, 2, 0] = float("nan")
    out = scaled_dot_product_attention(qn, q, q, causal=True)
    scores = (qn @ q.transpose(-2, -1) / 2.0).masked_fill(torch.ones(3, 3, dtype=torch.bool).triu(1), float("-inf"))
    ref = torch.softmax(scores, -1) @ q
    assert torch.equal(torch.isnan(out), torch.isnan(ref)) and torch.isnan(out[0, 1, 2]).all()
    assert torch.allclose(out[~torch.isnan(ref)], ref[~torch.isnan(ref)], atol=1e-12)
    # finite inputs: bit-identical to the fused kernel
    assert torch.equal(scaled_dot_product_attention(q, q, q, causal=True),
                       F.scaled_dot_product_attention(q, q, q, is_causal=True))


def test_functional_attention_refuses_non_bool_or_misshaped_key_padding_mask():
    q = torch.randn(2, 2, 4, 4)
    with pytest.raises(ValueError, match="key_padding_mask must be bool"):
        scaled_dot_product_attention(q, q, q, key_padding_mask=torch.tensor([[0, 0, 1, 1], [0, 0, 0, 1]]))
    with pytest.raises(ValueError, match="key_padding_mask must be bool"):
        scaled_dot_product_attention(q, q, q, key_padding_mask=torch.tensor([False, False, True, True]))


def test_float64_transformer_uses_float64_positions():
    torch.manual_seed(0)
    m = Transformer(vocab_size=12, **PRESETS["smoke"]).double().eval()
    tok = torch.tensor([[3, 4, 5, 6, 7]])
    pe = torch.tensor([[math.sin(p / 10000 ** (2 * (i // 2) / 16)) if i % 2 == 0 else
                        math.cos(p / 10000 ** (2 * (i // 2) / 16)) for i in range(16)] for p in range(5)],
                      dtype=torch.float64)
    ref = m.embedding.weight[tok] * 4.0 + pe
    assert (m.embed(tok) - ref).abs().max() < 1e-14          # old: float32-rounded positions (3e-8)
    assert (m.embed(tok[:, 2:], offset=2) - ref[:, 2:]).abs().max() < 1e-14
    # a float32 model still reads the float32 buffer, bit for bit
    m32 = Transformer(vocab_size=12, **PRESETS["smoke"]).eval()
    assert torch.equal(m32._positions(5), sinusoidal_positional_encoding(256, 16)[:5])


def test_search_empty_batch_and_mask_dtype():
    torch.manual_seed(0)
    m = Transformer(vocab_size=12, **PRESETS["smoke"]).eval()
    src = torch.tensor([[3, 4, 5, 0], [6, 7, 8, 9]])
    assert greedy_search(m, src[:0], max_len_b=3) == []                  # old: RuntimeError from max()
    assert beam_search(m, src[:0], max_len_b=3) == []
    assert beam_search(m, src[:0], max_len_b=3, return_scores=True) == ([], [])
    with pytest.raises(ValueError, match="src_padding_mask must be bool"):
        greedy_search(m, src, src_padding_mask=(src == 0).float(), max_len_b=3)
    with pytest.raises(ValueError, match="src_padding_mask must be bool"):
        beam_search(m, src, src_padding_mask=(src == 0)[:, :3], max_len_b=3)
    assert greedy_search(m, src, src_padding_mask=src == 0, max_len_b=3) == greedy_search(m, src, max_len_b=3)


def test_lstm_all_pad_source_row_is_finite_and_other_rows_unchanged():
    torch.manual_seed(0)
    lstm = LSTMSeq2Seq(12, 8, 1).double().eval()
    src = torch.tensor([[0, 0, 0], [3, 4, 0]])
    tgt = torch.tensor([[1, 3], [1, 5]])
    out = lstm(src, tgt)
    assert torch.isfinite(out).all()                                   # old: NaN logits for row 0
    assert torch.allclose(out[1:], lstm(src[1:], tgt[1:]), atol=1e-12)
    # row 0 has no key: zero context, h~ = tanh(W_c [0; h_t]) (closed form)
    enc_out, mask, hc = lstm.encode(src[:1])
    dec, _ = lstm.decoder(lstm._emb(tgt[:1]), hc)
    h = torch.tanh(lstm.w_c(torch.cat([torch.zeros_like(dec), dec], -1)))
    assert torch.allclose(out[:1], F.linear(h, lstm.embedding.weight), atol=1e-12)


def test_lstm_refuses_left_padding_and_non_bool_mask():
    lstm = LSTMSeq2Seq(12, 8, 1).eval()
    tgt = torch.tensor([[1, 3]])
    with pytest.raises(ValueError, match="right padding"):            # old: silently encoded the pad
        lstm(torch.tensor([[0, 3, 4]]), tgt)
    with pytest.raises(ValueError, match="src_padding_mask must be bool"):
        lstm(torch.tensor([[3, 4, 0]]), tgt, src_padding_mask=torch.tensor([[0, 0, 1]]))
    with pytest.raises(ValueError, match="right padding"):
        greedy_search(lstm, torch.tensor([[0, 3, 4]]), max_len_b=2)


def test_bench_leaves_the_callers_rng_alone(monkeypatch):
    from paperworks.attention import bench
    from paperworks.attention.bench import run_bench

    # the timed training rounds replaced by a stand-in that draws from the global RNG as dropout does (fast)
    monkeypatch.setattr(bench, "_train_round", lambda model, opt, batches: float(torch.rand(()) * 0 + 1e-3))
    torch.manual_seed(5)
    state = torch.get_rng_state()
    out = run_bench(vocab_size=30, d_model=8, n_heads=2, d_ff=16, n_layers=1, batch_size=2, src_len=3, tgt_len=3,
                    beam_size=2)
    assert out["ratio"] > 0
    assert torch.equal(torch.get_rng_state(), state)      # old: reseeded to 0 and advanced by the dropout


def test_bleu_and_exact_match_refuse_a_bare_string():
    from paperworks.attention import corpus_bleu, exact_match

    assert corpus_bleu(["the cat sat on the mat"], ["the cat sat on the mat"]) == pytest.approx(100.0)
    with pytest.raises(ValueError, match="list of sentences"):      # old: 0.0 (one sentence per character)
        corpus_bleu("the cat sat on the mat", "the cat sat on the mat")
    with pytest.raises(ValueError, match="list of sentences"):
        corpus_bleu(["the cat sat on the mat"], "the cat sat on the mat")
    with pytest.raises(ValueError, match="got a string"):            # old: 2/3 (per character)
        exact_match("abc", "abd")
    assert exact_match([[1, 2], [3]], [[1, 2], [4]]) == 0.5


def test_float_mask_fully_masked_row_same_on_both_paths():
    torch.manual_seed(0)
    m = MultiHeadAttention(8, 2).double().eval()
    t = _torch_mha_like(m)
    x = torch.randn(2, 3, 8, dtype=torch.float64)
    fm = torch.zeros(3, 3, dtype=torch.float64)
    fm[1, :] = float("-inf")                    # query 1 may attend nothing
    fm[2, 0] = float("-inf")
    with torch.no_grad():
        fused = m(x, x, x, attn_mask=fm)
        out, w = m(x, x, x, attn_mask=fm, need_weights=True, average_attn_weights=False)
        peer_out, peer_w = t(x, x, x, attn_mask=fm, need_weights=True, average_attn_weights=False)
    assert torch.isfinite(out).all()                                    # old: NaN row on the weights path
    assert torch.allclose(out, fused, atol=1e-12)
    assert (w[:, :, 1] == 0).all()
    assert torch.allclose(out[:, 1], m.out_proj.bias.expand(2, 8), atol=1e-15)   # zero context: out_proj(0)
    keep = torch.tensor([True, False, True])                            # other rows: torch MHA
    assert torch.allclose(out[:, keep], peer_out[:, keep], atol=1e-12)
    assert torch.allclose(w[:, :, keep], peer_w[:, :, keep], atol=1e-12)


def test_label_smoothing_target_dtypes():
    from paperworks.attention import label_smoothed_cross_entropy

    torch.manual_seed(0)
    logits = torch.randn(4, 6, dtype=torch.float64)
    tgt = torch.tensor([0, 1, 5, 2])
    ref = F.cross_entropy(logits, tgt, label_smoothing=0.1)                     # peer
    for dt in (torch.int64, torch.int32, torch.int16, torch.uint8):            # old: uint8 / int16 failed in gather
        assert torch.allclose(label_smoothed_cross_entropy(logits, tgt.to(dt), 0.1), ref, atol=1e-15)
    for dt in (torch.float32, torch.bool):
        with pytest.raises(ValueError, match="integer class ids"):
            label_smoothed_cross_entropy(logits, tgt.to(dt), 0.1)


def test_search_decodes_in_eval_mode_and_restores_every_submodule_mode():
    """A model left in train mode (dropout 0.3) was decoded WITH dropout: random outputs that changed from call
    to call. Both searches now decode in eval mode (as fairseq's generator does) and give back each submodule's
    own mode (a frozen submodule inside a training model stays frozen)."""
    torch.manual_seed(0)
    m = Transformer(vocab_size=30, d_model=16, n_heads=2, d_ff=32, n_encoder_layers=1, n_decoder_layers=1,
                    dropout=0.3, attention_dropout=0.3)
    src = torch.randint(3, 30, (4, 7))
    ref_g = greedy_search(m.eval(), src, max_len_b=6)
    ref_b = beam_search(m, src, beam_size=3, max_len_b=6)
    m.train()
    frozen = next(iter(m.children()))
    frozen.eval()
    modes = [(x, x.training) for x in m.modules()]
    for _ in range(3):
        assert greedy_search(m, src, max_len_b=6) == ref_g
        assert beam_search(m, src, beam_size=3, max_len_b=6) == ref_b
    assert all(x.training == mode for x, mode in modes) and m.training and not frozen.training


def test_nan_row_check_costs_no_select_for_a_finite_cpu_query():
    # hot path (every decoder self-attention and decoding step): a NaN-free CPU query returns the fused kernel's
    # output object itself (the row test + select cost ~30% of the call); NaN rows still come out NaN
    from paperworks.attention.functional import _propagate_nan
    q, out = torch.randn(2, 2, 3, 4), torch.randn(2, 2, 3, 4)
    assert _propagate_nan(q, out) is out                       # before: a new tensor from torch.where
    q_inf = q.clone()
    q_inf[0, 0, 0, 0] = float("inf")                           # inf but no NaN: nothing to propagate
    assert _propagate_nan(q_inf, out) is out
    q_mix = q.clone()
    q_mix[0, 0, 0, :2] = torch.tensor([float("inf"), float("-inf")])   # sums to NaN, holds no NaN
    assert torch.equal(_propagate_nan(q_mix, out), out)
    qn = q.clone()
    qn[1, 0, 2, 1] = float("nan")
    res = _propagate_nan(qn, out)
    assert torch.isnan(res[1, 0, 2]).all() and not torch.isnan(res[1, 0, :2]).any()
    assert torch.equal(res[~torch.isnan(res)], out[~torch.isnan(res)])


def test_attention_under_vmap_per_sample():
    # the CPU fast path of the NaN-row check is a data-dependent branch, which torch.func.vmap refuses (per-sample
    # gradients of a model with attention); under functorch transforms the select runs, giving the looped result
    torch.manual_seed(0)
    q = torch.randn(3, 2, 4, 5, dtype=torch.float64)
    q[1, 0, 2, 3] = float("nan")
    for causal in (True, False):
        batched = torch.func.vmap(lambda t: scaled_dot_product_attention(t[None], t[None], t[None], causal=causal))(q)
        looped = torch.stack([scaled_dot_product_attention(t[None], t[None], t[None], causal=causal) for t in q])
        assert torch.equal(torch.isnan(batched), torch.isnan(looped)) and torch.isnan(batched[1, 0, 0, 2]).all()
        ok = ~torch.isnan(looped)
        assert torch.allclose(batched[ok], looped[ok], atol=1e-12)
