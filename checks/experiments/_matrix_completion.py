"""Over-parameterized matrix completion ``W = UUᵀ − VVᵀ`` in Lyu et al.'s two phases.

Setting (Lyu et al., arXiv 2311.18817, ICLR 2024, Section 3.3, and the authors' ``train_mc.py``):

- Target ``X* = u uᵀ`` with ``u = (0, 1/d, …, (d−1)/d)``, i.e. ``X*_ij = ij/d²`` (a
  multiplication table); ``d = 97``; ``n = round(0.05 d²)`` entries ``Ω`` drawn uniformly
  without replacement from the ``d²`` positions; the test set is every other position.
- Model ``f(θ; (i, j)) = W_ij`` with ``U, V ∈ ℝ^{d×d}``, init ``U = V = α I`` (zero output),
  2-homogeneous.
- Loss ``(1/n) Σ_Ω (W_ij − X*_ij)² + (λ/2)(‖U‖_F² + ‖V‖_F²)``, full-batch GD, step ``η``.
- Predictions: in the kernel phase (``t < (1−c) log α / λ``, Corollary 3.11) ``W_ij → X*_ij``
  on ``Ω ∪ Ωᵀ`` and ``W_ij → 0`` elsewhere, so the test loss sits at the plateau
  ``mean_{test} (X* − W_kernel)²``; around ``steps ≈ log α / (ηλ)`` it drops, and the rich-phase
  limit is the min-nuclear-norm fit: ``min (1/n)Σ_Ω (W − X*)² + (λ/2)‖W‖_*`` over symmetric ``W``
  (``min{‖U‖² + ‖V‖²: UUᵀ − VVᵀ = W} = ‖W‖_*``), computed by
  :func:`grokcheck.numerics.min_nuclear_norm_completion` with ``lam = λ/2``
  (:func:`nuclear_reference`); as ``λ → 0`` it tends to the exactly constrained
  min-nuclear-norm symmetric completion.

Batching: ``B`` = cells × seeds runs share one ``(B, d, d)`` computation; each seed draws its own
observed set. Transition step: the first logged step whose test loss is at most
``transition_fraction`` (default ½) of the kernel plateau.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from grokcheck.errors import GrokcheckError, NumericalFailure

__all__ = [
    "MatrixCompletionData",
    "MatrixCompletionRun",
    "character_table_target",
    "matrix_completion_data",
    "nuclear_reference",
    "train_matrix_completion",
    "weight_decay_threshold",
]


@dataclass(frozen=True)
class MatrixCompletionData:
    """Observed sets for ``S`` seeds.

    Attributes
    ----------
    d : matrix size. target : array ``(d, d)`` — ``X*``.
    seeds : tuple of int.
    rows, cols : int arrays ``(S, n)`` — observed positions per seed.
    n : number of observed entries.
    """

    d: int
    target: np.ndarray
    seeds: tuple
    rows: np.ndarray
    cols: np.ndarray
    n: int

    def observed_mask(self, s: int) -> np.ndarray:
        """Bool ``(d, d)``: ``(i, j) ∈ Ω``."""
        m = np.zeros((self.d, self.d), dtype=bool)
        m[self.rows[s], self.cols[s]] = True
        return m

    def kernel_prediction(self, s: int) -> np.ndarray:
        """Corollary 3.11's kernel-phase limit: ``X*`` on ``Ω ∪ Ωᵀ``, 0 elsewhere."""
        m = self.observed_mask(s)
        m = m | m.T
        return np.where(m, self.target, 0.0)


