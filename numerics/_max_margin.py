"""Reference solutions for Lyu et al.'s early (kernel) and late (rich) phases.

- :func:`max_l2_margin` — ``min ½‖w‖²  s.t.  y_i⟨w, x_i⟩ ≥ 1`` (hard-margin SVM without bias).
  With NTK features ``φ_i = ∇f(θ̄_init; x_i)`` this is problem (K1) (:func:`kernel_max_margin`);
  for diagonal nets it is ``w₂*`` (Corollary 3.6).
- :func:`max_l1_margin` — ``min ‖w‖₁  s.t.  y_i⟨w, x_i⟩ ≥ 1`` (``w₁*``, Corollary 3.7), an LP
  solved with scipy's HiGHS.
- :func:`min_norm_interpolant` — (K2): ``min ½‖h‖²  s.t.  ⟨φ_i, h⟩ = y_i``.
- :func:`min_nuclear_norm_completion` — the minimum-nuclear-norm symmetric completion of a
  partially observed matrix (the global optimum of the rich phase of matrix completion),
  exactly constrained (ADMM) or with the nuclear-norm penalty of the trained objective
  (accelerated proximal gradient).

How the QP is solved. The max-L²-margin problem is a *least-distance program*
``min ‖w‖ s.t. Gw ≥ h``; Lawson & Hanson (1974, ch. 23) reduce it to one non-negative
least-squares problem ``min_{u≥0} ‖[Gᵀ; hᵀ]u − e‖`` whose residual ``r`` gives
``w = −r_{1:P}/r_{P+1}``. We solve that NNLS with ``scipy.optimize.nnls`` (an active-set
method that terminates finitely and is accurate to rounding), after projecting onto the
``n``-dimensional row space (``P`` can be ≫ ``n``). We chose this over a general QP solver
(cvxpy/OSQP, not a dependency here; OSQP's ADMM is only accurate to ~1e-4) and over the
box-bounded dual with L-BFGS-B (slow and inaccurate when the dual is degenerate): it uses
only scipy, gives the dual multipliers ``α = u / (1 − hᵀu)`` for free, and its solutions
satisfy the KKT conditions to ~1e-12 (the tests assert ≤ 1e-9 on random separable data).

References
----------
Lyu et al., ICLR 2024, §3.1 (K1), §3.3 (K2), Corollaries 3.6, 3.7, 3.11.
C. L. Lawson, R. J. Hanson, *Solving Least Squares Problems*, Prentice-Hall 1974, ch. 23.
J.-F. Cai, E. J. Candès, Z. Shen, *A singular value thresholding algorithm for matrix
completion*, SIAM J. Optim. 20 (2010). S. Boyd et al., *Distributed optimization ... ADMM*,
Found. Trends ML 3 (2011), §3.3 (stopping criteria).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.sparse
import torch

from grokcheck.errors import GrokcheckError
from grokcheck.numerics._blas import single_blas_thread

__all__ = [
    "LinearMaxMargin",
    "MinNormInterpolant",
    "NuclearNormCompletion",
    "kernel_max_margin",
    "max_l1_margin",
    "max_l2_margin",
    "max_margin_optimality",
    "min_norm_interpolant",
    "min_nuclear_norm_completion",
    "ntk_features",
]


@dataclass(frozen=True)
class LinearMaxMargin:
    """Max-margin linear classifier ``w`` (no bias) for the norm ``norm``.

    Attributes
    ----------
    norm : ``"l2"`` or ``"l1"``.
    status : ``"ok"`` or ``"infeasible"`` (data not linearly separable through 0) or the
        solver's failure message.
    w : array ``(P,)`` — the solution with ``min_i y_i⟨w, x_i⟩ = 1``.
    direction : ``w / ‖w‖`` in the problem's norm (``‖·‖₂`` for l2, ``‖·‖₁`` for l1).
    margin : ``1 / ‖w‖`` — the max normalized margin ``max_{‖w‖=1} min_i y_i⟨w, x_i⟩``.
    multipliers : array ``(n,)`` — the dual variables ``α_i ≥ 0``; for l2
        ``w = Σ α_i y_i x_i``, for l1 ``Σ α_i y_i x_i ∈ ∂‖w‖₁``.
    support : int array — points with ``α_i > 1e-9 · max α``.
    """

    norm: str
    status: str
    w: np.ndarray
    direction: np.ndarray
    margin: float
    multipliers: np.ndarray
    support: np.ndarray


@dataclass(frozen=True)
class MinNormInterpolant:
    """(K2) solution: ``h`` of least ``‖h‖₂`` with ``Φh = y``; ``residual = ‖Φh − y‖/‖y‖``."""

    h: np.ndarray
    residual: float
    status: str


@dataclass(frozen=True)
class NuclearNormCompletion:
    """Minimum-nuclear-norm symmetric completion.

    Attributes
    ----------
    X : array ``(d, d)`` symmetric.
    nuclear_norm : ``‖X‖_*``.
    lam : ``None`` for the exactly constrained problem, else the penalty weight.
    lower_bound : (exact problem) a certified lower bound on the optimal nuclear norm from
        the ADMM dual variable, ``⟨Y, M⟩ / ‖Y‖_op`` with ``Y`` supported on the observed set;
        (penalized problem) ``nan``.
    gap : relative optimality gap — exact: ``(‖X‖_* − lower_bound)/‖X‖_*``; penalized: the
        relative norm of the proximal-gradient mapping ``‖X − prox(X − t∇)‖_F / ‖X‖_F``.
    constraint_residual : exact: ``max |X_ij − M_ij|`` on observed entries (0 by
        construction); penalized: the data-fit RMS.
    iterations, converged, tol : iteration count, whether the stopping rule was met, and the
        relative tolerance used.
    """

    X: np.ndarray
    nuclear_norm: float
    lam: float | None
    lower_bound: float
    gap: float
    constraint_residual: float
    iterations: int
    converged: bool
    tol: float


# ----------------------------------------------------------------------------- L2 / L1


def _signed(X, y) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise GrokcheckError(f"need X of shape (n, P) and y of shape (n,), got {X.shape} and {y.shape}")
    if not np.all(np.abs(y) == 1):
        raise GrokcheckError("labels y must be ±1")
    return y[:, None] * X


def _support(a: np.ndarray) -> np.ndarray:
    m = float(np.max(np.abs(a))) if a.size else 0.0
    return np.nonzero(np.abs(a) > 1e-9 * m)[0] if m > 0 else np.zeros(0, dtype=np.int64)


def max_l2_margin(X, y) -> LinearMaxMargin:
    """Max L²-margin linear classifier through the origin (hard-margin SVM, no bias).

    Parameters
    ----------
    X : array ``(n, P)`` — inputs (or NTK features).
    y : array ``(n,)`` in ``{±1}``.

    Solves ``min ½‖w‖²  s.t.  y_i⟨w, x_i⟩ ≥ 1`` as a least-distance program by one NNLS
    (Lawson–Hanson; see the module docstring for why this solver).
    """
    A = _signed(X, y)  # rows a_i = y_i x_i
    n, P = A.shape
    # Row-space reduction: Aᵀ = Q R, w = Q z, A w = Rᵀ z, ‖w‖ = ‖z‖.
    if P > n:
        Q, R = scipy.linalg.qr(A.T, mode="economic")
        G = R.T  # (n, n)
    else:
        Q, G = None, A
    m = G.shape[1]
    E = np.vstack([G.T, np.ones((1, n))])  # (m+1, n)
    e = np.zeros(m + 1)
    e[-1] = 1.0
    u, _ = scipy.optimize.nnls(E, e, maxiter=max(100 * n, 1000))
    r = E @ u - e
    if abs(r[-1]) < 1e-14 or np.linalg.norm(r) < 1e-14:
        zero = np.zeros(P)
        return LinearMaxMargin("l2", "infeasible", zero, zero, 0.0, np.zeros(n), np.zeros(0, dtype=np.int64))
    z = -r[:-1] / r[-1]
    alpha = u / (1.0 - float(u.sum()))
    w = Q @ z if Q is not None else z
    nw = float(np.linalg.norm(w))
    return LinearMaxMargin("l2", "ok", w, w / nw, 1.0 / nw, alpha, _support(alpha))


def max_l1_margin(X, y) -> LinearMaxMargin:
    """Max L¹-margin linear classifier: ``min ‖w‖₁  s.t.  y_i⟨w, x_i⟩ ≥ 1`` (LP, HiGHS).

    Parameters
    ----------
    X : array ``(n, P)``.
    y : array ``(n,)`` in ``{±1}``.

    Written with ``w = w⁺ − w⁻``, ``w^± ≥ 0``; the multipliers are HiGHS's duals of the
    margin constraints (``α = −marginals ≥ 0``).
    """
    A = _signed(X, y)
    n, P = A.shape
    c = np.ones(2 * P)
    A_ub = scipy.sparse.csr_matrix(np.hstack([-A, A]))
    res = scipy.optimize.linprog(c, A_ub=A_ub, b_ub=-np.ones(n), bounds=(0, None), method="highs")
    if res.status != 0:
        zero = np.zeros(P)
        status = "infeasible" if res.status == 2 else f"solver: {res.message}"
        return LinearMaxMargin("l1", status, zero, zero, 0.0, np.zeros(n), np.zeros(0, dtype=np.int64))
    w = res.x[:P] - res.x[P:]
    alpha = -np.asarray(res.ineqlin.marginals, dtype=np.float64)
    n1 = float(np.abs(w).sum())
    return LinearMaxMargin("l1", "ok", w, w / n1, 1.0 / n1, alpha, _support(alpha))


def max_margin_optimality(sol: LinearMaxMargin, X, y) -> dict:
    """KKT residuals of a :class:`LinearMaxMargin` solution (all → 0 at the optimum).

    Returns a dict with
    ``primal`` (``max(0, 1 − min_i y_i⟨w,x_i⟩)``), ``dual`` (``max(0, −min α)``),
    ``complementarity`` (``max_i α_i |y_i⟨w,x_i⟩ − 1|``), ``stationarity`` (l2:
    ``‖w − Aᵀα‖/‖w‖``; l1: ``max(0, ‖Aᵀα‖_∞ − 1)`` plus the sign mismatch on ``supp w``) and
    ``duality_gap`` (relative difference of primal and dual objectives).
    """
    A = _signed(X, y)
    w, a = sol.w, sol.multipliers
    q = A @ w
    out = {
        "primal": float(max(0.0, 1.0 - q.min())),
        "dual": float(max(0.0, -a.min())),
        "complementarity": float(np.max(a * np.abs(q - 1.0))),
    }
    g = A.T @ a
    if sol.norm == "l2":
        nw2 = float(w @ w)
        out["stationarity"] = float(np.linalg.norm(w - g) / np.sqrt(nw2))
        dual_obj = float(a.sum() - 0.5 * g @ g)
        out["duality_gap"] = abs(0.5 * nw2 - dual_obj) / max(0.5 * nw2, 1e-300)
    else:
        n1 = float(np.abs(w).sum())
        supp = np.abs(w) > 1e-9 * np.abs(w).max()
        out["stationarity"] = float(max(0.0, np.abs(g).max() - 1.0) + np.max(np.abs(g[supp] - np.sign(w[supp]))))
        out["duality_gap"] = abs(n1 - float(a.sum())) / max(n1, 1e-300)
    return out


# ----------------------------------------------------------------------------- kernel


def ntk_features(f: Callable[[torch.Tensor], torch.Tensor], theta_bar: torch.Tensor) -> np.ndarray:
    """NTK features ``φ_i = ∇_θ f(θ̄; x_i)``, shape ``(n, P)``, of a flat-parameter model.

    ``f`` maps ``(P,) -> (n,)`` (see :func:`grokcheck.numerics.flat_model`).
    """
    J = torch.func.jacrev(f)(theta_bar.detach())
    return J.detach().to(torch.float64).cpu().numpy().reshape(J.shape[0], -1)


def kernel_max_margin(features, y) -> LinearMaxMargin:
    """(K1): max-margin predictor on NTK features; ``direction`` is ``h*_ntk`` and
    ``margin`` is ``γ_ntk = min_i y_i⟨φ_i, h*_ntk⟩`` (Theorem 3.4)."""
    return max_l2_margin(features, y)


def min_norm_interpolant(features, y) -> MinNormInterpolant:
    """(K2): ``min ½‖h‖²  s.t.  ⟨φ_i, h⟩ = y_i`` for features ``(n, P)``, by the pseudo-inverse.

    ``status`` is ``"ok"``, or ``"rank_deficient"`` when the features are not linearly
    independent (Assumption 3.8 fails; then ``h`` is the min-norm least-squares fit).
    """
    F = np.asarray(features, dtype=np.float64)
    yv = np.asarray(y, dtype=np.float64).reshape(-1)
    h, _, rank, _ = scipy.linalg.lstsq(F, yv)
    res = float(np.linalg.norm(F @ h - yv) / max(np.linalg.norm(yv), 1e-300))
    return MinNormInterpolant(h=h, residual=res, status="ok" if rank == F.shape[0] else "rank_deficient")


# ----------------------------------------------------------------------------- nuclear norm


def _sym_soft(M: np.ndarray, tau: float) -> np.ndarray:
    """Prox of ``tau‖·‖_*`` on symmetric matrices: soft-threshold the eigenvalues."""
    s, V = np.linalg.eigh(0.5 * (M + M.T))
    s = np.sign(s) * np.maximum(np.abs(s) - tau, 0.0)
    keep = s != 0
    return (V[:, keep] * s[keep]) @ V[:, keep].T


def _nuc(M: np.ndarray) -> float:
    return float(np.abs(np.linalg.eigvalsh(0.5 * (M + M.T))).sum())


def min_nuclear_norm_completion(
    d: int,
    rows,
    cols,
    values,
    *,
    lam: float | None = None,
    n_loss: int | None = None,
    tol: float = 1e-7,
    max_iter: int = 50_000,
    rho: float | None = None,
) -> NuclearNormCompletion:
    """Minimum-nuclear-norm symmetric completion of the entries ``M[rows, cols] = values``.

    Parameters
    ----------
    d : matrix size.
    rows, cols, values : the observed entries (arrays of equal length). An entry fixes both
        ``X_ij`` and ``X_ji``; entries observed twice are averaged.
    lam : ``None`` solves ``min ‖X‖_*  s.t.  X = Xᵀ, X_ij = M_ij`` on the observed set
        (ADMM on ``X = Z``: projection onto the constraints, eigenvalue soft-thresholding).
        A number solves the penalized problem ``min (1/n) Σ_{(i,j)∈Ω} (X_ij − M_ij)² + lam·‖X‖_*``
        over symmetric ``X`` (FISTA with eigenvalue soft-thresholding). The factorization
        ``X = UUᵀ − VVᵀ`` trained with weight decay ``λ`` (loss ``+ (λ/2)(‖U‖² + ‖V‖²)``,
        Lyu et al., arXiv 2311.18817, Section 3.3) corresponds to ``lam = λ/2``, because
        ``min{‖U‖_F² + ‖V‖_F² : UUᵀ − VVᵀ = X} = ‖X‖_*`` (``U = P^{1/2}``, ``V = N^{1/2}`` for
        the PSD parts ``X = P − N``).
    n_loss : the ``n`` in ``1/n`` (default: the number of observed entries given).
    tol : stopping tolerance, relative: ADMM stops when the primal residual ``‖X − Z‖_F`` and
        dual residual ``ρ‖Z_k − Z_{k−1}‖_F`` are both ``≤ tol · max(1, ‖X‖_F)``; FISTA stops
        when the proximal-gradient mapping satisfies ``‖X − prox(X − t∇)‖_F ≤ tol · max(1, ‖X‖_F)``.
    max_iter : iteration cap (``converged`` is False when it is hit).
    rho : ADMM penalty (default ``10 / max|M_obs|``, i.e. scaled to the data).
    """
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    if not (r.shape == c.shape == v.shape):
        raise GrokcheckError("rows, cols and values must have the same length")
    if r.size and (r.min() < 0 or c.min() < 0 or r.max() >= d or c.max() >= d):
        raise GrokcheckError(f"observed indices must lie in [0, {d})")
    # Thousands of small (d×d) eigendecompositions: BLAS threads only add overhead (and are
    # ruinous on an oversubscribed machine), so limit them to one inside this call only.
    with single_blas_thread():
        if lam is None:
            return _nuclear_exact(d, r, c, v, tol=tol, max_iter=max_iter, rho=rho)
        return _nuclear_penalized(d, r, c, v, lam=float(lam), n_loss=n_loss or len(v), tol=tol, max_iter=max_iter)


def _nuclear_exact(d, r, c, v, *, tol, max_iter, rho):
    S = np.zeros((d, d))
    cnt = np.zeros((d, d))
    np.add.at(S, (r, c), v)
    np.add.at(cnt, (r, c), 1.0)
    np.add.at(S, (c, r), v)
    np.add.at(cnt, (c, r), 1.0)
    mask = cnt > 0
    M = np.where(mask, S / np.maximum(cnt, 1), 0.0)
    scale = float(np.abs(M).max()) or 1.0
    rho = float(rho) if rho is not None else 1.0 / (0.1 * scale)
    Z = M.copy()
    U = np.zeros((d, d))
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        X = Z - U
        X = 0.5 * (X + X.T)
        X[mask] = M[mask]
        Zp = Z
        Z = _sym_soft(X + U, 1.0 / rho)
        U = U + X - Z
        pr = float(np.linalg.norm(X - Z))
        dr = rho * float(np.linalg.norm(Z - Zp))
        lim = tol * max(1.0, float(np.linalg.norm(X)))
        if pr <= lim and dr <= lim:
            converged = True
            break
    X = Z - U
    X = 0.5 * (X + X.T)
    X[mask] = M[mask]  # feasible point nearest the iterate
    Y = rho * U
    Y = np.where(mask, 0.5 * (Y + Y.T), 0.0)
    op = float(np.abs(np.linalg.eigvalsh(Y)).max())
    nuc = _nuc(X)
    lower = float((Y * M).sum()) / op if op > 0 else 0.0
    return NuclearNormCompletion(
        X=X, nuclear_norm=nuc, lam=None, lower_bound=lower,
        gap=(nuc - lower) / nuc if nuc > 0 else 0.0, constraint_residual=0.0,
        iterations=it, converged=converged, tol=tol,
    )


def _nuclear_penalized(d, r, c, v, *, lam, n_loss, tol, max_iter):
    flat = r * d + c

    def grad(X):
        res = X[r, c] - v
        G = np.bincount(flat, weights=2.0 * res / n_loss, minlength=d * d).reshape(d, d)
        return 0.5 * (G + G.T)

    # Lipschitz constant of the symmetrized gradient: an entry pair observed k times
    # contributes curvature ≤ 2k/n; bound by 2·(max multiplicity over {ij, ji})/n.
    cnt = np.zeros((d, d))
    np.add.at(cnt, (r, c), 1.0)
    cnt = cnt + cnt.T
    Lc = 2.0 * max(float(cnt.max()), 1.0) / n_loss
    t = 1.0 / Lc
    X = np.zeros((d, d))
    Yk = X
    tk = 1.0
    converged = False
    it = 0
    gm = np.inf
    for it in range(1, max_iter + 1):
        Xn = _sym_soft(Yk - t * grad(Yk), t * lam)
        tn = 0.5 * (1 + np.sqrt(1 + 4 * tk * tk))
        Yk = Xn + ((tk - 1) / tn) * (Xn - X)
        X, tk = Xn, tn
        if it % 10 == 0 or it == max_iter:
            gm = float(np.linalg.norm(X - _sym_soft(X - t * grad(X), t * lam)))
            if gm <= tol * max(1.0, float(np.linalg.norm(X))):
                converged = True
                break
    fit = float(np.sqrt(np.mean((X[r, c] - v) ** 2)))
    return NuclearNormCompletion(
        X=X, nuclear_norm=_nuc(X), lam=lam, lower_bound=float("nan"),
        gap=gm / max(float(np.linalg.norm(X)), 1e-300), constraint_residual=fit,
        iterations=it, converged=converged, tol=tol,
    )
