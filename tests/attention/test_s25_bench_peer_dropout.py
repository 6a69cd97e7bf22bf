"""The transformer bench compares like with like (session 25): ``torch.nn.Transformer`` applies its one
``dropout`` to the attention weights and inside the feed-forward layers as well as to the residuals, while our
Transformer applies ``attention_dropout`` / ``relu_dropout`` there (0 by default, as the paper). At P_drop 0.1
(`--preset base`, `dropout=0.1`) the peer thus did two more dropouts per sub-layer than ours: ours/peer training
speed 1.64x vs 1.12x with the peer given ours' rates (probe, d_model 128, one thread). The peer now takes the same
three rates as ours (run_bench's attention_dropout / relu_dropout, default 0 as ours). Its positional table (512
rows, fixed) now grows as ours does."""

import torch

from paperworks.attention.bench import TorchTransformerPeer, run_bench


def _attn_and_ffn_rates(peer):
    layers = [*peer.core.encoder.layers, *peer.core.decoder.layers]
    attn = {lay.self_attn.dropout for lay in layers} | {lay.multihead_attn.dropout for lay in peer.core.decoder.layers}
    ffn = {lay.dropout.p for lay in layers}
    residual = {m.p for lay in layers for name, m in lay.named_children() if name.startswith("dropout") and name != "dropout"}
    return attn, ffn, residual


def test_the_peer_takes_ours_rates():
    peer = TorchTransformerPeer(50, 16, 2, 32, 2, 0.1)
    assert _attn_and_ffn_rates(peer) == ({0.0}, {0.0}, {0.1})    # as Transformer(dropout=0.1) by default
    peer = TorchTransformerPeer(50, 16, 2, 32, 2, 0.1, attention_dropout=0.2, relu_dropout=0.3)
    assert _attn_and_ffn_rates(peer) == ({0.2}, {0.3}, {0.1})


def test_embedding_dropout_is_p_drop_not_the_ffn_rate():
    torch.manual_seed(0)
    peer = TorchTransformerPeer(50, 16, 2, 32, 1, 0.5, relu_dropout=0.0).train()
    x = peer._embed(torch.randint(3, 50, (4, 30)))
    frac_zero = float((x == 0).float().mean())
    assert 0.4 < frac_zero < 0.6


def test_run_bench_reports_the_rates():
    r = run_bench(vocab_size=50, d_model=16, n_heads=2, d_ff=32, n_layers=1, batch_size=4, src_len=6, tgt_len=6,
                  dropout=0.1, attention_dropout=0.1)
    assert (r["sizes"]["dropout"], r["sizes"]["attention_dropout"], r["sizes"]["relu_dropout"]) == (0.1, 0.1, 0.0)


def test_the_peer_takes_inputs_longer_than_its_first_position_table():
    # its 512-row positional table was fixed: 600 source tokens failed with "The size of tensor a (600) must match
    # the size of tensor b (512)" (ours grows its table)
    from paperworks.attention.functional import sinusoidal_positional_encoding

    torch.manual_seed(0)
    peer = TorchTransformerPeer(50, 16, 2, 32, 1, 0.0).train()   # (no dropout)
    src = torch.randint(3, 50, (2, 600))
    with torch.no_grad():
        out = peer(src, torch.randint(3, 50, (2, 5)))
    assert out.shape == (2, 5, 50)
    assert torch.equal(peer.pe[:600], sinusoidal_positional_encoding(600, 16))


def test_the_system_bench_passes_its_config_rates(monkeypatch):
    # `paperworks bench transformer attention_dropout=0.1 relu_dropout=0.2` benchmarked both models without them
    from paperworks.attention import bench
    from paperworks.core.registry import get_system

    seen = {}

    def fake(**kw):
        seen.update(kw)
        return {"ratio": 1.0, "summary": ""}

    monkeypatch.setattr(bench, "run_bench", fake)
    cls = get_system("transformer")
    cls(cls.make_config({"dropout": "0.1", "attention_dropout": "0.1", "relu_dropout": "0.2"}, preset="smoke")).bench()
    assert (seen["dropout"], seen["attention_dropout"], seen["relu_dropout"]) == (0.1, 0.1, 0.2)
