"""Trainer.fit(resume=True) without a checkpoint, killed before its first record (session 20 review).

checkpoints/fit_start.json (how many records metrics.jsonl held when the fit began) was written only at the fit's
first record, so a resumed fit killed before it left no marker; a re-run script that logs its records again before
fit(resume=True) then had them kept twice. Probe: 3 records logged, fit(resume=True) killed in step 1, the script
logs its first record again, fit(resume=True): 9 records, the uninterrupted run 8. A resume without a checkpoint now
writes the marker before the fit starts."""

import json

from paperworks.core.rundir import RunDir
from paperworks.core.trainer import FIT_START

from test_s20_trainer_resume_no_checkpoint import USER, Killed, _reference, _trainer


def test_a_resumed_fit_killed_before_its_first_record_then_resumed_again_equals_the_uninterrupted_one(tmp_path):
    ref = _reference(tmp_path, "ref", USER)
    rd = RunDir(tmp_path / "r")
    for r in USER:
        rd.log_metrics(r)
    try:
        _trainer(rd, kill_at=1).fit(resume=True)
    except Killed:
        pass
    assert json.loads((rd.path / "checkpoints" / FIT_START).read_text()) == {"metrics_records": 3}
    rd.log_metrics(USER[0])   # the script, run again, logs what it logged before the fit
    _trainer(rd).fit(resume=True)
    assert rd.read_metrics() == ref   # the old code kept USER[0] twice
    assert not (rd.path / "checkpoints" / FIT_START).exists()


def test_an_inner_record_of_a_resumed_fit_killed_before_its_first_record_is_not_doubled(tmp_path):
    ref = _reference(tmp_path, "ref", USER, user_per_step=True)
    rd = RunDir(tmp_path / "r")
    for r in USER:
        rd.log_metrics(r)
    try:
        _trainer(rd, kill_at=2, user_per_step=True).fit(resume=True)   # one record logged inside step 1
    except Killed:
        pass
    _trainer(rd, user_per_step=True).fit(resume=True)
    assert rd.read_metrics() == ref
