"""Hooks of the training loop: the callback interface of :func:`~grokcheck.checks.training._train.train`.

A callback is any object with some of the methods of :class:`TrainCallback`; the loop calls
the ones it has and ignores the rest. A plain function ``cb(step, model, info) -> dict | None``
is a callback with only ``on_eval``. Interventions in the loss (Tan & Huang's perturbed training
and abelian regulariser), the robustness metrics logged during training and the checkpoint
history read by ``grokcheck kkt`` are all callbacks on the one loop.

Step numbering (as in the loop): ``step`` is the number of optimizer updates done. The training
hooks ``training_forward`` and ``extra_loss`` of step ``t`` see the parameters after ``t``
updates and shape the loss whose gradient makes update ``t + 1``; ``on_step`` of step ``t`` is
called after update ``t``; ``on_eval`` and ``on_checkpoint`` of step ``t`` see the parameters
after ``t`` updates.

Callbacks with state (a noise generator, a counter) expose ``state_dict()`` /
``load_state_dict(state)``; :func:`~grokcheck.checks.training._train.train` stores the state in
``checkpoint.pt`` under the callback's ``name``, so ``resume=True`` continues bit-identically.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Protocol, Sequence, runtime_checkable

import torch

from grokcheck.errors import InvalidInputError

__all__ = ["TrainCallback", "CheckpointHistory", "log_spaced_steps", "HISTORY_DIR"]

#: Sub-directory of a run directory holding the checkpoint history ``step_XXXXXXXX.pt``.
HISTORY_DIR = "checkpoints"

_HOOKS = ("training_forward", "extra_loss", "on_step", "on_eval", "on_checkpoint")


@runtime_checkable
class TrainCallback(Protocol):
    """The hooks :func:`~grokcheck.checks.training._train.train` calls; every method is optional.

    Shapes: ``S`` seeds, ``B`` examples in the mini-batch, ``C`` outputs; ``x`` is ``(S, B, ...)``
    and ``y`` ``(S, B)``.

    Attributes
    ----------
    name : str
        Key of the callback's state in ``checkpoint.pt`` (needed only with ``state_dict``; two
        stateful callbacks of one run need different names).

    Methods
    -------
    training_forward(step, model, x) -> out (S, B, C)
        Replaces ``model(x)`` in the training loss (e.g. noise added to the embeddings). At most
        one callback of a run may define it. Evaluation always uses the plain ``model(x)``.
    extra_loss(step, model, x, y, out) -> (S,)
        A per-seed term added to the per-seed training loss; ``out`` is the training forward
        pass. Must be differentiable where it should act and finite where the loss is.
    on_step(step, model, losses) -> None
        After update ``step``; ``losses`` ``(S,)`` are the (detached) per-seed training losses
        that made it. Called every step: keep it cheap.
    on_eval(step, model, info) -> dict | None
        At every evaluation (step 0, every ``eval_every`` steps, the last step). ``info`` holds
        ``"x_train"`` (S, n_train, ...), ``"y_train"``, ``"x_test"``, ``"y_test"``, ``"alive"``
        (S,) bool, ``"metrics"`` (the line being logged), ``"evaluation"`` (``train_loss``,
        ``train_acc``, ``test_loss``, ``test_acc``: (S,) float64 tensors, dead seeds included),
        ``"task"``, ``"config"`` and ``"out_dir"`` (a :class:`~pathlib.Path` or ``None``). A
        returned dict is merged into the ``metrics.jsonl`` line; its keys must not clash with the
        built-in ones.
    on_checkpoint(step, path, model) -> None
        After ``checkpoint.pt`` (at ``path``) was written for ``step``.
    state_dict() -> dict / load_state_dict(state) -> None
        The callback's state, saved with every checkpoint and restored on resume.

    Callbacks must not change the model's parameters or draw from torch's global generator.
    """

    name: str


def hooks_of(cb: Any) -> dict[str, Any]:
    """The hooks ``cb`` defines, ``{hook name: bound method}``; a plain callable is ``on_eval``."""
    found = {h: getattr(cb, h) for h in _HOOKS if callable(getattr(cb, h, None))}
    if not found and callable(cb):
        found["on_eval"] = cb
    if not found:
        raise InvalidInputError(f"{cb!r} is not a training callback: it has none of {_HOOKS} and is not callable")
    return found


def state_key(cb: Any) -> str | None:
    """Where ``cb``'s state goes in the checkpoint, or ``None`` for a stateless callback."""
    if not callable(getattr(cb, "state_dict", None)):
        return None
    return str(getattr(cb, "name", type(cb).__name__))


