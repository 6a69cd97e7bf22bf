"""Model construction arguments of the attention engine.

- ``Transformer(spec, **kwargs)`` used the spec and dropped the keywords without a word
  (``Transformer(spec, vocab_size=100, dropout=0.3)`` built a model of the spec's 50 tokens and dropout 0.1);
  giving both is now one ValueError.
- A float size (``d_model=16.0``, as a JSON / YAML config gives it) failed inside torch ("empty(): argument
  'size' ... must be tuple of ints", naming no argument), a string dropout in a comparison (TypeError), and
  ``norm_first="false"`` (a non-empty string) silently built a pre-LN model. TransformerSpec, LSTMSeq2Seq and
  MultiHeadAttention now refuse them with one ValueError naming the argument; NumPy integers stay accepted.
"""

import numpy as np
import pytest
import torch

from paperworks.attention import LSTMSeq2Seq, MultiHeadAttention, Transformer, TransformerSpec

SIZES = dict(vocab_size=50, d_model=16, n_heads=2, d_ff=32, n_encoder_layers=1, n_decoder_layers=1)


def test_spec_and_keywords_together_are_refused():
    spec = TransformerSpec(**SIZES)
    with pytest.raises(ValueError, match=r"not both.*vocab_size.*dataclasses\.replace"):
        Transformer(spec, vocab_size=100, dropout=0.3)
    assert Transformer(spec).spec == spec                              # each alone as before
    assert Transformer(**SIZES).spec == spec


@pytest.mark.parametrize("key,value", [("d_model", 16.0), ("vocab_size", 50.0), ("n_encoder_layers", 1.5),
                                       ("d_ff", "32"), ("n_heads", True), ("eos_id", 2.0)])
def test_spec_sizes_must_be_integers(key, value):
    with pytest.raises(ValueError, match=rf"TransformerSpec: '{key}' must be an integer"):
        TransformerSpec(**{**SIZES, key: value})


@pytest.mark.parametrize("key", ["dropout", "attention_dropout", "relu_dropout"])
def test_spec_rates_must_be_numbers(key):
    with pytest.raises(ValueError, match=rf"TransformerSpec: '{key}' must be a number"):
        TransformerSpec(**{**SIZES, key: "0.1"})


@pytest.mark.parametrize("key", ["norm_first", "positional_encoding"])
def test_spec_switches_must_be_bool(key):
    with pytest.raises(ValueError, match=rf"TransformerSpec: '{key}' must be True or False"):
        TransformerSpec(**{**SIZES, key: "false"})


def test_numpy_integer_sizes_build_the_same_model():
    torch.manual_seed(0)
    a = Transformer(**SIZES)
    torch.manual_seed(0)
    b = Transformer(**{k: np.int64(v) for k, v in SIZES.items()})
    assert a.spec == b.spec and all(type(getattr(b.spec, k)) is int for k in SIZES)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.mark.parametrize("args", [(50, 16.0), (50.0, 16), (50, 16, 2.0), (50, 16, 2, 0.0, 0.0)])
def test_lstm_sizes_must_be_integers(args):
    with pytest.raises(ValueError, match="LSTMSeq2Seq: .* must be an integer"):
        LSTMSeq2Seq(*args)


@pytest.mark.parametrize("args", [(16.0, 2), (16, 2.0), (16, True)])
def test_attention_sizes_must_be_integers(args):
    with pytest.raises(ValueError, match="MultiHeadAttention: d_model and n_heads must be integers"):
        MultiHeadAttention(*args)
