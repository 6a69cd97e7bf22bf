"""Every registered system is deterministic given its seed, across processes (README: seeded, deterministic runs).

For each system, ``paperworks reproduce NAME --preset smoke`` runs in a fresh process (PYTHONHASHSEED fixed, one
OpenMP thread) while the same reproduction runs in the test process (another hash seed, so set / dict-of-str
iteration order differs; one torch thread). The two report.json files and metrics.jsonl logs must be identical,
number for number: every claim's ours / baseline / holds, every table cell, every extra report section, every
logged record. The only exceptions are wall-clock measurements, named one by one in WALL_CLOCK below (read off
each system's ``reproduce``); an entry that no longer occurs in the report fails the test, so the list cannot go
stale and hide a number. The worker-count invariance of the two systems with a ``workers`` key is tested in
test_advgan.py (test_reproduce_worker_process_gives_the_sequential_numbers) and test_transformer.py
(test_reproduce_numbers_do_not_depend_on_the_worker_count).
"""

import json
import math
import os
import subprocess
import sys

import pytest

from paperworks.core.registry import all_systems

# only the package's own systems (tests may register toy systems in this process)
SYSTEMS = sorted(n for n, c in all_systems().items() if c.__module__.startswith("paperworks.systems."))

# Never compared, for every system:
#   env       - wall_time_s, finished_at, argv (holds the --out folder), git_commit (other commits may land between
#               runs), host details: a record of the run, not a result of it.
#   text      - prose paragraphs; several quote the total wall time ("Wall time 3 s", "Total 2s", per-training
#               seconds). The numbers they report as results are the claims' and tables' ones, compared below.
#   all_hold  - compared only where no claim is excluded (a timing claim may hold in one run and not the other).
#   plot images (PNG files) - the plot list (file names, captions) is compared.
NOT_COMPARED = {"env", "text", "all_hold"}

# The wall-clock quantities of each system, by exact name:
#   claims   - claim metric names whose ours / baseline / holds are timings (the claim's text, rule, paper value
#              and metric name are still compared);
#   columns  - table column names (in any table of the system) holding timings;
#   metrics  - keys of metrics.jsonl records (nested dicts flattened with "/");
#   sections - {extra report.json section: leaf keys holding timings}.
WALL_CLOCK = {
    "advgan": dict(
        # C&W seconds per example / AdvGAN seconds per example (time.perf_counter around each attack)
        claims={"C&W time / AdvGAN time per example"},
        # table 'Generation time per example': seconds per example, and the ratio of C&W's to each attack's
        columns={"s / example", "C&W time / attack time"},
        # time.process_time() of the main process's trainings and of the MNIST-challenge emulation
        metrics={"cpu_s_main", "challenge_cpu_s"},
    ),
    "diffpool": dict(
        metrics={"seconds"},  # per-model training seconds of the generated-task / CV records
    ),
    "fmd": dict(
        claims={"FMD seconds / retrain seconds"},  # debiasing cost vs retraining, per dataset
        columns={"seconds",            # per-method seconds in each dataset's table (ERM training, FMD update)
                 "influence seconds"},  # table 'Influence of training samples on the bias'
    ),
    "gtn": dict(
        columns={"train s/seed"},  # training seconds per seed, per model
    ),
    "hdgi": dict(),
    "hgp_sl": dict(
        metrics={"seconds"},  # per-model training seconds
    ),
    "multinomial_link": dict(),
    "sparse_mpc": dict(
        claims={"time ratio"},  # MILP solve time of the dense model / of the fastest model
        columns={"plan time per step (s)",  # closed-loop table
                 "solve time (s)"},         # MILP planning time vs #ReLUs table
        metrics={"seconds",      # model training seconds
                 "plan_time"},   # mean planning seconds per step, per planner/model
        sections={"closed_loop": {"plan_time"}, "timing": {"time"}},
    ),
    "tame_bnn": dict(
        columns={"time (s)"},  # MILP solve seconds on XOR
    ),
    "transformer": dict(
        columns={"train s"},  # algorithmic table: training seconds per model
        metrics={"seconds"},  # training seconds per job
    ),
    "variational_classification": dict(
        columns={"train s"},  # per-method training seconds (image and text tables)
        metrics={"ce/train_seconds", "gm/train_seconds", "vc/train_seconds"},
    ),
}

# Extra overrides for the determinism runs: sparse_mpc's HiGHS solves stop at a wall-clock safety limit (smoke:
# 1 s, solves take ~0.1 s); a limit that binds returns the incumbent, which depends on the machine's speed, not on
# the seed. Its default limits (60 s, 10 s) keep the limit from binding on a slow or busy machine.
OVERRIDES = {"sparse_mpc": ["time_limit=60", "timing_time_limit=10"]}


def test_every_system_has_an_allow_list():
    assert set(WALL_CLOCK) == set(SYSTEMS), "add the new system's wall-clock fields (or none) to WALL_CLOCK"


