"""Search arguments that are not numbers a search can use gave a silent result instead of an error:
alpha = NaN returned empty hypotheses with finite scores (lp(1) = 1 ** NaN = 1, later lengths NaN), alpha = inf
returned [BOS] with score -0.0; max_len_a = NaN, max_len_b = inf (and a finite limit beyond int64) became a
length limit of 1 through an int64 overflow, so every sentence was cut to one token. beam_size = 2.5 failed
deep inside with a TypeError from repeat_interleave. Each is now one ValueError naming the argument; valid
arguments (negative max_len_b included: a * |x| + b is clamped to >= 1 as before) decode as before."""

import pytest
import torch

from paperworks.attention import PRESETS, Transformer, beam_search, greedy_search, max_lengths


def _model():
    torch.manual_seed(0)
    return Transformer(vocab_size=10, **PRESETS["smoke"]).eval()


SRC = torch.tensor([[3, 4, 5, 6], [7, 8, 0, 0]])


@pytest.mark.parametrize("kw,key", [(dict(max_len_a=float("nan")), "max_len_a"), (dict(max_len_b=float("inf")), "max_len_b"),
                                    (dict(max_len_b=1e30), "max_len_b")])
def test_non_finite_or_overflowing_length_limits_are_refused(kw, key):
    m = _model()
    for call in (lambda: max_lengths(SRC, 0, **kw), lambda: greedy_search(m, SRC, **kw),
                 lambda: beam_search(m, SRC, 2, **kw)):
        with pytest.raises(ValueError, match=rf"{key}"):
            call()


@pytest.mark.parametrize("alpha", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_alpha_is_refused(alpha):
    with pytest.raises(ValueError, match=r"beam_search: alpha must be a finite number"):
        beam_search(_model(), SRC, 2, alpha)


@pytest.mark.parametrize("k", [2.5, "2", None])
def test_non_integer_beam_size_is_refused(k):
    with pytest.raises(ValueError, match=rf"beam_search: beam_size must be an integer >= 1 \(got {k!r}\)"):
        beam_search(_model(), SRC, k)


def test_valid_limits_unchanged():
    assert max_lengths(SRC, 0).tolist() == [54, 52]
    assert max_lengths(SRC, 0, 2.0, -3).tolist() == [5, 1]            # a * |x| + b, at least 1
    assert max_lengths(SRC, 0, 0.5, 0).tolist() == [2, 1]
    m = _model()
    out = beam_search(m, SRC, torch.tensor(2).item(), 0.6, max_len_b=3)
    assert out == beam_search(m, SRC, 2, 0.6, max_len_b=3, use_cache=False)
    assert all(len(h) <= n for h, n in zip(out, [7, 5]))


def test_numpy_and_tensor_scalars_are_still_accepted():
    np = pytest.importorskip("numpy")
    m = _model()
    want = beam_search(m, SRC, 2, 0.6, max_len_b=3)
    assert beam_search(m, SRC, np.int64(2), np.float64(0.6), max_len_b=np.int64(3)) == want
    assert beam_search(m, SRC, torch.tensor(2), 0.6, max_len_a=np.float32(1.0), max_len_b=3) == want
    assert greedy_search(m, SRC, max_len_b=np.int32(3)) == greedy_search(m, SRC, max_len_b=3)
