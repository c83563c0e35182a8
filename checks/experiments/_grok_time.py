"""The grokking-time law ``t_grok ≈ (1/λ) log α`` of Lyu et al.: sweeps, fit, collapse plot.

Prediction (Lyu et al., arXiv 2311.18817, Theorems 3.4/3.5): the kernel-to-rich transition, and with it the
test-accuracy jump, sits at continuous time ``t_grok = (1/λ)(log α + O(1))`` where the ``O(1)``
term does not grow with ``α`` (our estimate: ``−(1/L) log Θ(log 1/λ)``, the time the norm needs to
fall to the scale at which the model can fit the data). Hence

- at fixed ``λ`` the slope of ``t_grok`` against ``log α`` is ``1/λ`` (additive corrections
  cancel): we fit it per ``λ`` by least squares and report ``λ · slope`` (prediction: 1);
- ``t_grok · λ / log α → 1`` as ``α → ∞``; at finite ``α`` it is ``1 + b(λ)/log α`` with the
  fitted intercept ``b(λ)`` of ``t_grok·λ = a·log α + b`` — the finite-α correction we report;
- plotting ``t_grok · λ`` against ``log α`` collapses every ``λ`` onto lines of slope 1.

Time is continuous time ``t = η · steps`` (docs/conventions.md, training time); ``t_grok`` is the first logged time
with test accuracy ≥ 0.95 (``diag``, ``modadd``) or, for matrix completion (``mc``), the first
logged time the test loss falls to half its kernel-phase plateau.

Tasks: ``diag`` (diagonal net on k-sparse sign labels, :mod:`._diagonal_net`), ``mc`` (matrix
completion, :mod:`._matrix_completion`), ``modadd`` (ReLU MLP ``W₂ ReLU(W₁x + b₁)`` on
``ℤ_p`` with He init scaled by ``α`` and ``W₂ = 0``, trained with the shared training layer
:func:`grokcheck.checks.train`; an output bias would break homogeneity).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from grokcheck.checks._io import json_safe
from grokcheck.errors import GrokcheckError

__all__ = [
    "GrokTimeFit",
    "GrokTimeSweep",
    "MODADD_PAPER_SETTINGS",
    "TASK_DEFAULTS",
    "fit_grok_time",
    "grok_time_sweep",
    "plot_grok_time_collapse",
    "write_grok_time",
]

#: CPU-feasible defaults per task (documented sizes; the paper's are in Lyu et al., arXiv 2311.18817, Section 2).
TASK_DEFAULTS = {
    # paper: n=256, d=1e5, k=3, η=0.01, λ=1e-3. Here d=2000 keeps k² log d (≈68) ≪ n ≪ k·d (6000).
    "diag": {"n": 256, "d": 2000, "k": 3, "n_test": 2000, "eta_lambda": 2e-3, "horizon": 1.3, "evals": 400},
    # paper: d=97, 5%, α=10, η=0.1, λ=1e-4.
    "mc": {"d": 97, "fraction": 0.05, "lr": 0.1, "horizon": 2.0, "evals": 400},
    # CPU setting (p=23, h=128, 60% train, η·λ = 5e-4). Measured: memorizes at step 1000 but the
    # test accuracy only creeps to 0.36 by 12·log α/(ηλ) steps (α=5, λ=1e-3) — too small to grok
    # sharply; use MODADD_PAPER_SETTINGS on a GPU.
    "modadd": {"p": 23, "width": 128, "train_fraction": 0.6, "eta_lambda": 5e-4, "lr_max": 0.5,
               "horizon": 1.6, "evals": 200, "device": "cpu"},
}

#: Lyu et al., arXiv 2311.18817, Section 2: p=97, 40% train, h=1024, full-batch GD, lr 0.002, weight decay 1e-4
#: (η·λ = 2e-7, so t_grok ≈ log α / 2e-7 ≈ 1e7 steps at α = 10: a GPU job).
MODADD_PAPER_SETTINGS = {"p": 97, "width": 1024, "train_fraction": 0.4, "eta_lambda": 2e-7, "lr_max": 0.002,
                         "horizon": 1.6, "evals": 400, "device": "cuda"}


@dataclass(frozen=True)
class GrokTimeFit:
    """Least-squares fits of ``t_grok`` (seed mean per cell) against ``log α``.

    Attributes
    ----------
    lambdas : array ``(L,)`` of distinct ``λ``.
    slopes, intercepts : arrays ``(L,)`` — ``t_grok = slope · log α + intercept`` at each ``λ``.
    slope_stderr : array ``(L,)`` — standard error of each slope (``nan`` with 2 points).
    lambda_slope : ``λ · slope`` (prediction 1).
    correction : ``λ · intercept`` (the finite-α shift ``b``: ``t_grok·λ/log α ≈ λ·slope + b/log α``).
    ratio : array ``(C,)`` — ``t_grok · λ / log α`` per cell (seed mean of ``t_grok``).
    residuals : array ``(C,)`` — ``t_grok − (slope · log α + intercept)`` per cell, in time units.
    cells_used : bool ``(C,)`` — cells where every seed grokked.
    """

    lambdas: np.ndarray
    slopes: np.ndarray
    intercepts: np.ndarray
    slope_stderr: np.ndarray
    lambda_slope: np.ndarray
    correction: np.ndarray
    ratio: np.ndarray
    residuals: np.ndarray
    cells_used: np.ndarray


@dataclass(frozen=True)
class GrokTimeSweep:
    """One sweep: cells ``(α_c, λ_c, η_c)``, seeds, measured ``t_grok`` and the fit.

    Attributes
    ----------
    task : ``"diag"``, ``"mc"`` or ``"modadd"``.
    alphas, lambdas, lrs : arrays ``(C,)``.
    seeds : tuple.
    t_grok : array ``(S, C)`` continuous time (``nan`` = never within the horizon).
    steps : array ``(C,)`` — steps each cell ran.
    fit : :class:`GrokTimeFit`.
    settings : dict of the sizes and hyper-parameters used.
    extras : dict of task-specific per-cell measurements (lists), e.g. cosines.
    """

    task: str
    alphas: np.ndarray
    lambdas: np.ndarray
    lrs: np.ndarray
    seeds: tuple
    t_grok: np.ndarray
    steps: np.ndarray
    fit: GrokTimeFit
    settings: dict
    extras: dict = field(default_factory=dict)

    @property
    def predicted(self) -> np.ndarray:
        """``log α / λ`` per cell."""
        return np.log(self.alphas) / self.lambdas

    def table(self) -> list[dict]:
        """One row per cell: α, λ, η, steps, t_grok per seed and mean, prediction, ratio, residual."""
        rows = []
        for c in range(self.alphas.size):
            tg = self.t_grok[:, c]
            rows.append({
                "alpha": float(self.alphas[c]), "lambda": float(self.lambdas[c]), "lr": float(self.lrs[c]),
                "steps": int(self.steps[c]),
                "t_grok": [None if not np.isfinite(t) else float(t) for t in tg],
                "t_grok_mean": float(np.mean(tg)) if np.all(np.isfinite(tg)) else None,
                "predicted": float(self.predicted[c]),
                "ratio": float(self.fit.ratio[c]) if np.isfinite(self.fit.ratio[c]) else None,
                "residual": float(self.fit.residuals[c]) if np.isfinite(self.fit.residuals[c]) else None,
            })
        return rows


def fit_grok_time(alphas, lambdas, t_grok) -> GrokTimeFit:
    """Fit ``t_grok`` (``(S, C)`` or ``(C,)``) against ``log α`` separately at each ``λ``.

    Cells where some seed never grokked are left out of the fit (``cells_used``).
    """
    a = np.asarray(alphas, dtype=np.float64)
    lam = np.asarray(lambdas, dtype=np.float64)
    tg = np.atleast_2d(np.asarray(t_grok, dtype=np.float64))
    used = np.all(np.isfinite(tg), axis=0)
    mean = np.full(a.size, np.nan)
    mean[used] = tg[:, used].mean(axis=0)
    ls = np.unique(lam)
    slopes, inter, se = (np.full(ls.size, np.nan) for _ in range(3))
    resid = np.full(a.size, np.nan)
    for k, l in enumerate(ls):
        sel = (lam == l) & used
        x, yv = np.log(a[sel]), mean[sel]
        if np.unique(x).size < 2:
            continue
        A = np.stack([x, np.ones_like(x)], axis=1)
        coef, *_ = np.linalg.lstsq(A, yv, rcond=None)
        slopes[k], inter[k] = coef
        r = yv - A @ coef
        resid[np.nonzero(sel)[0]] = r
        if x.size > 2:
            s2 = float(r @ r) / (x.size - 2)
            se[k] = math.sqrt(s2 / float(((x - x.mean()) ** 2).sum()))
    ratio = mean * lam / np.log(a)
    return GrokTimeFit(ls, slopes, inter, se, ls * slopes, ls * inter, ratio, resid, used)


def _diag(alphas, lambdas, seeds, settings, progress):
    from grokcheck.checks.experiments._diagonal_net import sparse_sign_data, train_diagonal_nets

    s = settings
    lrs = s["eta_lambda"] / lambdas
    steps = int(math.ceil(s["horizon"] * np.max(np.log(alphas) / (lambdas * lrs))))
    data = sparse_sign_data(n=s["n"], d=s["d"], k=s["k"], n_test=s["n_test"], seeds=seeds)
    run = train_diagonal_nets(data, alphas=alphas, lambdas=lambdas, lrs=lrs, steps=steps,
                              eval_every=max(1, steps // s["evals"]), snapshot_fractions=(0.5,),
                              reference=True, progress=progress)
    T = run.times.shape[1]
    extras = {
        "final_test_acc": run.test_acc[:, :, -1].mean(axis=0).tolist(),
        "final_cos_w1": run.cos_w1[:, :, -1].mean(axis=0).tolist(),
        "cos_w2_at_half": [float(run.cos_w2[:, c, np.searchsorted(run.steps, run.snapshot_steps[0, c])
                                             .clip(0, T - 1)].mean()) for c in range(alphas.size)],
    }
    return run.t_grok, lrs, np.full(alphas.size, steps), extras


def _mc(alphas, lambdas, seeds, settings, progress):
    from grokcheck.checks.experiments._matrix_completion import matrix_completion_data, train_matrix_completion

    s = settings
    data = matrix_completion_data(d=s["d"], fraction=s["fraction"], seeds=seeds)
    # GD on U = αI is stable for η·α²·(4/n)·2 < 2; keep a factor 4 below that bound.
    lrs = np.minimum(s["lr"], data.n / (16 * alphas**2))
    steps = int(math.ceil(s["horizon"] * np.max(np.log(alphas) / (lambdas * lrs))))
    run = train_matrix_completion(data, alphas=alphas, lambdas=lambdas, lrs=lrs, steps=steps,
                                  eval_every=max(1, steps // s["evals"]), progress=progress)
    t = run.transition_step * lrs[None, :]
    extras = {"plateau": run.plateau.tolist(), "final_test_loss": run.test_loss[:, :, -1].mean(axis=0).tolist()}
    return t, lrs, np.full(alphas.size, steps), extras


def _modadd(alphas, lambdas, seeds, settings, progress):
    from grokcheck.checks.training._data import group_task
    from grokcheck.checks.training._models import MLPConfig
    from grokcheck.checks.training._optimizers import OptimizerConfig
    from grokcheck.checks.training._train import TrainConfig, train
    from grokcheck.theory import group

    s = settings
    G = group(f"C{s['p']}")
    lrs = np.minimum(s["lr_max"], s["eta_lambda"] / lambdas)
    out = np.full((len(seeds), alphas.size), np.nan)
    steps_all = np.zeros(alphas.size, dtype=np.int64)
    # the training layer batches seeds s0, s0+1, ...; use the first seed as the base.
    base, S = int(seeds[0]), len(seeds)
    for c in range(alphas.size):
        steps = int(math.ceil(s["horizon"] * math.log(alphas[c]) / (lambdas[c] * lrs[c])))
        steps_all[c] = steps
        task = group_task(G, train_fraction=s["train_fraction"], n_seeds=S, seed=base, encoding="concat")
        cfg = TrainConfig(
            model=MLPConfig(widths=(s["width"],), bias="first", init="he", init_scale=float(alphas[c]), zero_last=True),
            optimizer=OptimizerConfig("sgd", lr=float(lrs[c]), weight_decay=float(lambdas[c])),
            steps=steps, n_seeds=S, seed=base, eval_every=max(1, steps // s["evals"]), checkpoint_every=None,
        )
        res = train(cfg, task, out_dir=None, device=s.get("device", "cpu"), progress=progress)
        tg = np.asarray(res.t_grok, dtype=np.float64)
        out[:, c] = np.where(tg >= 0, tg * lrs[c], np.nan)
    return out, lrs, steps_all, {"seeds_note": f"training-layer seeds {base}..{base + S - 1}"}


_RUNNERS = {"diag": _diag, "mc": _mc, "modadd": _modadd}


def grok_time_sweep(
    task: str,
    *,
    alphas: Sequence[float],
    lambdas: Sequence[float],
    seeds: Sequence[int] = (0,),
    grid: bool = True,
    progress: bool = False,
    **overrides,
) -> GrokTimeSweep:
    """Measure ``t_grok`` on every ``(α, λ)`` cell × seed and fit the ``(1/λ) log α`` law.

    Parameters
    ----------
    task : ``"diag"``, ``"mc"`` or ``"modadd"``.
    alphas, lambdas : values; with ``grid=True`` every pair is a cell (``C = |α|·|λ|``),
        otherwise they are zipped.
    seeds : data/initialization seeds (batched as one tensor computation for ``diag`` and
        ``mc``; for ``modadd`` the training layer's batched ensemble).
    overrides : replace entries of :data:`TASK_DEFAULTS[task]` (e.g. ``d=500``, ``horizon=1.5``).

    The learning rate is chosen per cell with ``η·λ`` fixed (``eta_lambda``) for ``diag``
    and ``modadd``, so every cell needs about the same number of steps per unit of
    ``log α``; for ``mc`` it is ``min(lr, n/(16α²))`` (GD stability at ``U = αI``).
    """
    if task not in _RUNNERS:
        raise GrokcheckError(f"unknown task {task!r}; choose one of {sorted(_RUNNERS)}")
    unknown = set(overrides) - set(TASK_DEFAULTS[task])
    if unknown:
        raise GrokcheckError(f"unknown settings for task {task!r}: {sorted(unknown)}; known: {sorted(TASK_DEFAULTS[task])}")
    settings = {**TASK_DEFAULTS[task], **overrides}
    al = np.asarray(alphas, dtype=np.float64)
    lm = np.asarray(lambdas, dtype=np.float64)
    if grid:
        A, L = np.meshgrid(al, lm, indexing="xy")
        al, lm = A.reshape(-1), L.reshape(-1)
    elif al.shape != lm.shape:
        raise GrokcheckError("with grid=False, alphas and lambdas must have the same length")
    seeds = tuple(int(s) for s in seeds)
    t, lrs, steps, extras = _RUNNERS[task](al, lm, seeds, settings, progress)
    return GrokTimeSweep(task, al, lm, np.asarray(lrs, dtype=np.float64), seeds, np.asarray(t, dtype=np.float64),
                         np.asarray(steps), fit_grok_time(al, lm, t), settings, extras)


def plot_grok_time_collapse(sweep: GrokTimeSweep, path: str | os.PathLike) -> None:
    """PNG: ``t_grok · λ`` against ``log α`` for every ``λ`` (the collapse onto slope 1),
    with each fitted line, the prediction ``y = log α``, and the residuals below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, axr) = plt.subplots(2, 1, figsize=(6, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    la = np.log(sweep.alphas)
    x = np.linspace(0, la.max() * 1.05, 50)
    ax.plot(x, x, "k--", lw=1, label=r"prediction $t\lambda=\log\alpha$")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    f = sweep.fit
    for k, l in enumerate(f.lambdas):
        col = colors[k % len(colors)]
        sel = sweep.lambdas == l
        for s in range(sweep.t_grok.shape[0]):
            ax.plot(la[sel], sweep.t_grok[s, sel] * l, "o", color=col, alpha=0.5, ms=4)
        if np.isfinite(f.slopes[k]):
            ax.plot(x, l * (f.slopes[k] * x + f.intercepts[k]), "-", color=col,
                    label=f"λ={l:g}: λ·slope={f.lambda_slope[k]:.3f}")
            axr.plot(la[sel], f.residuals[sel] * l, "o-", color=col)
    ax.set_ylabel(r"$t_{\rm grok}\cdot\lambda$")
    ax.set_title(f"grokking time collapse ({sweep.task})")
    ax.legend(fontsize=8)
    axr.axhline(0, color="k", lw=0.8)
    axr.set_xlabel(r"$\log\alpha$")
    axr.set_ylabel("residual · λ")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_grok_time(sweep: GrokTimeSweep, out_dir: str | os.PathLike) -> dict:
    """Write ``grok_time.json`` (table, fit, residuals, settings) and ``collapse.png``
    atomically into ``out_dir``; return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    f = sweep.fit
    doc = json_safe({
        "task": sweep.task, "seeds": list(sweep.seeds), "settings": sweep.settings,
        "prediction": "t_grok = (1/λ)·log α (Lyu et al. ICLR 2024, Thms 3.4/3.5); at fixed λ slope vs log α = 1/λ",
        "table": sweep.table(),
        "fit": {"lambdas": f.lambdas, "slopes": f.slopes, "slope_stderr": f.slope_stderr,
                "intercepts": f.intercepts, "lambda_slope": f.lambda_slope, "correction": f.correction},
        "extras": sweep.extras,
    })
    from grokcheck.checks._io import atomic_write_json, atomic_write_via

    jp = atomic_write_json(out / "grok_time.json", doc)
    pp = atomic_write_via(out / "collapse.png", lambda tmp: plot_grok_time_collapse(sweep, tmp))
    return {"json": str(jp), "png": str(pp)}