def log_spaced_steps(n: int, steps: int, eval_every: int) -> tuple[int, ...]:
    """About ``n`` evaluation steps of a run of ``steps`` steps, log-spaced, step 0 and the last included.

    The points ``geomspace(eval_every, steps, n - 1)`` are rounded to the evaluation grid (multiples
    of ``eval_every``, and ``steps`` itself), so every kept checkpoint has its metrics line;
    duplicates merge, so a coarse grid keeps fewer than ``n``.

    Parameters
    ----------
    n : int
        Number of checkpoints wanted, ``n ≥ 2``.
    steps, eval_every : int
        The run's length and evaluation period.

    Returns
    -------
    tuple of int
        Sorted distinct steps, starting with 0 and ending with ``steps``.
    """
    if n < 2:
        raise InvalidInputError(f"a checkpoint history needs n >= 2 checkpoints, got {n}")
    if steps <= 0:
        return (0,)
    grid_top = steps // eval_every
    kept = {0, steps}
    lo = min(eval_every, steps)
    for k in range(n - 1):
        t = math.exp(math.log(lo) + (math.log(steps) - math.log(lo)) * k / max(n - 2, 1))
        m = min(max(round(t / eval_every), 1), grid_top) * eval_every
        kept.add(m if m > 0 else steps)
    return tuple(sorted(kept))


class CheckpointHistory:
    """Keep the weights at chosen evaluations in ``run_dir/checkpoints/step_XXXXXXXX.pt``.

    Each file is ``{"format": 1, "step": int, "model": state_dict}`` (CPU tensors), written
    atomically; :func:`~grokcheck.checks.experiments._kkt_run.kkt_trajectory` reads them.

    Parameters
    ----------
    run_dir : path
        The run directory.
    every : int, optional
        Keep every ``every``-th evaluation, counting from step 0 (the counter is checkpointed).
    steps : sequence of int, optional
        Keep exactly these steps (must be evaluation steps to be seen); overrides ``every``.
    name : str
        State key in ``checkpoint.pt``.
    """

    def __init__(self, run_dir: str | os.PathLike, *, every: int = 1, steps: Sequence[int] | None = None,
                 name: str = "checkpoint_history"):
        if every < 1:
            raise InvalidInputError(f"CheckpointHistory: every must be >= 1, got {every}")
        self.dir = Path(run_dir) / HISTORY_DIR
        self.every = int(every)
        self.steps = None if steps is None else frozenset(int(s) for s in steps)
        self.name = name
        self._count = 0

    def __repr__(self) -> str:
        which = f"steps={sorted(self.steps)}" if self.steps is not None else f"every={self.every}"
        return f"CheckpointHistory({str(self.dir.parent)!r}, {which})"

    def on_eval(self, step: int, model: torch.nn.Module, info: dict) -> None:
        self._count += 1
        if self.steps is not None:
            if step not in self.steps:
                return None
        elif (self._count - 1) % self.every:
            return None
        from grokcheck.checks._io import atomic_torch_save

        self.dir.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        # atomic, and a full disk is an OSError (torch.save to a file reports a bare RuntimeError)
        atomic_torch_save({"format": 1, "step": int(step), "model": state}, self.dir / f"step_{int(step):08d}.pt")
        return None

    def state_dict(self) -> dict:
        return {"count": self._count}

    def load_state_dict(self, state: dict) -> None:
        self._count = int(state["count"])


def history_steps(run_dir: str | os.PathLike) -> list[tuple[int, Path]]:
    """``(step, path)`` of every ``checkpoints/step_XXXXXXXX.pt`` in a run directory, sorted."""
    d = Path(run_dir) / HISTORY_DIR
    out = []
    if d.is_dir():
        for p in d.glob("step_*.pt"):
            stem = p.name[len("step_"):-len(".pt")]
            if stem.isdigit():
                out.append((int(stem), p))
    return sorted(out)
