"""Training runs of batched seed ensembles: metrics, checkpoints, resume, NaN handling.

Public API
----------
::

    from grokcheck.checks import (TrainConfig, OptimizerConfig, MLPConfig, QuadraticConfig,
                                  Li2Config, TransformerConfig, group_task, train, load_run)

    task = group_task(G, train_fraction=0.4, n_seeds=8, seed=0, encoding="concat")
    cfg = TrainConfig(model=MLPConfig(widths=(256,)), optimizer=OptimizerConfig("adamw", lr=1e-3,
                      weight_decay=1.0), steps=5000, n_seeds=8, seed=0, eval_every=50)
    result = train(cfg, task, out_dir="runs/c59", device="cpu", progress=True, callbacks=())

``train(config, task, *, out_dir=None, device="cpu", progress=True, callbacks=(), resume=False)
-> RunResult``

* ``config`` – a frozen :class:`TrainConfig` (model config, optimizer config, steps, n_seeds, seed,
  loss, batch_size, eval_every, checkpoint_every, checkpoint_history, dtype, on_nan, init_from).
* ``task`` – a :class:`~grokcheck.checks.training._data.Task` (pool ``x`` (P, ...), labels ``y`` (P,),
  per-seed ``train_idx`` (S, n_train) and ``test_idx`` (S, n_test)).
* ``callbacks`` – objects with some of the hooks of
  :class:`~grokcheck.checks.training._callbacks.TrainCallback`: ``training_forward`` (replaces the
  training forward pass), ``extra_loss`` (a per-seed term added to the loss), ``on_step`` (after
  every update), ``on_eval`` (at every evaluation: every ``eval_every`` steps, at step 0 and at the
  last step; a returned dict is merged into that ``metrics.jsonl`` line), ``on_checkpoint``, and
  ``state_dict`` / ``load_state_dict`` for state that must survive a resume. A plain callable
  ``cb(step, model, info) -> dict | None`` is an ``on_eval`` hook. Callbacks must not change the
  model's parameters or draw from global RNGs.
* ``device`` – chosen at the CLI edge and passed down; nothing here picks CUDA on its own.
* ``RunResult`` – frozen: ``config``, ``model`` (trained, on ``device``), ``step``, ``history``
  (tuple of metrics dicts), ``t_mem`` / ``t_grok`` (S,) int arrays with -1 for "never",
  ``alive`` (S,) bool, ``failures`` (tuple of :class:`~grokcheck.errors.NumericalFailure`, each
  with ``.where = {"seed", "step", "quantity"}``), ``status`` (``"completed"`` |
  ``"nan_encountered"`` (some seeds died) | ``"all_seeds_failed"``), ``test_leakage`` (bool),
  ``out_dir``.

Step numbering: "step t" is the number of optimizer updates done. The metrics at step t are
those of the parameters after t updates. A NaN/Inf found in the loss or gradient of the forward
pass made with the parameters of step t is reported as ``step = t``.

Time-to-grok (the grokking of Power et al., arXiv 2201.02177), measured at evaluation resolution: ``t_mem`` is the first logged step
with train accuracy ≥ 0.99, ``t_grok`` the first logged step with test accuracy ≥ 0.95.

Batched ensembles: every parameter carries a leading seed axis S; one forward/backward trains
all seeds. The loss minimised is the *sum* of the per-seed mean losses, so each seed's gradient
is exactly its own. Dead seeds (NaN/Inf) are masked: their loss is dropped from the sum and
their gradients/updates are zeroed; the other seeds continue unchanged.

Run directory (``out_dir``)
---------------------------
``config.json``
    ``{"train_config": TrainConfig.to_dict(), "task": task.summary(), "test_leakage": bool,
    "grokcheck_version": ...}``.
``task.pt``
    ``torch.save`` of ``Task.state()`` (tensors + JSON meta; group tasks store the Cayley table
    under ``meta["table"]``). Read back with
    :func:`~grokcheck.checks.training._resume.read_task` (weights-only, checked).

Every ``.pt`` file of a run folder holds only tensors and plain data (dicts, lists, numbers,
strings, ``None``) and is read with torch's weights-only unpickler
(:func:`~grokcheck.checks.training._resume.load_torch_file`), so a file cannot run code when
it is read; anything else in it is refused by name.
``metrics.jsonl``
    One JSON object per evaluation: ``step``, per-seed lists ``train_loss``, ``train_acc``,
    ``test_loss``, ``test_acc`` (``null`` for dead seeds or an empty test set), ``alive``,
    ``t_mem``, ``t_grok`` (``null`` until reached), ``weight_norm`` ({param name: per-seed Frobenius
    norm}), ``test_leakage``, ``egd_active`` (when EGD is used), and whatever callbacks return.
``checkpoint.pt`` (written atomically: temp file in the same directory, then ``os.replace``)
    ``{"format": 1, "step": int, "config": TrainConfig.to_dict(), "model": model.state_dict(),
    "optimizer": optimizer.state_dict() (per-param state, step count, EGD mask, RSVD generator
    state), "sampler": mini-batch sampler state or None (per-seed generator states, current
    permutations, position), "alive": (S,) bool tensor, "failures": [{"seed","step","quantity",
    "message"}], "t_mem": [S], "t_grok": [S], "test_leakage": bool, "callbacks": {name: state}}``.
    Rebuild the model with ``load_run(run_dir, device=...)``.
``checkpoints/step_XXXXXXXX.pt`` (with ``checkpoint_history = N``)
    ``{"format": 1, "step": int, "model": state_dict}`` at about ``N`` log-spaced evaluation steps
    (:func:`~grokcheck.checks.training._callbacks.log_spaced_steps`), for ``grokcheck kkt``.
``summary.json``
    final per-seed accuracies, t_mem, t_grok, failures, status, test_leakage.
``curves.png``
    train/test accuracy and loss against step, one line per seed.

``load_run(run_dir, *, device="cpu") -> LoadedRun`` returns ``config``, ``task``, ``model``
(weights of the last checkpoint), ``step``, ``alive``, ``history`` and ``checkpoint`` (the raw dict).

Resume: ``train(..., resume=True)`` (CLI ``--resume``) reloads ``checkpoint.pt``, truncates
``metrics.jsonl`` to lines with ``step`` ≤ the checkpoint step and continues; on CPU the final
weights are bit-identical to an uninterrupted run (all randomness comes from per-seed
``torch.Generator`` objects whose states are checkpointed). ``steps`` may be increased on resume.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from grokcheck.checks.training._callbacks import CheckpointHistory, hooks_of, history_steps, log_spaced_steps, state_key
from grokcheck.checks.training._data import MinibatchSampler, Task
from grokcheck.checks.training._models import EnsembleModel, build_model, model_config_from_dict, model_config_to_dict
from grokcheck.checks.training._optimizers import OptimizerConfig, build_optimizer
from grokcheck.errors import InvalidInputError, NumericalFailure

__all__ = [
    "TrainConfig",
    "RunResult",
    "LoadedRun",
    "train",
    "load_run",
    "per_seed_loss",
    "per_seed_accuracy",
    "evaluate",
    "plot_curves",
    "write_json_atomic",
    "MEMORIZED_TRAIN_ACC",
    "GROKKED_TEST_ACC",
]

#: t_mem is the first logged step with train accuracy ≥ 0.99 …
MEMORIZED_TRAIN_ACC = 0.99
#: … and t_grok the first logged step with test accuracy ≥ 0.95.
GROKKED_TEST_ACC = 0.95

_LOSSES = ("ce", "mse", "mse_centered", "sq")
_DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a run (together with the task).

    ``loss``: ``"ce"`` (softmax cross-entropy), ``"mse"`` (mean over the batch of
    ‖o − e_y‖²), ``"mse_centered"`` (Li₂'s ‖o − ō1 − (e_y − 1/C)‖²), ``"sq"`` (scalar output,
    (o − y)² with y = ±1), or ``None`` for the model's default (Li₂: mse_centered; a scalar task:
    sq; otherwise ce). ``batch_size=None`` is full batch. ``on_nan`` is ``"record"`` (mask the
    seed, keep going) or ``"raise"``. ``init_from`` names a run directory whose final weights
    initialise the model (e.g. Stage II after Stage I); parameters of a different shape are
    broadcast (a tied scale to per-neuron scales). ``checkpoint_history = N`` keeps the weights
    at about ``N`` log-spaced evaluation steps in ``out_dir/checkpoints/`` (``grokcheck kkt``
    reads them); ``None`` keeps only the latest ``checkpoint.pt``.
    """

    model: Any
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    steps: int = 1000
    n_seeds: int = 1
    seed: int = 0
    loss: str | None = None
    batch_size: int | None = None
    eval_every: int = 100
    checkpoint_every: int | None = 1000
    dtype: str = "float32"
    on_nan: str = "record"
    init_from: str | None = None
    plot: bool = True
    checkpoint_history: int | None = None

    def __post_init__(self):
        if self.loss is not None and self.loss not in _LOSSES:
            raise InvalidInputError(f"loss must be one of {_LOSSES}, got {self.loss!r}")
        if self.dtype not in _DTYPES:
            raise InvalidInputError(f"dtype must be one of {sorted(_DTYPES)}, got {self.dtype!r}")
        if self.on_nan not in ("record", "raise"):
            raise InvalidInputError(f"on_nan must be 'record' or 'raise', got {self.on_nan!r}")
        if self.steps < 0 or self.eval_every < 1 or self.n_seeds < 1:
            raise InvalidInputError("need steps ≥ 0, eval_every ≥ 1 and n_seeds ≥ 1")
        if self.checkpoint_history is not None and self.checkpoint_history < 2:
            raise InvalidInputError(f"checkpoint_history must be None or ≥ 2 checkpoints, got {self.checkpoint_history!r}")

    @property
    def torch_dtype(self) -> torch.dtype:
        return _DTYPES[self.dtype]

    def resolved_loss(self, task: Task) -> str:
        if self.loss is not None:
            return self.loss
        if not task.is_classification:
            return "sq"
        return "mse_centered" if self.model.kind == "li2" else "ce"

    def to_dict(self) -> dict:
        return {
            "model": model_config_to_dict(self.model),
            "optimizer": self.optimizer.to_dict(),
            **{k: getattr(self, k) for k in ("steps", "n_seeds", "seed", "loss", "batch_size", "eval_every",
                                             "checkpoint_every", "dtype", "on_nan", "init_from", "plot",
                                             "checkpoint_history")},
        }

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        d = dict(d)
        d["model"] = model_config_from_dict(d["model"])
        opt = dict(d["optimizer"])
        for k in ("lr", "weight_decay", "betas", "egd_layers", "muon_layers"):
            if isinstance(opt.get(k), list):
                opt[k] = tuple(opt[k])
        d["optimizer"] = OptimizerConfig(**opt)
        return cls(**d)


