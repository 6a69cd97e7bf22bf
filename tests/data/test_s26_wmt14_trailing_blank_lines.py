"""load_wmt14 on a user's files: a blank line at the very end of one side ('...\\n\\n', an editor's extra newline)
was refused as 'not aligned', and blank last lines on both sides became an empty ('', '') dev / test pair
silently (a 300-sentence test set read as 301 pairs). A blank line inside the files still counts, and a real extra
sentence is still refused."""

import pytest

from paperworks.core.errors import DataError
from paperworks.data.translation import load_wmt14

EN = [f"the house number {i} is small" for i in range(120)]
DE = [f"das haus nummer {i} ist klein" for i in range(120)]


def _folder(root, en_end="\n", de_end="\n", de=DE):
    root.mkdir()
    for f in ("train", "newstest2013", "newstest2014"):
        (root / f"{f}.en").write_text("\n".join(EN) + en_end, encoding="utf-8")
        (root / f"{f}.de").write_text("\n".join(de) + de_end, encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("en_end,de_end", [("\n", "\n\n"), ("\n\n\n", "\n"), ("\n\n", "\r\n\r\n"), ("\n \n", "\n\n")])
def test_trailing_blank_lines_are_not_sentences(tmp_path, en_end, de_end):
    d = load_wmt14(_folder(tmp_path / "w", en_end, de_end), vocab_size=100)
    assert d.summary() == {"train_pairs": 120, "dev_pairs": 120, "test_pairs": 120}
    assert d.text["test"] == list(zip(EN, DE))


def test_blank_line_inside_still_counts_and_extra_sentence_refused(tmp_path):
    de = DE[:50] + [""] + DE[51:]          # an empty translation inside the file stays a pair
    d = load_wmt14(_folder(tmp_path / "a", de=de), vocab_size=100)
    assert d.text["test"][50] == (EN[50], "") and len(d.text["test"]) == 120
    with pytest.raises(DataError, match="has 120 lines but .* has 121"):
        load_wmt14(_folder(tmp_path / "b", de=DE + ["one more"]), vocab_size=100)
