"""FMD on text: gender-swap counterfactuals of fortunes texts (TF-IDF -> MLP), on a generated fixture corpus."""

import pytest
import torch

from paperworks.core.errors import ConfigError, DataError
from paperworks.data import text as text_data
from paperworks.data import load
from paperworks.data.text_counterfactual import swap_attribute
from paperworks.systems.fmd import (FMD, TEXT_CATEGORIES, CounterfactualSet, FMDNet, counterfactual_bias,
                                    make_task)

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def _corpus(root, n=40):
    """Eight categories; half of the texts carry gendered words, female in category 0 and male elsewhere
    for 18 in 20 of them (a planted correlation), the rest carry none."""
    for c, cat in enumerate(TEXT_CATEGORIES):
        recs = []
        for i in range(n):
            t = f"topic{c} {cat.replace('-', '')}{i % 5} filler{i % 7} item{c}x{i}"
            if i % 2 == 0:
                female = (c == 0) != (i % 20 == 0)
                t += " - She met her mother." if female else " - He met his father."
            recs.append(t)
        (root / cat).write_text("\n%\n".join(recs) + "\n%\n")


@pytest.fixture
def fixture_corpus(tmp_path, monkeypatch):
    _corpus(tmp_path)
    monkeypatch.setattr(text_data, "FORTUNES_DIR", str(tmp_path))
    return tmp_path


def _cfg(**kw):
    base = {"dataset": "fortunes_gender", "hidden_text": "16", "epochs_text": "30", "n_pairs": "30",
            "max_pairs_frac": "0.2", "batch_size": "32"}
    base.update({k: str(v) for k, v in kw.items()})
    return FMD.make_config(base)


def test_text_task_pairs_differ_only_by_the_swap(fixture_corpus):
    task = make_task(_cfg(), "fortunes_gender", 0)
    assert task.sensitive == "gender" and task.n_classes == 8
    d = load("fortunes", categories=TEXT_CATEGORIES, test_fraction=0.2, seed=0)
    gendered = [t for t in d["texts_test"] if swap_attribute(t) != t]
    assert task.x_test.shape[0] == 8 * 8 and len(task.cf_test.y) == len(gendered) > 20  # round(0.2 * 40) per class
    cf = task.cf_test.check(in_shape=tuple(task.x_train.shape[1:]), n_classes=8)
    # the same non-zero pattern outside the gendered columns (TF-IDF row norms may differ: values may not)
    vocab_cols = None
    for i in range(len(cf.y)):
        nz, nz_cf = cf.x[i] != 0, cf.x_cf[i] != 0
        assert not torch.equal(nz, nz_cf)
        if vocab_cols is None:
            vocab_cols = nz ^ nz_cf
        assert torch.equal(nz & ~vocab_cols, nz_cf & ~vocab_cols)
    # training attribute: -1 for the texts without gendered words; aligned ones are all gendered
    assert set(task.a_train.tolist()) == {-1, 0, 1}
    assert bool((task.a_train[task.aligned_train] >= 0).all())
    # category 0 favours female, the others male: aligned = female in class 0 or male elsewhere
    al = task.aligned_train
    assert bool((task.a_train[al & (task.y_train == 0)] == 1).all())
    assert bool((task.a_train[al & (task.y_train != 0)] == 0).all())
    # the D_ex pool holds gendered texts only
    xa, xc = task.counterfactual(torch.arange(len(task.pool_y)), None)
    assert len(task.pool_y) >= 20 and bool((xa != xc).any(1).all())


def test_bias_is_zero_on_texts_without_gendered_words(fixture_corpus):
    task = make_task(_cfg(), "fortunes_gender", 0)
    bow = text_data.BagOfWords(min_df=2).fit([f"topic{c} filler{i} she he her his" for c in range(8)
                                               for i in range(3)])
    neutral = [f"topic{c} filler{c % 3}" for c in range(8)]
    assert [swap_attribute(t) for t in neutral] == neutral
    torch.manual_seed(0)
    model = FMDNet(len(bow.vocabulary_), (8,), 8)
    y = torch.arange(8)
    x, x_cf = bow.transform(neutral), bow.transform([swap_attribute(t) for t in neutral])
    with torch.no_grad():
        assert float(counterfactual_bias(model(x), model(x_cf), y)) == 0.0
    gendered = [t + " she her" for t in neutral]
    xg, xg_cf = bow.transform(gendered), bow.transform([swap_attribute(t) for t in gendered])
    with torch.no_grad():
        assert float(counterfactual_bias(model(xg), model(xg_cf), y)) > 0.0
    # a counterfactual set of the wrong vocabulary size is refused with one clear error
    with pytest.raises(DataError, match="do not match the model input"):
        CounterfactualSet(xg, xg_cf, y).check(in_shape=tuple(task.x_train.shape[1:]))


def test_fmd_lowers_the_planted_text_bias(fixture_corpus):
    res = FMD(_cfg()).experiment("fortunes_gender", 0, baselines=False)
    assert res["erm"]["bias"] > 0.05
    assert res["fmd"]["bias"] < 0.8 * res["erm"]["bias"]  # seed 0: 0.193 -> 0.129


def test_text_bad_inputs(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="sensitive"):
        FMD.make_config({"dataset": "fortunes_gender", "sensitive": "race"})
    monkeypatch.setattr(text_data, "FORTUNES_DIR", str(tmp_path / "absent"))
    with pytest.raises(DataError, match="apt-get install -y fortunes"):
        make_task(_cfg(), "fortunes_gender", 0)
