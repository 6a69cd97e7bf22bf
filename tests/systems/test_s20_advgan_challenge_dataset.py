"""advgan with dataset=fashion_mnist: the emulated-challenge table was titled "MNIST challenge" and showed the
MadryLab MNIST leaderboard accuracies (92.76 %, ...) beside the Fashion-MNIST ones, in a column and in rows that
only carry leaderboard numbers. Off MNIST the title / claim now name the dataset used and the leaderboard column
and its leaderboard-only rows are left out; the MNIST table is unchanged."""

from paperworks.core.registry import get_system
from paperworks.core.rundir import RunDir
from paperworks.systems.advgan import CHALLENGE_LEADERBOARD, CHALLENGE_WHITEBOX_PGD100

_TINY = {"targets": "B", "n_train": "32", "defense_n_train": "32", "n_test": "8", "n_cw": "2", "bench_n_test": "8"}
_BOARD = [f"{100 * v:.2f} %" for _, v in CHALLENGE_LEADERBOARD.values()] + [f"{100 * CHALLENGE_WHITEBOX_PGD100:.2f} %"]


def _report(tmp_path, dataset, **kw):
    S = get_system("advgan")
    cfg = S.make_config({**_TINY, "dataset": dataset, **kw}, preset="smoke")
    return S(cfg).reproduce(RunDir(tmp_path), quick=True).to_dict()


def _challenge_table(d):
    (t,) = [t for t in d["tables"] if "challenge (emulated" in t["title"]]
    return t


def test_fashion_mnist_challenge_names_its_dataset_and_shows_no_mnist_leaderboard(tmp_path):
    d = _report(tmp_path, "fashion_mnist")
    t = _challenge_table(d)
    assert t["title"].startswith("Fashion-MNIST challenge (emulated"), t["title"]
    assert not any("leaderboard" in c for c in t["columns"]), t["columns"]
    cells = " ".join(str(x) for r in t["rows"] for x in r)
    assert not any(b in cells for b in _BOARD), cells
    assert all(len(r) == len(t["columns"]) for r in t["rows"]) and "not run" not in cells
    assert "for MNIST" in t["note"] and "Leaderboard accuracies: checked" not in t["note"]
    (c,) = [c for c in d["claims"] if "challenge (emulated)" in c["claim"]]
    assert c["claim"].startswith("Fashion-MNIST challenge (emulated)") and c["paper"] is None


def test_mnist_challenge_keeps_the_leaderboard(tmp_path):
    t = _challenge_table(_report(tmp_path, "mnist"))
    assert t["title"].startswith("MNIST challenge (emulated): accuracy of the PGD-trained model")
    assert t["columns"][-1] == "MadryLab black-box leaderboard (Madry's secret model, 10,000 images)"
    assert len(t["rows"]) == 10 and t["rows"][1][3] == "92.76 % (AdvGAN)"
    assert "Leaderboard accuracies: checked in the MadryLab mnist_challenge README" in t["note"]


def test_challenge_not_run_text_names_the_dataset(tmp_path):
    d = _report(tmp_path, "fashion_mnist", defenses="fgsm")
    assert any("The emulated Fashion-MNIST challenge did not run" in x for x in d["text"]), d["text"]
