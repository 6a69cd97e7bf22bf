"""LSTMSeq2Seq with token ids outside its vocabulary (a vocabulary mismatch) failed inside the embedding with
torch's "IndexError: index out of range in self", which names neither the argument nor the vocabulary; the
Transformer refuses the same input with one ValueError naming both. The LSTM now does the same in ``forward``
and in ``start_decoding`` (what greedy/beam search call). Special ids outside the vocabulary and a dropout
outside [0, 1) are refused at construction, as TransformerSpec refuses them."""

import pytest
import torch

from paperworks.attention import LSTMSeq2Seq, beam_search, greedy_search

V = 12


def _model():
    torch.manual_seed(0)
    return LSTMSeq2Seq(V, 16, 1, 0.0).eval()


@pytest.mark.parametrize("bad", [V, -1])
def test_out_of_vocabulary_ids_are_one_clear_error(bad):
    m = _model()
    ok = torch.randint(3, V, (2, 4))
    wrong = ok.clone()
    wrong[1, 2] = bad
    with pytest.raises(ValueError, match=rf"LSTMSeq2Seq: 'src' has token ids outside \[0, {V}\)"):
        m(wrong, ok)
    with pytest.raises(ValueError, match=rf"LSTMSeq2Seq: 'tgt_in' has token ids outside \[0, {V}\)"):
        m(ok, wrong)
    with pytest.raises(ValueError, match=rf"LSTMSeq2Seq: 'src' has token ids outside \[0, {V}\)"):
        greedy_search(m, wrong)
    with pytest.raises(ValueError, match=rf"LSTMSeq2Seq: 'src' has token ids outside \[0, {V}\)"):
        beam_search(m, wrong, 2)


def test_float_source_in_search_is_named():
    with pytest.raises(ValueError, match=r"LSTMSeq2Seq: expected 'src' as integer token ids"):
        greedy_search(_model(), torch.rand(2, 4))


def test_valid_ids_at_both_ends_of_the_vocabulary_are_accepted():
    m = _model()
    src = torch.randint(3, V, (2, 4))
    src[0, 0], src[1, 0] = 3, V - 1
    assert m(src, src).shape == (2, 4, V)
    assert greedy_search(m, src, max_len_b=2) == greedy_search(m, src, max_len_b=2, use_cache=False)


@pytest.mark.parametrize("kw,key", [(dict(eos_id=V), "eos_id"), (dict(bos_id=-1), "bos_id"), (dict(pad_id=V + 2), "pad_id"),
                                    (dict(dropout=1.5), "dropout"), (dict(dropout=float("nan")), "dropout")])
def test_special_ids_outside_the_vocabulary_and_bad_dropout_are_refused_at_construction(kw, key):
    # eos_id = V was accepted: no token can be EOS, so every search ran silently to its length limit (the
    # Transformer's spec refuses the same ids); bos_id = -1 failed at decoding with "index out of range in self"
    with pytest.raises(ValueError, match=rf"LSTMSeq2Seq: .*'{key}'"):
        LSTMSeq2Seq(V, 16, 1, **{"dropout": 0.0, **kw})
