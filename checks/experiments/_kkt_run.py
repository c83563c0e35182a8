"""Margin and KKT certificate along a training run of the shared training layer.

Reads a run directory written by :func:`grokcheck.checks.training._train.train` (``config.json``,
``task.pt``, ``checkpoint.pt``, ``metrics.jsonl``) and every checkpoint in it: the final
``checkpoint.pt`` and, when present, the history ``checkpoints/step_XXXXXXXX.pt`` (same
format, ``{"format": 1, "step": int, "model": state_dict}``; every file is read with torch's
weights-only unpickler and checked, so none can run code) that ``train`` keeps with
``TrainConfig(checkpoint_history=N)`` (CLI ``grokcheck train --checkpoint-history N``, about N
log-spaced checkpoints) or with the callback :func:`checkpoint_history_callback`.

For every checkpoint and seed it evaluates, on that seed's training set,

- the normalized multi-class margin ``γ̄ = min_i (f_{y_i} − max_{j≠y_i} f_j)/‖θ‖^L``
  (``L`` measured, :func:`grokcheck.numerics.homogeneity_degree`);
- the (R1) KKT certificate (:func:`grokcheck.numerics.kkt_certificate`) restricted to the
  ``max_constraints`` tightest constraints,

against the rescaled time ``t·λ/log α`` (``t = η·step``, ``α`` the model's ``init_scale``,
``λ`` the weight decay), where Lyu et al. ("Dichotomy of early and late phase implicit biases
can provably induce grokking", arXiv 2311.18817, Theorems 3.3–3.6 for the late phase) predict
the switch from the kernel regime to the max-margin regime at 1.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from grokcheck.errors import GrokcheckError
from grokcheck.numerics import HomogeneityWarning, homogeneity_degree, kkt_certificate, margins

__all__ = [
    "KKTTrajectory",
    "checkpoint_history_callback",
    "kkt_trajectory",
    "plot_kkt_trajectory",
    "seed_model_fn",
    "write_kkt_trajectory",
]

def checkpoint_history_callback(run_dir: str | os.PathLike, *, every: int = 1):
    """A ``train`` callback that keeps the weights of every ``every``-th evaluation in
    ``run_dir/checkpoints/step_XXXXXXXX.pt`` (written atomically), for ``grokcheck kkt``.

    Returns
    -------
    CheckpointHistory
        Its evaluation counter is saved in ``checkpoint.pt``, so a resumed run keeps the same
        steps. ``TrainConfig(checkpoint_history=N)`` keeps log-spaced steps instead.
    """
    from grokcheck.checks.training._callbacks import CheckpointHistory

    return CheckpointHistory(run_dir, every=every)


def seed_model_fn(model: torch.nn.Module, x: torch.Tensor, s: int):
    """Flat-parameter function of seed ``s`` of a batched ensemble on inputs ``x`` ``(n, ...)``.

    Returns ``(f, theta)`` with ``theta`` ``(P,)`` the seed's parameters (``named_parameters``
    order) and ``f(theta) -> (n, k)``.
    """
    names, shapes, sizes, flat = [], [], [], []
    full = dict(model.named_parameters())
    for name, p in full.items():
        names.append(name)
        shapes.append(p.shape[1:])
        sizes.append(p[s].numel())
        flat.append(p[s].detach().reshape(-1))
    theta = torch.cat(flat).clone()
    xs = x[None]

    def f(th):
        params, off = {}, 0
        for name, shape, size in zip(names, shapes, sizes):
            params[name] = th[off : off + size].reshape((1, *shape))
            off += size
        return torch.func.functional_call(model, params, (xs,))[0]

    return f, theta


@dataclass(frozen=True)
class KKTTrajectory:
    """Lyu quantities along a run; axes ``S`` seeds, ``K`` checkpoints.

    Attributes
    ----------
    run_dir : str. steps : int array ``(K,)``. rescaled_time : ``t·λ/log α`` ``(K,)``.
    alpha, lam, lr : floats (``α`` = init scale, ``λ`` = weight decay, ``η``).
    seeds : int array ``(S,)`` — ensemble indices evaluated.
    margin : ``(S, K)`` normalized margin. q_min : ``(S, K)`` unnormalized. norm : ``(S, K)``.
    stationarity, complementarity : ``(S, K)`` relative KKT residuals (``nan`` when the seed
        does not separate its training set).
    degree : ``(S, K)`` measured homogeneity degree. homogeneous : bool ``(S, K)``.
    train_acc, test_acc : ``(S, K)`` from ``metrics.jsonl`` at the same steps (``nan`` if absent).
    """

    run_dir: str
    steps: np.ndarray
    rescaled_time: np.ndarray
    alpha: float
    lam: float
    lr: float
    seeds: np.ndarray
    margin: np.ndarray
    q_min: np.ndarray
    norm: np.ndarray
    stationarity: np.ndarray
    complementarity: np.ndarray
    degree: np.ndarray
    homogeneous: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray


def _checkpoints(run_dir: Path, final_step: int) -> list[tuple[int, Path]]:
    """``(step, path)`` of the history checkpoints and of ``checkpoint.pt`` (at ``final_step``), sorted."""
    from grokcheck.checks.training._callbacks import history_steps

    out = dict(history_steps(run_dir))
    out.setdefault(int(final_step), run_dir / "checkpoint.pt")
    return sorted(out.items())


def kkt_trajectory(
    run_dir: str | os.PathLike,
    *,
    seeds: Sequence[int] | None = None,
    max_constraints: int = 400,
    active_tol: float | None = 1.0,
    device="cpu",
    progress: bool = False,
) -> KKTTrajectory:
    """Margin and (R1) KKT certificate on every checkpoint of a training-layer run.

    Parameters
    ----------
    run_dir : a run directory of :func:`grokcheck.checks.training._train.train`.
    seeds : ensemble members to evaluate (default all).
    max_constraints, active_tol : passed to :func:`grokcheck.numerics.kkt_certificate` (the
        multi-class problem has ``n(k−1)`` constraints; only the tightest matter at a KKT point).
    """
    from tqdm.auto import tqdm

    from grokcheck.checks.training._resume import read_history_checkpoint
    from grokcheck.checks.training._train import _load_weights, load_run
    from grokcheck.errors import RunDirectoryError

    run_dir = Path(run_dir)
    run = load_run(run_dir, device=device)
    cfg = run.config
    alpha = float(getattr(cfg.model, "init_scale", float("nan")))
    lam = cfg.optimizer.weight_decay
    lr = cfg.optimizer.lr
    if isinstance(lam, (tuple, list)) or isinstance(lr, (tuple, list)):
        raise GrokcheckError("per-seed learning rates / weight decays are not supported by kkt_trajectory")
    lam, lr = float(lam), float(lr)
    # the margins and KKT residuals need neither; only the rescaled time t·λ/log α needs α > 1 and λ > 0
    # (a default run, α = 1, is reported against the step, without a predicted switch)
    rescalable = alpha > 1 and lam > 0
    task, model = run.task, run.model
    S = task.n_seeds
    sel = np.arange(S) if seeds is None else np.asarray(list(seeds), dtype=np.int64)
    if sel.size == 0 or sel.min() < 0 or sel.max() >= S or len(set(sel.tolist())) != sel.size:
        raise GrokcheckError(f"seeds must be distinct ensemble indices in 0..{S - 1} (the run has {S} seeds), "
                             f"got {sel.tolist()}")
    cks = _checkpoints(run_dir, run.step)
    K = len(cks)
    shape = (sel.size, K)
    arr = {k: np.full(shape, np.nan) for k in ("margin", "q_min", "norm", "stationarity", "complementarity", "degree", "train_acc", "test_acc")}
    hom = np.zeros(shape, dtype=bool)
    hist = {int(h["step"]): h for h in run.history}
    dt = next(model.parameters()).dtype
    for k, (step, path) in enumerate(tqdm(cks, disable=not progress, desc="checkpoints", leave=False)):
        # weights-only and checked: a checkpoint cannot run code, a damaged one is named
        ck = run.checkpoint if path.name == "checkpoint.pt" else read_history_checkpoint(path, device)
        if ck["step"] != step:
            raise RunDirectoryError(f"{path} records step {ck['step']}, not the step {step} its name says; "
                                    "re-create the run's checkpoint history", path=run_dir)
        _load_weights(model, ck["model"], path, "read")
        h = hist.get(step, {})
        for a, s in enumerate(sel):
            idx = task.train_idx[s]
            x = task.x[idx].to(device=device, dtype=dt)
            y = task.y[idx].to(device)
            f, theta = seed_model_fn(model, x, int(s))
            with torch.no_grad():
                out = f(theta)
            q = margins(out, y)
            norm = float(torch.linalg.vector_norm(theta.double()))
            arr["q_min"][a, k], arr["norm"][a, k] = float(q.min()), norm
            if np.any(out.detach().abs().cpu().numpy() > 0):
                rtol = 1e-10 if dt == torch.float64 else 1e-4
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", HomogeneityWarning)
                    hm = homogeneity_degree(f, theta, rtol=rtol, warn=False)
                L = hm.degree
                arr["degree"][a, k], hom[a, k] = L, hm.homogeneous
                arr["margin"][a, k] = float(q.min()) / norm**L
                if q.min() > 0:
                    cert = kkt_certificate(f, theta, y, degree=L, active_tol=active_tol, max_constraints=max_constraints)
                    arr["stationarity"][a, k] = cert.stationarity_relative
                    arr["complementarity"][a, k] = cert.complementarity_relative
            for key in ("train_acc", "test_acc"):
                v = h.get(key)
                if isinstance(v, list) and v[s] is not None:
                    arr[key][a, k] = float(v[s])
    steps = np.array([s for s, _ in cks], dtype=np.int64)
    rescaled = lr * steps * lam / math.log(alpha) if rescalable else np.full(steps.shape, np.nan)
    return KKTTrajectory(str(run_dir), steps, rescaled, alpha, lam, lr, sel,
                         homogeneous=hom, **arr)


def plot_kkt_trajectory(traj: KKTTrajectory, path: str | os.PathLike) -> None:
    """PNG: normalized margin, KKT residuals and accuracies against ``t·λ/log α``, with the
    predicted switch at 1 marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(6.5, 8), sharex=True)
    rescaled = bool(np.all(np.isfinite(traj.rescaled_time)))
    x = traj.rescaled_time if rescaled else traj.steps
    for a, s in enumerate(traj.seeds):
        axes[0].plot(x, traj.margin[a], "o-", ms=3, label=f"seed {s}")
        axes[1].semilogy(x, traj.stationarity[a], "o-", ms=3, label=f"stationarity, seed {s}")
        axes[1].semilogy(x, traj.complementarity[a], "x--", ms=3, label=f"complementarity, seed {s}")
        axes[2].plot(x, traj.train_acc[a], "-", label=f"train, seed {s}")
        axes[2].plot(x, traj.test_acc[a], "--", label=f"test, seed {s}")
    for ax in axes if rescaled else ():
        ax.axvline(1.0, color="k", ls=":", lw=1)
    axes[0].set_ylabel("normalized margin")
    axes[1].set_ylabel("relative KKT residual")
    axes[2].set_ylabel("accuracy")
    axes[2].set_xlabel(r"$t\lambda/\log\alpha$  (predicted switch at 1)" if rescaled else
                       f"step (no predicted switch: it needs α > 1 and λ > 0; the run has α={traj.alpha:g}, λ={traj.lam:g})")
    axes[0].set_title(f"Lyu quantities: α={traj.alpha:g}, λ={traj.lam:g}, η={traj.lr:g}")
    for ax in axes:
        ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_kkt_trajectory(traj: KKTTrajectory, out_dir: str | os.PathLike) -> dict:
    """Write ``kkt.json`` and ``kkt.png`` atomically into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    def clean(v):
        a = np.asarray(v, dtype=np.float64)
        return [[None if not math.isfinite(z) else float(z) for z in row] for row in np.atleast_2d(a)]

    doc = {
        "run_dir": traj.run_dir, "alpha": traj.alpha, "lambda": traj.lam, "lr": traj.lr,
        "predicted_switch_step": (math.log(traj.alpha) / (traj.lam * traj.lr)
                                  if traj.alpha > 1 and traj.lam > 0 else None),
        "steps": traj.steps.tolist(), "rescaled_time": clean(traj.rescaled_time)[0], "seeds": traj.seeds.tolist(),
        **{k: clean(getattr(traj, k)) for k in ("margin", "q_min", "norm", "stationarity", "complementarity",
                                                "degree", "train_acc", "test_acc")},
        "homogeneous": traj.homogeneous.tolist(),
    }
    from grokcheck.checks._io import atomic_write_json, atomic_write_via

    jp = atomic_write_json(out / "kkt.json", doc)
    pp = atomic_write_via(out / "kkt.png", lambda tmp: plot_kkt_trajectory(traj, tmp))
    return {"json": str(jp), "png": str(pp)}
