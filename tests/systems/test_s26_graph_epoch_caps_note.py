"""diffpool's and hgp_sl's reproduction reports say whether the epoch caps are below the paper's. The note followed the
--quick flag alone: `reproduce diffpool --quick --preset paper` (caps 3000 = the paper's) read "(the paper trains up
to 3000 epochs; quick mode uses far fewer)", and a reproduction without --quick at the quick caps said nothing
(probe: /tmp/s26cli/p2_caps_note.sh). The note now follows the caps; a quick run below the paper's cap (the default
quick reproductions) keeps its words."""

import re

import pytest

from paperworks.core.registry import get_system
from paperworks.core.rundir import RunDir


@pytest.mark.parametrize("quick, caps, cap, expected", [
    (True, (200, 200, 200), 3000, "; quick mode uses far fewer"),     # diffpool's default quick reproduction
    (True, (3000, 3000, 3000), 3000, ""),                               # --preset paper --quick
    (False, (3000, 3000, 3000), 3000, ""),
    (False, (200, 200, 200), 3000, "; this run's caps are lower"),      # no --quick, default caps
    (True, (3000, 200, 3000), 3000, "; quick mode uses far fewer"),     # one cap below is enough
    (True, (1000, 1000), 1000, ""),                                     # hgp_sl's default quick reproduction
    (False, (60, 50), 1000, "; this run's caps are lower"),
])
def test_note_follows_the_caps(quick, caps, cap, expected):
    from paperworks.graphs.experiment import fewer_epochs_note

    assert fewer_epochs_note(quick, caps, cap, "uses far fewer") == expected


def _caps_text(tmp_path, name, quick, **ov):
    cls = get_system(name)
    rd = RunDir(tmp_path / name)
    rep = cls(cls.make_config(ov, preset="smoke")).reproduce(rd, quick=quick)
    text = " ".join(rep.text)
    return re.search(r"Epoch caps[^)]*\)", text).group(0)


def test_diffpool_report_at_the_paper_caps_says_no_fewer(tmp_path):
    # patience 1 ends every fit after 2 epochs: the caps only enter the text
    text = _caps_text(tmp_path, "diffpool", True, epochs=3000, mutag_epochs=3000, b3db_epochs=3000)
    assert text.endswith("(the paper trains up to 3000 epochs)"), text
