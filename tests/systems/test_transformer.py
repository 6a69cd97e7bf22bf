"""The `transformer` system: config validation, smoke reproduction (report structure), run(), bench."""

import json

import pytest
import torch

from paperworks.core.errors import ConfigError
from paperworks.core.registry import get_system
from paperworks.core.rundir import RunDir


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def test_registered_with_paper_and_presets():
    cls = get_system("transformer")
    assert cls.paper.arxiv == "1706.03762" and cls.paper.year == 2017
    assert {"smoke", "tiny", "base"} <= set(cls.presets)
    base = cls.make_config({}, preset="base")
    assert (base.d_model, base.n_heads, base.d_ff, base.n_layers, base.dropout, base.warmup_steps) == \
        (512, 8, 2048, 6, 0.1, 4000)


def test_config_errors_name_the_key():
    cls = get_system("transformer")
    with pytest.raises(ConfigError, match="lang"):
        cls.make_config({"lang": "es"})
    with pytest.raises(ConfigError, match="divisible"):
        cls.make_config({"d_model": "30", "n_heads": "4"})
    with pytest.raises(ConfigError, match="alg_tasks"):
        cls.make_config({"alg_tasks": "copy,fly"})
    with pytest.raises(ConfigError, match="dropout"):
        cls.make_config({"dropout": "1.0"})
    with pytest.raises(ConfigError, match="unknown device 'tpu'"):
        cls.make_config({"device": "tpu"})
    with pytest.raises(ConfigError, match="beam_stop"):
        cls.make_config({"beam_stop": "early"})


def test_translation_beam_uses_the_official_stop_rule():
    """Sec. 6.1 "terminate early when possible": the default (and the reproduction's) beam stop rule is the
    official code's bound, and translate() hands the configured rule to beam_search."""
    from paperworks.attention import Transformer, beam_search
    from paperworks.systems.transformer import collate_pairs, translate

    assert get_system("transformer").make_config({}).beam_stop == "bound"
    torch.manual_seed(3)
    m = Transformer(vocab_size=9, d_model=16, n_heads=2, d_ff=32, n_encoder_layers=1, n_decoder_layers=1,
                    dropout=0.0).double().eval()
    with torch.no_grad():
        m.embedding.weight[m.eos_id] *= 3
    pairs = [([4, 5, 6, 2], [4, 2]), ([7, 8, 2], [5, 2]), ([3, 4, 5, 6, 7, 2], [6, 2])]
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]))
    src = collate_pairs([pairs[i] for i in order])[0]
    for stop in ("bound", "first_k"):
        want = beam_search(m, src, 4, 0.6, max_len_b=6, stop=stop)
        got = translate(m, pairs, 4, 0.6, max_len_b=6, stop=stop)
        assert [got[i] for i in order] == want


def test_cuda_asked_for_without_cuda_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cls = get_system("transformer")
    cfg = cls.make_config({"task": "algorithmic", "alg_tasks": "reverse", "device": "cuda"}, preset="smoke")
    with pytest.raises(ConfigError, match="CUDA is not available"):
        cls(cfg).run(RunDir(tmp_path))
    assert not (tmp_path / "checkpoints").exists()


@pytest.mark.data
def test_reproduce_smoke_report(reproduce_smoke):
    from paperworks.core.report import schema_problems

    d = reproduce_smoke("transformer")
    assert schema_problems(d) == []   # the report.json schema of issue 2
    names = [c["metric"] for c in d["claims"]]
    assert "exact_match/mean" in names and "bleu/en-de" in names
    bleu = next(c for c in d["claims"] if c["metric"] == "bleu/en-de")
    assert bleu["paper"] == 27.3 and bleu["baseline"] is not None
    assert any("Translation" in t["title"] for t in d["tables"])


@pytest.mark.data
def test_reproduce_numbers_do_not_depend_on_the_worker_count(tmp_path):
    """The four trainings of reproduce() are independent jobs: in 2 spawn processes they give exactly
    the numbers of the sequential in-process run."""
    cls = get_system("transformer")
    claims = []
    for workers in (1, 2):
        cfg = cls.make_config({"workers": str(workers)}, preset="smoke")
        rep = cls(cfg).reproduce(RunDir(tmp_path / f"w{workers}"), quick=True)
        claims.append([(c.claim, c.ours, c.baseline) for c in rep.claims])
        assert (tmp_path / f"w{workers}" / "algorithmic-transformer" / "metrics.jsonl").exists()
    assert claims[0] == claims[1]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (run scripts/gpu-check.sh there)")
