"""Incremental (key/value cached) decoding with a target padding mask equals the full forward with the same
mask (the cache used to ignore the mask: DecoderLayer(cache=...) dropped it, decode_next had no way to take it)."""

import pytest
import torch

from paperworks.attention import DecoderLayer, Transformer, TransformerSpec

V, D = 19, 16


def _model(dtype=torch.float64, norm_first=False, layers=2):
    torch.manual_seed(0)
    spec = TransformerSpec(vocab_size=V, d_model=D, n_heads=4, d_ff=24, n_encoder_layers=1,
                           n_decoder_layers=layers, dropout=0.1, norm_first=norm_first)
    return Transformer(spec).to(dtype).eval()


def _left_padded(m, lengths, total):
    """Forced prefixes BOS w_1 .. w_{L-1} of the given lengths, left-padded to ``total``."""
    g = torch.Generator().manual_seed(1)
    rows, mask = [], []
    for n in lengths:
        real = [m.bos_id] + torch.randint(3, V, (n - 1,), generator=g).tolist()
        rows.append([m.pad_id] * (total - n) + real)
        mask.append([True] * (total - n) + [False] * n)
    return torch.tensor(rows), torch.tensor(mask)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_cache_with_mask_equals_full_layer(norm_first):
    torch.manual_seed(0)
    layer = DecoderLayer(D, 4, 24, dropout=0.0, norm_first=norm_first).double().eval()
    x = torch.randn(3, 6, D, dtype=torch.float64)
    mem = torch.randn(3, 4, D, dtype=torch.float64)
    pad = torch.tensor([[True, True, False, False, False, False],
                        [False] * 6,
                        [True, False, True, False, False, False]])       # any pattern, incl. inner holes
    full = layer(x, mem, pad)
    cache = {}
    # blocks of 1, 2 and 3 new positions: the mask of each block goes with it
    outs = [layer(x[:, a:b], mem, pad[:, a:b], cache=cache) for a, b in ((0, 1), (1, 3), (3, 6))]
    step = torch.cat(outs, 1)
    # old code: the cache ignored the mask, so the real positions attended the pads (differences ~1e-1)
    torch.testing.assert_close(step[:, 1:], full[:, 1:], rtol=0, atol=1e-12)
    # position 0 of rows 0 and 2 attends only a pad: both paths give that query no keys, the same output
    torch.testing.assert_close(step, full, rtol=0, atol=1e-12)
    assert cache["kpm"].shape == (3, 6) and torch.equal(cache["kpm"], pad)


def test_decoder_layer_cache_mask_after_unmasked_calls_and_bad_mask():
    torch.manual_seed(0)
    layer = DecoderLayer(D, 4, 24, dropout=0.0).double().eval()
    x = torch.randn(2, 4, D, dtype=torch.float64)
    mem = torch.randn(2, 3, D, dtype=torch.float64)
    pad = torch.tensor([[False, False, False, False], [False, False, True, False]])
    cache = {}
    a = layer(x[:, :2], mem, None, cache=cache)            # no mask yet: real positions
    b = layer(x[:, 2:], mem, pad[:, 2:], cache=cache)
    torch.testing.assert_close(torch.cat([a, b], 1), layer(x, mem, pad), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match=r"tgt_padding_mask must be bool \[B, T_new\]"):
        layer(x[:, :1], mem, pad, cache={})                 # the whole mask instead of the new block's


@pytest.mark.parametrize("use_cache", [True, False])
@pytest.mark.parametrize("dtype,atol", [(torch.float64, 1e-10), (torch.float32, 1e-6)])
def test_decode_next_forced_prefixes_of_different_lengths_equal_full_forward(use_cache, dtype, atol):
    m = _model(dtype)
    src = torch.randint(3, V, (3, 5))
    prefix, pad = _left_padded(m, [2, 5, 3], 5)
    state = m.start_decoding(src, use_cache=use_cache)
    lp, state = m.decode_next(prefix, state, tgt_padding_mask=pad)
    full = torch.log_softmax(m(src, prefix, tgt_padding_mask=pad), -1)
    torch.testing.assert_close(lp, full[:, -1].to(lp.dtype), rtol=0, atol=atol)
    # the mask is not a no-op here: without it the pads are attended (old code: the only possible result)
    unmasked = torch.log_softmax(m(src, prefix), -1)[:, -1].to(lp.dtype)
    assert (lp[[0, 2]] - unmasked[[0, 2]]).abs().max() > 1e-3
    # greedy continuation, the later calls without a mask (new tokens are real), beams reordered midway
    for t in range(3):
        nxt = lp.argmax(-1)
        prefix = torch.cat([prefix, nxt[:, None]], 1)
        pad = torch.cat([pad, torch.zeros(3, 1, dtype=torch.bool)], 1)
        if t == 1:
            idx = torch.tensor([2, 0, 1])
            state, prefix, pad, src = m.reorder_state(state, idx), prefix[idx], pad[idx], src[idx]
        lp, state = m.decode_next(prefix, state)
        full = torch.log_softmax(m(src, prefix, tgt_padding_mask=pad), -1)
        torch.testing.assert_close(lp, full[:, -1].to(lp.dtype), rtol=0, atol=atol)
    # giving the (same) full mask again is accepted and gives the same distribution
    state2 = m.start_decoding(src, use_cache=use_cache)
    lp2, _ = m.decode_next(prefix, state2, tgt_padding_mask=pad)
    torch.testing.assert_close(lp2, lp, rtol=0, atol=atol)


def test_decode_next_mask_errors_name_the_argument():
    m = _model()
    src = torch.randint(3, V, (2, 4))
    prefix, pad = _left_padded(m, [2, 3], 3)
    with pytest.raises(ValueError, match=r"decode_next: tgt_padding_mask must be bool \[N, t\]"):
        m.decode_next(prefix, m.start_decoding(src), tgt_padding_mask=pad[:, 1:])
    with pytest.raises(ValueError, match="tgt_padding_mask must be bool"):
        m.decode_next(prefix, m.start_decoding(src), tgt_padding_mask=pad.long())
    right = torch.tensor([[False, False, True], [False, False, False]])
    with pytest.raises(ValueError, match=r"last prefix position as padding \(rows \[0\]\).*left-padded"):
        m.decode_next(prefix, m.start_decoding(src), tgt_padding_mask=right)
    for use_cache in (True, False):
        state = m.start_decoding(src, use_cache=use_cache)
        _, state = m.decode_next(prefix, state, tgt_padding_mask=pad)
        longer = torch.cat([prefix, prefix[:, -1:]], 1)
        changed = torch.zeros(2, 4, dtype=torch.bool)        # unmasks the pad decoded before
        with pytest.raises(ValueError, match="tgt_padding_mask changed for prefix positions already decoded"):
            m.decode_next(longer, state, tgt_padding_mask=changed)
        state = m.start_decoding(src, use_cache=use_cache)
        _, state = m.decode_next(prefix, state)                           # unmasked so far: all real
        with pytest.raises(ValueError, match="tgt_padding_mask changed"):   # row 0's first position now a pad
            m.decode_next(longer, state, tgt_padding_mask=torch.cat([pad, torch.zeros(2, 1, dtype=torch.bool)], 1))
