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
