"""Registry of systems: one class per paper, registered under a short lowercase name.

Modules under ``paperworks.systems`` are imported lazily the first time the registry is read, so adding a
system needs no edit anywhere else (the CLI reads the registry).
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from paperworks.core.config import from_overrides
from paperworks.core.errors import ConfigError, PaperworksError, UnknownNameError

if TYPE_CHECKING:  # pragma: no cover
    from paperworks.core.report import Report
    from paperworks.core.rundir import RunDir

__all__ = ["Paper", "System", "register", "get_system", "all_systems", "import_errors"]


@dataclass(frozen=True)
class Paper:
    authors: str
    title: str
    venue: str
    year: int
    arxiv: str | None = None

    def cite(self) -> str:
        s = f'{self.authors}, "{self.title}", {self.venue} {self.year}'
        return s + (f", arXiv:{self.arxiv}" if self.arxiv else "")


class System:
    """Base class of every paper's system.

    Subclasses set (through :func:`register`) ``name``, ``paper`` and ``Config`` (a frozen dataclass
    subclassing :class:`paperworks.core.config.Config`), may define ``presets`` (name -> overrides), and
    implement:

    - ``run(run_dir) -> dict[str, float]``: train / evaluate with ``self.config``; final metrics.
    - ``reproduce(run_dir, quick=True) -> Report``: the paper's claim at small scale, with claims whose
      ``holds`` is computed from measured numbers.
    - ``bench(run_dir, quick=True) -> dict``: the same work done by ours and by the peer in one process;
      must contain a ``ratio`` entry (ours/peer throughput, > 1 = ours faster) and a one-line ``summary``.
    """

    name: ClassVar[str] = ""
    paper: ClassVar[Paper]
    Config: ClassVar[type]
    status: ClassVar[str] = "implemented"
    presets: ClassVar[dict[str, dict[str, Any]]] = {}
    #: torch intra-op threads while ``run``/``reproduce``/``bench`` execute (restored afterwards, so one
    #: system never changes the next one's setting under ``reproduce --all``); None = leave as is.
    num_threads: ClassVar[int | None] = None
    #: True for a system whose ``run`` continues from its checkpoints when ``self.resume`` is set; the CLI refuses
    #: ``--resume`` for the others (they would start over and log every record a second time).
    resumable: ClassVar[bool] = False
    #: True for a system whose ``reproduce(run_dir, quick=False)`` (the CLI without --quick) runs a larger
    #: reproduction than ``quick=True``; False for one whose two run the same thing: the CLI and the report then
    #: say "reproduction at the quick scale" (report.json: ``"full_scale": false``) rather than "full
    #: reproduction". None (not declared, e.g. a user's own system) keeps the "full reproduction" label.
    full_scale: ClassVar[bool | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        from paperworks.core.threads import with_threads

        for meth in ("run", "reproduce", "bench"):
            f = cls.__dict__.get(meth)
            if f is not None and not getattr(f, "__paperworks_threads__", False):
                if meth == "reproduce":
                    f = _scale_label(f)
                setattr(cls, meth, with_threads(_run_dir_argument(f)))

    def __init__(self, config: Any | None = None):
        cfg_cls = getattr(type(self), "Config", None)
        if config is not None and isinstance(cfg_cls, type) and not isinstance(config, cfg_cls):
            # `GTN({"epochs": 5})` or another system's config was taken, and failed later inside run() with
            # "AttributeError: 'dict' object has no attribute 'seed'"
            me = type(self).__name__
            raise ConfigError(f"{me} takes a {cfg_cls.__name__} (got {type(config).__name__}); build one with "
                              f"{me}.make_config({{'key': value, ...}}, preset=...)", where=me)
        self.config = config if config is not None else self.Config()

    @classmethod
    def make_config(cls, overrides: dict[str, Any] | None = None, preset: str | None = None):
        """Config from an optional preset plus ``key=value`` overrides (validated, errors name the key)."""
        base = None
        if preset is not None:
            if preset not in cls.presets:
                raise UnknownNameError(f"preset of '{cls.name}'", preset, cls.presets)
            base = from_overrides(cls.Config, cls.presets[preset], name=cls.name)
        # integers no int64 holds are refused inside from_overrides (preset and override values alike)
        return from_overrides(cls.Config, overrides or {}, base=base, name=cls.name)

    def run(self, run_dir: "RunDir") -> dict[str, float]:
        raise PaperworksError(f"system '{self.name}' has no run() yet")

    def reproduce(self, run_dir: "RunDir", quick: bool = True) -> "Report":
        raise PaperworksError(f"system '{self.name}' has no reproduce() yet")

    def bench(self, run_dir: "RunDir | None" = None, quick: bool = True) -> dict[str, Any]:
        raise PaperworksError(f"system '{self.name}' has no benchmark yet")


def _run_dir_argument(method):
    """Wrap ``run`` / ``reproduce`` / ``bench`` so that their ``run_dir`` may be given as a path (str or
    os.PathLike): it is opened as a :class:`~paperworks.core.rundir.RunDir` (created if needed). A path used to fail
    inside the method with "AttributeError: 'str' object has no attribute 'log_metrics'"; anything else that is
    not a RunDir (bench's None included) is passed on as it was."""
    import functools
    import os

    def opened(path):
        from paperworks.core.rundir import RunDir

        if not os.fspath(path).strip():   # an unset variable: the current folder would become the run's
            raise PaperworksError(f"{method.__qualname__}: run_dir must name a folder (got an empty path)")
        return RunDir(path)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if args and isinstance(args[0], (str, os.PathLike)):
            args = (opened(args[0]),) + args[1:]
        elif isinstance(kwargs.get("run_dir"), (str, os.PathLike)):
            kwargs["run_dir"] = opened(kwargs["run_dir"])
        return method(self, *args, **kwargs)

    return wrapper


def _scale_label(method):
    """Wrap ``reproduce``: the Report of ``quick=False`` of a system declared without a larger scale (``full_scale``
    False; None, undeclared, is left alone)
    gets ``extra["full_scale"] = False``, so that its label reads "reproduction at the quick scale" (it read "full
    reproduction" though it ran what quick=True runs). The Report is otherwise as returned ("quick" as given)."""
    import functools

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        rep = method(self, *args, **kwargs)
        if getattr(rep, "quick", True) is False and getattr(type(self), "full_scale", None) is False \
                and isinstance(getattr(rep, "extra", None), dict):
            rep.extra.setdefault("full_scale", False)
        return rep

    return wrapper


_REGISTRY: dict[str, type[System]] = {}
_IMPORT_ERRORS: dict[str, str] = {}
_DISCOVERED = False


def register(name: str, *, paper: Paper, config: type, status: str = "implemented"):
    """Class decorator: register a System subclass under ``name`` (a duplicate name is an error)."""
    if not name or name.lower() != name or not name.replace("_", "").isalnum():
        raise ValueError(f"register: system names are short, lowercase, [a-z0-9_] (got {name!r})")
    if not dataclasses.is_dataclass(config):
        raise TypeError(f"register('{name}'): config must be a dataclass (got {config!r})")

    def deco(cls: type[System]) -> type[System]:
        if name in _REGISTRY and _REGISTRY[name].__qualname__ != cls.__qualname__:
            raise ValueError(f"register: a system named '{name}' exists already ({_REGISTRY[name]!r})")
        cls.name = name
        cls.paper = paper
        cls.Config = config
        cls.status = status
        _REGISTRY[name] = cls
        return cls

    return deco


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    _DISCOVERED = True
    # keep the CLI usable when one system fails to import; the error is shown by `list` and `get_system`
    import_submodules("paperworks.systems", _IMPORT_ERRORS, with_traceback=True)


def import_submodules(package: str, errors: dict[str, str], with_traceback: bool = False) -> None:
    """Import every public submodule of ``package`` (sorted by name) so that their decorators register;
    a module that fails to import is recorded in ``errors`` (name -> "Type: message") and skipped."""
    pkg = importlib.import_module(package)
    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        try:
            importlib.import_module(f"{package}.{mod.name}")
        except Exception as e:
            errors[mod.name] = f"{type(e).__name__}: {e}"
            if with_traceback:
                errors[mod.name + ".traceback"] = traceback.format_exc()


def all_systems() -> dict[str, type[System]]:
    _discover()
    return dict(sorted(_REGISTRY.items()))


def import_errors() -> dict[str, str]:
    _discover()
    return {k: v for k, v in _IMPORT_ERRORS.items() if not k.endswith(".traceback")}


def get_system(name: str) -> type[System]:
    systems = all_systems()
    if name in systems:
        return systems[name]
    if name in _IMPORT_ERRORS:
        raise PaperworksError(f"system module '{name}' failed to import: {_IMPORT_ERRORS[name]}")
    raise UnknownNameError("system", name, systems)
