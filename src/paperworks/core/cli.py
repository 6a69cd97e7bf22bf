"""The ``paperworks`` command line: list | run | reproduce | report | bench.

Exit codes: 0 success; 2 bad usage or bad input (one line naming the problem; the traceback only with
``--debug``); 1 an unexpected internal error.
"""

from __future__ import annotations

import json
import sys
import time
import traceback

import click

from paperworks.core.errors import ConfigError, PaperworksError, UnknownNameError

BAD_INPUT = 2


class _State:
    debug = False
    kept = None   # the run directory a failed command kept (with its error.txt), named when Ctrl-C stops it
    # the multiprocessing children alive when the SIGTERM handler was installed: not the command's, left running
    children_before: frozenset = frozenset()
    config = None   # the config of the system the command is running (named when a setting overflows floats)
    sigterm_at = 0.0   # time.monotonic() of the SIGTERM being handled
    exiting_on_sigterm = False   # main() was stopped by SIGTERM and the process is exiting (see main)


def _not_empty(what: str, value: str | None) -> None:
    """An empty path (an unset shell variable) silently meant the current folder, or for --resume a new run."""
    if value is not None and not value.strip():
        raise click.UsageError(f"{what} must name a run directory (got an empty string)")


def _parse_overrides(items: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for it in items:
        if "=" not in it or it.startswith("="):
            raise click.UsageError(f"expected key=value, got '{it}'")
        k, v = it.split("=", 1)
        k = k.strip()
        if not k:
            raise click.UsageError(f"expected key=value, got '{it}'")
        if k in out:  # compared stripped: `lr=1 "lr =2"` named one key twice and the last silently won
            raise click.UsageError(f"key '{k}' given twice")
        out[k] = v
    return out


def _check_out(out: str, hint: str = "") -> None:
    """Refuse an --out that is itself a run directory: --out names the folder that receives new run
    directories, and such a call used to nest a new run inside another run's folder."""
    from pathlib import Path

    if not out.strip():  # `--out ""` (an unset shell variable) silently meant the current folder
        raise click.UsageError("--out must name a folder (got an empty string)")
    if (Path(out) / "config.json").is_file():
        raise PaperworksError(f"--out '{out}' is a run directory (it has config.json); --out names the folder in "
                              f"which new run directories are created{hint}")


_SCAFFOLD_DIRS = ("plots", "checkpoints")


def _after_failure(rd) -> None:
    """A command failed after creating run directory ``rd``: remove it when it holds nothing but what the
    command wrote first (config.json, an empty metrics.jsonl, empty plots/ and checkpoints/), so that no folder that looks like a run
    but holds none is left behind; otherwise keep what the run produced and record the error in error.txt."""
    import shutil

    if not rd.writer:
        return
    _State.kept = rd.path
    try:
        entries = list(rd.path.iterdir())
        scaffold = all((e.name == "config.json" and e.is_file())
                       or (e.name == "metrics.jsonl" and e.is_file() and e.stat().st_size == 0)  # a Trainer's start
                       or (e.name in _SCAFFOLD_DIRS and e.is_dir() and not any(e.iterdir())) for e in entries)
        if scaffold:
            shutil.rmtree(rd.path)
            _State.kept = None
        else:
            (rd.path / "error.txt").write_text(traceback.format_exc())
    except OSError:  # the original error matters more than a failed clean-up
        pass


class _RunDirLock:
    """An exclusive lock on a run directory for the whole command: ``flock`` on a descriptor of the folder itself
    (no lock file: the folder's contents, and the clean-up of a failed run, are as before). Taken by the process
    that writes (rank 0 under torchrun); the kernel releases it when the process ends, also on SIGKILL, so a
    killed run can be resumed at once. Without ``fcntl`` (Windows) or where the file system refuses ``flock``
    the command runs unlocked, as before."""

    def __init__(self, rd, then: str = ", then --resume"):
        self.fd = None
        if not rd.writer:
            return
        try:
            import fcntl
            import os
        except ImportError:   # pragma: no cover - Windows
            return
        try:
            fd = os.open(rd.path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:   # the command's own reads and writes will name the problem
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            # a second command writing the same folder (`run --resume` of a run still going) interleaved its
            # metrics.jsonl records and checkpoints with the first one's, and both exited 0
            raise PaperworksError(f"run directory '{rd.path}' is in use: another paperworks command (the run, or a "
                                  f"--resume of it) is still writing it; wait for it to end or stop it{then}") from None
        except OSError:   # a file system without flock (some network mounts): unlocked, as before
            os.close(fd)
            return
        self.fd = fd
        click.get_current_context().call_on_close(self.release)   # when the command ends, however it ends

    def release(self) -> None:
        if self.fd is not None:
            import fcntl
            import os

            fd, self.fd = self.fd, None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)


def _summary_line(metrics: dict) -> str:
    """The scalar metrics of a run, for its one-line summary (lists and tables stay in results.json: a run of
    gtn printed some 2,000 characters of nested attention weights)."""
    shown, more = [], 0
    for k, v in metrics.items():
        if isinstance(v, float):
            shown.append(f"{k}={v:.4g}")
        elif isinstance(v, (int, bool)) or (isinstance(v, str) and len(v) <= 40):
            shown.append(f"{k}={v}")
        else:
            more += 1
    text = ", ".join(shown)
    if more:
        text += f"{', ' if shown else ''}{more} more in results.json"
    return text


def _scale(quick: bool, preset: str | None, full_scale: bool = True) -> str:
    """What a reproduction ran, for its labels: the scale (quick / full) and the preset when one applied (a
    `--preset smoke` reproduction without --quick was labelled "full", as if the full-size config had run).
    ``full_scale``: the system has a larger scale than --quick (System.full_scale); without one, no --quick runs
    the quick scale, and was labelled "full"."""
    scale = "quick" if quick else "full" if full_scale else "quick scale: the system has no larger full scale"
    return f"{scale}{f', preset {preset}' if preset else ''}"


def _seed_of(cfg) -> int | None:
    return getattr(cfg, "seed", None)


def _device_of(cfg) -> str:
    """The device a run used: its config's ``device`` (resolved; with the GPU's name), else the CPU."""
    spec = getattr(cfg, "device", None)
    if spec is None:
        return "cpu"
    try:
        from paperworks.core.trainer import resolve_device

        dev = resolve_device(spec)
    except Exception:
        return str(spec)
    if dev.type == "cuda":
        import torch

        return f"{dev} ({torch.cuda.get_device_name(dev)})"
    return str(dev)


def _plain_scalar(v):
    """A NumPy scalar or a 0-d array / tensor as the Python number results.json stores for it (the report's
    table, plot and summary line take Python numbers only, and left np.float32(0.5) or torch.tensor(0.25) out):
    :func:`paperworks.core.io.plain_scalar`, which imports neither numpy nor torch."""
    from paperworks.core.io import plain_scalar

    return plain_scalar(v)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _plottable(v) -> bool:
    """A number a figure can place: finite and below 1e300 in magnitude (axis padding and line fits overflow near
    the float64 maximum; an int beyond it does not convert)."""
    try:
        return _number(v) and abs(float(v)) < 1e300
    except OverflowError:
        return False


def _per_index_series(records: list[dict]) -> tuple[str | None, dict[str, list[tuple[int, float]]]]:
    """The records without a ``step`` numbered by an integer key 0, 1, 2, ... or 1, 2, 3, ... (at least two;
    the graph systems' ``fold`` / ``split``, an ``epoch``): (that key, {metric: [(index, value)]} of their other
    numeric fields). Of several such keys the one numbering the most records wins, the first seen on a tie;
    (None, {}) if none."""
    recs = [r for r in records if "step" not in r]
    keys = list(dict.fromkeys(k for r in recs for k in r))
    index, most = None, 1
    for k in keys:
        vals = [r[k] for r in recs if k in r]
        counts = all(_plottable(v) and float(v).is_integer() for v in vals) and vals[:1] in ([0], [1]) \
            and vals == list(range(int(vals[0]), int(vals[0]) + len(vals)))
        if counts and len(vals) > most:
            index, most = k, len(vals)
    series: dict[str, list[tuple[int, float]]] = {}
    for r in recs:
        if index in r:
            for k, v in r.items():
                if k != index and _plottable(v):
                    series.setdefault(k, []).append((int(r[index]), v))
    return index, series


def _per_plot_name(index: str) -> str:
    """The plot name ``per_<index>`` of records numbered by ``index``, kept as it is where RunDir.save_figure takes
    it (``fold``, ``eval/fold`` as a sub-folder); otherwise ('/' and '\\' replaced by '_') a plain file name: since
    save_figure refuses names leaving plots/ (empty parts, backslashes), a key such as 'fold/' or 'a\\b' made the
    finished run's report fail where it used to be written."""
    from paperworks.core.rundir import is_plot_name

    name = f"per_{index}"
    return name if is_plot_name(name) else "per_" + index.replace("/", "_").replace("\\", "_")


def _metric_families(scalars: list[list]) -> dict[str, list[tuple[str, float]]]:
    """Panels of the final-metrics chart: {title: [(label, value)]}, each with two or more finite values. A name
    splits at its last '_' into a stem and a last part; metrics group either by stem (trauma_aic_best /
    trauma_aic_mnl: panel "trauma_aic", labels best, mnl) or by last part (clean_accuracy / noise_accuracy: panel
    "accuracy", labels clean, noise), whichever keeps the values of every panel within the narrowest ratio of
    magnitudes (a panel of an accuracy beside an NLL would squash one of them), by stem on a tie."""
    import math

    named = [(k.rsplit("_", 1), float(v)) for k, v in scalars if "_" in k and _plottable(v)]
    best, best_spread = {}, math.inf
    for title_at in (0, 1):                      # 0: panels by stem, 1: panels by last part
        groups: dict[str, list[tuple[str, float]]] = {}
        for parts, v in named:
            groups.setdefault(parts[title_at], []).append((parts[1 - title_at], v))
        groups = {t: items for t, items in groups.items() if len(items) > 1}
        if not groups:
            continue
        spread = max(math.log10(max(max(abs(v) for _, v in items), 1e-300) / max(min(abs(v) for _, v in items), 1e-300))
                     for items in groups.values())
        if spread < best_spread:
            best, best_spread = groups, spread
    return best


def _final_metrics_figure(scalars: list[list]):
    """Dot chart of a run's final scalar metrics side by side: one panel per family of two or more metrics
    (:func:`_metric_families`: sharing their stem or their last part), each value written beside its dot; the x
    axis of a panel spans its values, so close values stay apart. Metrics in no family (and values that are not
    finite) are left to the table; None if no family remains."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    families = _metric_families(scalars)
    if not families:
        return None
    cols = min(len(families), 3)
    rows = -(-len(families) // cols)
    height = max(1.0 + 0.45 * max(len(f) for f in families.values()), 1.8)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, height * rows), squeeze=False)
    for ax, (title, items) in zip(axes.flat, families.items()):
        ys = list(range(len(items)))[::-1]
        xs = [v for _, v in items]
        ax.plot(xs, ys, "o", linestyle="none")
        for x, y in zip(xs, ys):
            ax.annotate(f"{x:.5g}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center",
                        fontsize="small")
        ax.set_yticks(ys, [label for label, _ in items])
        ax.set_ylim(-0.7, len(items) - 0.3)
        lo, hi = min(xs), max(xs)
        pad = (hi - lo) * 0.25 or abs(hi) * 0.1 or 1.0
        ax.set_xlim(lo - pad, hi + pad)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.set_title(title)
    for ax in list(axes.flat)[len(families):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def _run_report(name: str, rd, metrics: dict, preset: str | None = None):
    """The report of a plain ``paperworks run`` (no claims): its final metrics and its training curves, so
    every run directory has report.md/.html/.json and ``paperworks report RUN_DIR`` works on it. A run that
    logs no ``step`` records gets a plot of what it logged per fold / split (any key numbering its records
    0, 1, ...), else one of its final metrics. ``preset``: the preset the run's config was made with (its label
    names it)."""
    from paperworks.core.report import Report

    rep = Report(name, quick=False, title=f"paperworks run: {name}")
    rep.extra["kind"] = "run"
    if preset:
        rep.extra["preset"] = preset
    scalars = [[k, v] for k, v in metrics.items() if _number(v)]
    if scalars:
        rep.add_table("Final metrics", ["metric", "value"], scalars)
    records = rd.read_metrics()
    recs = [r for r in records if isinstance(r.get("step"), (int, float))]
    series: dict[str, list[tuple[float, float]]] = {}
    for r in recs:
        for k, v in r.items():
            if k != "step" and (k == "loss" or k.startswith("eval/")) and _number(v):
                # a value the figure cannot place (near the float64 maximum, or an int beyond it) is a gap in the
                # line, as NaN and inf are: it made the figure, and with it the finished run, fail
                series.setdefault(k, []).append((r["step"], v if _plottable(v) else float("nan")))
    if series:
        # one panel per metric, loss first; one unlabelled line each (no legend: the panel title names it)
        panels = {k: {"": series[k]} for k in sorted(series, key=lambda k: (k != "loss", k))}
        rep.add_line_plot(rd, "training", panels, "Training loss and evaluation metrics logged in metrics.jsonl.",
                          xlabel="step", size=(4.2, 3.0))
    else:
        index, per = _per_index_series(records)
        if per:
            import math

            from matplotlib.ticker import MaxNLocator

            from paperworks.core.report import line_figure

            # one panel per metric, one point per fold / split, and the mean over them dashed
            panels = {k: {"": v} for k, v in per.items()}
            means = {k: {f"mean {m:.4g}": m} for k, v in per.items()
                     if math.isfinite(m := sum(y for _, y in v) / len(v))}
            fig = line_figure(panels, xlabel=index, hlines=means, size=(4.2, 3.0))
            for ax in fig.axes:
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            n = len({i for v in per.values() for i, _ in v})
            rep.add_plot(rd, fig, _per_plot_name(index), f"Metrics logged per {index} in metrics.jsonl ({n} records "
                         f"numbered by '{index}'); dashed: their mean.")
        elif scalars and (fig := _final_metrics_figure(scalars)) is not None:
            rep.add_plot(rd, fig, "final_metrics", "The run's final metrics (results.json) side by side: metrics "
                         "whose names differ only in their last part share a panel.")
    rep.add_text("A training run with the settings in config.json; a run checks no claims "
                 "(`paperworks reproduce NAME` checks the paper's).")
    return rep


def _systems_for(name: str | None, all_: bool):
    from paperworks.core.registry import all_systems, get_system

    if all_ and name:
        raise click.UsageError("give a system name or --all, not both")
    if all_:
        systems = all_systems()
        if not systems:
            raise PaperworksError("no systems are registered")
        return list(systems.values())
    if not name:
        raise click.UsageError("give a system name (see `paperworks list`) or --all")
    _name_first(name, click.get_current_context().info_name)
    return [get_system(name)]


def _select(name: str | None, overrides: tuple[str, ...], all_: bool):
    """Systems and parsed overrides of `reproduce`/`bench`: with --all a first `key=value` is an override (and
    overrides are refused), else NAME names one system."""
    if all_ and name and "=" in name:
        overrides = (name, *overrides)
        name = None
    systems = _systems_for(name, all_)
    ov = _parse_overrides(overrides)
    if all_ and ov:
        raise click.UsageError("config overrides apply to one system; drop them with --all")
    return systems, ov


def _check_preset_of_all(systems, preset: str | None, all_: bool) -> None:
    """With --all a preset that no system defines is a typo (`--preset smok`): refuse it, rather than run every
    system with its defaults (a full-size run of each)."""
    if all_ and preset is not None and not any(preset in cls.presets for cls in systems):
        raise UnknownNameError("preset of any system", preset, {p for cls in systems for p in cls.presets})


def _preset_for(cls, preset: str | None, all_: bool) -> str | None:
    """The preset applied to `cls`: with --all only the systems that define it take it (the others run their
    defaults), for one system an unknown preset is an error raised by make_config."""
    return preset if (preset is None or not all_ or preset in cls.presets) else None


def _once(ctx, param, value, hint: str = "give one"):
    """--out / --resume (and --preset, :func:`_one_preset`) may be given once: a second one replaced the first
    silently."""
    if len(value) > 1:
        raise click.BadParameter(f"given {len(value)} times ({', '.join(value)}); {hint}")
    return value[0] if value else None


def _one_preset(ctx, param, value):
    """--preset once: presets do not combine."""
    return _once(ctx, param, value, hint="presets do not combine, pick one")


def _name_first(name: str, cmd: str) -> None:
    """A `key=value` where NAME goes (`paperworks run seed=3 gtn`) was reported as an unknown system."""
    if "=" in name:
        raise click.UsageError(f"'{name}' stands where the system name goes; give NAME first "
                               f"(`paperworks {cmd} NAME key=value ...`)")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(package_name="paperworks")
def cli(debug: bool) -> None:
    """paperworks: faithful, tested, small-scale reproductions of machine-learning papers."""
    _State.debug = debug


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_cmd(as_json: bool) -> None:
    """List every registered system: name, paper, venue/year, status."""
    from paperworks.core.registry import all_systems, import_errors

    rows = []
    for name, cls in all_systems().items():
        p = cls.paper
        rows.append({"name": name, "paper": p.title, "authors": p.authors, "venue": p.venue, "year": p.year,
                     "arxiv": p.arxiv, "status": cls.status, "presets": sorted(cls.presets)})
    for mod, err in import_errors().items():
        rows.append({"name": mod, "paper": None, "authors": None, "venue": None, "year": None, "arxiv": None,
                     "status": f"broken ({err})", "presets": []})
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    if not rows:
        click.echo("no systems registered")
        return
    w = max(len(r["name"]) for r in rows)
    for r in rows:
        if r["paper"]:
            title = r["paper"] if len(r["paper"]) <= 60 else r["paper"][:57] + "..."
            click.echo(f"{r['name']:<{w}}  {title:<60}  {r['venue']} {r['year']}  [{r['status']}]")
        else:
            click.echo(f"{r['name']:<{w}}  [{r['status']}]")


@cli.command("run", context_settings={"ignore_unknown_options": False})
@click.argument("name")
@click.argument("overrides", nargs=-1)
@click.option("--preset", multiple=True, callback=_one_preset, help="Named set of overrides defined by the system (e.g. tiny, smoke).")
@click.option("--out", multiple=True, callback=_once, default=["runs"], show_default=True,
              type=click.Path(file_okay=False),
              help="Folder in which the new run directory is created.")
@click.option("--resume", "resume_dir", multiple=True, callback=_once, type=click.Path(),
              help="Run directory to continue.")
def run_cmd(name: str, overrides: tuple[str, ...], preset: str | None, out: str, resume_dir: str | None) -> None:
    """Train/evaluate system NAME with config overrides KEY=VALUE."""
    from paperworks.core.config import from_dict
    from paperworks.core.registry import get_system
    from paperworks.core.report import Report
    from paperworks.core.rundir import RunDir

    _not_empty("--resume", resume_dir)
    _name_first(name, "run")
    cls = get_system(name)
    ov = _parse_overrides(overrides)
    if resume_dir:
        if ov or preset:
            raise click.UsageError("--resume continues a run with its saved config; drop the overrides/--preset")
        if click.get_current_context().get_parameter_source("out") != click.core.ParameterSource.DEFAULT:
            # it was ignored: the run continues in its own folder
            raise click.UsageError("--resume continues the run in its own directory; drop --out")
        rd = RunDir(resume_dir, create=False)
        _RunDirLock(rd)   # refused if the run (or another --resume of it) is still going
        saved = rd.read_config()
        if saved.get("system") != name:
            raise PaperworksError(f"run directory '{resume_dir}' belongs to system '{saved.get('system')}', "
                                  f"not '{name}'")
        if saved.get("kind", "run") != "run":
            raise PaperworksError(f"run directory '{resume_dir}' was written by `paperworks {saved.get('kind')}`; "
                                  f"--resume continues `paperworks run` directories only")
        if not getattr(cls, "resumable", False):
            # such a system starts over and appends a second copy of its records to metrics.jsonl
            from paperworks.core.registry import all_systems

            can = [n for n, c in all_systems().items() if getattr(c, "resumable", False)]
            raise PaperworksError(f"system '{name}' cannot continue a run (it keeps no checkpoints; --resume works "
                                  f"for {', '.join(can) or 'no system'}); start a new run instead")
        try:
            cfg = from_dict(cls.Config, saved.get("config", {}))
        except ConfigError as e:  # name the file: the user gave no config on this command line
            raise ConfigError(e.problems, where=f"the saved config in '{rd.path / 'config.json'}'") from None
        preset = saved.get("preset") if isinstance(saved.get("preset"), str) else None   # what the run was made with
    else:
        cfg = cls.make_config(ov, preset=preset)
        _check_out(out, hint=" (to continue that run: --resume)")
        rd = RunDir.new(out, name, "run")
        _RunDirLock(rd)   # held until the command ends: a --resume of this run meanwhile is refused
        rd.write_config(name, cfg, extra={"preset": preset, "kind": "run"})
    _State.config = cfg
    system = cls(cfg)
    system.resume = bool(resume_dir)
    t0 = time.time()
    from paperworks.core.io import atomic_write_json

    # a resumed run keeps the record of the parts before it (its env.json held the last part only)
    parts = {"earlier_parts": rd.earlier_parts()} if resume_dir else {}
    try:  # writing the outputs can fail too (a full disk): the run directory then gets its error.txt as well
        if resume_dir:
            rd.write_resume_start(parts["earlier_parts"], _seed_of(cfg))
        result = system.run(rd)
        env = rd.write_env(_seed_of(cfg), device=_device_of(cfg), **parts)
        if isinstance(result, Report):
            if preset:
                result.extra.setdefault("preset", preset)
            rd.write_report(result, paper=cls.paper, config=cfg, env=env)
            metrics = {c.metric: c.ours for c in result.claims}
        else:
            metrics = {k: _plain_scalar(v) for k, v in dict(result or {}).items()}
        if not rd.writer:  # under torchrun only rank 0 writes and reports
            return
        atomic_write_json(rd.path / "results.json", metrics)
        if not isinstance(result, Report):
            rd.write_report(_run_report(name, rd, metrics, preset), paper=cls.paper, config=cfg, env=env)
    except BaseException:
        if not resume_dir:
            _after_failure(rd)
        elif rd.writer:
            # the resumed run failed: error.txt names this failure (it kept the one of the run before, so the
            # folder described an error that had been run past)
            _State.kept = rd.path
            try:
                (rd.path / "error.txt").write_text(traceback.format_exc())
            except OSError:  # the original error matters more
                pass
        raise
    if resume_dir:
        (rd.path / "error.txt").unlink(missing_ok=True)  # the failure it recorded has been run past
    click.echo(f"{name}: {_summary_line(metrics) or 'done'} ({time.time() - t0:.1f}s) -> {rd.path}")


@cli.command("reproduce")
@click.argument("name", required=False)
@click.argument("overrides", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Reproduce every registered system.")
@click.option("--quick", is_flag=True, help="Small-scale reproduction that runs in minutes on a CPU.")
@click.option("--preset", multiple=True, callback=_one_preset, help="Named set of config overrides (e.g. smoke: seconds, claims may fail).")
@click.option("--out", multiple=True, callback=_once, default=["runs"], show_default=True,
              type=click.Path(file_okay=False),
              help="Folder in which the run directories are created.")
@click.option("--strict", is_flag=True, help="Exit 1 if any claim does not hold.")
def reproduce_cmd(name: str | None, overrides: tuple[str, ...], all_: bool, quick: bool, preset: str | None,
                  out: str, strict: bool) -> None:
    """Reproduce the paper's headline claim for NAME (or --all) and write a report."""
    from paperworks.core.rundir import RunDir

    systems, ov = _select(name, overrides, all_)
    _check_out(out)
    _check_preset_of_all(systems, preset, all_)
    summary = []
    failing: dict[str, list[str]] = {}
    failed_runs = []
    for cls in systems:
        applied = _preset_for(cls, preset, all_)
        cfg = cls.make_config(ov, preset=applied)
        _State.config = cfg
        rd = RunDir.new(out, cls.name, "reproduce")
        rd.write_config(cls.name, cfg, extra={"preset": applied, "kind": "reproduce", "quick": quick})
        t0 = time.time()
        larger = getattr(cls, "full_scale", None) is not False   # None: undeclared, labelled "full" as before
        click.echo(f"[{cls.name}] reproducing {cls.paper.cite()} ({_scale(quick, applied, larger)}) ...", err=True)
        try:
            report = cls(cfg).reproduce(rd, quick=quick)   # one-scale systems: marked by registry._scale_label
            if applied and hasattr(report, "extra"):   # report.json, and the label rendered from it, name the preset
                report.extra.setdefault("preset", applied)
            env = rd.write_env(_seed_of(cfg), device=_device_of(cfg))
            d = rd.write_report(report, paper=cls.paper, config=cfg, env=env)
        except BaseException as e:
            if not all_ or not isinstance(e, Exception):
                _after_failure(rd)
                if all_ and isinstance(e, KeyboardInterrupt) and summary:
                    # Ctrl-C / SIGTERM (a batch job's time limit) during `reproduce --all`: the systems that had
                    # finished got no summary (nor their claim lines), as if none had run
                    _summary_of_finished(out, summary, failing, quick, preset, cls.name, e,
                                         [c.name for c in systems[systems.index(cls) + 1:]], _larger(systems))
                raise
            failed_runs.append(cls.name)
            _State.kept = None   # recorded in the summary; the loop goes on
            msg = f"{type(e).__name__}: {e}".splitlines()[0]
            (rd.path / "error.txt").write_text(traceback.format_exc())
            summary.append((cls.name, None, None, time.time() - t0, rd.path, msg))
            continue
        n_ok = sum(c["holds"] for c in d["claims"])
        summary.append((cls.name, n_ok, len(d["claims"]), time.time() - t0, rd.path, None))
        failing[cls.name] = [c["claim"] for c in d["claims"] if not c["holds"]]
    click.echo("")
    any_fail = bool(failed_runs)
    for nm, ok, tot, dt, path, err in summary:
        if err:
            click.echo(f"{nm:<24} ERROR {err} ({dt:.0f}s) -> {path}/error.txt")
        else:
            flag = "all claims hold" if ok == tot and tot else f"{ok}/{tot} claims hold"
            any_fail |= ok != tot
            click.echo(f"{nm:<24} {flag:<18} ({dt:.0f}s) -> {path}/report.html")
    if all_:
        click.echo(f"summary of every system, with each failing claim -> "
                   f"{write_summary(out, summary, failing, quick, preset, full_scale=_larger(systems))}")
    if strict and any_fail and not failed_runs:
        # exit 1 without a word left the user to find the failing claims in the reports
        bad = [f"{nm}: {c}" for nm, claims in failing.items() for c in claims]
        click.echo(f"--strict: {len(bad)} claim{'s' if len(bad) != 1 else ''} do{'es' if len(bad) == 1 else ''} "
                   f"not hold ({'; '.join(bad)}); exit 1", err=True)
    if failed_runs or (strict and any_fail):
        sys.exit(1)