@dataclass(frozen=True, eq=False)
class RunResult:
    """What :func:`train` returns (see the module docstring)."""

    config: TrainConfig
    model: EnsembleModel
    step: int
    history: tuple[dict, ...]
    t_mem: np.ndarray
    t_grok: np.ndarray
    alive: np.ndarray
    failures: tuple[NumericalFailure, ...]
    status: str
    test_leakage: bool
    out_dir: str | None

    @property
    def final(self) -> dict:
        """The last metrics line."""
        return self.history[-1]

    def summary(self) -> dict:
        last = self.final
        return {
            "status": self.status,
            "step": self.step,
            "n_seeds": self.config.n_seeds,
            "alive": [bool(a) for a in self.alive],
            "train_acc": last["train_acc"],
            "test_acc": last["test_acc"],
            "train_loss": last["train_loss"],
            "test_loss": last["test_loss"],
            "t_mem": [int(t) if t >= 0 else None for t in self.t_mem],
            "t_grok": [int(t) if t >= 0 else None for t in self.t_grok],
            "failures": [{**f.where, "message": str(f)} for f in self.failures],
            "test_leakage": self.test_leakage,
        }


# --------------------------------------------------------------------------- losses


def per_seed_loss(kind: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean loss over the batch, per seed: ``out`` (S, B, C), ``y`` (S, B) → (S,)."""
    S, B, C = out.shape
    if kind == "ce":
        return torch.nn.functional.cross_entropy(out.reshape(S * B, C), y.reshape(-1), reduction="none").view(S, B).mean(1)
    if kind == "sq":
        return ((out[..., 0] - y) ** 2).mean(1)
    onehot = torch.nn.functional.one_hot(y, C).to(out.dtype)
    if kind == "mse":
        return ((out - onehot) ** 2).sum(-1).mean(1)
    if kind == "mse_centered":
        r = out - out.mean(-1, keepdim=True) - (onehot - 1.0 / C)
        return (r * r).sum(-1).mean(1)
    raise ValueError(f"unknown loss {kind!r}")


def per_seed_accuracy(kind: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Fraction correct per seed: argmax for classes, sign agreement for ``"sq"``. (S,)."""
    if kind == "sq":
        return (torch.sign(out[..., 0]) == torch.sign(y)).to(out.dtype).mean(1)
    return (out.argmax(-1) == y).to(out.dtype).mean(1)


@torch.no_grad()
def evaluate(model: EnsembleModel, x: torch.Tensor, y: torch.Tensor, loss: str, *, chunk: int = 8192) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-seed (loss, accuracy) of ``model`` on (S, n, ...) inputs, in chunks of ``chunk`` examples."""
    n = x.shape[1]
    if n == 0:
        nan = torch.full((model.n_seeds,), float("nan"))
        return nan, nan
    tot_l = 0.0
    tot_a = 0.0
    for i in range(0, n, chunk):
        out = model(x[:, i : i + chunk])
        yb = y[:, i : i + chunk]
        w = yb.shape[1]
        tot_l = tot_l + per_seed_loss(loss, out, yb).double() * w
        tot_a = tot_a + per_seed_accuracy(loss, out, yb).double() * w
    return (tot_l / n).cpu(), (tot_a / n).cpu()


# --------------------------------------------------------------------------- files


def write_json_atomic(path: str | os.PathLike, obj) -> None:
    """Write JSON to ``path`` atomically (temp file in the same directory, then ``os.replace``)."""
    from grokcheck.checks._io import atomic_write_json

    atomic_write_json(path, obj, indent=1, allow_nan=False)


def _torch_save_atomic(path: Path, obj) -> None:
    from grokcheck.checks._io import atomic_torch_save

    atomic_torch_save(obj, path)  # temp file in the same folder, fsync, rename


def _read_metrics(path: Path, max_step: int | None = None) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a kill
        if not isinstance(row, dict) or not isinstance(row.get("step"), int) or isinstance(row["step"], bool):
            continue  # not a metrics line of this format
        if max_step is None or row["step"] <= max_step:
            rows.append(row)
    return rows


def _nullable(t: torch.Tensor, alive: np.ndarray) -> list:
    return [float(v) if (a and math.isfinite(float(v))) else None for v, a in zip(t.tolist(), alive)]


def plot_curves(history: Sequence[dict], path: str | os.PathLike, *, title: str = "",
                member_labels: Sequence[str] | None = None) -> None:
    """Accuracy and loss against step, one colour per ensemble member (train solid, test dashed), as PNG.

    ``member_labels[s]`` names member ``s`` in the legend (its seed and, when they differ per member,
    its learning rate and weight decay); default ``"member s+1"``. The step axis is logarithmic
    with step 0 kept at 0.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    steps = np.array([h["step"] for h in history])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    S = len(history[0]["train_acc"])
    names = list(member_labels) if member_labels is not None else [f"member {s + 1}" for s in range(S)]
    colors = plt.cm.viridis(np.linspace(0, 0.9, max(S, 1)))
    for key, ax in (("acc", axes[0]), ("loss", axes[1])):
        for s in range(S):
            for split, ls in (("train", "-"), ("test", "--")):
                vals = np.array([np.nan if h[f"{split}_{key}"][s] is None else h[f"{split}_{key}"][s] for h in history], dtype=float)
                if np.all(np.isnan(vals)):
                    continue
                ax.plot(steps, vals, ls, color=colors[s], lw=1)
        ax.set_xscale("symlog", linthresh=max(1, int(steps[steps > 0].min())) if np.any(steps > 0) else 1)
        ax.set_xlabel("step (0, then logarithmic)")
        ax.set_ylabel(key)
        if key == "loss":
            ax.set_yscale("log")
    shown = range(S) if S <= 10 else (0, S - 1)  # a long ensemble: its first and last colour
    handles = [Line2D([], [], color="k", ls="-", label="train"), Line2D([], [], color="k", ls="--", label="test")]
    handles += [Line2D([], [], color=colors[s], label=names[s]) for s in shown]
    if S > 10:
        handles.insert(3, Line2D([], [], color="none", label=f"… {S - 2} more"))
    axes[1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7, frameon=False)
    axes[0].axhline(GROKKED_TEST_ACC, color="grey", lw=0.5)
    fig.suptitle(title or f"{S} seeds")
    fig.tight_layout()
    from grokcheck.checks._io import atomic_save_figure

    try:
        atomic_save_figure(fig, path, dpi=110, bbox_inches="tight")
    finally:
        plt.close(fig)


def _member_labels(config) -> list[str]:
    """Legend names of the ensemble's members: the run seed, and lr / weight decay where they differ per member."""
    S = int(config.n_seeds)
    lr, wd = config.optimizer.lr, config.optimizer.weight_decay
    out = []
    for s in range(S):
        parts = [f"member {s + 1} of run seed {config.seed}"]
        if isinstance(lr, (tuple, list)):
            parts.append(f"lr {lr[s]:g}")
        if isinstance(wd, (tuple, list)):
            parts.append(f"wd {wd[s]:g}")
        out.append(", ".join(parts))
    return out


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True, eq=False)
class LoadedRun:
    """A run directory read back by :func:`load_run`."""

    config: TrainConfig
    task: Task
    model: EnsembleModel
    step: int
    alive: np.ndarray
    history: tuple[dict, ...]
    checkpoint: dict
    run_dir: str

    @property
    def test_leakage(self) -> bool:
        return bool(self.checkpoint.get("test_leakage", False))


