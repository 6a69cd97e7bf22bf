"""Attention engine (no paper names): the pieces of Vaswani et al. (2017) and an LSTM baseline.

    from paperworks.attention import (MultiHeadAttention, Transformer, TransformerSpec, LSTMSeq2Seq,
                                      greedy_search, beam_search, label_smoothed_cross_entropy, noam_lr,
                                      sinusoidal_positional_encoding, corpus_bleu, average_state_dicts)
"""

from paperworks.attention.evaluation import average_state_dicts, corpus_bleu, exact_match
from paperworks.attention.functional import (
    build_attention_mask,
    label_smoothed_cross_entropy,
    length_penalty,
    noam_lambda,
    noam_lr,
    scaled_dot_product_attention,
    sinusoidal_positional_encoding,
)
from paperworks.attention.layers import DecoderLayer, EncoderLayer, MultiHeadAttention, PositionwiseFeedForward
from paperworks.attention.model import PRESETS, Transformer, TransformerSpec
from paperworks.attention.rnn import LSTMSeq2Seq
from paperworks.attention.search import beam_search, greedy_search, max_lengths

__all__ = [
    "average_state_dicts", "corpus_bleu", "exact_match", "build_attention_mask", "label_smoothed_cross_entropy",
    "length_penalty", "noam_lambda", "noam_lr", "scaled_dot_product_attention", "sinusoidal_positional_encoding",
    "DecoderLayer", "EncoderLayer", "MultiHeadAttention", "PositionwiseFeedForward", "PRESETS", "Transformer",
    "TransformerSpec", "LSTMSeq2Seq", "beam_search", "greedy_search", "max_lengths",
]