def _larger(systems) -> list[str]:
    """The names of the systems with a larger scale than --quick (System.full_scale; None, undeclared, counts as
    one as it did before the attribute existed)."""
    return [c.name for c in systems if getattr(c, "full_scale", None) is not False]


def _summary_of_finished(out, summary, failing: dict, quick: bool, preset: str | None, stopped: str,
                         e: BaseException, not_run: list[str], full_scale: list[str] | None = None) -> None:
    """The summary of a ``reproduce --all`` stopped by Ctrl-C or SIGTERM while ``stopped`` ran: the systems that
    finished, and which one was stopped and which did not run (stderr names the file). Best effort: a failure to
    write it never hides the interrupt."""
    how = "SIGTERM" if type(e).__name__ == "_Terminated" else "Ctrl-C"
    try:
        path = write_summary(out, summary, failing, quick, preset, full_scale=full_scale,
                             interrupted={"by": how, "during": stopped, "partial_run": str(_State.kept) if _State.kept
                                          else None, "not_run": not_run})
        click.echo(f"summary of the {len(summary)} system{'s' if len(summary) != 1 else ''} that finished before "
                   f"{how} -> {path}", err=True)
    except Exception:   # pragma: no cover - the interrupt matters more
        pass


def write_summary(out, summary, failing: dict, quick: bool, preset: str | None = None,
                  interrupted: dict | None = None, full_scale: list[str] | None = None):
    """Write ``OUT/summary-<time>.md`` and ``.json`` (``summary-<time>-2`` ... when that name is taken): one row
    per system of a ``reproduce --all`` (claims holding, wall time, report path) and every claim that does not
    hold, by name. Returns the .md path.
    ``preset``: the --preset given (the systems that define it ran it, the others their defaults).
    ``interrupted``: for a command stopped by Ctrl-C / SIGTERM, {by, during, partial_run, not_run} (the rows are
    the systems that finished).
    ``full_scale``: without --quick, the systems that have a larger scale than --quick (the others ran their quick
    scale; None: every system is taken to have one)."""
    import datetime as _dt
    from pathlib import Path

    from paperworks.core.io import atomic_write_json, atomic_write_text

    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = _claim_summary_name(Path(out), f"summary-{stamp}")
    rows = []
    for nm, ok, tot, dt, path, err in summary:
        rows.append({"system": nm, "claims_hold": ok, "claims": tot, "seconds": round(dt, 1),
                     "report": str(Path(path) / ("error.txt" if err else "report.html")), "error": err,
                     "failing_claims": failing.get(nm, [])})
    n_ok = sum(r["claims_hold"] or 0 for r in rows)
    n_all = sum(r["claims"] or 0 for r in rows)
    scale = "quick" if quick else "full"
    if not quick and full_scale is not None and any(r["system"] not in full_scale for r in rows):
        larger = [r["system"] for r in rows if r["system"] in full_scale]
        scale = (f"full for {', '.join(larger)}, the quick scale for the others (they have no larger one)" if larger
                 else "the quick scale: these systems have no larger one")
    ran = f"{scale}{f', --preset {preset} where a system defines it' if preset else ''}"
    lines = [f"# paperworks reproduce --all ({ran}), {stamp}", "",
             f"{n_ok}/{n_all} claims hold over {len(rows)} systems "
             f"({sum(r['error'] is not None for r in rows)} runs failed); "
             f"{sum(r['seconds'] for r in rows) / 60:.1f} min in all.", "",
             "| system | claims holding | wall (s) | report |", "|---|---|---|---|"]
    for r in rows:
        held = f"ERROR: {r['error']}" if r["error"] else f"{r['claims_hold']}/{r['claims']}"
        lines.append(f"| {r['system']} | {held} | {r['seconds']:.0f} | {r['report']} |")
    if interrupted:
        kept = interrupted.get("partial_run")
        where = f"its partial run: {kept}" if kept else "it had written nothing"
        rest = f"not run: {', '.join(interrupted['not_run'])}. " if interrupted.get("not_run") else ""
        lines[2] = f"**Stopped by {interrupted['by']}** during `{interrupted['during']}` ({where}); {rest}{lines[2]}"
    if any(r["failing_claims"] for r in rows):
        lines += ["", "## Claims that do not hold", ""]
        for r in rows:
            lines += [f"- **{r['system']}**: {c}" for c in r["failing_claims"]]
    atomic_write_json(base.with_suffix(".json"), {"quick": quick, **({"preset": preset} if preset else {}),
                                                  "claims_hold": n_ok, "claims": n_all, "systems": rows,
                                                  **({"interrupted": interrupted} if interrupted else {})})
    return atomic_write_text(base.with_suffix(".md"), "\n".join(lines) + "\n")


