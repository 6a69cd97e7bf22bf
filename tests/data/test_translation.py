import gettext
import struct

import pytest

from paperworks.core.errors import DataError
from paperworks.data.translation import (PINNED_CATALOGS, extract_pairs, keep_pair, load_gettext_translation,
                                         read_catalog, split_of)


def _write_mo(path, pairs):
    """A minimal GNU .mo file (format of the gettext manual) holding ``pairs`` plus a UTF-8 header."""
    entries = sorted([("", "Content-Type: text/plain; charset=UTF-8\n")] + list(pairs))
    ids = [k.encode() for k, _ in entries]
    strs = [v.encode() for _, v in entries]
    n = len(entries)
    o_ids, o_strs = 28, 28 + 8 * n
    data_start = 28 + 16 * n
    blob, id_tab, str_tab = b"", [], []
    for s in ids:
        id_tab.append((len(s), data_start + len(blob)))
        blob += s + b"\0"
    for s in strs:
        str_tab.append((len(s), data_start + len(blob)))
        blob += s + b"\0"
    head = struct.pack("<7I", 0x950412DE, 0, n, o_ids, o_strs, 0, 0)
    path.write_bytes(head + b"".join(struct.pack("<2I", *x) for x in id_tab + str_tab) + blob)


def test_reader_and_filter_on_a_synthetic_catalog(tmp_path):
    d = tmp_path / "de" / "LC_MESSAGES"
    d.mkdir(parents=True)
    pairs = [("Remove the selected files now", "Die ausgewählten Dateien jetzt entfernen"),
             ("Print %s and exit", "%s ausgeben und beenden"),               # format directive
             ("Use --force to overwrite", "Mit --force überschreiben"),       # option flag
             ("Too short", "Zu kurz"),                                        # < 3 words
             ("Same text here", "Same text here"),                             # untranslated
             ("Cannot open the requested file", "Datei")]                      # length ratio
    _write_mo(d / "toy.mo", pairs)
    assert read_catalog(d / "toy.mo")["Too short"] == "Zu kurz"
    got = extract_pairs("de", tmp_path, domains=[("toy", "toy-pkg")])
    assert [(s, t) for s, t, _ in got] == [pairs[0]]
    assert gettext.GNUTranslations(open(d / "toy.mo", "rb")).gettext(pairs[0][0]) == pairs[0][1]


def test_missing_catalogs_name_the_debian_package(tmp_path):
    with pytest.raises(DataError, match="apt-get install -y git"):
        extract_pairs("de", tmp_path, domains=[("git", "git")])
    with pytest.raises(DataError, match="lang"):
        extract_pairs("es", tmp_path)


def test_split_is_deterministic_and_roughly_90_5_5():
    keys = [f"message number {i}" for i in range(4000)]
    splits = [split_of(k) for k in keys]
    assert splits == [split_of(k) for k in keys]
    frac = {s: splits.count(s) / len(splits) for s in ("train", "dev", "test")}
    assert 0.87 < frac["train"] < 0.93 and 0.03 < frac["test"] < 0.07
    assert keep_pair("Show all the files", "Alle Dateien anzeigen") and not keep_pair("a b c", "a b c")


def test_pinned_list_covers_both_languages():
    assert len({d for d, _, l in PINNED_CATALOGS if "de" in l}) > 50
    assert all(p for _, p, _ in PINNED_CATALOGS)


@pytest.mark.data
def test_real_gettext_corpus_is_deterministic_and_disjoint():
    a = load_gettext_translation("de", vocab_size=1000)
    assert a.summary()["train_pairs"] > 10000 and a.summary()["test_pairs"] > 500
    src = {s for s, _ in a.text["train"]}
    assert not any(s in src for s, _ in a.text["test"])
    b = load_gettext_translation("de", vocab_size=1000)
    assert a.ids["test"][:50] == b.ids["test"][:50]
    # BPE round trip (sentencepiece NFKC-normalizes a few characters, hence not 100%)
    same = [a.decode(ids) == t for (_, ids), (_, t) in zip(a.ids["test"], a.text["test"])]
    assert sum(same) / len(same) > 0.95


def _wmt_folder(root, lang="de", n_train=60, drop=None, extra_line=None):
    """A tiny WMT14-layout folder: aligned synthetic 'sentences' (word i of the English side -> a fixed
    other word), the files of the real layout."""
    import random

    rng = random.Random(0)
    words = [f"w{i}" for i in range(30)]
    lex = {w: f"x{w}" for w in words}
    root.mkdir(parents=True, exist_ok=True)
    for f, n in (("train", n_train), ("newstest2013", 8), ("newstest2014", 10)):
        en = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 9))) for _ in range(n)]
        tgt = [" ".join(lex[w] for w in s.split()) for s in en]
        if f == "train":
            en[3], tgt[5] = "", "   "   # pairs with an empty side are dropped from training
        if extra_line == f:
            tgt.append("one more")
        for side, lines in (("en", en), (lang, tgt)):
            if drop != f"{f}.{side}":
                (root / f"{f}.{side}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_wmt14_local_folder_loads_and_is_encoded(tmp_path, monkeypatch):
    from paperworks.data import load

    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path / "cache"))
    d = load("wmt14", root=_wmt_folder(tmp_path / "wmt"), lang="de", vocab_size=100)
    assert d.summary() == {"train_pairs": 58, "dev_pairs": 8, "test_pairs": 10}
    s, t = d.text["test"][0]
    src_ids, tgt_ids = d.ids["test"][0]
    assert src_ids[-1] == tgt_ids[-1] == 2 and d.decode(src_ids) == s and d.decode(tgt_ids) == t
    assert len(d.ids["train"]) == len(d.text["train"]) == 58
    # every pair stays aligned (the fixture's target is the source word by word through the lexicon), and the
    # 10-pair newstest2014 is the test split, the 8-pair newstest2013 the dev split
    for split in ("train", "dev", "test"):
        assert all(t == " ".join("x" + w for w in s.split()) for s, t in d.text[split])
        assert all(d.decode(a) == s and d.decode(b) == t for (a, b), (s, t) in zip(d.ids[split], d.text[split]))
    test_src = (tmp_path / "wmt" / "newstest2014.en").read_text().splitlines()
    assert [s for s, _ in d.text["test"]] == test_src


def test_wmt14_errors_name_what_to_put_where(tmp_path):
    from paperworks.data.translation import load_wmt14

    with pytest.raises(DataError, match=r"pass root=DIR .*train\.en \+ train\.de, newstest2013\.en"):
        load_wmt14(None)
    with pytest.raises(DataError, match=r"newstest2014\.de missing under"):
        load_wmt14(_wmt_folder(tmp_path / "a", drop="newstest2014.de"), vocab_size=100)
    with pytest.raises(DataError, match=r"train\.fr, newstest2013\.fr, newstest2014\.fr missing"):
        load_wmt14(_wmt_folder(tmp_path / "b"), lang="fr", vocab_size=100)
    with pytest.raises(DataError, match=r"has 8 lines but .*newstest2013\.de' has 9"):
        load_wmt14(_wmt_folder(tmp_path / "c", extra_line="newstest2013"), vocab_size=100)
    with pytest.raises(DataError, match="lang must be"):
        load_wmt14(tmp_path, lang="es")
