"""variational_classification: the report writes a label fraction as its percentage, not rounded to a whole
percent (0.001 was '0% of the labels', 0.011 and 0.014 both '1% labels')."""

from paperworks.core.registry import get_system
from paperworks.core.report import render_markdown
from paperworks.core.rundir import RunDir


def test_pct_keeps_the_fraction():
    from paperworks.systems.variational_classification import _pct

    assert [_pct(f) for f in (0.1, 0.01, 0.05, 1.0)] == ["10%", "1%", "5%", "100%"]   # defaults: unchanged text
    assert [_pct(f) for f in (0.001, 0.011, 0.014)] == ["0.1%", "1.1%", "1.4%"]


def test_report_names_a_small_label_fraction(tmp_path):
    S = get_system("variational_classification")
    cfg = S.make_config({"label_fraction": "0.001", "label_fraction_sweep": "0.011,0.014", "text": "false",
                         "n_train": "128", "n_test": "32", "n_attack": "16", "hidden": "8", "fgsm_sweep": ""},
                        preset="smoke")
    rep = S(cfg).reproduce(RunDir(tmp_path), quick=True)
    md = render_markdown(rep.to_dict())
    assert "with 0.1% of the labels" in md and "0% of the labels" not in md.replace("0.1% of the labels", "")
    assert "1.1% labels" in md and "1.4% labels" in md
