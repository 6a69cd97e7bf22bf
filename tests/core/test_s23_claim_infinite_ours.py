"""A claim holds only on a finite measured number.

report.json is strict JSON: an infinite ``ours`` is written as null, and a holding claim without a number is what
``schema_problems`` refuses. A claim such as "at least 100x faster" whose ratio came out as inf (a time measured as
0 s) held, was written as ``ours: null, holds: true``, and ``paperworks report`` then refused the run's own
report.json. Infinite margins and tolerances around finite numbers are decided as before.
"""

import json
import math

import pytest

from paperworks.core.report import Claim, Report, schema_problems
from paperworks.core.rundir import RunDir

inf = math.inf

# each held on the old code
HELD_BEFORE = {
    "at_least inf": lambda: Claim.at_least("c", "speed-up", inf, 100),
    "at_most -inf": lambda: Claim.at_most("c", "loss", -inf, 0.1),
    "beats -inf lower": lambda: Claim.beats("c", "m", -inf, 0.5, higher_is_better=False),
    "beats inf": lambda: Claim.beats("c", "m", inf, 0.5, margin=0.1),
    "no_worse inf inf": lambda: Claim.no_worse("c", "m", inf, inf),
    "no_worse -inf lower": lambda: Claim.no_worse("c", "m", -inf, -inf, higher_is_better=False),
    "within -inf, tol inf": lambda: Claim.within("c", "m", -inf, 1.0, inf),
    "constructor": lambda: Claim("c", "m", inf, ">=", 1.0),
}


@pytest.mark.parametrize("name", sorted(HELD_BEFORE))
def test_an_infinite_measured_number_never_holds(name):
    c = HELD_BEFORE[name]()
    assert math.isinf(c.ours)
    assert c.holds is False


def test_the_report_of_an_infinite_speed_up_is_written_and_rebuilt(tmp_path):
    rd = RunDir(tmp_path / "run")
    r = Report("toy")
    r.add_claim(Claim.at_least("ours is 100x faster", "speed-up", inf, 100))
    r.add_claim(Claim.at_least("finite", "speed-up", 150.0, 100))
    rd.write_report(r)
    d = json.loads((rd.path / "report.json").read_text())
    assert [(c["ours"], c["holds"]) for c in d["claims"]] == [(None, False), (150.0, True)]
    assert schema_problems(d) == []
    rebuilt = rd.rebuild_report()          # was: DataError "claims[0] holds without a measured number"
    assert [c["holds"] for c in rebuilt["claims"]] == [False, True]


@pytest.mark.parametrize("make, holds", [
    (lambda: Claim.no_worse("c", "m", -1e308, 0.5, tolerance=inf), True),
    (lambda: Claim.no_worse("c", "m", 1e308, 0.5, tolerance=inf, higher_is_better=False), True),
    (lambda: Claim.beats("c", "m", 1e308, 0.5, margin=inf), False),
    (lambda: Claim.beats("c", "m", -1e308, 0.5, margin=inf, higher_is_better=False), False),
    (lambda: Claim.within("c", "m", 1e300, -1e300, inf), True),
    (lambda: Claim.within("c", "m", 1.7e308, -1.7e308, inf), True),     # the distance overflows to inf
    (lambda: Claim.within("c", "m", 1.7e308, -1.7e308, 1e308), False),
    (lambda: Claim.at_least("c", "m", 5.0, -inf), True),
    (lambda: Claim.at_most("c", "m", 5.0, -inf), False),
])
def test_finite_numbers_with_infinite_margins_are_decided_as_before(make, holds):
    c = make()
    assert math.isfinite(c.ours)
    assert c.holds is holds