def _load_task(run_dir: Path) -> Task:
    from grokcheck.checks.training._resume import read_task

    return read_task(run_dir / "task.pt")


def _config_of(ck: dict, path: Path, verb: str) -> TrainConfig:
    """The :class:`TrainConfig` stored in a checkpoint; an unreadable one is a named :class:`RunDirectoryError`."""
    from grokcheck.errors import GrokcheckError, RunDirectoryError

    try:
        return TrainConfig.from_dict(ck["config"])
    except (GrokcheckError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise RunDirectoryError(f"cannot {verb}: the training configuration in {path} is unreadable ({exc}); "
                                "re-create the run with `grokcheck train ... --overwrite`", path=path.parent) from None


def _load_weights(model: EnsembleModel, state: dict, path: Path, verb: str) -> None:
    """``model.load_state_dict(state)``; weights that do not fit the model are a named :class:`RunDirectoryError`."""
    from grokcheck.errors import RunDirectoryError

    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RunDirectoryError(f"cannot {verb}: the weights in {path} do not fit the model its configuration "
                                f"describes ({first}); re-create the run with `grokcheck train ... --overwrite`",
                                path=path.parent) from None


def load_run(run_dir: str | os.PathLike, *, device="cpu") -> LoadedRun:
    """Read ``checkpoint.pt`` (weights and configuration), ``task.pt`` and ``metrics.jsonl`` of a run.

    The ``.pt`` files are read with torch's weights-only unpickler and checked
    (:mod:`grokcheck.checks.training._resume`): nothing in a run folder can run code. A damaged,
    altered or foreign file raises :class:`~grokcheck.errors.RunDirectoryError` naming it.
    """
    run_dir = Path(run_dir)
    if not (run_dir / "checkpoint.pt").exists():
        raise FileNotFoundError(f"{run_dir} has no checkpoint.pt: not a grokcheck run directory (give the --out "
                                "of a `grokcheck train` run)")
    from grokcheck.checks.training._resume import read_checkpoint
    from grokcheck.errors import GrokcheckError, RunDirectoryError

    path = run_dir / "checkpoint.pt"
    ck = read_checkpoint(path, device)
    config = _config_of(ck, path, "read")
    task = _load_task(run_dir)
    if task.n_seeds != config.n_seeds:
        raise RunDirectoryError(f"cannot read {run_dir}: task.pt has splits for {task.n_seeds} seeds but the "
                                f"checkpoint's configuration has {config.n_seeds}; re-create the run", path=run_dir)
    try:
        model = build_model(config.model, task, n_seeds=config.n_seeds, seed=config.seed, device=device,
                            dtype=config.torch_dtype)
    except (GrokcheckError, TypeError, ValueError, KeyError) as exc:
        raise RunDirectoryError(f"cannot read {run_dir}: its configuration does not describe a model for its task "
                                f"({exc})", path=run_dir) from None
    _load_weights(model, ck["model"], path, "read")
    alive = ck.get("alive")
    if alive is None or alive.shape != (config.n_seeds,):
        raise RunDirectoryError(f"cannot read {path}: its 'alive' flags are not one per seed ({config.n_seeds})",
                                path=run_dir)
    history = tuple(_read_metrics(run_dir / "metrics.jsonl", ck["step"]))
    return LoadedRun(config, task, model, int(ck["step"]), alive.cpu().numpy(), history, ck, str(run_dir))


def _init_from(model: EnsembleModel, run_dir: str, device) -> None:
    """Copy the final weights of the run in ``run_dir`` into ``model`` (broadcast where shapes allow)."""
    from grokcheck.checks.training._resume import read_checkpoint

    path = Path(run_dir) / "checkpoint.pt"
    if not path.is_file():
        raise InvalidInputError(f"--init-from {run_dir}: no checkpoint.pt there; give the --out folder of a finished "
                                "`grokcheck train` run", option="--init-from")
    ck = read_checkpoint(path, device, verb="initialise from")
    own = dict(model.named_parameters())
    with torch.no_grad():
        for name, t in ck["model"].items():
            if name in own:
                try:
                    own[name].copy_(t.to(own[name].dtype).expand_as(own[name]))
                except RuntimeError:
                    raise InvalidInputError(
                        f"--init-from {path}: parameter {name!r} has shape {tuple(t.shape)}, which does not fit "
                        f"this model's {tuple(own[name].shape)} (S seeds × ...); give a run of the same model "
                        "family and seed count", option="--init-from") from None


# --------------------------------------------------------------------------- training


class _Hooks:
    """The callbacks of one run, sorted by hook (see :mod:`grokcheck.checks.training._callbacks`)."""

    def __init__(self, callbacks: Sequence[Any]):
        by_cb = [(cb, hooks_of(cb)) for cb in callbacks]
        forwards = [(cb, h["training_forward"]) for cb, h in by_cb if "training_forward" in h]
        if len(forwards) > 1:
            raise InvalidInputError(f"at most one callback may replace the training forward pass; got {[cb for cb, _ in forwards]}")
        self.training_forward = forwards[0][1] if forwards else None
        self.extra_loss = [h["extra_loss"] for _, h in by_cb if "extra_loss" in h]
        self.on_step = [h["on_step"] for _, h in by_cb if "on_step" in h]
        self.on_eval = [(cb, h["on_eval"]) for cb, h in by_cb if "on_eval" in h]
        self.on_checkpoint = [h["on_checkpoint"] for _, h in by_cb if "on_checkpoint" in h]
        self.stateful: dict[str, Any] = {}
        for cb, _ in by_cb:
            key = state_key(cb)
            if key is None:
                continue
            if key in self.stateful:
                raise InvalidInputError(f"two stateful callbacks share the name {key!r}; give them different names")
            self.stateful[key] = cb

    def state(self) -> dict:
        return {key: cb.state_dict() for key, cb in self.stateful.items()}

    def load_state(self, saved: dict) -> None:
        missing = sorted(set(self.stateful) - set(saved))
        extra = sorted(set(saved) - set(self.stateful))
        if missing or extra:
            raise InvalidInputError(f"cannot resume: the checkpoint holds callback state for {sorted(saved)} but the callbacks "
                             f"passed now are {sorted(self.stateful)}; resume with the callbacks the run was started with")
        for key, cb in self.stateful.items():
            cb.load_state_dict(saved[key])


def train(
    config: TrainConfig,
    task: Task,
    *,
    out_dir: str | os.PathLike | None = None,
    device="cpu",
    progress: bool = True,
    callbacks: Sequence[Any] = (),
    resume: bool = False,
) -> RunResult:
    """Train ``config.n_seeds`` seeds of ``config.model`` on ``task`` as one batched model.

    See the module docstring for the run directory, callbacks, resume and NaN handling.
    Raises :class:`~grokcheck.errors.NumericalFailure` only when ``config.on_nan == "raise"``.
    """
    if task.n_seeds != config.n_seeds:
        raise InvalidInputError(f"the task has splits for {task.n_seeds} seeds but config.n_seeds = {config.n_seeds}")
    dtype = config.torch_dtype
    loss_kind = config.resolved_loss(task)
    S = config.n_seeds
    out = Path(out_dir) if out_dir is not None else None
    if resume and out is None:
        raise ValueError("resume=True needs out_dir")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    cbs = list(callbacks)
    if config.checkpoint_history:
        if out is None:
            raise InvalidInputError("checkpoint_history needs out_dir (the history is written to out_dir/checkpoints)")
        cbs.append(CheckpointHistory(out, steps=log_spaced_steps(config.checkpoint_history, config.steps, config.eval_every),
                                     name="config.checkpoint_history"))
    hooks = _Hooks(cbs)

    model = build_model(config.model, task, n_seeds=S, seed=config.seed, device=device, dtype=dtype)
    if config.init_from and not resume:
        _init_from(model, config.init_from, device)
    opt = build_optimizer(model, config.optimizer, seed=config.seed)
    # a batch larger than the training set is the full set (stated in config.json as batch_size_used)
    sampler = MinibatchSampler(S, task.n_train, min(config.batch_size, task.n_train), config.seed) if config.batch_size else None
    test_leakage = config.optimizer.test_leakage

    alive = torch.ones(S, dtype=torch.bool, device=device)
    t_mem = np.full(S, -1, dtype=np.int64)
    t_grok = np.full(S, -1, dtype=np.int64)
    failures: list[NumericalFailure] = []
    history: list[dict] = []
    start = 0

    if resume:
        from grokcheck.checks.training._resume import load_resume_state

        ck, task = load_resume_state(out, config, task, device)  # names what differs; refuses a stale checkpoint
        _load_weights(model, ck["model"], out / "checkpoint.pt", "resume")
        try:
            opt.load_state_dict(ck["optimizer"])
            if sampler is not None:
                sampler.load_state_dict(ck["sampler"])
            alive = ck["alive"].to(device=device, dtype=torch.bool)
            t_mem = np.asarray(ck["t_mem"], dtype=np.int64)
            t_grok = np.asarray(ck["t_grok"], dtype=np.int64)
            failures = [NumericalFailure(f["message"], where={k: f[k] for k in ("seed", "step", "quantity")})
                        for f in ck["failures"]]
            if alive.shape != (S,) or t_mem.shape != (S,) or t_grok.shape != (S,):
                raise ValueError(f"per-seed state is not of length {S}")
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, RuntimeError) as exc:
            from grokcheck.errors import RunDirectoryError

            raise RunDirectoryError(f"cannot resume: the training state in {out / 'checkpoint.pt'} is damaged "
                                    f"({type(exc).__name__}: {exc}); start the run again with --overwrite",
                                    path=out) from None
        start = int(ck["step"])
        hooks.load_state(ck.get("callbacks", {}))
        root = out.resolve()
        for s, p in history_steps(out):
            # written by the interrupted run after its last checkpoint; never through a link out of the folder
            if s > start and p.parent.resolve().is_relative_to(root):
                p.unlink()
        history = _read_metrics(out / "metrics.jsonl", start)
        from grokcheck.checks._io import atomic_write_lines

        atomic_write_lines(out / "metrics.jsonl", [json.dumps(row) for row in history])
    elif out is not None:
        for stale in ("checkpoint.pt", "summary.json"):  # an earlier run's: never trusted by a later resume
            (out / stale).unlink(missing_ok=True)
        _torch_save_atomic(out / "task.pt", task.state())
        write_json_atomic(out / "config.json", {"train_config": config.to_dict(), "task": task.summary(),
                                                "test_leakage": test_leakage, "loss": loss_kind,
                                                "batch_size_used": sampler.batch_size if sampler is not None else task.n_train,
                                                "callbacks": [getattr(cb, "__qualname__", None) or repr(cb) for cb in cbs]})
        (out / "metrics.jsonl").write_text("")

    from grokcheck.checks.training._resume import InterruptFlag, task_hash

    stored_task_hash = task_hash(task) if out is not None else None
    xtr, ytr = task.split("train", device=device, dtype=dtype)
    xte, yte = task.split("test", device=device, dtype=dtype)
    seed_ix = torch.arange(S, device=device)[:, None]
    params = [p for p in model.parameters() if p.requires_grad]

    def fail(mask: torch.Tensor, step: int, quantity: str) -> None:
        for s in torch.nonzero(mask).flatten().tolist():
            lr = opt.lr[s].item()
            msg = (f"seed {s}: non-finite {quantity} at step {step} (lr={lr:g}, dtype={config.dtype}). "
                   f"Hint: the learning rate is probably too large for this seed; lower it, add warm-up, "
                   f"or use --dtype float64.")
            err = NumericalFailure(msg, where={"seed": s, "step": step, "quantity": quantity})
            if config.on_nan == "raise":
                raise err
            failures.append(err)
            if progress:
                from tqdm.auto import tqdm

                tqdm.write(f"grokcheck: {msg} The other seeds continue.")
        alive.logical_and_(~mask)

    def log(step: int) -> dict:
        a = alive.cpu().numpy()
        trl, tra = evaluate(model, xtr, ytr, loss_kind)
        tel, tea = evaluate(model, xte, yte, loss_kind)
        for s in range(S):
            if a[s] and t_mem[s] < 0 and tra[s] >= MEMORIZED_TRAIN_ACC:
                t_mem[s] = step
            if a[s] and t_grok[s] < 0 and task.n_test and tea[s] >= GROKKED_TEST_ACC:
                t_grok[s] = step
        row = {
            "step": step,
            "train_loss": _nullable(trl, a),
            "train_acc": _nullable(tra, a),
            "test_loss": _nullable(tel, a),
            "test_acc": _nullable(tea, a),
            "alive": [bool(v) for v in a],
            "t_mem": [int(t) if t >= 0 else None for t in t_mem],
            "t_grok": [int(t) if t >= 0 else None for t in t_grok],
            "weight_norm": {k: _nullable(v.cpu(), a) for k, v in model.weight_norms().items()},
            "test_leakage": test_leakage,
        }
        if config.optimizer.name == "egd":
            row["egd_active"] = [bool(v) for v in opt.egd_active.cpu()]
        if config.optimizer.egd_switch_off_test_acc is not None and config.optimizer.name == "egd" and task.n_test:
            passed = torch.as_tensor([v is not None and v >= config.optimizer.egd_switch_off_test_acc for v in row["test_acc"]])
            opt.switch_off_egd(passed)
        info = {"x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte, "alive": alive.clone(),
                "metrics": row, "task": task, "config": config, "out_dir": out,
                "evaluation": {"train_loss": trl, "train_acc": tra, "test_loss": tel, "test_acc": tea}}
        for cb, on_eval in hooks.on_eval:
            extra = on_eval(step, model, info)
            if extra:
                clash = set(extra) & set(row)
                if clash:
                    raise InvalidInputError(f"callback {cb!r} returned keys that clash with built-in metrics: {sorted(clash)}")
                row.update(extra)
        history.append(row)
        if out is not None:
            with open(out / "metrics.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")
        return row

    def checkpoint(step: int) -> None:
        if out is None:
            return
        _torch_save_atomic(out / "checkpoint.pt", {
            "format": 1,
            "step": step,
            "config": config.to_dict(),
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "sampler": sampler.state_dict() if sampler is not None else None,
            "alive": alive.cpu().clone(),
            "failures": [{**f.where, "message": str(f)} for f in failures],
            "t_mem": t_mem.tolist(),
            "t_grok": t_grok.tolist(),
            "test_leakage": test_leakage,
            "torch_version": str(torch.__version__),  # a plain str: the file stays weights-only loadable
            "task_hash": stored_task_hash,
            "callbacks": hooks.state(),
        })
        for on_checkpoint in hooks.on_checkpoint:
            on_checkpoint(step, out / "checkpoint.pt", model)

    if not resume:
        log(0)
    from tqdm.auto import tqdm

    bar = tqdm(total=config.steps, initial=start, disable=not progress, desc=f"train {task.name} ×{S}",
               mininterval=0.5, dynamic_ncols=True)
    step = start
    zero = torch.zeros((), dtype=dtype, device=device)
    stop = InterruptFlag().install()  # Ctrl-C: finish the step, write a checkpoint, then stop
    try:
        while step < config.steps and bool(alive.any()) and not stop.requested:
            if sampler is None:
                xb, yb = xtr, ytr
            else:
                pos = sampler.next().to(device)
                xb, yb = xtr[seed_ix, pos], ytr[seed_ix, pos]
            model.before_step(xb, yb)
            for p in params:
                p.grad = None
            pred = model(xb) if hooks.training_forward is None else hooks.training_forward(step, model, xb)
            losses = per_seed_loss(loss_kind, pred, yb)
            for extra_loss in hooks.extra_loss:
                losses = losses + extra_loss(step, model, xb, yb, pred)
            bad = alive & ~torch.isfinite(losses.detach())
            if bool(bad.any()):
                fail(bad, step, "loss")
            torch.where(alive, losses, zero).sum().backward()
            gok = torch.ones(S, dtype=torch.bool, device=device)
            for p in params:
                if p.grad is not None:
                    gok &= torch.isfinite(p.grad).reshape(S, -1).all(1)
            bad = alive & ~gok
            if bool(bad.any()):
                fail(bad, step, "gradient")
            model.project_gradients()
            opt.step(alive)
            model.retract()
            step += 1
            for on_step in hooks.on_step:
                on_step(step, model, losses.detach())
            bar.update(1)
            if step % config.eval_every == 0 or step == config.steps:
                row = log(step)
                tr = [v for v in row["train_acc"] if v is not None]
                te = [v for v in row["test_acc"] if v is not None]
                bar.set_postfix(train=f"{np.mean(tr):.3f}" if tr else "-", test=f"{np.mean(te):.3f}" if te else "-",
                                alive=f"{int(alive.sum())}/{S}")
            if config.checkpoint_every and step % config.checkpoint_every == 0:
                checkpoint(step)
    finally:
        bar.close()
        stop.restore()
    if stop.requested:
        from grokcheck.errors import RunInterrupted

        checkpoint(step)
        where = f"; checkpoint written to {out / 'checkpoint.pt'}: continue with --resume" if out is not None else ""
        raise RunInterrupted(f"training interrupted at step {step}{where}", step=step, path=out)
    if not history or history[-1]["step"] != step:
        log(step)
        checkpoint(step)
    elif not (config.checkpoint_every and step % config.checkpoint_every == 0 and step > start):
        checkpoint(step)  # (otherwise the loop has just written this step's checkpoint)

    a = alive.cpu().numpy()
    status = "completed" if a.all() else ("all_seeds_failed" if not a.any() else "nan_encountered")
    result = RunResult(config, model, step, tuple(history), t_mem.copy(), t_grok.copy(), a, tuple(failures), status,
                       test_leakage, str(out) if out is not None else None)
    if out is not None:
        write_json_atomic(out / "summary.json", result.summary())
        if config.plot:
            plot_curves(history, out / "curves.png", title=f"{task.name}: {config.model.kind}, {config.optimizer.name}"
                        + (" [TEST LEAKAGE: EGD switch-off on test accuracy]" if test_leakage else ""),
                        member_labels=_member_labels(config))
    return result
