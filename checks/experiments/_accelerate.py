"""One controlled comparison of grokking accelerators (EGD, RSVD, column norm, Muon, Grokfast).

Every method trains the *same* model from the *same* initialisation on the *same* data split
with the *same* mini-batch order and the *same* budget (``epochs``); only the optimizer differs.
Seed ``s`` of every method uses split ``generator_for(seed, s, "split")``, init
``generator_for(seed, s, "init")`` and batches ``generator_for(seed, s, "batch")`` (the training
layer's streams), so the comparison is paired seed by seed. No method looks at test accuracy:
the EGD switch-off of the authors' code (EGD, arXiv 2510.04930, experiments) is never enabled.

Measured (docs/conventions.md, training time; EGD, arXiv 2510.04930, experiments):

- **epochs to 95% test accuracy** per seed: ``t_grok / steps_per_epoch`` with
  ``steps_per_epoch = ⌊n_train / batch⌋`` — the drop-last epoch of the training layer's sampler
  and of the authors' code (``num_batches = n // batch_size``); the paper writes ⌈n/batch⌉,
  which differs by one step per epoch when ``batch ∤ n``. Resolution: the evaluation interval
  (``eval_every_epochs``). A seed that never reaches 95% within the budget is *censored*: its
  value is reported as a lower bound ``> epochs``, never as a number;
- the spread across seeds (median, min, max);
- **wall-clock per epoch**: wall time of training (evaluations at the configured cadence
  included, identical for every method) divided by the epochs trained;
- a PNG of the test-accuracy curves, and a JSON + Markdown report.

Training is run in chunks with the training layer's bit-exact resume, and a method stops once
every seed has reached 95% test accuracy (``stop_when_grokked``): this only ends the
*measurement* early; it never changes the trajectory up to ``t_grok``.

Tasks: a finite group (``group_task``, concatenated one-hot, 50% train; Table 1 of EGD:
width 512, lr 0.7, wd 1e-4, batch 512), sparse parity (Table 1 ``k = 3``: n = 100 bits,
2000 train, width 100, lr 0.042, wd 1e-2, batch 32, squared loss) and scikit-learn digits
(three-layer ReLU MLP of width 200, 1000 train, MSE loss; the offline stand-in for MNIST).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grokcheck.checks._io import atomic_write_text, atomic_write_via, json_safe
from grokcheck.errors import GrokcheckError

__all__ = [
    "DEFAULT_METHODS",
    "TASK_PRESETS",
    "AccelerateConfig",
    "MethodResult",
    "AccelerateReport",
    "method_optimizer",
    "run_accelerate",
    "write_accelerate_report",
    "plot_accelerate",
    "accelerate_markdown",
]

DEFAULT_METHODS = ("sgd", "egd", "egd-rsvd64", "colnorm", "muon", "grokfast", "adamw")

#: Task presets. ``lr``/``wd`` are the shared step size and weight decay of the SGD-family
#: methods (sgd, egd, egd-rsvdR, colnorm); the Adam-family methods (adamw, grokfast) use
#: ``adam_lr`` and Muon uses ``muon_lr`` (its hidden matrices; the other parameters take AdamW
#: steps at the same rate, as in ``torch.optim.Muon`` recipes).
TASK_PRESETS: dict[str, dict[str, Any]] = {
    "group": {
        "widths": (512,), "lr": 0.7, "wd": 1e-4, "batch_size": 512, "train_fraction": 0.5,
        "loss": "ce", "adam_lr": 1e-3, "muon_lr": 0.02,
        "source": "EGD Table 1 (mod add/mult): width 512, lr 0.7, wd 1e-4, batch 512, 50% train",
    },
    "parity": {
        "widths": (100,), "lr": 0.042, "wd": 1e-2, "batch_size": 32, "n_bits": 100, "k": 3,
        "n_train": 2000, "n_test": 10000, "loss": "sq", "adam_lr": 1e-3, "muon_lr": 0.02,
        "source": "EGD Table 1 (parity k=3): n=100, N=2000, width 100, lr 0.042, wd 1e-2, batch 32",
    },
    "digits": {
        "widths": (200, 200), "lr": 0.1, "wd": 1e-3, "batch_size": 200, "n_train": 1000,
        "loss": "mse", "adam_lr": 1e-3, "muon_lr": 0.02,
        "source": "Omnigrok/Tan-Huang MNIST MLP (width 200, depth 3, MSE, batch 200) on sklearn digits",
    },
}

_RSVD = re.compile(r"^egd-rsvd(\d+)$")


def method_optimizer(method: str, preset: dict[str, Any], *, lr: float | None = None, wd: float | None = None):
    """The :class:`~grokcheck.checks.training._optimizers.OptimizerConfig` of ``method`` under ``preset``.

    Methods: ``sgd`` (plain SGD, coupled decay), ``egd`` (exact SVD), ``egd-rsvdR`` (rank R),
    ``colnorm``, ``muon``, ``grokfast`` (Grokfast-EMA α = 0.98, λ = 2 on AdamW), ``adamw``.
    EGD acts on the model's default EGD layers (the first layer of a two-layer MLP).
    """
    from grokcheck.checks.training._optimizers import OptimizerConfig

    wd = preset["wd"] if wd is None else wd
    if method in ("sgd", "egd", "colnorm") or _RSVD.match(method):
        step = preset["lr"] if lr is None else lr
        if method == "sgd":
            return OptimizerConfig("sgd", lr=step, weight_decay=wd)
        if method == "egd":
            return OptimizerConfig("egd", lr=step, weight_decay=wd, egd_method="svd")
        if method == "colnorm":
            return OptimizerConfig("egd", lr=step, weight_decay=wd, egd_method="colnorm")
        return OptimizerConfig("egd", lr=step, weight_decay=wd, egd_method="rsvd", egd_rank=int(_RSVD.match(method).group(1)))
    if method == "adamw":
        return OptimizerConfig("adamw", lr=preset["adam_lr"] if lr is None else lr, weight_decay=wd)
    if method == "grokfast":
        return OptimizerConfig("adamw", lr=preset["adam_lr"] if lr is None else lr, weight_decay=wd,
                               grokfast_alpha=0.98, grokfast_lamb=2.0)
    if method == "muon":
        return OptimizerConfig("muon", lr=preset["muon_lr"] if lr is None else lr, weight_decay=wd)
    raise GrokcheckError(f"unknown method {method!r}; use sgd, egd, egd-rsvdR (e.g. egd-rsvd64), colnorm, muon, grokfast, adamw")


@dataclass(frozen=True)
class AccelerateConfig:
    """What to compare. ``task`` is ``"group"``, ``"parity"`` or ``"digits"``.

    ``epochs`` is the budget of every method; ``eval_every_epochs`` the evaluation interval
    (the resolution of epochs-to-95%); ``chunk_epochs`` the length of a training chunk between
    early-stop checks; ``lr``/``wd`` override the preset per method (``{"muon": 0.05}``);
    ``dtype`` "float32" or "float64". Overrides of the preset: ``preset_overrides``.
    """

    task: str = "group"
    methods: tuple[str, ...] = DEFAULT_METHODS
    n_seeds: int = 4
    seed: int = 0
    epochs: int = 1000
    eval_every_epochs: int = 1
    chunk_epochs: int = 50
    stop_when_grokked: bool = True
    lr: dict[str, float] = field(default_factory=dict)
    wd: dict[str, float] = field(default_factory=dict)
    dtype: str = "float32"
    preset_overrides: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.task not in TASK_PRESETS:
            raise GrokcheckError(f"task must be one of {sorted(TASK_PRESETS)}, got {self.task!r}")
        object.__setattr__(self, "methods", tuple(self.methods))
        if not self.methods:
            raise GrokcheckError("give at least one method")
        if len(set(self.methods)) != len(self.methods):
            raise GrokcheckError(f"duplicate methods in {self.methods}")
        for m in self.methods:
            method_optimizer(m, self.preset)  # validates the name
        if self.n_seeds < 1 or self.epochs < 1 or self.eval_every_epochs < 1 or self.chunk_epochs < 1:
            raise GrokcheckError("n_seeds, epochs, eval_every_epochs and chunk_epochs must be >= 1")

    @property
    def preset(self) -> dict[str, Any]:
        return {**TASK_PRESETS[self.task], **self.preset_overrides}

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["methods"] = list(self.methods)
        d["preset"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.preset.items()}
        return d


@dataclass(frozen=True)
class MethodResult:
    """One method's outcome (per-seed lists have length ``n_seeds``).

    ``epochs_to_95``: epochs to 95% test accuracy, ``None`` where censored (not reached within
    ``epochs_run``); ``t_grok_steps`` the same in steps; ``median``/``low``/``high`` summarise
    the uncensored seeds, and ``median_lower_bound`` is True when more than half the seeds are
    censored (the median is then only known to exceed ``epochs_run``). ``curve_epochs`` and
    ``curve_test_acc`` ``(n_evals,)`` / ``(n_seeds, n_evals)`` hold the logged test accuracy.
    """

    method: str
    optimizer: dict
    epochs_to_95: list
    t_grok_steps: list
    epochs_run: float
    sec_per_epoch: float
    final_train_acc: list
    final_test_acc: list
    status: str
    curve_epochs: list
    curve_test_acc: list
    curve_train_acc: list

    @property
    def censored(self) -> list[bool]:
        return [e is None for e in self.epochs_to_95]

    @property
    def median(self) -> float:
        """Median over seeds with censored seeds set to +inf (so ``inf`` if most are censored)."""
        vals = [math.inf if e is None else e for e in self.epochs_to_95]
        return float(np.median(vals))

    @property
    def median_lower_bound(self) -> bool:
        return math.isinf(self.median)

    @property
    def low(self) -> float | None:
        vals = [e for e in self.epochs_to_95 if e is not None]
        return float(min(vals)) if vals else None

    @property
    def high(self) -> float | None:
        vals = [e for e in self.epochs_to_95 if e is not None]
        return float(max(vals)) if vals else None

    def summary(self) -> dict:
        med = self.median
        return {
            "method": self.method,
            "epochs_to_95": self.epochs_to_95,
            "censored": self.censored,
            "median_epochs_to_95": None if math.isinf(med) else med,
            "median_is_lower_bound": self.median_lower_bound,
            "min_epochs_to_95": self.low,
            "max_epochs_to_95": self.high,
            "epochs_run": self.epochs_run,
            "sec_per_epoch": self.sec_per_epoch,
            "final_train_acc": self.final_train_acc,
            "final_test_acc": self.final_test_acc,
            "status": self.status,
            "optimizer": self.optimizer,
        }


@dataclass(frozen=True)
class AccelerateReport:
    """All methods' results plus the shared setting (task summary, steps per epoch)."""

    config: AccelerateConfig
    task_summary: dict
    steps_per_epoch: int
    results: tuple[MethodResult, ...]
    test_leakage: bool
    device: str
    #: the mini-batch size used: the preset's (or --batch-size), clipped to the training set
    batch_size: int | None = None

    def result(self, method: str) -> MethodResult:
        for r in self.results:
            if r.method == method:
                return r
        raise KeyError(method)

    def speedup(self, method: str, baseline: str = "sgd") -> dict:
        """Ratio of median epochs-to-95% ``baseline / method``, with its kind.

        ``kind`` is ``"exact"``, ``"lower_bound"`` (baseline censored: the true ratio is larger),
        ``"upper_bound"`` (method censored) or ``"unknown"`` (both censored).
        """
        b, m = self.result(baseline), self.result(method)
        mb, mm = b.median, m.median
        if math.isinf(mb) and math.isinf(mm):
            return {"ratio": None, "kind": "unknown"}
        if math.isinf(mb):
            return {"ratio": b.epochs_run / mm, "kind": "lower_bound"}
        if math.isinf(mm):
            return {"ratio": mb / m.epochs_run, "kind": "upper_bound"}
        return {"ratio": mb / mm, "kind": "exact"}

    def to_dict(self) -> dict:
        out = {
            "config": self.config.to_dict(),
            "task": self.task_summary,
            "steps_per_epoch": self.steps_per_epoch,
            "batch_size": self.batch_size,
            "test_leakage": self.test_leakage,
            "device": self.device,
            "results": [r.summary() for r in self.results],
            "curves": {r.method: {"epochs": r.curve_epochs, "test_acc": r.curve_test_acc, "train_acc": r.curve_train_acc}
                       for r in self.results},
        }
        if "sgd" in self.config.methods:
            out["speedup_vs_sgd"] = {m: self.speedup(m) for m in self.config.methods if m != "sgd"}
        return out


