"""What a resumed training run may trust, and the one safe reader of a run folder's ``.pt`` files.

Every ``.pt`` file grokcheck reads from a run folder (``checkpoint.pt``, ``task.pt``,
``checkpoints/step_XXXXXXXX.pt``) goes through :func:`load_torch_file`: torch's weights-only
unpickler, which builds tensors, dicts, lists, tuples, numbers, strings and ``None`` and refuses
every other Python object, so a file cannot run code when it is read (a pickle payload is
refused by name, exit 2 at the command line). The one type allowed beyond those is torch's own
version string (``torch.torch_version.TorchVersion``, a ``str``), which checkpoints of earlier
grokcheck versions stored; so old run folders load as they are. :func:`read_checkpoint`,
:func:`read_history_checkpoint` and :func:`read_task` then check the structure (a state dict is
names → tensors, indices lie in range, …), so a crafted file is a named error, not a traceback.

Used by :func:`grokcheck.checks.training._train.train` (``resume=True``). A checkpoint is
trusted only when

* it loads (a truncated or corrupt ``checkpoint.pt`` is named, with the fix);
* its training configuration equals the one given, apart from :data:`RESUME_MAY_CHANGE`
  (the differing keys are named);
* the task stored beside it (``task.pt``) equals the task given (same data, split and
  labels, compared by :func:`~grokcheck.checks._run_dir.content_hash`), and the checkpoint
  records that same task (a checkpoint left by an earlier run beside a newer ``task.pt``
  is stale and refused).

SIGINT handling for the training loop lives here too (:class:`InterruptFlag`).
"""

from __future__ import annotations

import re
import signal
import threading
from pathlib import Path

from grokcheck.checks._run_dir import config_differences, content_hash
from grokcheck.errors import RunDirectoryError

__all__ = ["RESUME_MAY_CHANGE", "task_hash", "load_resume_state", "load_torch_file", "read_checkpoint",
           "read_history_checkpoint", "read_task", "InterruptFlag"]

#: Training-configuration keys a resume may change: the budget, and whether to draw curves.
RESUME_MAY_CHANGE = ("steps", "plot")

#: Task kinds a ``task.pt`` may name, and the keys of its state (``meta`` optional).
_TASK_KINDS = ("group", "parity", "digits", "mnist")
_TASK_KEYS = ("name", "kind", "x", "y", "train_idx", "test_idx", "num_outputs", "meta")


def task_hash(task) -> str:
    """:func:`content_hash` of ``task.state()`` (data, labels, per-seed splits, meta)."""
    return content_hash(task.state())


def _allowed_globals() -> list:
    """Types allowed beyond tensors and plain data: torch's version string (a ``str`` subclass
    whose construction runs no user code), which earlier grokcheck versions stored under
    ``torch_version`` in ``checkpoint.pt`` (new checkpoints store a plain ``str``)."""
    from torch.torch_version import TorchVersion

    return [TorchVersion]


def _refused_global(exc: Exception) -> str | None:
    """The ``module.name`` torch's weights-only unpickler refused, if that is why ``exc`` was raised."""
    text = str(exc)
    m = re.search(r"GLOBAL ([\w.]+)", text) or re.search(r"Unsupported global: ([\w.]+)", text)
    if m:
        return f"the global `{m.group(1)}`"
    if "WeightsUnpickler error" in text or "Weights only load failed" in text:
        m = re.search(r"WeightsUnpickler error:\s*([^\n]+)", text)
        return (m.group(1).strip() if m else "an object other than tensors and plain data") or "?"
    return None


def load_torch_file(path: Path, what: str, device, *, verb: str = "read"):
    """Read a run file with torch's weights-only unpickler (no code runs; see the module docstring).

    Parameters
    ----------
    path : the ``.pt`` file. what : how messages name it (``"the checkpoint"``).
    device : ``map_location`` of its tensors. verb : what the caller does (``"resume"``, …), for messages.

    Raises
    ------
    RunDirectoryError : the file holds other Python objects (refused, never built), or is
        truncated or corrupt; the message names the file and the fix.
    FileNotFoundError : it does not exist (``verb="resume"``: a RunDirectoryError with the fix).
    """
    import pickle
    import warnings

    import torch

    path = Path(path)
    try:
        with warnings.catch_warnings():
            # torch warns about pickle protocols it did not write; the refusal below says what matters
            warnings.simplefilter("ignore")
            with torch.serialization.safe_globals(_allowed_globals()):
                return torch.load(path, weights_only=True, map_location=device)
    except FileNotFoundError:
        if verb != "resume":
            raise
        raise RunDirectoryError(f"cannot resume: {path} does not exist (the run was stopped before its first "
                                "checkpoint, or this is not a run directory): start it again without --resume",
                                path=path.parent) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise RunDirectoryError(f"cannot {verb}: {path} ({what}) is unreadable ({exc.strerror or exc})",
                                path=path.parent) from None
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds for a damaged or foreign file
        refused = _refused_global(exc) if isinstance(exc, pickle.UnpicklingError) else None
        if refused is not None:
            raise RunDirectoryError(
                f"refusing to {verb} {path} ({what}): it holds a Python object other than tensors and plain "
                f"data ({refused}), which could run code when loaded; grokcheck never writes such objects, "
                "so the file was altered or is not from grokcheck. Nothing in it was run. Re-create the run "
                "with `grokcheck train ... --overwrite` (or use a copy of the run you trust)",
                path=path.parent) from None
        raise RunDirectoryError(f"cannot {verb}: {path} ({what}) is truncated or corrupt ({type(exc).__name__}); "
                                "start the run again with --overwrite", path=path.parent) from None


