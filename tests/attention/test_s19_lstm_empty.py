"""LSTMSeq2Seq on empty inputs (session 19). A batch of 0 sentences or a length-0 source crashed in
pack_padded_sequence ("RuntimeError: Cannot pack empty tensors."), an empty target in nn.LSTM ("Expected sequence
length to be larger than 0 in RNN"), and different src / tgt_in batch sizes in the decoder's hidden-state check;
the Transformer gives [0, T, V] / [B, S, V] / [B, 0, V] logits and names the batch mismatch. Now the LSTM does the
same, and a length-0 source is encoded as a source of padding only (a zero attention context), exactly as a row
with no real token was already. Each test fails on the code before the fix."""

import pytest
import torch

from paperworks.attention import LSTMSeq2Seq, Transformer, beam_search, greedy_search

V = 11


def _models():
    torch.manual_seed(0)
    lstm = LSTMSeq2Seq(V, 8, 2, 0.0).eval()
    tr = Transformer(vocab_size=V, d_model=8, n_heads=2, d_ff=16, n_encoder_layers=1, n_decoder_layers=1,
                     dropout=0.0).eval()
    return lstm, tr


TGT = torch.tensor([[1, 4, 5], [1, 6, 7]])


def test_empty_batch_gives_empty_logits_like_the_transformer():
    lstm, tr = _models()
    src, tgt = torch.zeros(0, 5, dtype=torch.long), torch.zeros(0, 3, dtype=torch.long)
    for m in (lstm, tr):
        assert m(src, tgt).shape == (0, 3, V)
        lp, _ = m.decode_next(torch.ones(0, 1, dtype=torch.long), m.start_decoding(src))
        assert lp.shape == (0, V)
    assert greedy_search(lstm, src) == [] and beam_search(lstm, src, 2) == []


def test_length_zero_source_is_an_all_padding_source():
    lstm, _ = _models()
    empty = torch.zeros(2, 0, dtype=torch.long)
    pads = torch.zeros(2, 3, dtype=torch.long)          # pad_id = 0: rows with no real token
    out = lstm(empty, TGT)
    assert out.shape == (2, 3, V) and torch.isfinite(out).all()
    assert torch.equal(out, lstm(pads, TGT))
    st_e, st_p = lstm.start_decoding(empty), lstm.start_decoding(pads)
    bos = torch.ones(2, 1, dtype=torch.long)
    assert torch.equal(lstm.decode_next(bos, st_e)[0], lstm.decode_next(bos, st_p)[0])
    assert greedy_search(lstm, empty, max_len_b=4) == greedy_search(lstm, pads, max_len_b=4)
    assert beam_search(lstm, empty, 2, max_len_b=4) == beam_search(lstm, pads, 2, max_len_b=4)
    # an explicit [B, 0] padding mask is accepted too
    assert torch.equal(lstm(empty, TGT, src_padding_mask=torch.zeros(2, 0, dtype=torch.bool)), out)


def test_empty_target_gives_b_by_0_logits_like_the_transformer():
    lstm, tr = _models()
    src = torch.tensor([[3, 4, 0], [5, 0, 0]])
    tgt = torch.zeros(2, 0, dtype=torch.long)
    for m in (lstm, tr):
        assert m(src, tgt).shape == (2, 0, V)


def test_batch_size_mismatch_is_named():
    lstm, _ = _models()
    with pytest.raises(ValueError, match=r"LSTMSeq2Seq: src and tgt_in batch sizes differ \(3 vs 2\)"):
        lstm(torch.tensor([[3, 4], [5, 6], [7, 8]]), TGT)
