"""What a resumed training run may trust: the checkpoint must belong to this run, config and task.

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

import signal
import threading
from pathlib import Path

from grokcheck.checks._run_dir import config_differences, content_hash
from grokcheck.errors import RunDirectoryError

__all__ = ["RESUME_MAY_CHANGE", "task_hash", "load_resume_state", "load_torch_file", "InterruptFlag"]

#: Training-configuration keys a resume may change: the budget, and whether to draw curves.
RESUME_MAY_CHANGE = ("steps", "plot")


def task_hash(task) -> str:
    """:func:`content_hash` of ``task.state()`` (data, labels, per-seed splits, meta)."""
    return content_hash(task.state())


def load_torch_file(path: Path, what: str, device, *, verb: str = "read"):
    """``torch.load`` of a run file; a truncated or corrupt one raises :class:`RunDirectoryError` naming it."""
    import pickle

    import torch

    try:
        return torch.load(path, weights_only=False, map_location=device)
    except FileNotFoundError:
        if verb != "resume":
            raise
        raise RunDirectoryError(f"cannot resume: {path} does not exist (the run was stopped before its first "
                                "checkpoint, or this is not a run directory): start it again without --resume",
                                path=path.parent) from None
    except (IsADirectoryError, EOFError, RuntimeError, pickle.UnpicklingError, ValueError, KeyError,
            AttributeError, ImportError, IndexError) as exc:
        raise RunDirectoryError(f"cannot {verb}: {path} ({what}) is truncated or corrupt ({type(exc).__name__}); "
                                "start the run again with --overwrite", path=path.parent) from None


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
    from grokcheck.checks.training._data import Task
    from grokcheck.checks.training._train import TrainConfig

    out = Path(out)
    ck = load_torch_file(out / "checkpoint.pt", "the checkpoint", device, verb="resume")
    if not isinstance(ck, dict) or "config" not in ck or "model" not in ck:
        raise RunDirectoryError(f"cannot resume: {out / 'checkpoint.pt'} is not a grokcheck checkpoint", path=out)
    try:
        saved = TrainConfig.from_dict(ck["config"]).to_dict()
    except (TypeError, ValueError, KeyError) as exc:
        raise RunDirectoryError(f"cannot resume: the configuration in {out / 'checkpoint.pt'} is unreadable ({exc})",
                                path=out) from None
    diff = config_differences(saved, config.to_dict(), ignore=RESUME_MAY_CHANGE)
    if diff:
        raise RunDirectoryError(
            f"cannot resume {out}: the options differ from the run's in {', '.join(diff)} (only "
            f"{', '.join(RESUME_MAY_CHANGE)} may change); give the run's options or start afresh with --overwrite",
            path=out, differing=tuple(diff))
    state = load_torch_file(out / "task.pt", "the task", "cpu", verb="resume")
    try:
        stored = Task.from_state(state)
    except (TypeError, ValueError, KeyError) as exc:
        raise RunDirectoryError(f"cannot resume: {out / 'task.pt'} is not a grokcheck task ({exc})", path=out) from None
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