def _bad(path: Path, verb: str, why: str) -> RunDirectoryError:
    return RunDirectoryError(f"cannot {verb}: {path} is not a grokcheck run file: {why}; re-create the run with "
                             "`grokcheck train ... --overwrite`", path=Path(path).parent)


def _state_dict(sd, path: Path, verb: str, key: str = "model") -> dict:
    import torch

    if not isinstance(sd, dict) or not sd:
        raise _bad(path, verb, f"{key!r} is not a state dict (a mapping of parameter names to tensors)")
    for k, v in sd.items():
        if not isinstance(k, str) or not isinstance(v, torch.Tensor):
            raise _bad(path, verb, f"{key!r} maps {k!r} to a {type(v).__name__}, not a tensor")
    return sd


def _step(value, path: Path, verb: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _bad(path, verb, f"its 'step' is {value!r}, not a step count ≥ 0")
    return value


def read_checkpoint(path: Path, device, *, verb: str = "read") -> dict:
    """``checkpoint.pt`` read safely (:func:`load_torch_file`) and checked: a dict with an int
    ``step`` ≥ 0, a ``config`` dict and a ``model`` state dict (names → tensors); ``alive``, when
    present, a 1-D bool tensor. Raises :class:`RunDirectoryError` naming what is wrong."""
    import torch

    ck = load_torch_file(path, "the checkpoint", device, verb=verb)
    if not isinstance(ck, dict) or "config" not in ck or "model" not in ck or "step" not in ck:
        raise _bad(path, verb, "no grokcheck checkpoint (a dict with 'step', 'config' and 'model')")
    _step(ck["step"], path, verb)
    if not isinstance(ck["config"], dict):
        raise _bad(path, verb, f"its 'config' is a {type(ck['config']).__name__}, not a dict")
    _state_dict(ck["model"], path, verb)
    alive = ck.get("alive")
    if alive is not None and not (isinstance(alive, torch.Tensor) and alive.dtype == torch.bool and alive.ndim == 1):
        raise _bad(path, verb, "its 'alive' is not a 1-D bool tensor (one flag per seed)")
    return ck


def read_history_checkpoint(path: Path, device, *, verb: str = "read") -> dict:
    """``checkpoints/step_XXXXXXXX.pt`` read safely and checked: ``{"step": int ≥ 0, "model": state dict}``."""
    ck = load_torch_file(path, "a history checkpoint", device, verb=verb)
    if not isinstance(ck, dict) or "model" not in ck or "step" not in ck:
        raise _bad(path, verb, "no history checkpoint (a dict with 'step' and 'model')")
    _step(ck["step"], path, verb)
    _state_dict(ck["model"], path, verb)
    return ck


def read_task(path: Path, *, verb: str = "read"):
    """``task.pt`` read safely and rebuilt as a :class:`~grokcheck.checks.training._data.Task`.

    Checked before the task is built: the keys of ``Task.state()``, string ``name`` and
    ``kind``, tensors ``x`` (P, ...) and ``y`` (P,), integer ``(S, n)`` index arrays within
    ``0..P-1``, an int ``num_outputs`` ≥ 1 that bounds integer labels, a dict ``meta``, and
    tokens within the vocabulary ``meta["vocab"]`` for a sequence task.
    """
    import torch

    from grokcheck.checks.training._data import Task
    from grokcheck.errors import GrokcheckError

    state = load_torch_file(path, "the task", "cpu", verb=verb)
    if not isinstance(state, dict):
        raise _bad(path, verb, f"it holds a {type(state).__name__}, not a task state (a dict)")
    extra = sorted(map(str, set(state) - set(_TASK_KEYS)))
    missing = [k for k in _TASK_KEYS[:-1] if k not in state]
    if extra or missing:
        raise _bad(path, verb, "the task state " + "; ".join(
            ([f"lacks {', '.join(missing)}"] if missing else []) + ([f"has unknown keys {', '.join(extra)}"] if extra else [])))
    if not isinstance(state["name"], str) or state["kind"] not in _TASK_KINDS:
        raise _bad(path, verb, f"the task's name/kind are {state['name']!r}/{state['kind']!r} (kind one of {_TASK_KINDS})")
    for k in ("x", "y", "train_idx", "test_idx"):
        if not isinstance(state[k], torch.Tensor):
            raise _bad(path, verb, f"the task's {k!r} is a {type(state[k]).__name__}, not a tensor")
    x, y, tr, te = state["x"], state["y"], state["train_idx"], state["test_idx"]
    n_out = state["num_outputs"]
    meta = state.get("meta", {})
    if not isinstance(n_out, int) or isinstance(n_out, bool) or n_out < 1:
        raise _bad(path, verb, f"the task's num_outputs is {n_out!r}, not an int ≥ 1")
    if not isinstance(meta, dict):
        raise _bad(path, verb, f"the task's meta is a {type(meta).__name__}, not a dict")
    P = int(x.shape[0]) if x.ndim else -1
    if x.ndim < 1 or y.ndim != 1 or y.shape[0] != P:
        raise _bad(path, verb, f"the task's x {tuple(x.shape)} and y {tuple(y.shape)} are not (P, ...) and (P,)")
    for k, idx in (("train_idx", tr), ("test_idx", te)):
        if idx.ndim != 2 or idx.dtype not in (torch.int64, torch.int32):
            raise _bad(path, verb, f"the task's {k} is not an integer (S, n) index array")
        if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= P):
            raise _bad(path, verb, f"the task's {k} points outside the {P} examples")
    if y.dtype == torch.bool or not (y.is_floating_point() or y.dtype == torch.int64):
        raise _bad(path, verb, f"the task's labels have dtype {y.dtype} (int64 classes or float targets)")
    if y.dtype == torch.int64 and y.numel() and (int(y.min()) < 0 or int(y.max()) >= n_out):
        raise _bad(path, verb, f"the task's labels lie outside 0..{n_out - 1}")
    if x.dtype == torch.int64:  # tokens of a sequence task
        vocab = meta.get("vocab")
        if not isinstance(vocab, int) or isinstance(vocab, bool) or vocab < 1:
            raise _bad(path, verb, "a token task without an int meta['vocab']")
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= vocab):
            raise _bad(path, verb, f"the task's tokens lie outside the vocabulary 0..{vocab - 1}")
    elif not x.is_floating_point():
        raise _bad(path, verb, f"the task's inputs have dtype {x.dtype} (float features or int64 tokens)")
    try:
        return Task.from_state({**state, "meta": meta})
    except (GrokcheckError, TypeError, ValueError, KeyError) as exc:
        raise _bad(path, verb, f"the task is inconsistent ({exc})") from None