def _same(a, b) -> bool:
    return (a == b) or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _diff(a, b, path: str, out: list, skip_keys=frozenset()):
    """Append to ``out`` the paths at which two JSON values differ; dict keys in ``skip_keys`` are not compared
    at any depth (``skip_keys`` holds the exact leaf names of one section's timings)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k in skip_keys:
                continue
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in one run")
            else:
                _diff(a[k], b[k], f"{path}/{k}", out, skip_keys)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} vs {len(b)} items")
        for i, (x, y) in enumerate(zip(a, b)):
            _diff(x, y, f"{path}[{i}]", out, skip_keys)
    elif type(a) is not type(b) or not _same(a, b):
        out.append(f"{path}: {a!r} vs {b!r}")


def _flatten(rec: dict, prefix: str = "") -> dict:
    flat = {}
    for k, v in rec.items():
        if isinstance(v, dict):
            flat.update(_flatten(v, f"{prefix}{k}/"))
        else:
            flat[f"{prefix}{k}"] = v
    return flat


def compare_runs(name: str, ra: dict, rb: dict, ma: list, mb: list) -> list[str]:
    """Differences between two runs of system ``name`` outside its WALL_CLOCK allow-list (and stale entries)."""
    wc = WALL_CLOCK[name]
    claims, columns, metrics = (wc.get(k, set()) for k in ("claims", "columns", "metrics"))
    sections = wc.get("sections", {})
    out: list[str] = []
    # the allow-list must name what the report holds
    seen_claims = {c["metric"] for c in ra["claims"]}
    seen_columns = {col for t in ra["tables"] for col in t["columns"]}
    seen_metrics = {k for r in ma for k in _flatten(r)}
    for kind, listed, seen in (("claim metric", claims, seen_claims), ("table column", columns, seen_columns),
                               ("metrics key", metrics, seen_metrics), ("report section", set(sections), set(ra))):
        out += [f"WALL_CLOCK[{name!r}]: {kind} {x!r} is not in the report (stale entry)" for x in listed - seen]

    if set(ra) != set(rb):
        out.append(f"report keys differ: {sorted(set(ra) ^ set(rb))}")
    if len(ra["claims"]) != len(rb["claims"]):
        out.append(f"claims: {len(ra['claims'])} vs {len(rb['claims'])}")
    for i, (ca, cb) in enumerate(zip(ra["claims"], rb["claims"])):
        timed = ca["metric"] in claims
        for k in sorted(set(ca) | set(cb)):
            if not (timed and k in ("ours", "baseline", "holds")):
                _diff(ca.get(k), cb.get(k), f"claims[{i}] ({ca['claim'][:60]})/{k}", out)
    if len(ra["tables"]) != len(rb["tables"]):
        out.append(f"tables: {len(ra['tables'])} vs {len(rb['tables'])}")
    for i, (ta, tb) in enumerate(zip(ra["tables"], rb["tables"])):
        where = f"tables[{i}] ({ta['title'][:50]})"
        for k in sorted(set(ta) | set(tb)):
            if k != "rows":
                _diff(ta.get(k), tb.get(k), f"{where}/{k}", out)
        keep = [j for j, col in enumerate(ta["columns"]) if col not in columns]
        if len(ta["rows"]) != len(tb["rows"]):
            out.append(f"{where}: {len(ta['rows'])} vs {len(tb['rows'])} rows")
        for r, (xa, xb) in enumerate(zip(ta["rows"], tb["rows"])):
            for j in keep:
                _diff(xa[j], xb[j], f"{where}/rows[{r}][{ta['columns'][j]!r}]", out)
    if not claims:
        _diff(ra.get("all_hold"), rb.get("all_hold"), "all_hold", out)
    for key in sorted(set(ra) & set(rb) - NOT_COMPARED - {"claims", "tables"}):
        _diff(ra[key], rb[key], key, out, frozenset(sections.get(key, ())))

    if len(ma) != len(mb):
        out.append(f"metrics.jsonl: {len(ma)} vs {len(mb)} records")
    for i, (xa, xb) in enumerate(zip(ma, mb)):
        fa, fb = _flatten(xa), _flatten(xb)
        _diff({k: v for k, v in fa.items() if k not in metrics}, {k: v for k, v in fb.items() if k not in metrics},
              f"metrics.jsonl[{i}]", out)
    return out


def _read(run_dir):
    report = json.loads((run_dir / "report.json").read_text())
    log = run_dir / "metrics.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()] if log.exists() else []
    return report, records


def _subprocess_seed() -> str:
    """A PYTHONHASHSEED unlike this process's (which is random unless the environment fixes it)."""
    return "12345" if os.environ.get("PYTHONHASHSEED") == "0" else "0"