def test_run_algorithmic_on_cuda_starts_from_the_cpu_trajectory(tmp_path):
    """device=cuda trains and decodes on the GPU; the models are initialised on the CPU from the seed, so
    the first logged losses equal the CPU run's up to GPU rounding."""
    cls = get_system("transformer")
    losses = {}
    for dev in ("cpu", "cuda"):
        cfg = cls.make_config({"task": "algorithmic", "alg_tasks": "reverse", "device": dev}, preset="smoke")
        out = cls(cfg).run(RunDir(tmp_path / dev))
        assert set(out) == {"acc/reverse"} and 0.0 <= out["acc/reverse"] <= 1.0
        recs = [json.loads(l) for l in (tmp_path / dev / "metrics.jsonl").read_text().splitlines()]
        losses[dev] = [r["loss"] for r in recs if "loss" in r]
    assert losses["cpu"][0] == pytest.approx(losses["cuda"][0], rel=1e-4)


def test_run_algorithmic_smoke(tmp_path):
    cls = get_system("transformer")
    cfg = cls.make_config({"task": "algorithmic", "alg_tasks": "reverse"}, preset="smoke")
    out = cls(cfg).run(RunDir(tmp_path))
    assert set(out) == {"acc/reverse"} and 0.0 <= out["acc/reverse"] <= 1.0
    assert (tmp_path / "metrics.jsonl").exists()


def test_bench_smoke():
    from paperworks.attention.bench import run_bench

    torch.manual_seed(0)
    r = run_bench(vocab_size=50, d_model=16, n_heads=2, d_ff=32, n_layers=1, batch_size=4, src_len=6, tgt_len=6)
    assert r["ratio"] > 0 and r["beam_cache_speedup"] > 0 and "summary" in r


def test_matched_lstm_has_comparable_size():
    from paperworks.attention import Transformer
    from paperworks.systems.transformer import matched_lstm

    tf = Transformer(vocab_size=500, d_model=64, n_heads=4, d_ff=256, n_encoder_layers=2, n_decoder_layers=2)
    lstm = matched_lstm(500, tf.num_parameters(), 2, 0.1)
    assert abs(lstm.num_parameters() - tf.num_parameters()) / tf.num_parameters() < 0.1


def test_equal_budget_for_both_models():
    """Both models get the same number of updates, batch size, seed (= same batches in the same order) and
    warm-up length; the Transformer gets Eq. 3 with Adam(0.9, 0.98, 1e-9) and no clipping, the LSTM its own
    documented recipe (linear warm-up/decay, clipping 1.0)."""
    cls = get_system("transformer")
    sys_ = cls(cls.make_config({}))
    tf = sys_._trainer_config("transformer", 1800, 64, 400)
    lstm = sys_._trainer_config("lstm", 1800, 64, 400)
    for k in ("max_steps", "batch_size", "seed", "warmup_steps", "deterministic"):
        assert getattr(tf, k) == getattr(lstm, k), k
    assert (tf.schedule, tf.betas, tf.eps, tf.grad_clip, tf.lr) == ("noam", (0.9, 0.98), 1e-9, None, 0.5)
    assert (lstm.schedule, lstm.grad_clip, lstm.lr) == ("linear", 1.0, 2e-3)
    assert sys_._trainer_config("transformer", 10, 64, 4, lr_factor=1.0).lr == 1.0
    assert sys_._trainer_config("lstm", 10, 64, 4, lstm_lr=sys_.config.alg_lstm_lr).lr == 1e-3
    # the paper's base model uses Eq. 3 without a factor
    assert cls.make_config({}, preset="base").lr_factor == 1.0


@pytest.mark.slow
def test_quick_reproduction_claims_hold(tmp_path):
    cls = get_system("transformer")
    cfg = cls.make_config({})
    rd = RunDir(tmp_path)
    report = cls(cfg).reproduce(rd, quick=True)
    assert report.all_hold, [c.to_dict() for c in report.claims if not c.holds]


def test_run_algorithmic_checkpoints_and_resume_equals_uninterrupted(tmp_path):
    """`run task=algorithmic` checkpoints every ckpt_every updates (it used to save only at the end, so a
    killed run restarted from scratch); resuming from an intermediate checkpoint ends with the metrics of
    the uninterrupted run, and the final record is not doubled."""
    import shutil

    cls = get_system("transformer")
    cfg = cls.make_config({"task": "algorithmic", "alg_tasks": "reverse"}, preset="smoke")
    full = tmp_path / "full"
    out = cls(cfg).run(RunDir(full))
    steps = sorted(int(p.name.split("_")[1]) for p in (full / "checkpoints").glob("step_*"))
    assert steps == [8, 12]   # every ckpt_every=4 updates, the last average_last=2 kept
    killed = tmp_path / "killed"
    shutil.copytree(full, killed)
    shutil.rmtree(killed / "checkpoints" / "step_00000012")   # as if killed between steps 8 and 12
    system = cls(cfg)
    system.resume = True
    assert system.run(RunDir(killed, create=False)) == out
    assert (killed / "metrics.jsonl").read_text() == (full / "metrics.jsonl").read_text()