def load_resume_state(out: Path, config, task, device):
    """Load and check ``out/checkpoint.pt`` and ``out/task.pt`` against ``config`` and ``task``.

    Parameters
    ----------
    out : the run directory.
    config : the :class:`~grokcheck.checks.training._train.TrainConfig` of the resumed run.
    task : the task the caller built for the resumed run (``None``: trust the stored one).
    device : where the checkpoint's tensors go.

    Returns
    -------
    (dict, Task) : the checkpoint and the stored task.

    Raises
    ------
    RunDirectoryError : missing, corrupt, or foreign checkpoint; ``.differing`` names the keys.
    """
    from grokcheck.checks.training._train import TrainConfig

    out = Path(out)
    ck = read_checkpoint(out / "checkpoint.pt", device, verb="resume")
    try:
        saved = TrainConfig.from_dict(ck["config"]).to_dict()
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise RunDirectoryError(f"cannot resume: the configuration in {out / 'checkpoint.pt'} is unreadable ({exc})",
                                path=out) from None
    diff = config_differences(saved, config.to_dict(), ignore=RESUME_MAY_CHANGE)
    if diff:
        raise RunDirectoryError(
            f"cannot resume {out}: the options differ from the run's in {', '.join(diff)} (only "
            f"{', '.join(RESUME_MAY_CHANGE)} may change); give the run's options or start afresh with --overwrite",
            path=out, differing=tuple(diff))
    stored = read_task(out / "task.pt", verb="resume")
    stored_hash = task_hash(stored)
    if ck.get("task_hash") is not None and ck["task_hash"] != stored_hash:
        raise RunDirectoryError(
            f"cannot resume {out}: checkpoint.pt belongs to an earlier run on another task than task.pt (a stale "
            "checkpoint); start the run again with --overwrite", path=out, differing=("task",))
    if task is not None and task_hash(task) != stored_hash:
        what = f"{stored.name} (stored)" if stored.name == task.name else f"{stored.name} (stored) vs {task.name} (given)"
        raise RunDirectoryError(
            f"cannot resume {out}: the task differs from the run's: {what}; name the same group, split and "
            "seed, or start afresh with --overwrite", path=out, differing=("task",))
    return ck, stored


class InterruptFlag:
    """While installed, the first SIGINT only sets :attr:`requested`; a second one interrupts at once.

    The training loop polls :attr:`requested` between steps, so it stops at a consistent
    step and writes a final checkpoint. Outside the main thread nothing is installed.
    """

    def __init__(self):
        self.requested = False
        self._old = None

    def install(self) -> "InterruptFlag":  # noqa: UP037
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def restore(self) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
            self._old = None
