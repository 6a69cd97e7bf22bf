"""decode_next checks its prefix as forward checks its inputs: an id outside the vocabulary failed as torch's
"index out of range in self", a prefix of other rows than the state as a size mismatch deep inside (Transformer:
"The size of tensor a (3) must match ...", LSTM: "Expected hidden[0] size ..."), and an empty prefix without the
cache as "index -1 is out of bounds" (Transformer) / "Expected sequence length to be larger than 0" (LSTM)."""

import pytest
import torch

from paperworks.attention import LSTMSeq2Seq, Transformer, beam_search, greedy_search


def _models():
    torch.manual_seed(0)
    return [Transformer(vocab_size=20, d_model=8, n_heads=2, d_ff=16, n_encoder_layers=1, n_decoder_layers=1).eval(),
            LSTMSeq2Seq(20, 8, 1).eval()]


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("use_cache", [True, False])
@pytest.mark.parametrize("case,match", [("empty", "t >= 1"), ("rows", "3 rows but the state holds 2"),
                                        ("id", r"outside \[0, 20\)"), ("negative", r"outside \[0, 20\)")])
def test_bad_prefix_is_one_value_error(which, use_cache, case, match):
    m = _models()[which]
    src = torch.randint(3, 20, (2, 4))
    state = m.start_decoding(src, use_cache=use_cache)
    prefix = {"empty": torch.zeros(2, 0, dtype=torch.long), "rows": torch.ones(3, 1, dtype=torch.long),
              "id": torch.full((2, 1), 99), "negative": torch.full((2, 1), -1)}[case]
    with pytest.raises(ValueError, match=match):
        m.decode_next(prefix, state)


@pytest.mark.parametrize("which", [0, 1])
def test_new_positions_are_checked_after_the_first_step(which):
    m = _models()[which]
    state = m.start_decoding(torch.randint(3, 20, (2, 4)))
    _, state = m.decode_next(torch.ones(2, 1, dtype=torch.long), state)
    with pytest.raises(ValueError, match=r"outside \[0, 20\)"):
        m.decode_next(torch.tensor([[1, 5], [1, 20]]), state)


@pytest.mark.parametrize("which", [0, 1])
def test_searches_unchanged(which):
    m = _models()[which]
    src = torch.randint(3, 20, (3, 5))
    src[1, 3:] = 0
    for use_cache in (True, False):
        assert greedy_search(m, src, max_len_b=4, use_cache=use_cache) == greedy_search(m, src, max_len_b=4)
        assert beam_search(m, src, 3, max_len_b=4, use_cache=use_cache) == beam_search(m, src, 3, max_len_b=4)
