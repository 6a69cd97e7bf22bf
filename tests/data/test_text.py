"""Fortunes corpus parsing and the TF-IDF pipeline (oracle: scikit-learn's TfidfVectorizer)."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.data import load
from paperworks.data.text import BagOfWords, load_fortunes, read_fortune_file, tokenize, word_dropout


def _write(tmp_path, name, records):
    (tmp_path / name).write_text("\n%\n".join(records) + "\n%\n")


def test_read_fortune_file_splits_on_percent_lines(tmp_path):
    (tmp_path / "a").write_text("one line\n%\ntwo\nlines\n%\n%\n100% sure\n")
    assert read_fortune_file(tmp_path / "a") == ["one line", "two\nlines", "100% sure"]


def test_load_fortunes_fixture_split_is_stratified_deterministic_and_disjoint(tmp_path):
    _write(tmp_path, "cats", [f"cat text {i}" for i in range(10)] + ["shared"])
    _write(tmp_path, "dogs", [f"dog text {i}" for i in range(20)] + ["shared"])
    d = load_fortunes(("cats", "dogs"), test_fraction=0.2, seed=0, root=str(tmp_path))
    assert d["classes"] == ("cats", "dogs")
    assert np.bincount(d["y_test"].numpy()).tolist() == [2, 4]     # round(0.2 * 11), round(0.2 * 20)
    assert len(d["texts_train"]) + len(d["texts_test"]) == 31       # 'shared' kept once, under cats
    assert not set(d["texts_train"]) & set(d["texts_test"])
    for texts, y in ((d["texts_train"], d["y_train"]), (d["texts_test"], d["y_test"])):   # each text's own label
        assert [0 if t.startswith("cat") or t == "shared" else 1 for t in texts] == y.tolist()
    d2 = load_fortunes(("cats", "dogs"), test_fraction=0.2, seed=0, root=str(tmp_path))
    assert d2["texts_test"] == d["texts_test"]
    with pytest.raises(DataError, match="no category 'cows'.*available: cats, dogs"):
        load_fortunes(("cats", "cows"), root=str(tmp_path))
    with pytest.raises(DataError, match="test_fraction"):
        load_fortunes(("cats", "dogs"), test_fraction=1.5, root=str(tmp_path))


@pytest.mark.data
def test_real_fortunes_corpus():
    d = load("fortunes")
    n = len(d["texts_train"]) + len(d["texts_test"])
    assert 2400 <= n <= 2540 and len(d["classes"]) == 6
    assert d["y_train"].dtype == torch.int64 and set(d["y_test"].tolist()) == set(range(6))


def test_tfidf_equals_sklearn():
    import sklearn.feature_extraction.text as sk

    docs = ["The cat sat on the mat.", "A dog's life; the dog barked!", "cats and dogs and 42 mats",
            "it's the CAT again", "nothing in common"] * 3 + ["the cat"]
    bow = BagOfWords(min_df=2, max_features=None).fit(docs)
    ref = sk.TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False, min_df=2,
                             vocabulary=sorted(bow.vocabulary_))
    want = ref.fit_transform(docs).toarray()
    np.testing.assert_allclose(bow.transform(docs).numpy(), want, atol=1e-6)
    x = bow.transform(["unseen words only", "cat"])
    assert float(x[0].abs().sum()) == 0.0 and float(x[1].norm()) == pytest.approx(1.0)
    assert tokenize("Don't PANIC: 42!") == ["don't", "panic", "42"]


def test_bag_of_words_max_features_and_errors():
    docs = ["a b c", "a b", "a"]
    assert sorted(BagOfWords(min_df=1, max_features=2).fit(docs).vocabulary_) == ["a", "b"]
    with pytest.raises(DataError, match="fit"):
        BagOfWords().transform(docs)
    with pytest.raises(DataError, match="list of strings"):
        BagOfWords().fit("just one string")
    with pytest.raises(DataError, match="no term"):
        BagOfWords(min_df=5).fit(docs)


def test_word_dropout():
    t = ["a b c d e f g h i j"] * 50
    assert word_dropout(t, 0.0) == t and word_dropout(t, 1.0) == [""] * 50
    kept = np.mean([len(s.split()) for s in word_dropout(t, 0.3, seed=1)]) / 10
    assert kept == pytest.approx(0.7, abs=0.05)
    assert word_dropout(t, 0.3, seed=1) == word_dropout(t, 0.3, seed=1)