def _build_task(config: AccelerateConfig, group=None):
    from grokcheck.checks.training._data import digits_task, group_task, sparse_parity_task

    p = config.preset
    if config.task == "group":
        if group is None:
            raise GrokcheckError("the group task needs a group")
        return group_task(group, train_fraction=p["train_fraction"], n_seeds=config.n_seeds, seed=config.seed, encoding="concat")
    if config.task == "parity":
        return sparse_parity_task(p["n_bits"], p["k"], n_train=p["n_train"], n_test=p["n_test"], n_seeds=config.n_seeds, seed=config.seed)
    return digits_task(n_train=p["n_train"], n_seeds=config.n_seeds, seed=config.seed)


def _run_method(method, config, task, steps_per_epoch, out_dir, device, progress, batch_size):
    from grokcheck.checks.training._models import MLPConfig
    from grokcheck.checks.training._train import TrainConfig, train

    p = config.preset
    opt = method_optimizer(method, p, lr=config.lr.get(method), wd=config.wd.get(method))
    eval_every = steps_per_epoch * config.eval_every_epochs
    chunk = max(1, config.chunk_epochs // config.eval_every_epochs) * eval_every
    budget = config.epochs * steps_per_epoch
    run_dir = Path(out_dir) / "runs" / method
    if run_dir.exists():
        shutil.rmtree(run_dir)
    wall = 0.0
    done = 0
    result = None
    while done < budget:
        target = min(budget, done + chunk)
        tc = TrainConfig(model=MLPConfig(widths=tuple(p["widths"])), optimizer=opt, steps=target, n_seeds=config.n_seeds,
                         seed=config.seed, loss=p["loss"], batch_size=batch_size, eval_every=eval_every,
                         checkpoint_every=None, dtype=config.dtype, plot=False)
        t0 = time.perf_counter()
        result = train(tc, task, out_dir=run_dir, device=device, progress=progress, resume=done > 0)
        wall += time.perf_counter() - t0
        done = result.step
        if result.status == "all_seeds_failed":
            break
        if config.stop_when_grokked and bool(np.all(result.t_grok[result.alive] >= 0)) and result.alive.any():
            break
    hist = result.history
    epochs = [h["step"] / steps_per_epoch for h in hist]
    te = [[(h["test_acc"][s] if h["test_acc"][s] is not None else float("nan")) for h in hist] for s in range(config.n_seeds)]
    tr = [[(h["train_acc"][s] if h["train_acc"][s] is not None else float("nan")) for h in hist] for s in range(config.n_seeds)]
    tg = [int(t) if t >= 0 else None for t in result.t_grok]
    return MethodResult(
        method=method,
        optimizer=opt.to_dict(),
        epochs_to_95=[None if t is None else t / steps_per_epoch for t in tg],
        t_grok_steps=tg,
        epochs_run=done / steps_per_epoch,
        sec_per_epoch=wall / max(done / steps_per_epoch, 1e-12),
        final_train_acc=list(result.final["train_acc"]),
        final_test_acc=list(result.final["test_acc"]),
        status=result.status,
        curve_epochs=epochs,
        curve_test_acc=te,
        curve_train_acc=tr,
    )


def run_accelerate(
    config: AccelerateConfig,
    *,
    group=None,
    out_dir: str | os.PathLike | None = None,
    device: str = "cpu",
    progress: bool = True,
) -> AccelerateReport:
    """Train every method of ``config`` on one shared task and collect :class:`MethodResult`.

    ``group`` is the finite group for ``config.task == "group"``. Run directories (metrics,
    checkpoints) go under ``out_dir/runs/<method>``; with ``out_dir=None`` a temporary
    directory is used and removed. Nothing is written to the report files here; see
    :func:`write_accelerate_report`.
    """
    task = _build_task(config, group)
    # a batch larger than the training set is the whole set (one step per epoch); the report states it
    bs = min(int(config.preset["batch_size"]), task.n_train)
    steps_per_epoch = task.n_train // bs
    tmp = None
    if out_dir is None:
        tmp = tempfile.mkdtemp(prefix="grokcheck-accelerate-")
        out_dir = tmp
    try:
        results = tuple(_run_method(m, config, task, steps_per_epoch, out_dir, device, progress, bs)
                        for m in config.methods)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    summary = task.summary()
    summary.pop("table", None)
    return AccelerateReport(config=config, task_summary=summary, steps_per_epoch=steps_per_epoch, results=results,
                            test_leakage=False, device=str(device), batch_size=bs)


def _fmt(e):
    return "—" if e is None else f"{e:g}"


def accelerate_markdown(report: AccelerateReport) -> str:
    """The Markdown table of a report (one row per method)."""
    c = report.config
    lines = [
        f"# grokcheck accelerate: {report.task_summary.get('name', c.task)}",
        "",
        f"Setting: {c.preset['source']}"
        + (f" (overridden: {', '.join(f'{k}={v}' for k, v in c.preset_overrides.items())})" if c.preset_overrides else "")
        + f". Seeds: {c.n_seeds} (paired: same split, init and batch order for every method). "
        + (f"Batch size used: {report.batch_size} of {report.task_summary.get('n_train', '?')} training examples"
           + (f" (the setting's {c.preset['batch_size']} clipped to the training set)"
              if report.batch_size != c.preset["batch_size"] else "") + ". "
           if report.batch_size is not None else "")
        + f"Budget: {c.epochs} epochs of {report.steps_per_epoch} steps (drop-last epoch, ⌊n_train/batch⌋). "
        f"Evaluation every {c.eval_every_epochs} epoch(s). Test accuracy is never used by any optimizer "
        f"(EGD switch-off disabled). Device: {report.device}.",
        "",
        "| method | epochs to 95% test (per seed) | median | min–max | speed-up vs sgd | s/epoch | final test acc |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report.results:
        per = ", ".join(f"> {r.epochs_run:g}" if e is None else f"{e:g}" for e in r.epochs_to_95)
        med = f"> {r.epochs_run:g}" if r.median_lower_bound else f"{r.median:g}"
        sp = "—"
        if "sgd" in c.methods and r.method != "sgd":
            s = report.speedup(r.method)
            if s["ratio"] is not None:
                sym = {"exact": "", "lower_bound": "≥ ", "upper_bound": "≤ "}[s["kind"]]
                sp = f"{sym}{s['ratio']:.1f}×"
        fin = ", ".join("nan" if v is None else f"{v:.3f}" for v in r.final_test_acc)
        if r.status == "all_seeds_failed":  # a diverged run is no lower bound on anything
            per = med = f"diverged (every seed non-finite by epoch {r.epochs_run:g}; lower --lr {r.method}=…)"
        lines.append(f"| {r.method} | {per} | {med} | {_fmt(r.low)}–{_fmt(r.high)} | {sp} | {r.sec_per_epoch:.3f} | {fin} |")
    lines += ["", "A censored seed ('> N') did not reach 95% test accuracy within its N epochs; ratios built on it are bounds.", ""]
    return "\n".join(lines)


def plot_accelerate(report: AccelerateReport, path: str | os.PathLike) -> None:
    """Test-accuracy curves against epoch (log axis), one colour per method, one line per seed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    colors = plt.cm.tab10(np.arange(len(report.results)) % 10)
    for col, r in zip(colors, report.results):
        ep = np.maximum(np.asarray(r.curve_epochs, float), 1.0 / report.steps_per_epoch)
        for s, acc in enumerate(r.curve_test_acc):
            ax.plot(ep, acc, color=col, lw=1, alpha=0.8, label=r.method if s == 0 else None)
    ax.axhline(0.95, color="grey", lw=0.6, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"{report.task_summary.get('name', report.config.task)}: {report.config.n_seeds} seeds per method")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_accelerate_report(report: AccelerateReport, out_dir: str | os.PathLike) -> dict[str, str]:
    """Write ``accelerate.json``, ``accelerate.md`` and ``accelerate.png`` (atomically) to ``out_dir``."""
    from grokcheck.checks.training._train import write_json_atomic

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": str(out / "accelerate.json"), "markdown": str(out / "accelerate.md"), "png": str(out / "accelerate.png")}
    write_json_atomic(paths["json"], json_safe(report.to_dict()))
    atomic_write_text(paths["markdown"], accelerate_markdown(report))
    atomic_write_via(paths["png"], lambda tmp: plot_accelerate(report, tmp))
    return paths


