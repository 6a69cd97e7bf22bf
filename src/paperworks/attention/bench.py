"""Benchmark: our Transformer vs ``torch.nn.Transformer`` (training tokens/s), and beam search with vs
without the key/value cache. Both models get the same embedding (scaled, shared, tied output),
sinusoidal positions, dropout rates, loss and optimizer; only the encoder/decoder stacks differ (ours vs torch's).
Rounds are interleaved in one process and the median per-round time is used, so slow phases of a shared
machine hit both sides alike.
"""

from __future__ import annotations

import math
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from paperworks.attention.functional import label_smoothed_cross_entropy, sinusoidal_positional_encoding
from paperworks.attention.model import Transformer
from paperworks.attention.search import beam_search

__all__ = ["TorchTransformerPeer", "run_bench"]


class TorchTransformerPeer(nn.Module):
    """``torch.nn.Transformer`` (post-LN, ReLU, batch_first) wrapped with the same embedding, positions
    and tied output projection as :class:`Transformer`. (torch adds a final LayerNorm to each stack.)

    Dropout as in :class:`Transformer`: ``dropout`` (P_drop) on the embeddings and on each sub-layer's output,
    ``attention_dropout`` on the attention weights and ``relu_dropout`` inside the feed-forward layers.
    ``nn.Transformer`` applies its one ``dropout`` at all three places; ours applies the last two only when they are
    set (default 0, as the paper), so at P_drop 0.1 the peer did work ours does not (1.64x vs 1.12x ours/peer
    training speed, d_model 128)."""

    def __init__(self, vocab_size, d_model, n_heads, d_ff, n_layers, dropout, pad_id=0, attention_dropout=0.0,
                 relu_dropout=0.0):
        super().__init__()
        self.pad_id, self.d_model, self.dropout = pad_id, d_model, dropout
        self.embedding = nn.Embedding(vocab_size, d_model)
        nn.init.normal_(self.embedding.weight, 0.0, d_model ** -0.5)
        self.core = nn.Transformer(d_model, n_heads, n_layers, n_layers, d_ff, dropout, batch_first=True)
        for layer in (*self.core.encoder.layers, *self.core.decoder.layers):
            layer.self_attn.dropout = attention_dropout
            if hasattr(layer, "multihead_attn"):
                layer.multihead_attn.dropout = attention_dropout
            layer.dropout.p = relu_dropout   # between the feed-forward layer's two linear maps
        self.register_buffer("pe", sinusoidal_positional_encoding(512, d_model), persistent=False)

    def _embed(self, t):
        if t.shape[1] > self.pe.shape[0]:   # longer inputs, as Transformer (the 512-row table failed on 600 tokens)
            self.pe = sinusoidal_positional_encoding(max(2 * self.pe.shape[0], t.shape[1]), self.d_model,
                                                     device=self.pe.device)
        x = self.embedding(t) * math.sqrt(self.d_model) + self.pe[: t.shape[1]]
        return F.dropout(x, self.dropout, self.training)

    def forward(self, src, tgt_in):
        spad = src == self.pad_id
        T = tgt_in.shape[1]
        mask = nn.Transformer.generate_square_subsequent_mask(T, device=src.device)
        h = self.core(self._embed(src), self._embed(tgt_in), tgt_mask=mask, src_key_padding_mask=spad,
                      memory_key_padding_mask=spad, tgt_is_causal=True)
        return F.linear(h, self.embedding.weight)