def _claim_summary_name(out, stem: str):
    """``out / stem``, or ``stem-2``, ``stem-3``, ... (as run directories are named): its .md and .json created
    exclusively, so that two ``reproduce --all`` finishing in the same second into one --out keep both summaries
    (the second replaced the first, silently)."""
    out.mkdir(parents=True, exist_ok=True)
    i = 1
    while True:
        base = out / (stem if i == 1 else f"{stem}-{i}")
        i += 1
        try:
            open(base.with_name(base.name + ".md"), "x").close()
        except FileExistsError:
            continue
        try:
            open(base.with_name(base.name + ".json"), "x").close()
        except FileExistsError:   # a .json without its .md: leave it, and the name
            base.with_name(base.name + ".md").unlink()
            continue
        return base


@cli.command("report")
@click.argument("run_dir", type=click.Path())
def report_cmd(run_dir: str) -> None:
    """Rebuild report.md and report.html of RUN_DIR from its report.json."""
    from pathlib import Path

    from paperworks.core.rundir import RunDir

    _not_empty("RUN_DIR", run_dir)
    p = Path(run_dir)
    if p.is_dir() and not (p / "report.json").exists() and not (p / "config.json").exists():
        # the folder that holds the runs (`report runs/`): name one of them rather than "no report.json"
        runs = sorted((c for c in p.iterdir() if (c / "config.json").is_file()), key=lambda c: c.name)
        if runs:
            raise PaperworksError(f"'{run_dir}' is not a run directory (no config.json, no report.json); it holds {len(runs)} run "
                                  f"director{'ies' if len(runs) > 1 else 'y'}, e.g. '{runs[-1]}'")
    rd = RunDir(run_dir, create=False)
    _RunDirLock(rd, then="")   # a run still going (or being resumed) rewrites report.md / .html when it ends
    d = rd.rebuild_report()
    n_ok = sum(c["holds"] for c in d["claims"])
    what = "a training run, no claims" if d.get("kind") == "run" else f"{n_ok}/{len(d['claims'])} claims hold"
    click.echo(f"{d['system']}: {what} -> {rd.path / 'report.md'}, {rd.path / 'report.html'}")


