"""Run directories: config.json, env.json, metrics.jsonl, checkpoints/, plots/, report.{md,html,json}."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from paperworks.core.errors import DataError
from paperworks.core.io import atomic_write_json, atomic_write_text, dumps

__all__ = ["RunDir", "environment_info"]

_PACKAGES = ("paperworks", "torch", "numpy", "scipy", "scikit-learn", "torch-geometric", "statsmodels",
             "highspy", "sacrebleu", "sentencepiece", "safetensors", "rdkit", "matplotlib")


def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                             timeout=5)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def environment_info(seed: int | None = None, extra_packages: tuple[str, ...] = ()) -> dict[str, Any]:
    versions = {}
    for p in _PACKAGES + tuple(extra_packages):
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    cuda_visible = None   # which GPU is visible; the run itself uses one only where its config says so
    try:
        import torch

        if torch.cuda.is_available():
            cuda_visible = torch.cuda.get_device_name(0)
        threads = torch.get_num_threads()
    except Exception:  # pragma: no cover
        threads = None
    return {"python": sys.version.split()[0], "platform": platform.platform(), "packages": versions,
            "git_commit": _git_commit(), "seed": seed, "cuda_visible": cuda_visible, "torch_threads": threads,
            "cpu_count": os.cpu_count(), "argv": sys.argv}


def _read_json(p: Path) -> Any:
    """The JSON document in ``p``; a file that is not UTF-8 JSON is a DataError naming it, and so is one nested
    deeper than the parser's recursion limit (it was "internal error: RecursionError")."""
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except ValueError as e:   # JSONDecodeError, UnicodeDecodeError, and json's ValueError for an integer beyond the
        # int-from-text digit limit (it was printed without the file's name)
        raise DataError(f"'{p}' is not valid JSON ({e})") from None
    except RecursionError:
        raise DataError(f"'{p}' is not a paperworks JSON file (its values are nested too deeply to read)") from None
    except OSError as e:
        raise DataError(f"cannot read '{p}' ({e.strerror or type(e).__name__})") from None


def _cannot_create(path: Path, e: OSError) -> DataError:
    return DataError(f"cannot create the run directory '{path}' ({e.strerror or type(e).__name__}); "
                     "choose another --out")


def is_plot_name(name) -> bool:
    """Whether ``name`` is a plot name :meth:`RunDir.save_figure` takes: a non-empty file name without '.png', or a
    relative path of such names, that stays inside plots/ (no leading '/', no backslash, no '', '.' or '..'
    part)."""
    return isinstance(name, str) and bool(name) and not name.startswith("/") and "\\" not in name \
        and not any(part in ("", ".", "..") for part in name.split("/"))