def _batches(n, B, S, T, V, seed):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        src = torch.randint(4, V, (B, S), generator=g)
        tgt = torch.randint(4, V, (B, T + 1), generator=g)
        lens = torch.randint(S // 2, S + 1, (B,), generator=g)
        src[torch.arange(S)[None] >= lens[:, None]] = 0
        out.append((src, tgt[:, :-1], tgt[:, 1:]))
    return out


def _train_round(model, opt, batches):
    t0 = time.perf_counter()
    for src, tin, tout in batches:
        loss = label_smoothed_cross_entropy(model(src, tin), tout, 0.1, ignore_index=0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def run_bench(vocab_size=2000, d_model=128, n_heads=4, d_ff=512, n_layers=2, dropout=0.1, batch_size=64,
              src_len=20, tgt_len=20, beam_size=4, alpha=0.6, quick=True, seed=0, attention_dropout=0.0,
              relu_dropout=0.0) -> dict:
    # seeds and trains with the global torch RNG: the caller's random stream is saved and restored (it was
    # reseeded to `seed` and left wherever the dropout of the timed rounds put it)
    with torch.random.fork_rng(devices=[]):
        return _run_bench(vocab_size, d_model, n_heads, d_ff, n_layers, dropout, batch_size, src_len, tgt_len,
                          beam_size, alpha, quick, seed, attention_dropout, relu_dropout)


def _run_bench(vocab_size, d_model, n_heads, d_ff, n_layers, dropout, batch_size, src_len, tgt_len, beam_size,
               alpha, quick, seed, attention_dropout, relu_dropout) -> dict:
    torch.manual_seed(seed)
    ours = Transformer(vocab_size=vocab_size, d_model=d_model, n_heads=n_heads, d_ff=d_ff, n_encoder_layers=n_layers,
                       n_decoder_layers=n_layers, dropout=dropout, attention_dropout=attention_dropout,
                       relu_dropout=relu_dropout)
    torch.manual_seed(seed)
    peer = TorchTransformerPeer(vocab_size, d_model, n_heads, d_ff, n_layers, dropout,
                                attention_dropout=attention_dropout, relu_dropout=relu_dropout)
    opts = {id(m): torch.optim.Adam(m.parameters(), 1e-4, betas=(0.9, 0.98), eps=1e-9) for m in (ours, peer)}
    rounds, per_round = (5, 4) if quick else (10, 10)
    batches = _batches(per_round, batch_size, src_len, tgt_len, vocab_size, seed)
    for m in (ours, peer):  # warm-up
        m.train()
        _train_round(m, opts[id(m)], batches[:1])
    times = {"ours": [], "torch": []}
    for r in range(rounds):
        pair = [("ours", ours), ("torch", peer)] if r % 2 == 0 else [("torch", peer), ("ours", ours)]
        for name, m in pair:
            times[name].append(_train_round(m, opts[id(m)], batches))
    tokens = per_round * batch_size * tgt_len
    tps = {k: tokens / statistics.median(v) for k, v in times.items()}
    # beam search with vs without the cache (untrained weights with EOS suppressed: full-length outputs)
    ours.eval()
    with torch.no_grad():
        ours.embedding.weight[ours.eos_id].zero_()
    src = _batches(1, 16 if quick else 64, src_len, 0, vocab_size, seed + 1)[0][0]
    dec = {}
    for use_cache in (True, False, True, False):
        t0 = time.perf_counter()
        beam_search(ours, src, beam_size, alpha, max_len_a=0.0, max_len_b=tgt_len, use_cache=use_cache)
        dec.setdefault(use_cache, []).append(time.perf_counter() - t0)
    sps = {k: src.shape[0] / min(v) for k, v in dec.items()}
    ratio = tps["ours"] / tps["torch"]
    return {
        "ratio": ratio,
        "train_tokens_per_s_ours": tps["ours"], "train_tokens_per_s_torch": tps["torch"],
        "beam_sentences_per_s_cache": sps[True], "beam_sentences_per_s_no_cache": sps[False],
        "beam_cache_speedup": sps[True] / sps[False],
        "sizes": dict(vocab=vocab_size, d_model=d_model, heads=n_heads, d_ff=d_ff, layers=n_layers,
                      batch=batch_size, src_len=src_len, tgt_len=tgt_len, threads=torch.get_num_threads(),
                      dropout=dropout, attention_dropout=attention_dropout, relu_dropout=relu_dropout),
        "summary": (f"training {tps['ours']:.0f} vs {tps['torch']:.0f} target tokens/s (ours/torch.nn.Transformer "
                    f"= {ratio:.2f}); beam {beam_size} decoding {sps[True]:.1f} vs {sps[False]:.1f} sentences/s "
                    f"with/without KV cache ({sps[True] / sps[False]:.1f}x)"),
    }