@cli.command("bench")
@click.argument("name", required=False)
@click.argument("overrides", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Benchmark every registered system.")
@click.option("--full", is_flag=True, help="Full-size benchmark (default: quick).")
@click.option("--preset", multiple=True, callback=_one_preset, help="Named set of config overrides (e.g. smoke: a seconds-long check).")
@click.option("--out", multiple=True, callback=_once, default=["runs"], show_default=True,
              type=click.Path(file_okay=False),
              help="Folder in which the bench directories are created.")
def bench_cmd(name: str | None, overrides: tuple[str, ...], all_: bool, full: bool, preset: str | None,
              out: str) -> None:
    """Benchmark system NAME against its peer in one process (prints the ratio ours/peer)."""
    from paperworks.core.io import atomic_write_json
    from paperworks.core.rundir import RunDir

    systems, ov = _select(name, overrides, all_)
    _check_out(out)
    _check_preset_of_all(systems, preset, all_)
    failed = []
    for cls in systems:
        applied = _preset_for(cls, preset, all_)
        cfg = cls.make_config(ov, preset=applied)
        _State.config = cfg
        rd = RunDir.new(out, cls.name, "bench")
        rd.write_config(cls.name, cfg, extra={"kind": "bench", "quick": not full, "preset": applied})
        try:  # writing the outputs can fail too (a full disk): the directory then gets its error.txt as well
            res = cls(cfg).bench(rd, quick=not full)
            if not isinstance(res, dict):
                # (a list or None failed below in res.get('ratio'), outside this handling: --all stopped there)
                raise TypeError(f"{cls.name}: bench() must return a dict of results (got {type(res).__name__})")
            atomic_write_json(rd.path / "bench.json", res)
            rd.write_env(None)
        except PaperworksError as e:
            _after_failure(rd)
            if not all_:
                raise
            click.echo(f"{cls.name:<24} skipped: {e}")
            continue
        except BaseException as e:
            if not all_ or not isinstance(e, Exception):
                _after_failure(rd)
                raise
            # as `reproduce --all`: one system's failure (a crash in its peer) is reported by name and the other
            # systems still run; it stopped the whole command, and the benches after it never ran
            failed.append(cls.name)
            try:
                (rd.path / "error.txt").write_text(traceback.format_exc())
            except OSError:   # the failure matters more than its record
                pass
            msg = f"{type(e).__name__}: {e}".splitlines()[0]
            click.echo(f"{cls.name:<24} ERROR {msg} -> {rd.path / 'error.txt'}")
            continue
        ratio = res.get("ratio")
        rtxt = f"ratio {ratio:.3g}" if isinstance(ratio, (int, float)) else "ratio n/a"
        click.echo(f"{cls.name:<24} {rtxt:<14} {res.get('summary', '')} -> {rd.path / 'bench.json'}")
    if failed:
        click.echo(f"{len(failed)} of {len(systems)} benches failed ({', '.join(failed)}; the traceback of each is in "
                   f"its directory's error.txt); exit 1", err=True)
        sys.exit(1)


class _Terminated(KeyboardInterrupt):
    """SIGTERM (`timeout`, a batch scheduler, `kill`), raised like Ctrl-C so that a command cleans up as it does
    for Ctrl-C: its run directory gets error.txt (or is removed if it holds nothing yet)."""


#: seconds after a SIGTERM in which another one is the same stop delivered twice: `timeout` signals the command and
#: then its whole process group (the command again), and a second SIGTERM a few ms into the clean-up ended the
#: process at once (exit -15; while core.parallel workers were being stopped, without error.txt or a word)
_SIGTERM_REPEAT_S = 2.0


def _on_sigterm(signum, frame):
    import multiprocessing
    import signal
    import time as _time

    _State.sigterm_at = _time.monotonic()
    # a second SIGTERM ends the process at once, unless it is the first one repeated (_SIGTERM_REPEAT_S)
    signal.signal(signal.SIGTERM, _on_second_sigterm)
    # Ctrl-C reaches the whole process group; SIGTERM (`timeout`, `kill PID`) only this process, whose
    # core.parallel pool would then wait for its running jobs (minutes) before the clean-up: stop them first.
    # Only the children started since the handler was installed: a program that embeds main() keeps its own
    for p in multiprocessing.active_children():
        if p not in _State.children_before:
            p.terminate()
    raise _Terminated()


def _on_second_sigterm(signum, frame):
    """A SIGTERM during the clean-up of the first: ignored within _SIGTERM_REPEAT_S of it (the same stop, sent
    twice), else the process ends at once, as without a handler."""
    import os
    import signal
    import time as _time

    if _time.monotonic() - _State.sigterm_at < _SIGTERM_REPEAT_S:
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _catch_sigterm():
    """Install :func:`_on_sigterm` for the duration of a command (main thread only); return the handler it
    replaced, or None if none was installed. The process used to die at once, leaving a run directory without
    error.txt that looked like a run still in progress. The multiprocessing children alive now are noted: the
    handler stops only those started later."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        # not imported yet: no child of it exists (and the CLI's start-up stays without it)
        mp = sys.modules.get("multiprocessing")
        _State.children_before = frozenset(mp.active_children()) if mp is not None else frozenset()
        return signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):  # pragma: no cover - no signals here
        return None


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors and exit code 2 for bad usage or bad input.

    Called from the main thread, it handles SIGTERM while the command runs: the multiprocessing children started
    since main() was called (e.g. core.parallel's pool workers) are terminated, children the calling program
    started before are left alone, and the command stops as on Ctrl-C (its run directory gets error.txt; exit code
    143). The SIGTERM handler that was installed before is put back when main() returns or exits."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:  # accepted anywhere on the line (`paperworks run x --debug`), not only before the command
        args = ["--debug"] + [a for a in args if a != "--debug"]
    _State.kept = None
    _State.config = None
    previous = _catch_sigterm()
    try:
        _main(args, debug)
    finally:
        if previous is not None:
            import signal

            # stopped by SIGTERM with no handler of the caller's to restore: the process is exiting, and a repeat of
            # that SIGTERM during the interpreter's exit (`timeout` sends two) ended it as -15 instead of 143. The
            # handler in place ignores a repeat (else it ends the process as SIG_DFL does), also in the command's
            # atexit functions (an exit that hangs there still ends on a later SIGTERM); SIG_IGN only after them
            # (_ignore_sigterm_at_exit)
            stopped = signal.getsignal(signal.SIGTERM) is _on_second_sigterm and previous == signal.SIG_DFL
            signal.signal(signal.SIGTERM, _on_second_sigterm if stopped else previous)
            _State.exiting_on_sigterm = stopped


def _ignore_sigterm_at_exit() -> None:
    """At the interpreter's exit after a command stopped by SIGTERM: ignore SIGTERM from here on (no Python handler
    runs in the last stage of the exit, where a repeat of the first SIGTERM ended the process as -15)."""
    if _State.exiting_on_sigterm:
        import signal

        signal.signal(signal.SIGTERM, signal.SIG_IGN)


# registered when this module is imported, so that it runs after the atexit functions registered later (those of
# the command: its workers' joins, ...): while they run, the handler in place still ends the process on a SIGTERM
# after _SIGTERM_REPEAT_S; registered from main() it ran first, and an exit that hung ignored every later SIGTERM
import atexit as _atexit  # noqa: E402

_atexit.register(_ignore_sigterm_at_exit)


def _main(args: list[str], debug: bool) -> None:
    try:
        cli.main(args=args, prog_name="paperworks", standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.exceptions.Abort as e:
        # Ctrl-C or SIGTERM: say where the partial run is (a command stopped before writing any output removed
        # its folder)
        term = isinstance(e.__cause__, _Terminated)
        kept = f"; the partial run is kept in '{_State.kept}' (error.txt, no report)" if _State.kept else ""
        click.echo(f"{'terminated (SIGTERM)' if term else 'interrupted'}{kept}", err=True)
        sys.exit(143 if term else 130)
    except click.UsageError as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # a bare `paperworks` (or group): its help, undecorated
            click.echo(e.format_message(), err=True)
            sys.exit(BAD_INPUT)
        if debug:
            traceback.print_exc()
        hint = ""
        if e.ctx is not None:
            hint = f" (see `{e.ctx.command_path} --help`)"
        click.echo(f"error: {e.format_message()}{hint}", err=True)
        sys.exit(BAD_INPUT)
    except click.ClickException as e:
        click.echo(f"error: {e.format_message()}", err=True)
        sys.exit(e.exit_code if e.exit_code else BAD_INPUT)
    except (PaperworksError, UnknownNameError, ValueError, FileNotFoundError) as e:
        # bad input: our own errors, and ValueError, which the engines and their peers (numpy, torch, HiGHS
        # wrappers) raise for malformed values. A bare KeyError or TypeError is a programming error: internal.
        if debug:
            traceback.print_exc()
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        click.echo(f"error: {msg}", err=True)
        sys.exit(BAD_INPUT)
    except OSError as e:
        import errno

        # the user's files or disk (no permission, a full or read-only disk, a folder where an output file goes),
        # not a bug: exit 2 with the path; any other OS error is internal
        if isinstance(e, (PermissionError, IsADirectoryError)) or e.errno in (errno.ENOSPC, errno.EROFS,
                                                                             errno.EDQUOT):
            if debug:
                traceback.print_exc()
            # a failed rename names the temp file first and the target second: name the target
            target = e.filename2 if e.filename2 else e.filename
            where = f": '{target}'" if target else ""
            click.echo(f"error: {e.strerror or type(e).__name__}{where}", err=True)
            sys.exit(BAD_INPUT)
        _internal(e, debug)
    except SystemExit:
        raise
    except RuntimeError as e:
        if not _float_overflow(e):
            _internal(e, debug)
        # torch refuses a step size beyond float32's range (`lr=1e39`: Adam's / SGD's update): a setting too large,
        # not a bug; it was "internal error: RuntimeError" with exit 1
        if debug:
            traceback.print_exc()
        click.echo(f"error: a number overflowed the floating-point range during the run ({str(e).splitlines()[0]}); "
                   f"{_large_settings()}", err=True)
        sys.exit(BAD_INPUT)
    except BaseException as e:  # internal error: exit 1
        _internal(e, debug)


def _float_overflow(e: BaseException) -> bool:
    """torch's error for a Python number that does not fit the tensor's float type (an optimizer's step size)."""
    return isinstance(e, RuntimeError) and "cannot be converted to type" in str(e) and "without overflow" in str(e)


def _large_settings() -> str:
    """The settings of the running config at 1e30 or more in size (float32 ends at 3.4e38; a learning rate
    near it overflows the update), as the one-line hint of a float overflow."""
    import dataclasses

    cfg, big = _State.config, []
    if cfg is not None and dataclasses.is_dataclass(cfg):
        for f in dataclasses.fields(cfg):
            v = getattr(cfg, f.name, None)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                try:
                    if abs(float(v)) >= 1e30:
                        big.append(f"{f.name}={v:g}")
                except OverflowError:
                    big.append(f"{f.name}={v}")
    if big:
        return f"{', '.join(big)} {'is' if len(big) == 1 else 'are'} too large for it"
    return "a setting (e.g. a learning rate) is too large for it"


def _internal(e: BaseException, debug: bool) -> None:
    """An unexpected error: one line (the traceback with --debug or on Ctrl-C) and exit 1."""
    if debug or isinstance(e, KeyboardInterrupt):
        traceback.print_exc()
    else:
        click.echo(f"internal error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} "
                   f"(rerun with --debug for the traceback)", err=True)
    sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