def matrix_completion_data(
    *, d: int = 97, fraction: float = 0.05, seeds: Sequence[int] | int = 0, target: np.ndarray | None = None
) -> MatrixCompletionData:
    """Observed sets for completing ``target`` (default: the table ``X*_ij = ij/d²``).

    ``round(fraction·d²)`` positions are drawn uniformly without replacement per seed
    (``numpy.random.default_rng(seed)``). ``target`` is a real symmetric ``(d, d)`` array (the
    model ``UUᵀ − VVᵀ`` is symmetric, so a non-symmetric target cannot be fitted), e.g.
    :func:`character_table_target`; with it, ``d`` is taken from its shape.
    """
    S = (int(seeds),) if isinstance(seeds, (int, np.integer)) else tuple(int(s) for s in seeds)
    if target is None:
        u = np.arange(d) / d
        X = np.outer(u, u)
    else:
        X = np.asarray(target, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] != X.shape[1]:
            raise GrokcheckError(f"matrix completion target must be a square matrix, got shape {X.shape}")
        if not np.all(np.isfinite(X)):
            raise GrokcheckError("matrix completion target has non-finite entries")
        asym = float(np.abs(X - X.T).max())
        if asym > 1e-12 * max(1.0, float(np.abs(X).max())):  # rounding of symmetric data only
            raise GrokcheckError(f"matrix completion target is not symmetric (max |X − Xᵀ| = {asym:.3g}); "
                                 "W = UUᵀ − VVᵀ can only fit symmetric matrices")
        d = X.shape[0]
    n = int(round(fraction * d * d))
    if not 0 < n < d * d:
        raise GrokcheckError(f"fraction {fraction} gives {n} observed entries out of {d * d}")
    rows, cols = [], []
    for s in S:
        perm = np.random.default_rng(s).permutation(d * d)[:n]
        rows.append(perm // d)
        cols.append(perm % d)
    return MatrixCompletionData(d, X, S, np.stack(rows), np.stack(cols), n)


def character_table_target(G, degree: int = 1) -> tuple[np.ndarray, dict]:
    """The group's multiplication table seen through one character: ``X*[g, h] = Re χ(gh) / χ(1)``.

    ``χ`` is the first non-trivial irreducible character of ``G`` (in the order of
    ``G.character_table``) of the given ``degree``. ``X*`` is symmetric for every group, since
    ``hg = g⁻¹(gh)g`` is conjugate to ``gh`` and ``χ`` is a class function. Writing
    ``χ(gh) = Σ_ij ρ(g)_ij ρ(h)_ji``, with the ``d²`` matrix coefficients ``ρ_ij`` linearly
    independent (Schur orthogonality), gives ``rank X* = d²`` when ``χ`` is real-valued
    (Frobenius–Schur indicator ±1) and ``2d²`` when it is not (``Re χ = (χ + χ̄)/2`` and ``ρ̄``
    is inequivalent to ``ρ``): a low-rank target when ``d² ≪ |G|``. Entries lie in ``[−1, 1]``.

    Parameters
    ----------
    G : a :class:`~grokcheck.theory.FiniteGroup` (elements ``0..n−1``, ``G.table[g, h] = gh``).
    degree : the degree ``d`` of ``χ``.

    Returns
    -------
    ``(X*, info)``: the ``(n, n)`` float array and ``{"irrep": index, "degree", "fs_indicator", "rank"}``.
    """
    ct = G.character_table
    degs = [int(x) for x in ct.degrees]
    chars = np.asarray(ct.on_elements())
    cand = [i for i, dg in enumerate(degs) if dg == int(degree) and not np.allclose(chars[i], 1.0)]
    if not cand:
        raise GrokcheckError(f"{G.name} has no non-trivial irreducible character of degree {degree} "
                             f"(degrees {sorted(set(degs))})")
    k = cand[0]
    chi = np.real(chars[k]) / degs[k]
    X = chi[np.asarray(G.table)]
    X = 0.5 * (X + X.T)  # exact up to the rounding of the numeric character values
    info = {"irrep": k, "degree": degs[k], "fs_indicator": int(ct.fs_indicators[k]),
            "rank": int(np.linalg.matrix_rank(X, tol=1e-8 * G.order))}
    return X, info


@dataclass(frozen=True)
class MatrixCompletionRun:
    """Trajectories of ``S × C`` matrix-completion runs (log axis ``T``).

    Attributes
    ----------
    data : the :class:`MatrixCompletionData`.
    alphas, lambdas, lrs : arrays ``(C,)``.
    steps : int array ``(T,)``.
    train_loss, test_loss : arrays ``(S, C, T)`` — MSE on ``Ω`` and on its complement.
    unobserved_abs : array ``(S, C, T)`` — mean ``|W_ij|`` over positions with neither
        ``(i, j)`` nor ``(j, i)`` observed.
    nuclear_norm, norm : arrays ``(S, C, T)`` — ``‖W‖_*`` and ``‖θ‖₂``.
    plateau : array ``(S,)`` — test loss of the kernel-phase prediction.
    transition_step : array ``(S, C)`` — first logged step with test loss ≤
        ``transition_fraction · plateau`` (``nan`` if never).
    W : array ``(S, C, d, d)`` — final ``W``.
    W_snapshots : array ``(F, S, C, d, d)`` at ``c · log α/(ηλ)`` for ``c`` in ``snapshot_fractions``.
    status : ``"completed"`` or ``"nan_encountered"`` (only with ``throw=False``).
    theta_snapshots : array ``(F, S, C, 2, d, d)`` — the factors ``(U, V)`` at the same steps (the
        parameters the KKT certificate of (R2) is evaluated at).
    """

    data: MatrixCompletionData
    alphas: np.ndarray
    lambdas: np.ndarray
    lrs: np.ndarray
    steps: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    unobserved_abs: np.ndarray
    nuclear_norm: np.ndarray
    norm: np.ndarray
    plateau: np.ndarray
    transition_step: np.ndarray
    transition_fraction: float
    W: np.ndarray
    snapshot_fractions: tuple
    W_snapshots: np.ndarray
    status: str
    theta_snapshots: np.ndarray | None = None

    @property
    def predicted_steps(self) -> np.ndarray:
        """``log α / (ηλ)`` per cell, shape ``(C,)``."""
        return np.log(self.alphas) / (self.lrs * self.lambdas)


def train_matrix_completion(
    data: MatrixCompletionData,
    *,
    alphas: Sequence[float] = (10.0,),
    lambdas: Sequence[float] = (1e-4,),
    lrs: Sequence[float] | float = 0.1,
    steps: int,
    eval_every: int = 100,
    snapshot_fractions: Sequence[float] = (0.5,),
    transition_fraction: float = 0.5,
    dtype: torch.dtype = torch.float64,
    device="cpu",
    progress: bool = False,
    throw: bool = True,
) -> MatrixCompletionRun:
    """Full-batch GD on ``(1/n)Σ_Ω (W_ij − X*_ij)² + (λ/2)‖θ‖²`` for every seed × cell at once.

    Parameters
    ----------
    data : :class:`MatrixCompletionData` (``S`` seeds).
    alphas, lambdas : per-cell init scale ``α`` (``U = V = αI``) and weight decay ``λ``.
    lrs : per-cell step size ``η`` (or one for all).
    steps : number of GD steps.
    eval_every : logging period.
    snapshot_fractions : keep ``W`` at the step nearest ``c · log α/(ηλ)``.
    transition_fraction : the test-loss level (relative to the plateau) defining the
        transition step.
    dtype, device : of the computation.
    progress : show a tqdm bar.
    throw : raise :class:`~grokcheck.errors.NumericalFailure` on a non-finite loss; with
        ``throw=False`` training stops there and ``status`` is ``"nan_encountered"``.
    """
    from tqdm.auto import tqdm

    a = np.asarray(alphas, dtype=np.float64).reshape(-1)
    lam = np.asarray(lambdas, dtype=np.float64).reshape(-1)
    lr = np.broadcast_to(np.asarray(lrs, dtype=np.float64), a.shape).copy()
    if a.shape != lam.shape:
        raise GrokcheckError("alphas and lambdas must have the same length (one per cell)")
    if np.any(a <= 1) or np.any(lam < 0) or np.any(lr <= 0):
        raise GrokcheckError("need α > 1, λ ≥ 0, η > 0 in every cell")
    if np.any(lam == 0) and len(snapshot_fractions):
        raise GrokcheckError("a cell without weight decay (λ = 0) has no time scale log α/λ for snapshots; "
                             "pass snapshot_fractions=()")
    d, S, C, n = data.d, len(data.seeds), a.size, data.n
    B = S * C
    to = lambda z: torch.as_tensor(z, dtype=dtype, device=device)  # noqa: E731
    Xs = to(data.target)
    obs = np.stack([data.observed_mask(s) for s in range(S)])  # (S, d, d)
    obs_t = to(obs.astype(np.float64)).repeat_interleave(C, dim=0)  # (B, d, d), b = s*C + c
    never = ~(obs | obs.transpose(0, 2, 1))
    never_t = to(never.astype(np.float64)).repeat_interleave(C, dim=0)
    test_t = 1.0 - obs_t
    n_test = float(d * d - n)
    n_never = never_t.sum(dim=(1, 2))
    lam_b = to(np.tile(lam, S))[:, None, None]
    lr_b = to(np.tile(lr, S))[:, None, None]
    eye = torch.eye(d, dtype=dtype, device=device)
    U = to(np.tile(a, S))[:, None, None] * eye
    V = U.clone()
    plateau = np.array([float(((data.kernel_prediction(s) - data.target) ** 2)[~obs[s]].mean()) for s in range(S)])

    fr = tuple(float(c) for c in snapshot_fractions)
    snap_steps = np.array([[int(round(c * math.log(a[j]) / (lam[j] * lr[j]))) for j in range(C)] for c in fr],
                          dtype=np.int64).reshape(len(fr), C)
    snap_at: dict[int, list] = {}
    for fi in range(len(fr)):
        for j in range(C):
            snap_at.setdefault(int(min(snap_steps[fi, j], steps)), []).append((fi, j))
    W_snap = np.zeros((len(fr), S, C, d, d))
    th_snap = np.zeros((len(fr), S, C, 2, d, d))
    log_steps = sorted(set(range(0, steps + 1, eval_every)) | {steps})
    T = len(log_steps)
    rec = {k: np.full((B, T), np.nan) for k in ("train_loss", "test_loss", "unobserved_abs", "nuclear_norm", "norm")}
    ti = 0
    status = "completed"
    bar = tqdm(total=steps, disable=not progress, desc="matrix completion", leave=False)
    with torch.no_grad():
        for step in range(steps + 1):
            W = U @ U.transpose(1, 2) - V @ V.transpose(1, 2)
            R = (W - Xs) * obs_t
            if step in snap_at:
                Wn = W.cpu().numpy().reshape(S, C, d, d)
                Un, Vn = U.cpu().numpy().reshape(S, C, d, d), V.cpu().numpy().reshape(S, C, d, d)
                for fi, j in snap_at[step]:
                    W_snap[fi, :, j] = Wn[:, j]
                    th_snap[fi, :, j, 0], th_snap[fi, :, j, 1] = Un[:, j], Vn[:, j]
            if ti < T and step == log_steps[ti]:
                rec["train_loss"][:, ti] = ((R * R).sum(dim=(1, 2)) / n).cpu().numpy()
                rec["test_loss"][:, ti] = ((((W - Xs) * test_t) ** 2).sum(dim=(1, 2)) / n_test).cpu().numpy()
                rec["unobserved_abs"][:, ti] = ((W.abs() * never_t).sum(dim=(1, 2)) / n_never).cpu().numpy()
                rec["nuclear_norm"][:, ti] = torch.linalg.eigvalsh(0.5 * (W + W.transpose(1, 2))).abs().sum(dim=1).cpu().numpy()
                rec["norm"][:, ti] = torch.sqrt((U * U).sum(dim=(1, 2)) + (V * V).sum(dim=(1, 2))).cpu().numpy()
                if not np.all(np.isfinite(rec["train_loss"][:, ti])):
                    b = int(np.argwhere(~np.isfinite(rec["train_loss"][:, ti]))[0, 0])
                    status = "nan_encountered"
                    if throw:
                        raise NumericalFailure(
                            f"non-finite loss in matrix completion (seed {data.seeds[b // C]}, cell {b % C}) at step {step}",
                            where={"seed": data.seeds[b // C], "cell": b % C, "step": step},
                        )
                    break
                ti += 1
            if step == steps:
                break
            E = (2.0 / n) * R
            E = E + E.transpose(1, 2)
            U, V = U - lr_b * (E @ U + lam_b * U), V - lr_b * (-(E @ V) + lam_b * V)
            bar.update(1)
    bar.close()
    st = np.asarray(log_steps, dtype=np.int64)
    rec = {k: v.reshape(S, C, T) for k, v in rec.items()}
    below = rec["test_loss"] <= transition_fraction * plateau[:, None, None]
    first = np.where(below.any(axis=2), below.argmax(axis=2), -1)
    trans = np.where(first >= 0, st[np.maximum(first, 0)], np.nan).astype(np.float64)
    return MatrixCompletionRun(
        data=data, alphas=a, lambdas=lam, lrs=lr, steps=st, plateau=plateau, transition_step=trans,
        transition_fraction=transition_fraction, W=W.cpu().numpy().reshape(S, C, d, d),
        snapshot_fractions=fr, W_snapshots=W_snap, status=status, theta_snapshots=th_snap, **rec,
    )


def nuclear_reference(run: MatrixCompletionRun, *, seed_index: int = 0, cell: int = 0, tol: float = 1e-8):
    """The rich-phase reference of one run: the min-nuclear-norm fit with the run's ``λ``,
    ``min (1/n) Σ_Ω (W − X*)² + (λ/2)‖W‖_*`` (a :class:`~grokcheck.numerics.NuclearNormCompletion`)."""
    from grokcheck.numerics import min_nuclear_norm_completion

    data = run.data
    r, c = data.rows[seed_index], data.cols[seed_index]
    return min_nuclear_norm_completion(data.d, r, c, data.target[r, c], lam=float(run.lambdas[cell]) / 2,
                                       n_loss=data.n, tol=tol)


def weight_decay_threshold(data: MatrixCompletionData, seed_index: int = 0) -> float:
    """The weight decay above which training collapses to ``W = 0``: ``λ_c = (4/n)‖sym P_Ω(X*)‖_op``.

    In ``W`` the regularised problem is ``min (1/n)Σ_Ω (W_ij − X*_ij)² + (λ/2)‖W‖_*`` over symmetric
    ``W`` (see :func:`nuclear_reference`); the data term's gradient at ``W = 0``, restricted to
    symmetric directions, is ``−(2/n)·sym P_Ω(X*)`` and the subdifferential of ``‖·‖_*`` at 0 is the
    operator-norm unit ball, so ``W = 0`` is the (global) minimiser iff ``(2/n)‖sym P_Ω X*‖_op ≤ λ/2``.
    """
    obs = data.observed_mask(seed_index)
    P = np.where(obs, data.target, 0.0)
    return float(4.0 / data.n * np.abs(np.linalg.eigvalsh(0.5 * (P + P.T))).max())