def test_empty_task_list_is_a_config_error():
    with pytest.raises(ConfigError, match="'alg_tasks' must name at least one"):
        get_system("transformer").make_config({"alg_tasks": ""})


def test_run_translates_a_local_wmt14_folder(tmp_path, monkeypatch):
    """wmt_root=DIR trains and scores on the paper's data layout (here a tiny synthetic stand-in); a wrong
    folder is one DataError naming the missing files."""
    import random

    from paperworks.core.errors import DataError

    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path / "cache"))
    cls = get_system("transformer")
    root, rng = tmp_path / "wmt", random.Random(0)
    root.mkdir()
    for f, n in (("train", 60), ("newstest2013", 6), ("newstest2014", 12)):
        en = [" ".join(f"w{rng.randrange(30)}" for _ in range(rng.randint(3, 8))) for _ in range(n)]
        (root / f"{f}.en").write_text("\n".join(en) + "\n")
        (root / f"{f}.de").write_text("\n".join(" ".join("x" + w for w in s.split()) for s in en) + "\n")
    cfg = cls.make_config({"wmt_root": str(root)}, preset="smoke")
    out = cls(cfg).run(RunDir(tmp_path / "run"))
    grid = cfg.alpha_grid
    assert set(out) == {"bleu", "bleu_averaged", "alpha", *[f"dev_bleu/alpha={a}" for a in grid]}
    assert 0.0 <= out["bleu"] <= 100.0 and out["alpha"] in grid
    assert out["dev_bleu/alpha=" + str(out["alpha"])] == max(out[f"dev_bleu/alpha={a}"] for a in grid)
    bad = cls.make_config({"wmt_root": str(tmp_path / "nowhere")}, preset="smoke")
    with pytest.raises(DataError, match="newstest2014.de missing"):
        cls(bad).run(RunDir(tmp_path / "run2"))


def test_length_penalty_is_chosen_on_dev_only(monkeypatch):
    """Sec. 6.1: alpha is chosen on the development set. With scripted BLEU per (split, alpha) the best dev
    alpha wins (ties -> closest to length_penalty), the test split is never decoded for the choice, and an
    empty grid keeps length_penalty without decoding anything."""
    cls = get_system("transformer")
    system = cls(cls.make_config({}))
    calls = []
    dev_bleu = {0.0: 10.0, 0.2: 11.0, 0.4: 12.5, 0.6: 12.0, 0.8: 12.5, 1.0: 9.0}

    def fake_bleu(data, model, n_eval, beam, alpha=None, split="test"):
        calls.append((split, alpha, beam))
        return dev_bleu[alpha] if split == "dev" else 99.0

    class Data:
        ids = {"dev": [([1], [2])], "test": [([1], [2])]}

    monkeypatch.setattr(system, "_bleu", fake_bleu)
    alpha, dev = system._dev_alpha(Data(), None, 0)
    assert alpha == 0.4 and dev == dev_bleu     # 0.4 and 0.8 tie at 12.5, both 0.2 from 0.6: the smaller wins
    dev_bleu[1.0] = 12.5
    assert system._dev_alpha(Data(), None, 0)[0] == 0.4   # 1.0 ties too but is farther from 0.6
    assert {s for s, _, _ in calls} == {"dev"} and {b for _, _, b in calls} == {4}
    dev_bleu[0.8] = 12.6
    assert system._dev_alpha(Data(), None, 0)[0] == 0.8
    calls.clear()
    flat = cls(cls.make_config({"alpha_grid": "", "length_penalty": "0.7"}))
    monkeypatch.setattr(flat, "_bleu", fake_bleu)
    assert flat._dev_alpha(Data(), None, 0) == (0.7, {}) and calls == []


def test_a_language_or_task_named_twice_is_refused():
    """langs=de,de or alg_tasks=copy,copy trained the same models twice (minutes each) and reported them twice."""
    cls = get_system("transformer")
    with pytest.raises(ConfigError, match="'langs' names de more than once"):
        cls.make_config({"langs": "de,fr,de"})
    with pytest.raises(ConfigError, match="'alg_tasks' names copy more than once"):
        cls.make_config({"alg_tasks": "copy,sort,copy"})
    assert cls.make_config({"langs": ""}).langs == ()   # no translation part: documented, allowed
