"""The trainer shared by the systems that train by minibatch gradient steps (transformer, fmd, advgan,
variational_classification, and the attacks' adversarial training).

Guarantees:

- **Deterministic**: seeded (python, numpy, torch), deterministic kernels, and the data order is a pure
  function of ``(seed, step)`` (a :class:`~torch.utils.data.distributed.DistributedSampler` permutation per
  epoch, cut into fixed global batches), so nothing about the data pipeline needs saving.
- **Exact resume**: a checkpoint holds model, optimizer, scheduler, RNG states and the logging accumulators.
  A run killed at any moment (even SIGKILL) and resumed from its run directory ends with exactly the metrics
  of an uninterrupted run: ``metrics.jsonl`` is cut back to the records it held when the checkpoint was
  written and replayed from there. A run killed before its first checkpoint starts over, and the file is cut
  back to the records it held when that run's fit began (``checkpoints/fit_start.json`` holds their number
  until the first checkpoint): records logged before the fit are kept, the killed fit's records are redone.
- **Safe checkpoints**: safetensors + JSON only (no pickle). A checkpoint is a folder written under a temporary
  name, every file fsynced, then renamed; a manifest records the SHA-256 of every file, so a truncated,
  corrupt or foreign checkpoint is refused with a message naming the problem.
- **Distributed**: run the same code under ``torchrun --nproc_per_node=K`` (gloo on CPU, NCCL on GPU). Each
  rank takes its share of the same global batch (``DistributedSampler`` semantics), gradients are averaged by
  DDP, rank 0 writes metrics and checkpoints. K processes equal 1 process on the same global batch. With
  ``prebatched=True`` the dataset holds whole global batches (e.g. sentence pairs grouped by length up to a
  token budget) and each rank takes every K-th example of the step's batch. A loss that is a mean over a
  variable number of units (tokens) reports that number as ``"_weight"`` in its metrics dict: ranks are then
  weighted by it, so the averaged gradient is the gradient of the global mean.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import random
import shutil
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from paperworks.core.config import Config, check_choice, check_interval, check_positive, to_dict
from paperworks.core.errors import CheckpointError, ConfigError, DataError, TrainingDivergedError
from paperworks.core.io import _fsync_dir, atomic_write_json, atomic_write_leftovers

__all__ = [
    "TrainerConfig", "Trainer", "seed_everything", "average_checkpoints", "load_checkpoint",
    "save_checkpoint", "latest_checkpoint", "list_checkpoints", "noam_factor", "dist_info", "EarlyStopping",
    "resolve_device",
    "check_device", "module_device", "eval_mode", "DEVICE_HELP",
]

CKPT_FORMAT = "paperworks-checkpoint"
CKPT_VERSION = 1
# the three files of a checkpoint folder (besides manifest.json): written by save_checkpoint, required in the
# manifest by _verify, read by load_checkpoint / average_checkpoints
_MODEL_FILE, _STATE_FILE, _STATE_JSON = "model.safetensors", "state.safetensors", "state.json"
_CKPT_FILES = (_MODEL_FILE, _STATE_FILE, _STATE_JSON)
# in a run folder's checkpoints/, from the start of a fit from step 0 (fresh, or a resume without a checkpoint) to its
# first checkpoint: how many records metrics.jsonl held when the fit began (what a resume without a checkpoint cuts
# the file back to); a fresh fit that fails before anything is logged removes it again
FIT_START = "fit_start.json"


# --------------------------------------------------------------------------------------- config
@dataclass(frozen=True)
class TrainerConfig(Config):
    max_steps: int = 1000
    batch_size: int = 64              # global batch (split across ranks under DDP)
    lr: float = 1e-3                  # with schedule="noam" this is a multiplier (paper: 1.0)
    optimizer: str = "adam"           # adam | adamw | sgd
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    momentum: float = 0.0             # sgd only
    nesterov: bool = False            # sgd only (needs momentum > 0)
    weight_decay: float = 0.0
    schedule: str = "constant"        # constant | noam | cosine | linear (linear/cosine: warm-up then decay to 0,
    #                                   Hugging Face's get_linear / get_cosine_schedule_with_warmup, see _lr_lambda)
    #                                   | step (lr x gamma from each of `milestones`, counted in updates)
    milestones: tuple[int, ...] = ()  # step: the updates from which the lr is multiplied by gamma once more
    gamma: float = 0.1                # step
    warmup_steps: int = 0
    d_model: int | None = None        # noam: lr * d_model^-0.5 * min(s^-0.5, s * warmup^-1.5)
    grad_clip: float | None = None    # max global L2 norm of the gradients
    eval_every: int = 0               # 0 = only at the end
    ckpt_every: int = 0               # 0 = only at the end
    keep_checkpoints: int = 5
    log_every: int = 10
    seed: int = 0
    deterministic: bool = True
    progress: bool = True
    prebatched: bool = False          # each dataset item is a whole global batch (a list of examples, e.g. grouped
    #                                   by length); batch_size must be 1; under DDP rank r takes examples r::K

    def validate(self) -> None:
        check_positive("max_steps", self.max_steps)
        check_positive("batch_size", self.batch_size)
        check_positive("lr", self.lr)
        check_choice("optimizer", self.optimizer, ("adam", "adamw", "sgd"))
        check_choice("schedule", self.schedule, ("constant", "noam", "cosine", "linear", "step"))
        check_interval("betas[0]", self.betas[0], 0.0, 1.0, closed="left")
        check_interval("betas[1]", self.betas[1], 0.0, 1.0, closed="left")
        check_positive("eps", self.eps)
        check_positive("weight_decay", self.weight_decay, strict=False)
        # torch's SGD refused it only when the Trainer built the optimizer, with a bare ValueError
        check_positive("momentum", self.momentum, strict=False)
        check_positive("warmup_steps", self.warmup_steps, strict=False)
        check_positive("eval_every", self.eval_every, strict=False)
        check_positive("ckpt_every", self.ckpt_every, strict=False)
        check_positive("keep_checkpoints", self.keep_checkpoints)
        check_positive("log_every", self.log_every)
        if self.grad_clip is not None:
            check_positive("grad_clip", self.grad_clip)
        if self.prebatched and self.batch_size != 1:
            raise ConfigError(f"prebatched=True draws one pre-built batch per step: batch_size must be 1 "
                              f"(got {self.batch_size})")
        if self.nesterov and (self.optimizer != "sgd" or self.momentum <= 0):
            raise ConfigError(f"nesterov=True needs optimizer 'sgd' with momentum > 0 (got optimizer "
                              f"'{self.optimizer}', momentum {self.momentum})")
        if self.schedule == "step":
            if not self.milestones or any(m < 0 for m in self.milestones):
                raise ConfigError(f"schedule 'step' needs milestones >= 0 (got {self.milestones})")
            check_interval("gamma", self.gamma, 0.0, 1.0, closed="right")
        if self.schedule == "noam":
            if self.d_model is None or self.d_model <= 0:
                raise ConfigError("schedule 'noam' needs d_model > 0")
            if self.warmup_steps <= 0:
                raise ConfigError("schedule 'noam' needs warmup_steps > 0")


def noam_factor(step: int, d_model: int, warmup: int) -> float:
    """Vaswani et al. (2017) Eq. (3): d_model^-0.5 * min(step^-0.5, step * warmup^-1.5), step >= 1."""
    step = max(int(step), 1)
    return d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)


def _lr_lambda(cfg: TrainerConfig) -> Callable[[int], float]:
    # LambdaLR calls this with the number of scheduler steps taken so far (0 before the first update).
    if cfg.schedule == "constant":
        return lambda i: 1.0
    if cfg.schedule == "noam":
        d, w = cfg.d_model, cfg.warmup_steps
        return lambda i: noam_factor(i + 1, d, w)
    if cfg.schedule == "step":   # update i (0-based) uses lr * gamma^(number of milestones <= i)
        ms, g = tuple(cfg.milestones), cfg.gamma
        return lambda i: g ** sum(i >= m for m in ms)
    w, total = cfg.warmup_steps, cfg.max_steps

    # Hugging Face's get_linear_schedule_with_warmup / get_cosine_schedule_with_warmup (the schedules of the same
    # names, warmup_steps and max_steps in its TrainingArguments), with i = the updates taken before this one, as in
    # every torch scheduler (MultiStepLR, CosineAnnealingLR, LinearLR): update i uses i / w during the warm-up
    # (update 0: lr 0), the peak at update w (update 0 when w = 0), then decays with f = (i - w) / (T - w), reaching
    # 0 at i = T, after the last update (whose lr is lr / (T - w) for linear). It used s = i + 1 in place of i: with
    # w = 0 the peak was never used (update 0 took lr (1 - 1/T)) and the last update took lr 0, i.e. did nothing
    def warm_then_decay(i: int) -> float:
        if i < w:
            return i / w
        frac = (i - w) / max(1, total - w)
        frac = min(max(frac, 0.0), 1.0)
        if cfg.schedule == "linear":
            return 1.0 - frac
        return 0.5 * (1.0 + math.cos(math.pi * frac))

    return warm_then_decay


# ---------------------------------------------------------------------------------- seeding/dist
def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed python, numpy and torch (all devices); optionally force deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        if torch.backends.cudnn.is_available():
            torch.backends.cudnn.benchmark = False
            torch.backends.cudnn.deterministic = True


DEVICE_HELP = "cpu, cuda, cuda:N or auto (cuda when available, else cpu)"


def check_device(spec: str | torch.device | None) -> str:
    """The normalised spelling of a device config value (``cpu``, ``cuda``, ``cuda:N`` or ``auto``; None is
    ``cpu``); anything else raises one :class:`ConfigError`. Checks the spelling only, not whether the device
    exists here (that is :func:`resolve_device`'s job, when the device is used)."""
    s = "cpu" if spec is None else str(spec).strip().lower()
    if s in ("cpu", "cuda", "auto") or (s.startswith("cuda:") and s[5:].isdigit()):
        return s
    raise ConfigError(f"unknown device '{spec}' (expected {DEVICE_HELP})", where="device")


def resolve_device(spec: str | torch.device | None) -> torch.device:
    """The torch device named by a config value: ``cpu``, ``cuda``, ``cuda:N`` or ``auto`` (CUDA when it is
    available, else the CPU). Under torchrun, ``cuda`` / ``auto`` mean this process's GPU (``LOCAL_RANK``).
    Asking for CUDA where there is none raises one :class:`ConfigError`."""
    s = check_device(spec)
    if s == "auto":
        s = "cuda" if torch.cuda.is_available() else "cpu"
    if s == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ConfigError(f"device '{spec}' asked for, but CUDA is not available here (use device=cpu)",
                          where="device")
    index = int(s[5:]) if ":" in s else (
        int(os.environ.get("LOCAL_RANK", "0")) if int(os.environ.get("WORLD_SIZE", "1")) > 1
        else torch.cuda.current_device())
    if index >= torch.cuda.device_count():
        raise ConfigError(f"device '{spec}': only {torch.cuda.device_count()} CUDA device(s) here",
                          where="device")
    return torch.device("cuda", index)


def dist_info() -> tuple[int, int, bool]:
    """(rank, world_size, is_distributed); initializes the process group under torchrun.

    The backend is ``gloo`` (CPU tensors, and CUDA tensors too) unless ``PAPERWORKS_DIST_BACKEND`` names
    another (``nccl`` for multi-GPU runs with ``device=cuda``): models stay where the caller put them, so the
    backend must not assume GPUs just because some are visible."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, False
    if not dist.is_initialized():
        backend = os.environ.get("PAPERWORKS_DIST_BACKEND", "gloo").strip().lower() or "gloo"
        if backend == "nccl" and torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend=backend)
    return dist.get_rank(), dist.get_world_size(), True


@contextlib.contextmanager
def eval_mode(model):
    """``model`` in eval mode inside the block; afterwards every submodule gets back its OWN mode.

    ``model.train(was)`` alone would set every submodule to the top module's mode: a batch norm frozen in eval
    mode inside a model being trained would come back in train mode (its running statistics then move). An
    object that is not an ``nn.Module`` (a scripted stand-in) is only put in eval mode if it has ``eval()``."""
    modes = [(m, m.training) for m in model.modules()] if isinstance(model, nn.Module) else []
    if callable(getattr(model, "eval", None)):
        model.eval()
    try:
        yield model
    finally:
        for m, mode in modes:
            m.training = mode


def module_device(model: nn.Module) -> torch.device:
    """The device of a module's first parameter (else buffer; the CPU for a module with neither)."""
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


# ------------------------------------------------------------------------------------ checkpoints
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _tensor_dict(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # clone: safetensors refuses shared storage (e.g. tied embeddings); contiguous CPU copies
    return {k: v.detach().to("cpu").contiguous().clone() for k, v in sd.items()}


def _json_default(o):
    if isinstance(o, torch.Tensor):
        return {"__tensor__": o.tolist(), "dtype": str(o.dtype).replace("torch.", "")}
    if isinstance(o, (np.generic,)):
        return o.item()
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"cannot store {type(o).__name__} in a checkpoint's JSON")


def _json_restore(o):
    if isinstance(o, dict):
        if "__tensor__" in o and "dtype" in o:
            return torch.tensor(o["__tensor__"], dtype=getattr(torch, o["dtype"]))
        return {k: _json_restore(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_json_restore(v) for v in o]
    return o


def _rng_state() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors = {"rng.torch": torch.get_rng_state()}
    # only when this process has used CUDA: reading the states would otherwise create a context on every
    # visible GPU for a CPU-only run (an unused CUDA generator is re-seeded by seed_everything on resume)
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{i}"] = s
    np_state = np.random.get_state()
    tensors["rng.numpy.keys"] = torch.from_numpy(np.asarray(np_state[1], dtype=np.int64))
    meta = {"numpy": [np_state[0], int(np_state[2]), int(np_state[3]), float(np_state[4])],
            "python": _py_state_to_json(random.getstate())}
    return tensors, meta


def _py_state_to_json(state):
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _set_rng_state(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    torch.set_rng_state(tensors["rng.torch"])
    if torch.cuda.is_available():
        # by device index (a string sort would put cuda.10 before cuda.2); a checkpoint written on a machine
        # with more GPUs restores the devices this one has
        saved = {int(k.rsplit(".", 1)[1]): t for k, t in tensors.items() if k.startswith("rng.cuda.")}
        for i in sorted(saved):
            if i < torch.cuda.device_count():
                torch.cuda.set_rng_state(saved[i], i)
    name, pos, has_gauss, cached = meta["numpy"]
    np.random.set_state((name, tensors["rng.numpy.keys"].numpy().astype(np.uint32), pos, has_gauss, cached))
    v, internal, gauss = meta["python"]
    random.setstate((v, tuple(internal), gauss))


def save_checkpoint(directory: str | os.PathLike, step: int, model: nn.Module,
                    optimizer: torch.optim.Optimizer | None = None, scheduler: Any = None,
                    extra: dict[str, Any] | None = None, keep: int | None = None) -> Path:
    """Atomically write ``directory/step_XXXXXXXX/`` (safetensors + JSON + manifest); prune to ``keep``."""
    from safetensors.torch import save

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"step_{step:08d}"
    tmp = directory / f".tmp-step_{step:08d}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    files: dict[str, bytes] = {}
    files[_MODEL_FILE] = save(_tensor_dict(model.state_dict()))
    state: dict[str, Any] = {"step": step, "extra": extra or {}}
    opt_tensors: dict[str, torch.Tensor] = {}
    if optimizer is not None:
        osd = optimizer.state_dict()
        scalars: dict[str, dict[str, Any]] = {}
        for pid, st in osd["state"].items():
            for k, v in st.items():
                if isinstance(v, torch.Tensor):
                    opt_tensors[f"state.{pid}.{k}"] = v
                else:
                    scalars.setdefault(str(pid), {})[k] = v
        state["optimizer"] = {"param_groups": osd["param_groups"], "scalars": scalars}
    rng_tensors, rng_meta = _rng_state()
    opt_tensors.update(rng_tensors)
    files[_STATE_FILE] = save(_tensor_dict(opt_tensors))
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    state["rng"] = rng_meta
    files[_STATE_JSON] = json.dumps(state, default=_json_default).encode()
    for name, data in files.items():
        _write_file(tmp / name, data)
    manifest = {"format": CKPT_FORMAT, "version": CKPT_VERSION, "step": step,
                "files": {n: {"sha256": hashlib.sha256(d).hexdigest(), "bytes": len(d)} for n, d in files.items()}}
    _write_file(tmp / "manifest.json", json.dumps(manifest, indent=1).encode())
    _fsync_dir(tmp)
    if final.exists():
        shutil.rmtree(final)
    os.rename(tmp, final)
    _fsync_dir(directory)
    if keep is not None:
        ckpts = list_checkpoints(directory)
        for old in ckpts[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    return final



def _verify(path: Path) -> dict[str, Any]:
    man = path / "manifest.json"
    if not path.is_dir():
        raise CheckpointError(f"checkpoint '{path}' does not exist or is not a folder")
    if not man.exists():
        raise CheckpointError(f"'{path}' is not a paperworks checkpoint (no manifest.json)")
    try:
        manifest = json.loads(man.read_text())
    except ValueError as e:   # JSONDecodeError, UnicodeDecodeError, and json's ValueError for a number beyond the
        # int-from-text digit limit (printed without the checkpoint before)
        raise CheckpointError(f"checkpoint '{path}' has a corrupt manifest.json ({e})") from None
    except RecursionError:   # it was "internal error: RecursionError"
        raise CheckpointError(f"checkpoint '{path}' has a corrupt manifest.json (nested too deeply to read)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != CKPT_FORMAT:
        raise CheckpointError(f"'{path}' is not a paperworks checkpoint (foreign manifest)")
    if manifest.get("version") != CKPT_VERSION:
        raise CheckpointError(f"checkpoint '{path}' has format version {manifest.get('version')}, "
                              f"this paperworks reads version {CKPT_VERSION}")
    files = manifest.get("files", {})
    # a 'files' list or an entry that is not {bytes: int, sha256: str} was a bare AttributeError / TypeError, and
    # bytes "144" (text) was reported as "has 144 bytes, the manifest says 144"
    if not (isinstance(files, dict) and all(
            isinstance(i, dict) and type(i.get("bytes")) is int and isinstance(i.get("sha256"), str)
            for i in files.values())):
        raise CheckpointError(f"checkpoint '{path}' has a corrupt manifest.json ('files' must map each file name "
                              f"to its integer 'bytes' and its 'sha256')")
    # a manifest listing fewer files ("files": {} above all) checked no checksum for the ones left out, so a
    # damaged model.safetensors was read unverified; every checkpoint this version writes lists these three
    unlisted = [n for n in _CKPT_FILES if n not in files]
    if unlisted:
        raise CheckpointError(f"checkpoint '{path}' has a corrupt manifest.json (no checksum for "
                              f"{', '.join(repr(n) for n in unlisted)})")
    for name, info in files.items():
        f = path / name
        if not f.exists():
            raise CheckpointError(f"checkpoint '{path}' is incomplete: '{name}' is missing")
        size = f.stat().st_size
        if size != info["bytes"]:
            raise CheckpointError(f"checkpoint '{path}' is truncated or corrupt: '{name}' has {size} bytes, "
                                  f"the manifest says {info['bytes']}")
        if _sha256(f) != info["sha256"]:
            raise CheckpointError(f"checkpoint '{path}' is corrupt: checksum of '{name}' does not match")
    return manifest


def load_checkpoint(path: str | os.PathLike, model: nn.Module | None = None,
                    optimizer: torch.optim.Optimizer | None = None, scheduler: Any = None,
                    restore_rng: bool = False) -> dict[str, Any]:
    """Verify and load a checkpoint into the given objects; returns its state (step, extra, ...)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    _verify(path)
    try:
        model_sd = load_file(path / _MODEL_FILE)
        st = load_file(path / _STATE_FILE)
        state = _json_restore(json.loads((path / _STATE_JSON).read_text()))
    except (SafetensorError, json.JSONDecodeError, OSError) as e:
        raise CheckpointError(f"checkpoint '{path}' cannot be read ({e})") from None
    if model is not None:
        own = model.state_dict()
        missing = sorted(set(own) - set(model_sd))
        unexpected = sorted(set(model_sd) - set(own))
        bad_shape = sorted(k for k in set(own) & set(model_sd) if own[k].shape != model_sd[k].shape)
        if missing or unexpected or bad_shape:
            parts = []
            if missing:
                parts.append(f"missing {missing[:3]}")
            if unexpected:
                parts.append(f"unexpected {unexpected[:3]}")
            if bad_shape:
                k = bad_shape[0]
                parts.append(f"shape of '{k}' is {tuple(model_sd[k].shape)}, model has {tuple(own[k].shape)}")
            raise CheckpointError(f"checkpoint '{path}' does not fit this model: " + "; ".join(parts))
        model.load_state_dict(model_sd)
    if optimizer is not None:
        if "optimizer" not in state:
            raise CheckpointError(f"checkpoint '{path}' holds no optimizer state")
        osd_state: dict[int, dict[str, Any]] = {}
        for k, v in st.items():
            if k.startswith("state."):
                _, pid, name = k.split(".", 2)
                osd_state.setdefault(int(pid), {})[name] = v
        for pid, sc in state["optimizer"]["scalars"].items():
            osd_state.setdefault(int(pid), {}).update(sc)
        try:
            optimizer.load_state_dict({"state": osd_state, "param_groups": state["optimizer"]["param_groups"]})
        except (ValueError, KeyError) as e:
            raise CheckpointError(f"checkpoint '{path}': optimizer state does not fit ({e})") from None
    if scheduler is not None and "scheduler" in state:
        scheduler.load_state_dict(state["scheduler"])
    if restore_rng:
        _set_rng_state({k: v for k, v in st.items() if k.startswith("rng.")}, state["rng"])
    return state


def list_checkpoints(directory: str | os.PathLike) -> list[Path]:
    """The checkpoint folders ``step_N`` under ``directory``, oldest first: ordered by the number N, not by name
    (``step_100000000`` has one digit more than the 8 of the name format and sorted before ``step_99999999``,
    so pruning removed the newest checkpoint and a resume took an older one). Temporary folders of a killed
    save are ignored."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(int(p.name[5:]), p) for p in directory.glob("step_*") if p.name[5:].isdigit() and p.is_dir()]
    return [p for _, p in sorted(found)]


def latest_checkpoint(directory: str | os.PathLike) -> Path | None:
    """Newest checkpoint folder under ``directory`` (temporary folders of a killed save are ignored)."""
    ckpts = list_checkpoints(directory)
    return ckpts[-1] if ckpts else None


def _average_states(states, who: str, error: type[Exception], integers: str = "first") -> dict[str, torch.Tensor]:
    """The element-wise mean of state dicts, given as ``(label, state_dict)`` pairs (an iterable: they are read one
    at a time, so checkpoints are loaded one by one). Floating tensors are summed in float64 in the given order,
    starting from the first state's values, divided by their number and cast back to the first state's dtype;
    integer tensors (counters, e.g. BatchNorm's ``num_batches_tracked``) are the ``first`` or the ``last`` state's.
    The result has the first state's keys in its order; other names or shapes are one ``error`` naming the labels.
    The inputs are never modified. Shared by :func:`average_checkpoints` and
    :func:`paperworks.attention.average_state_dicts`."""
    check_choice("integers", integers, ("first", "last"))
    acc: dict[str, torch.Tensor] = {}
    dtypes: dict[str, torch.dtype] = {}
    first, n = None, 0
    for label, sd in states:
        if first is None:
            first = label
            for k, v in sd.items():
                dtypes[k] = v.dtype
                acc[k] = v.detach().to(torch.float64, copy=True) if v.is_floating_point() else v.detach().clone()
        else:
            # names as a set: the same parameters in another order (safetensors stores them sorted) are the same
            if len(sd) != len(acc) or set(sd) != set(acc):
                raise error(f"{who}: {label} has different parameter names than {first}")
            for k, a in acc.items():
                v = sd[k]
                if v.shape != a.shape:   # += would broadcast a [1] tensor into a [3] one silently
                    raise error(f"{who}: parameter '{k}' has shape {list(v.shape)} in {label} but {list(a.shape)} "
                                f"in {first}")
                if dtypes[k].is_floating_point:
                    a += v.detach().to(torch.float64)
                elif integers == "last":
                    acc[k] = v.detach().clone()
        n += 1
    if first is None:
        raise error(f"{who}: no checkpoints given")
    return {k: (a / n).to(dtypes[k]) if dtypes[k].is_floating_point else a for k, a in acc.items()}


def average_checkpoints(paths: list[str | os.PathLike]) -> dict[str, torch.Tensor]:
    """Element-wise mean of the model weights of several checkpoints (Vaswani et al. 2017, Sec. 6.1): floating
    tensors averaged in float64 and cast back to the first checkpoint's dtype, integer buffers taken from the first
    checkpoint. Every checkpoint must hold the same names with the same shapes (else one CheckpointError).
    The checkpoints are verified and loaded one at a time."""
    from safetensors.torch import load_file

    def states():
        for p in paths:
            _verify(Path(p))
            yield f"'{p}'", load_file(Path(p) / _MODEL_FILE)

    return _average_states(states(), "average_checkpoints", CheckpointError, integers="first")


class EarlyStopping:
    """Stop when a monitored value has not improved for ``patience`` checks; keep the best weights in memory.

    ``step(value, model)`` returns True when training should stop; ``restore(model)`` loads the best weights
    (a no-op if no value was finite). ``mode="min"`` (a loss) or ``"max"`` (an accuracy).
    """

    def __init__(self, patience: int, mode: str = "min"):
        check_positive("patience", patience)
        check_choice("mode", mode, ("min", "max"))
        self.patience, self.sign = patience, (1.0 if mode == "min" else -1.0)
        self.best = math.inf if mode == "min" else -math.inf
        self.best_state: dict[str, torch.Tensor] | None = None
        self.wait = 0

    def step(self, value: float, model: nn.Module) -> bool:
        value = float(value)
        if self.sign * value < self.sign * self.best:
            self.best, self.wait = value, 0
            self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            return False
        self.wait += 1
        return self.wait >= self.patience

    def restore(self, model: nn.Module) -> nn.Module:
        if self.best_state is not None:
            model.load_state_dict(self.best_state)
        return model


# -------------------------------------------------------------------------------------- trainer
LossOut = torch.Tensor | tuple[torch.Tensor, dict[str, float]]


class Trainer:
    """Minibatch training loop with exact resume, eval callbacks, metrics.jsonl and DDP.

    Args:
        model: the module to train. It trains where it is (``device=None``), or on ``device`` (any value
            :func:`resolve_device` accepts; the model is moved there and batches are moved to it). The
            Trainer never moves a model to a GPU on its own: callers that evaluate with CPU tensors after
            ``fit()`` must keep working on machines that have one.
        train_data: a map-style dataset (``__len__``/``__getitem__``); TensorDatasets are sliced directly.
        loss_fn: ``loss_fn(model, batch) -> loss`` or ``(loss, {name: float})``; the loss is the mean over
            the (local) batch. The reserved metric ``"_weight"`` (not logged) is the number of units the mean
            runs over (e.g. non-pad tokens); under DDP ranks are weighted by it. A ``loss_fn`` with
            ``state_dict()`` / ``load_state_dict(state)`` (e.g. :func:`paperworks.attacks.adversarial_loss`, which
            draws from its own generator; not an nn.Module) has that state saved in each checkpoint (JSON) and
            restored on resume.
        config: :class:`TrainerConfig`.
        run_dir: a :class:`~paperworks.core.rundir.RunDir` (metrics.jsonl, checkpoints/) or None.
        eval_fn: ``eval_fn(model) -> {name: float}``, run on rank 0 every ``eval_every`` steps and at the
            end, under ``torch.no_grad()`` in eval mode; the RNG state is restored afterwards, so evaluation
            never changes the training trajectory.
        collate_fn: builds a batch from a list of items (default: torch's default_collate).
    """

    def __init__(self, model: nn.Module, train_data, loss_fn: Callable[[nn.Module, Any], LossOut],
                 config: TrainerConfig | None = None, run_dir=None,
                 eval_fn: Callable[[nn.Module], dict[str, float]] | None = None,
                 collate_fn: Callable | None = None, device: str | torch.device | None = None):
        self.cfg = config or TrainerConfig()
        if not isinstance(self.cfg, TrainerConfig):
            raise TypeError(f"Trainer: config must be a TrainerConfig (got {type(self.cfg).__name__})")
        if not isinstance(model, nn.Module):
            raise TypeError(f"Trainer: model must be an nn.Module (got {type(model).__name__})")
        n = len(train_data)
        self.rank, self.world, self.distributed = dist_info()
        if self.cfg.batch_size % self.world and not self.cfg.prebatched:
            raise ConfigError(f"batch_size {self.cfg.batch_size} is not divisible by the {self.world} processes",
                              where="TrainerConfig")
        if n < self.cfg.batch_size:
            raise DataError(f"Trainer: the training set has {n} items, fewer than one batch "
                            f"({self.cfg.batch_size})")
        self.device = resolve_device(device) if device is not None else module_device(model)
        self.model = model.to(self.device)
        if self.distributed:
            # every rank takes part in the checkpoint's collectives when it has a run folder: a run folder on rank 0
            # alone (None on the others, "only rank 0 writes") hung at the first checkpoint; refused on every rank
            has = torch.tensor([float(run_dir is not None), float(run_dir is None)], device=self.device)
            dist.all_reduce(has, op=dist.ReduceOp.MAX)
            if float(has[0]) and float(has[1]):
                raise ConfigError("some ranks were given a run_dir and others None: give every rank a RunDir of "
                                  "the same folder (only rank 0 writes to it)", where="Trainer")
        self.train_data = train_data
        self.loss_fn = loss_fn
        self.eval_fn = eval_fn
        self.collate_fn = collate_fn
        self.run_dir = run_dir
        self.steps_per_epoch = n // self.cfg.batch_size
        self.local_batch = 1 if self.cfg.prebatched else self.cfg.batch_size // self.world
        self.final_metrics: dict[str, float] = {}
        self.records: list[dict[str, Any]] = []
        self.optimizer = self._make_optimizer()
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, _lr_lambda(self.cfg))
        self._epoch_cache: tuple[int, list[int]] | None = None

    # -- pieces
    def _param_groups(self) -> list[dict[str, Any]]:
        """The optimizer's parameter groups (one group of every trainable parameter); a subclass may split
        them, e.g. to give some parameters their own ``lr``."""
        return [{"params": [p for p in self.model.parameters() if p.requires_grad]}]

    def _make_optimizer(self) -> torch.optim.Optimizer:
        c = self.cfg
        groups = [g for g in self._param_groups() if g["params"]]
        if not groups:
            raise ConfigError("the model has no trainable parameters", where="Trainer")
        if c.optimizer == "adam":
            return torch.optim.Adam(groups, lr=c.lr, betas=c.betas, eps=c.eps, weight_decay=c.weight_decay)
        if c.optimizer == "adamw":
            return torch.optim.AdamW(groups, lr=c.lr, betas=c.betas, eps=c.eps, weight_decay=c.weight_decay)
        return torch.optim.SGD(groups, lr=c.lr, momentum=c.momentum, nesterov=c.nesterov,
                               weight_decay=c.weight_decay)

    def _epoch_indices(self, epoch: int) -> list[int]:
        if self._epoch_cache is None or self._epoch_cache[0] != epoch:
            from torch.utils.data.distributed import DistributedSampler

            # pre-built batches: every rank draws the same global batch (and then takes its share of it)
            replicas, rank = (1, 0) if self.cfg.prebatched else (self.world, self.rank)
            sampler = DistributedSampler(self.train_data, num_replicas=replicas, rank=rank, shuffle=True,
                                         seed=self.cfg.seed, drop_last=False)
            sampler.set_epoch(epoch)
            self._epoch_cache = (epoch, list(iter(sampler)))
        return self._epoch_cache[1]

    def batch_indices(self, step: int) -> list[int]:
        """This rank's item indices for global step ``step`` (0-based)."""
        epoch, k = divmod(step, self.steps_per_epoch)
        idx = self._epoch_indices(epoch)
        return idx[k * self.local_batch:(k + 1) * self.local_batch]

    def _batch(self, step: int):
        idx = self.batch_indices(step)
        data = self.train_data
        if self.cfg.prebatched:
            examples = list(data[idx[0]])
            shard = examples[self.rank::self.world]
            if not shard:
                raise DataError(f"Trainer: pre-built batch {idx[0]} has {len(examples)} examples, fewer than the "
                                f"{self.world} processes")
            collate = self.collate_fn or torch.utils.data.default_collate
            batch = collate(shard)
        elif isinstance(data, torch.utils.data.TensorDataset):
            t = torch.as_tensor(idx)
            batch = tuple(x[t] for x in data.tensors)
        else:
            items = [data[i] for i in idx]
            collate = self.collate_fn or torch.utils.data.default_collate
            batch = collate(items)
        return _to_device(batch, self.device)

    def _unwrapped(self) -> nn.Module:
        return self.model.module if hasattr(self.model, "module") else self.model

    def _log(self, record: dict[str, Any]) -> None:
        self.records.append(record)
        if self.rank == 0 and self.run_dir is not None:
            self.run_dir.log_metrics(record)

    def _evaluate(self, step: int) -> None:
        if self.eval_fn is None:
            return
        if self.rank == 0:
            rng = torch.get_rng_state()
            # the CUDA generators too (dropout of a model trained on a GPU draws from them); only when this process
            # has used CUDA, as in _rng_state (reading them would otherwise create a context on every GPU)
            cuda_rng = (torch.cuda.get_rng_state_all()
                        if torch.cuda.is_available() and torch.cuda.is_initialized() else None)
            np_rng, py_rng = np.random.get_state(), random.getstate()
            model = self._unwrapped()
            with eval_mode(model), torch.no_grad():   # every submodule gets back its own mode afterwards
                out = self.eval_fn(model)
            torch.set_rng_state(rng)
            if cuda_rng is not None:
                torch.cuda.set_rng_state_all(cuda_rng)
            np.random.set_state(np_rng)
            random.setstate(py_rng)
            out = {f"eval/{k}" if not k.startswith("eval/") else k: _as_float(v) for k, v in out.items()}
            self.final_metrics = out
            self._log({"step": step, **out})
        if self.distributed:
            dist.barrier()

    def _checkpoint(self, step: int, acc: dict[str, Any]) -> None:
        extra_rng = {}
        if self.run_dir is not None and self.distributed:
            # every rank's own RNG states: ranks whose shards differ in size (prebatched) draw different amounts
            # of dropout noise, so rank 0's states (all that the checkpoint held) are not the others' states
            states: list[Any] = [None] * self.world
            dist.all_gather_object(states, _rng_state())
            extra_rng = {"rng_ranks": [{"tensors": t, "meta": m} for t, m in states]}
        if self.run_dir is not None and self.rank == 0:
            # metrics_records: how many records metrics.jsonl holds now; a resume cuts the file back to them, so
            # records a system logs after fit() (final scores) are not doubled when a finished run is resumed
            save_checkpoint(self.run_dir.checkpoints, step, self._unwrapped(), self.optimizer, self.scheduler,
                            extra={"acc": acc, "final_metrics": self.final_metrics,
                                   "trainer": to_dict(self.cfg), "world": self.world,
                                   "metrics_records": len(self.run_dir.read_metrics()), **extra_rng,
                                   **self._loss_fn_state()},
                            keep=self.cfg.keep_checkpoints)
            # the checkpoint says it now
            self._fit_start_path().unlink(missing_ok=True)
        if self.distributed:
            dist.barrier()

    def _loss_fn_state(self) -> dict[str, Any]:
        """A loss_fn with ``state_dict()`` / ``load_state_dict()`` (e.g. attacks.adversarial_loss: its own random
        generator) has that state checkpointed too; a resume restarted it, unlike an uninterrupted run. Not an
        nn.Module's (its state_dict holds weights, e.g. of a teacher it wraps, which the JSON state is no place for)."""
        if isinstance(self.loss_fn, nn.Module):
            return {}
        get = getattr(self.loss_fn, "state_dict", None)
        return {"loss_fn": get()} if callable(get) and callable(getattr(self.loss_fn, "load_state_dict", None)) \
            else {}

    def _resume(self) -> tuple[int, dict[str, Any]]:
        acc = {"sum": 0.0, "n": 0, "metrics": {}}
        if self.run_dir is None:
            raise ConfigError("resume needs a run directory", where="Trainer")
        if self.rank == 0:
            # the temporary folders of saves that were killed before their rename: each is a partial copy of a
            # checkpoint that no later save (another process id) would ever reuse or remove
            for tmp in self.run_dir.checkpoints.glob(".tmp-step_*"):
                if tmp.is_dir():
                    shutil.rmtree(tmp, ignore_errors=True)
            # likewise the temporary files of the fit_start.json writes and metrics.jsonl rewrites (a resume's cut)
            # killed before their rename (mkstemp names, matched exactly: a user's file that merely starts like one
            # is left alone)
            for target in (self.run_dir.checkpoints / FIT_START, self.run_dir.metrics_path):
                for tmp in atomic_write_leftovers(target):
                    with contextlib.suppress(OSError):
                        tmp.unlink()
        ck = latest_checkpoint(self.run_dir.checkpoints)
        if ck is None:
            # killed before its first checkpoint (or never started): start again from scratch, keeping the records
            # logged before that fit began; the killed fit's own records are redone (every record used to be dropped,
            # those logged before the fit too)
            if self.rank == 0:
                n_start = self._records_at_fit_start()
                if n_start is not None:
                    self.run_dir.truncate_metrics(lambda i, r: i < n_start)
                else:   # no fit of this version logged here: drop only the records of steps this fit will redo
                    last = self.cfg.max_steps
                    self.run_dir.truncate_metrics(lambda i, r: not _is_step_record(r, last))
                # the marker for this fit, written now rather than at its first record: a resumed fit killed before
                # that record left none, and the next resume kept the records a re-run script logs before resuming
                # (doubled then); a fit from step 0 that resume starts keeps the same records on every try
                self._write_fit_start(len(self.run_dir.read_metrics()))
            if self.distributed:
                dist.barrier()
            self.records = self.run_dir.read_metrics()
            return 0, acc
        state = load_checkpoint(ck, self._unwrapped(), self.optimizer, self.scheduler, restore_rng=True)
        saved = state["extra"].get("trainer", {})
        now = to_dict(self.cfg)
        free = ("progress", "eval_every", "ckpt_every", "keep_checkpoints")
        # max_steps may change (a run continued for longer), except where the lr schedule decays over it: a linear /
        # cosine run resumed with another max_steps took one update at the old schedule's lr (0 at a finished run's
        # end), then jumped onto the new one's, a schedule neither run would follow
        if now.get("schedule") not in ("linear", "cosine") or saved.get("schedule") != now.get("schedule"):
            free += ("max_steps",)
        diff = sorted(k for k in now if k in saved and saved[k] != now[k] and k not in free)
        if diff:
            why = (f"; the {now['schedule']} lr schedule decays over max_steps, so a resume keeps it"
                   if "max_steps" in diff else "")
            raise CheckpointError(f"checkpoint '{ck}' was written with other trainer settings "
                                  f"({', '.join(f'{k}: {saved[k]} -> {now[k]}' for k in diff)}){why}")
        ranks = state["extra"].get("rng_ranks")
        if self.distributed and isinstance(ranks, list) and len(ranks) == self.world:
            _set_rng_state(ranks[self.rank]["tensors"], ranks[self.rank]["meta"])   # this rank's own streams
        if "loss_fn" in state["extra"] and self._loss_fn_state():
            self.loss_fn.load_state_dict(state["extra"]["loss_fn"])
        step = int(state["step"])
        self.final_metrics = state["extra"].get("final_metrics", {})
        if self.rank == 0:
            n_saved = state["extra"].get("metrics_records")
            if isinstance(n_saved, int):   # the file as it was when the checkpoint was written (append-only)
                self.run_dir.truncate_metrics(lambda i, r: i < n_saved)
            else:                          # checkpoints written before metrics_records existed
                self.run_dir.truncate_metrics(lambda i, r: int(r.get("step", 0)) <= step)
        self.records = [r for r in self.run_dir.read_metrics()]
        return step, state["extra"].get("acc", acc)

    def _fit_start_path(self) -> Path:
        return self.run_dir.path / "checkpoints" / FIT_START

    def _write_fit_start(self, n_records: int) -> None:
        atomic_write_json(self._fit_start_path(), {"metrics_records": n_records})

    def _records_at_fit_start(self) -> int | None:
        """The number in ``checkpoints/fit_start.json`` (None when there is none or it does not hold one)."""
        try:
            n = json.loads(self._fit_start_path().read_text(encoding="utf-8")).get("metrics_records")
        except (OSError, ValueError, AttributeError):
            return None
        return n if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else None

    def _global_metrics(self, metrics: dict[str, Any], weight, device) -> dict[str, float]:
        """The metrics of the global batch under DDP: each rank's value weighted like its loss (by ``_weight``
        when the loss function reports one, else equally), so that K processes log what 1 process logs on the
        same global batch (rank 0 used to log its own shard's values)."""
        keys = sorted(metrics)
        sig = float(zlib.crc32("\0".join(keys).encode()))
        check = torch.tensor([sig, -sig], dtype=torch.float64, device=device)
        dist.all_reduce(check, op=dist.ReduceOp.MAX)
        if float(check[0]) != sig or float(check[1]) != -sig:
            raise DataError(f"Trainer: the ranks' loss functions returned different metric names "
                            f"(rank {self.rank}: {keys})")
        if not keys:
            return {}
        w = 1.0 if weight is None else float(weight)
        t = torch.tensor([w] + [w * _as_float(metrics[k]) for k in keys], dtype=torch.float64, device=device)
        dist.all_reduce(t)
        return {k: float(t[i + 1] / t[0]) for i, k in enumerate(keys)}

    def _check_fresh_run_dir(self) -> None:
        """A fresh fit (no resume) needs a run folder without metrics records or checkpoints: it used to empty
        ``metrics.jsonl`` silently, so records logged there before (or by an earlier fit) were lost, and its
        checkpoints would mix with the earlier fit's. Every rank reads the same files, so all refuse together."""
        rd = self.run_dir
        held = []
        m = rd.metrics_path
        if m.is_file() and m.stat().st_size and m.read_bytes().strip():
            try:
                n = len(rd.read_metrics())
                held.append(f"{n} metrics record{'s' if n != 1 else ''}" if n else "a torn line in metrics.jsonl")
            except DataError:
                held.append("a damaged metrics.jsonl")
        ck = latest_checkpoint(rd.path / "checkpoints")
        if ck is not None:
            held.append(f"checkpoint {ck.name}")
        if held:
            raise ConfigError(f"run folder '{rd.path}' already holds {' and '.join(held)}: fit(resume=True) "
                              f"continues that run, a fresh fit needs a new run folder (nothing was changed)",
                              where="Trainer")

    # -- main loop
    def fit(self, resume: bool = False) -> list[dict[str, Any]]:
        """Train for ``max_steps`` steps (continuing from the latest checkpoint when ``resume``). Without
        ``resume``, a run folder that already holds metrics records or checkpoints is refused (ConfigError).
        With ``resume``, metrics.jsonl is cut back to the records it held at the checkpoint, or, without one, when
        the killed fit began (records logged before it are kept); returns the file's records then."""
        c = self.cfg
        if not resume and self.run_dir is not None:
            self._check_fresh_run_dir()
        seed_everything(c.seed, c.deterministic)
        start, acc = (self._resume() if resume else (0, {"sum": 0.0, "n": 0, "metrics": {}}))
        if resume or self.run_dir is None or self.rank != 0:
            return self._train(start, acc)
        # a fresh fit writes its marker (0 records, as _check_fresh_run_dir made sure) before it starts: written at
        # the trainer's first record, it missed a record that the loss function logged before that one, which a
        # resume after a kill then kept next to the re-run's copy. A fit that fails before anything was logged
        # takes it back, so that it leaves the folder as it found it (the CLI removes the folder of a command that
        # failed before producing anything)
        had_checkpoints = (self.run_dir.path / "checkpoints").is_dir()
        try:
            # inside the try: an interrupt landing in this write (after its rename) kept the marker, and with it
            # the folder of a CLI run that failed before producing anything
            self._write_fit_start(0)
            return self._train(start, acc)
        except BaseException:
            self._take_back_fit_start(had_checkpoints)
            raise

    def _take_back_fit_start(self, had_checkpoints: bool) -> None:
        """A fresh fit failed: when metrics.jsonl still holds nothing, remove the marker it wrote at its start
        (and checkpoints/ if the marker's write created it and it is empty); otherwise a resume needs the marker."""
        m = self.run_dir.metrics_path
        try:
            if m.is_file() and m.read_bytes().strip():
                return
            self._fit_start_path().unlink(missing_ok=True)
            if not had_checkpoints:
                (self.run_dir.path / "checkpoints").rmdir()
        except OSError:   # the fit's own error matters more than a failed clean-up
            pass

    def _train(self, start: int, acc: dict[str, Any]) -> list[dict[str, Any]]:
        """The training loop of :meth:`fit`, from step ``start`` with the logging accumulators ``acc``."""
        c = self.cfg
        model = self.model
        # a model passed in train mode keeps the submodules it holds in eval mode (e.g. a frozen batch norm,
        # whose running statistics must not move) in eval mode; a model passed in eval mode trains entirely
        base = self._unwrapped()
        frozen = [m for m in base.modules() if not m.training] if base.training else []
        if self.distributed and not isinstance(model, nn.parallel.DistributedDataParallel):
            model = nn.parallel.DistributedDataParallel(
                model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
            self.model = model
        model.train()
        for m in frozen:
            m.training = False
        show = c.progress and self.rank == 0 and sys.stderr.isatty()
        bar = None
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(total=c.max_steps, initial=start, desc="train", dynamic_ncols=True)
        t0 = time.time()
        for step in range(start, c.max_steps):
            batch = self._batch(step)
            out = self.loss_fn(model, batch)
            loss, metrics = (out if isinstance(out, tuple) else (out, {}))
            if not torch.isfinite(loss.detach()).all():
                raise TrainingDivergedError(f"Trainer: loss is {loss.item()} at step {step + 1} "
                                         f"(lower the learning rate or check the inputs for NaN)")
            metrics = dict(metrics)
            weight = metrics.pop("_weight", None)
            if self.distributed and weight is not None:
                # DDP averages gradients over ranks; weighting rank r by K * w_r / sum(w) makes that average the
                # gradient of the global mean over all units (tokens) instead of a mean of rank means
                # on the loss's device: NCCL (PAPERWORKS_DIST_BACKEND=nccl) cannot reduce CPU tensors
                w = torch.tensor(float(weight), dtype=torch.float64, device=loss.device)
                total = w.clone()
                dist.all_reduce(total)
                if float(total) <= 0:
                    raise DataError(f"Trainer: the '_weight' of step {step + 1} sums to {float(total)} over ranks")
                loss = loss * float(self.world * w / total)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if c.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), c.grad_clip)
            lr = self.optimizer.param_groups[0]["lr"]
            self.optimizer.step()
            self.scheduler.step()
            lval = loss.detach()
            if self.distributed:
                lval = lval.clone()
                dist.all_reduce(lval)
                lval /= self.world
            if self.distributed:
                metrics = self._global_metrics(metrics, weight, loss.device)
            acc["sum"] += float(lval)
            acc["n"] += 1
            for k, v in metrics.items():
                acc["metrics"][k] = acc["metrics"].get(k, 0.0) + _as_float(v)
            done = step + 1
            if done % c.log_every == 0 or done == c.max_steps:
                rec = {"step": done, "loss": acc["sum"] / acc["n"], "lr": lr}
                rec.update({k: v / acc["n"] for k, v in acc["metrics"].items()})
                self._log(rec)
                acc = {"sum": 0.0, "n": 0, "metrics": {}}
            if done == c.max_steps or (c.eval_every and done % c.eval_every == 0):
                self._evaluate(done)
            if done == c.max_steps or (c.ckpt_every and done % c.ckpt_every == 0):
                self._checkpoint(done, acc)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{float(lval):.4f}")
        if bar is not None:
            bar.close()
        self.train_seconds = time.time() - t0
        return self.records


def _is_step_record(r: dict[str, Any], last: int) -> bool:
    """A record of a step in 1..last: what a fit of ``last`` steps logs (training and eval records)."""
    s = r.get("step")
    return isinstance(s, int) and not isinstance(s, bool) and 1 <= s <= last


def _as_float(v) -> float:
    if isinstance(v, torch.Tensor):
        return float(v.detach().cpu())
    return float(v)


def _to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: _to_device(v, device) for k, v in batch.items()}
    return batch