class RunDir:
    """A run's folder. Created on construction; all writes are atomic (metrics.jsonl is append-only)."""

    def __init__(self, path: str | os.PathLike, create: bool = True):
        self.path = Path(path)
        # under torchrun only rank 0 writes; other ranks read (checkpoints on resume)
        self.writer = int(os.environ.get("RANK", "0")) == 0
        if not create:
            if self.path.exists() and not self.path.is_dir():
                raise DataError(f"'{self.path}' is a file, not a run directory")
            if not self.path.is_dir():
                raise DataError(f"run directory '{self.path}' does not exist")
        elif self.writer:  # non-writers never create; RunDir.new has rank 0 create it before telling the others
            try:
                self.path.mkdir(parents=True, exist_ok=True)
                (self.path / "plots").mkdir(exist_ok=True)
            except OSError as e:  # an --out under a file, a read-only or full disk, no permission
                raise _cannot_create(self.path, e) from None
        self._t0 = time.time()

    @classmethod
    def new(cls, root: str | os.PathLike, name: str, kind: str) -> "RunDir":
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        base = Path(root) / f"{name}-{kind}-{stamp}"
        p = base
        if int(os.environ.get("RANK", "0")) == 0:
            # claim the folder with an exclusive mkdir: two runs started in the same second (parallel jobs)
            # must not share one folder (an exists() test followed by mkdir(exist_ok=True) let both in)
            i = 1
            while True:
                try:
                    p.parent.mkdir(parents=True, exist_ok=True)
                    p.mkdir()
                    break
                except FileExistsError:
                    i += 1
                    p = Path(f"{base}-{i}")
                except OSError as e:
                    raise _cannot_create(p, e) from None
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # all ranks must agree on rank 0's folder
            import torch.distributed as dist

            from paperworks.core.trainer import dist_info

            dist_info()
            # rank 0 creates the folder *before* the broadcast, so it exists when any other rank learns its name
            rd = cls(p) if int(os.environ.get("RANK", "0")) == 0 else None
            box = [str(p)]
            dist.broadcast_object_list(box, src=0)
            return rd if rd is not None else cls(Path(box[0]))
        return cls(p)

    # -- paths
    def _subdir(self, name: str) -> Path:
        """``path / name``, created when this process writes (rank 0 under torchrun)."""
        d = self.path / name
        if self.writer:
            d.mkdir(parents=True, exist_ok=True)
        return d

    @property
    def checkpoints(self) -> Path:
        return self._subdir("checkpoints")

    @property
    def plots(self) -> Path:
        return self._subdir("plots")

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    # -- config / env
    def write_config(self, system: str, config: Any, extra: dict[str, Any] | None = None) -> None:
        if not self.writer:
            return
        from paperworks.core.config import to_dict

        d = {"system": system, "config": to_dict(config) if not isinstance(config, dict) else config}
        if extra:
            d.update(extra)
        atomic_write_json(self.path / "config.json", d)

    def read_config(self) -> dict[str, Any]:
        p = self.path / "config.json"
        if not p.exists():
            raise DataError(f"'{self.path}' is not a paperworks run directory (no config.json)")
        d = _read_json(p)
        if not (isinstance(d, dict) and isinstance(d.get("system"), str) and isinstance(d.get("config"), dict)):
            raise DataError(f"'{p}' is not a paperworks run config (expected an object with 'system' and 'config')")
        return d

    def write_env(self, seed: int | None = None, **extra: Any) -> dict[str, Any]:
        env = environment_info(seed)
        if not self.writer:
            return env
        env["wall_time_s"] = round(time.time() - self._t0, 3)
        env["finished_at"] = _dt.datetime.now().isoformat(timespec="seconds")
        env.update(extra)
        parts = extra.get("earlier_parts")
        if parts is not None:   # a resumed run: its wall time with the earlier parts' (those that recorded one)
            known = [q["wall_time_s"] for q in parts if isinstance(q.get("wall_time_s"), (int, float))]
            env["wall_time_total_s"] = round(env["wall_time_s"] + sum(known), 3)
            env["wall_time_unknown_parts"] = len(parts) - len(known)
        atomic_write_json(self.path / "env.json", env)
        return env

    def earlier_parts(self) -> list[dict[str, Any]]:
        """The parts of this run before a resume, oldest first, from its env.json: each {argv, git_commit,
        wall_time_s, finished_at} ('killed' and no wall time for a part that never finished). A resume used to
        overwrite env.json with its own part only. A first part killed before it finished wrote no env.json:
        it is recorded with what the folder holds (config.json's time as started_at), its argv and commit unknown."""
        p = self.path / "env.json"
        if not p.exists():
            started = _dt.datetime.fromtimestamp((self.path / "config.json").stat().st_mtime)
            return [{"argv": None, "git_commit": None, "wall_time_s": None, "finished_at": "killed",
                     "started_at": started.isoformat(timespec="seconds")}]
        try:
            env = _read_json(p)
        except DataError:
            env = None
        if not isinstance(env, dict):   # a damaged env.json does not stop the resume; its part is unknown
            return [{"argv": None, "git_commit": None, "wall_time_s": None, "finished_at": "unknown"}]
        earlier = [q for q in env.get("earlier_parts") or [] if isinstance(q, dict)]
        finished = env.get("finished_at") not in (None, "running")
        part = {"argv": env.get("argv"), "git_commit": env.get("git_commit"),
                "wall_time_s": env.get("wall_time_s") if finished else None,
                "finished_at": env.get("finished_at") if finished else "killed"}
        if env.get("started_at"):
            part["started_at"] = env["started_at"]
        return earlier + [part]

    def write_resume_start(self, earlier_parts: list[dict[str, Any]], seed: int | None = None) -> None:
        """A resumed part records itself (and the parts before it) in env.json when it starts, so that a later
        resume still knows it if it is killed too; write_env replaces this record when the part finishes."""
        if not self.writer:
            return
        env = environment_info(seed)
        env.update(started_at=_dt.datetime.now().isoformat(timespec="seconds"), finished_at="running",
                   earlier_parts=earlier_parts)
        atomic_write_json(self.path / "env.json", env)

    # -- metrics
    def log_metrics(self, record: dict[str, Any]) -> None:
        if not isinstance(record, Mapping):
            # a list of pairs or a bare number was written as a JSON line that is no record: the run's own report
            # (and a resume) then refused the file as damaged, and the records logged after it with it
            raise TypeError(f"log_metrics: a record is a dict of metric names to values (got {type(record).__name__})")
        if not self.writer:
            return
        with open(self.metrics_path, "a", encoding="utf-8") as f:
            f.write(dumps(record, indent=None) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def read_metrics(self) -> list[dict[str, Any]]:
        if not self.metrics_path.exists():
            return []
        out = []
        try:
            lines = self.metrics_path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as e:
            raise DataError(f"'{self.metrics_path}' is not UTF-8 text ({e})") from None
        lines = [(i, ln.strip()) for i, ln in enumerate(lines, 1) if ln.strip()]
        for j, (i, line) in enumerate(lines):
            try:
                rec = json.loads(line)
            except (ValueError, RecursionError):   # not JSON, an integer beyond the digit limit, nested too deeply
                rec = None
            if not isinstance(rec, dict):
                if j == len(lines) - 1:
                    break  # a torn last line from a killed run
                # a damaged line with records after it: refuse rather than drop them (a resume rewrites the file
                # with the records read here, so everything after the line would be lost)
                raise DataError(f"'{self.metrics_path}' line {i} is not a JSON record (a damaged file; the "
                                f"{len(lines) - 1 - j} records after it would be lost)")
            out.append(rec)
        return out

    def truncate_metrics(self, keep: "callable") -> None:
        """Keep only the records for which keep(index, record) is true, index counting records in file order
        (used when resuming)."""
        if not self.writer:
            return
        recs = [r for i, r in enumerate(self.read_metrics()) if keep(i, r)]
        atomic_write_text(self.metrics_path, "".join(dumps(r, indent=None) + "\n" for r in recs))

    # -- plots and reports
    def save_figure(self, fig, name: str) -> str:
        """Write ``fig`` as plots/NAME.png; returns that path relative to the run directory.

        ``name`` is a file name without ``.png`` (or a relative path of names, which makes sub-folders of plots/).
        An empty name, an absolute one or one with '.' / '..' / empty parts is a ValueError: '../x' wrote the
        figure beside plots/ and a report.json that ``paperworks report`` then refused as pointing outside the run
        directory, '/abs/x' wrote it anywhere on disk and referenced a missing file, '' a hidden plots/.png."""
        if not is_plot_name(name):
            raise ValueError(f"save_figure: a plot's name must be a file name (or a relative path of names) that "
                             f"stays inside plots/, without '.png' (got {name!r})")
        import matplotlib

        matplotlib.use("Agg", force=False)
        import io

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        from paperworks.core.io import atomic_write_bytes

        atomic_write_bytes(self.plots / f"{name}.png", buf.getvalue())
        try:
            import matplotlib.pyplot as plt

            plt.close(fig)
        except Exception:  # pragma: no cover
            pass
        return f"plots/{name}.png"

    def _write_rendered(self, d: dict[str, Any]) -> None:
        """report.md and report.html of ``d``, both rendered before either is written: a report that cannot be
        rendered leaves the old pair as it was, never a new .md beside an old .html."""
        from paperworks.core.report import render_html, render_markdown

        md, page = render_markdown(d), render_html(d, self.path)
        for text in (md, page):   # and both encodable: a lone surrogate fails here, before either is written
            text.encode("utf-8")
        atomic_write_text(self.path / "report.md", md)
        atomic_write_text(self.path / "report.html", page)

    def write_report(self, report, paper=None, config=None, env=None) -> dict[str, Any]:
        d = report.to_dict() if hasattr(report, "to_dict") else dict(report)
        if not self.writer:
            return d
        if paper is not None:
            d["paper"] = {"cite": paper.cite(), "authors": paper.authors, "title": paper.title,
                          "venue": paper.venue, "year": paper.year, "arxiv": paper.arxiv}
        if config is not None:
            from paperworks.core.config import to_dict

            d["config"] = to_dict(config) if not isinstance(config, dict) else config
        if env is not None:
            d["env"] = env
        text = dumps(d) + "\n"   # what atomic_write_json writes (strict JSON: NaN -> null)
        d = json.loads(text)
        # report.json marks a finished run: written last, only once report.md and report.html are
        self._write_rendered(d)
        atomic_write_text(self.path / "report.json", text)
        return d

    def rebuild_report(self) -> dict[str, Any]:
        p = self.path / "report.json"
        if not p.exists():
            if (self.path / "bench.json").is_file():   # `paperworks bench` writes bench.json, never a report
                raise DataError(f"'{self.path}' is a bench directory (no report.json to rebuild a report from); "
                                f"its results are in '{self.path / 'bench.json'}'")
            failed = " (the command that wrote it failed: see error.txt)" if (self.path / "error.txt").exists() else ""
            raise DataError(f"'{self.path}' has no report.json to rebuild a report from{failed}")
        d = _read_json(p)
        from paperworks.core.report import schema_problems

        problems = schema_problems(d)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise DataError(f"'{p}' is not a valid paperworks report: {problems[0]}{more}")
        try:
            self._write_rendered(d)
        except UnicodeEncodeError as e:
            # a lone surrogate written as a JSON escape ("\\ud800") reads as a str UTF-8 cannot encode: the
            # error named neither the file nor the character
            bad = e.object[e.start:e.end] if isinstance(e.object, str) else ""
            raise DataError(f"'{p}' holds a character UTF-8 cannot encode ({bad!r}, a lone surrogate?); "
                            f"report.md and report.html were left as they were") from None
        return d