@pytest.mark.parametrize("name", SYSTEMS)
def test_reproduce_is_deterministic_across_processes(name, tmp_path, reproduce_smoke):
    """`paperworks reproduce NAME --preset smoke` in a fresh process with PYTHONHASHSEED=0 (12345 if this
    process has 0) and one thread, against the same reproduction run here, meanwhile, in the test process (its
    own, random, hash seed unless the environment fixes one; one torch thread; after whatever the other tests
    left in the global RNGs): the second run also shows that a system depends on no ambient state but its seed.
    (Two fresh processes cost about 2 x 4 CPU-seconds of imports per system more.)"""
    import torch
    from threadpoolctl import threadpool_limits

    seed = _subprocess_seed()
    env = {**os.environ, "PYTHONHASHSEED": seed, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "paperworks.core.cli", "reproduce", name, *OVERRIDES.get(name, []),
           "--preset", "smoke", "--out", str(tmp_path / "sub")]
    with open(tmp_path / "sub.log", "w") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:  # one BLAS / OpenMP thread too, like OMP_NUM_THREADS=1 (scikit-learn installs threadpoolctl)
            with threadpool_limits(1):  # the CLI calls reproduce(quick=False) when --quick is not given
                reproduce_smoke(name, quick=False, **dict(o.split("=", 1) for o in OVERRIDES.get(name, [])))
        finally:
            torch.set_num_threads(threads)
            try:
                proc.wait(timeout=600)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
    assert proc.returncode == 0, f"exit {proc.returncode}\n{(tmp_path / 'sub.log').read_text()[-3000:]}"
    (run,) = [p for p in (tmp_path / "sub").iterdir() if p.is_dir()]
    ra, ma = _read(run)
    rb, mb = _read(tmp_path / f"{name}-smoke")
    assert ra["claims"] and ra["tables"]
    diffs = compare_runs(name, ra, rb, ma, mb)
    assert not diffs, (f"{name}: the same seeded run differs between a fresh process (PYTHONHASHSEED={seed}) and "
                       f"this one, outside the wall-clock allow-list:\n" + "\n".join(diffs[:30]))


def test_compare_runs_finds_a_changed_number_and_ignores_only_the_listed_timings():
    """The comparison itself can fail: a changed claim value, table cell, section value or logged number is
    found; a changed allow-listed timing is not; a stale allow-list entry is."""
    timed = {"claim": "c", "metric": "time ratio", "paper": None, "ours": 2.0, "baseline": None, "holds": True,
             "rule": ">="}
    plain = {**timed, "metric": "final goal distance", "ours": 0.5}
    rep = {"claims": [timed, plain],
           "tables": [{"title": "t", "columns": ["#ReLU", "solve time (s)", "plan time per step (s)"],
                       "rows": [[2, 0.1, 0.2]], "note": None}],
           "env": {"wall_time_s": 1.0}, "text": ["Total 1s"], "all_hold": True,
           "closed_loop": {"MILP/sparse": {"plan_time": 0.1, "final_dist": 0.2}},
           "timing": [{"time": 0.1, "nodes": 1.0}]}
    recs = [{"plan_time": 0.1, "seconds": 3.0, "mse": {"2": 0.3}}]

    def copy():
        return json.loads(json.dumps(rep)), json.loads(json.dumps(recs))

    assert compare_runs("sparse_mpc", rep, rep, recs, recs) == []
    r, m = copy()   # every allow-listed timing changed: no difference
    r["claims"][0].update(ours=9.0, holds=False)
    r["tables"][0]["rows"][0][1:] = [9.0, 9.0]
    r["env"]["wall_time_s"], r["text"], r["all_hold"] = 9.0, ["Total 9s"], False
    r["closed_loop"]["MILP/sparse"]["plan_time"] = 9.0
    r["timing"][0]["time"] = 9.0
    m[0].update(plan_time=9.0, seconds=9.0)
    assert compare_runs("sparse_mpc", rep, r, recs, m) == []
    edits = [lambda r, m: r["claims"][1].update(ours=0.51), lambda r, m: r["claims"][1].update(holds=False),
             lambda r, m: r["claims"][0].update(rule="<="), lambda r, m: r["tables"][0]["rows"][0].__setitem__(0, 4),
             lambda r, m: r["closed_loop"]["MILP/sparse"].update(final_dist=0.25),
             lambda r, m: r["timing"][0].update(nodes=2.0), lambda r, m: m[0]["mse"].update({"2": 0.31}),
             lambda r, m: m.append({"seconds": 1.0})]
    for edit in edits:
        r, m = copy()
        edit(r, m)
        assert compare_runs("sparse_mpc", rep, r, recs, m)
    # outside sparse_mpc, its timing names are ordinary numbers; NaN equals NaN
    r, m = copy()
    r["closed_loop"]["MILP/sparse"]["plan_time"] = 9.0
    assert any("plan_time" in d for d in compare_runs("diffpool", rep, r, recs, m))
    nan = {**rep, "claims": [{**plain, "ours": float("nan")}]}
    assert compare_runs("diffpool", nan, json.loads(json.dumps(nan)), recs, recs) == []
    # a stale allow-list entry is reported: diffpool's 'seconds' when no record logs it
    assert any("stale" in d for d in compare_runs("diffpool", rep, rep, [], []))
