"""KKT certificates for the late-phase problems (R1) and (R2) of Lyu et al.

Problems (Lyu et al., arXiv 2311.18817, Section 3 (theorems)), for an ``L``-homogeneous model ``f(θ; x)``:

- (R1) classification: ``min ½‖θ‖²  s.t.  q_c(θ) ≥ 1`` for every constraint ``c``; binary
  constraints are ``q_i = y_i f_i(θ)``, multi-class constraints are
  ``q_{(i,j)} = f_{i,y_i}(θ) − f_{i,j}(θ)`` for ``j ≠ y_i``.
- (R2) regression: ``min ½‖θ‖²  s.t.  f_i(θ) = y_i``.

KKT conditions. (R1): there are ``μ_c ≥ 0`` with ``θ = Σ_c μ_c ∇q_c(θ)`` (stationarity),
``q_c ≥ 1`` (feasibility) and ``μ_c (q_c − 1) = 0`` (complementarity). (R2):
``θ = Σ_i μ_i ∇f_i(θ)`` with ``μ ∈ ℝⁿ`` and ``f_i = y_i``.

Measurement (approximate KKT in the sense of Lyu & Li 2020, Def. C.4): for (R1) rescale
``θ̂ = θ / q_min^{1/L}`` so that ``min_c q_c(θ̂) = 1`` (possible because ``q_c(cθ) = c^L q_c(θ)``),
solve the non-negative least-squares problem ``min_{μ≥0} ‖θ̂ − Σ_c μ_c ∇q_c(θ̂)‖₂`` with
``scipy.optimize.nnls`` (Lawson–Hanson active set), and report the residual relative to
``‖θ̂‖`` and the complementarity gap ``Σ_c μ_c (q_c(θ̂) − 1)``, also relative to
``Σ_c μ_c q_c(θ̂)`` (which equals ``‖θ̂‖²/L`` at an exact KKT point, by Euler's identity).
The stationarity residual is the plain NNLS minimum. Its minimizer need not be unique (the
system is underdetermined whenever there are more tight-ish constraints than active
coordinates), so the multipliers reported, and the complementarity gap, come from a second
NNLS that adds the row ``(L/‖θ̂‖) Σ_c μ_c (q_c − 1) = 0`` to the stationarity system: those
multipliers minimize ``stationarity_rel² + complementarity_rel²`` (both 0 at an exact KKT
point), and their own stationarity residual is ``joint_stationarity_relative``.
For (R2) the multipliers are free and the residual is an ordinary least-squares residual.

Both residuals go to 0 along the late phase (Theorems 3.5 and 3.10); in the kernel phase the
stationarity residual is large because ``θ ≈ α e^{−λt} θ̄_init`` is not in the cone of the
constraint gradients. Note that any stationary point of the *regularized* loss
``𝓛 + λ/2‖θ‖²`` has stationarity residual 0 (with ``μ_i ∝ −ℓ'(q_i)``); what distinguishes
a KKT point of (R1) there is the complementarity gap, which goes to 0 only as λ → 0.

References
----------
Lyu et al., ICLR 2024, Theorems 3.5, 3.10; Lyu & Li, ICLR 2020, Appendix C (approximate KKT).
Lawson & Hanson, *Solving Least Squares Problems* (1974), ch. 23 (NNLS).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.linalg
import scipy.optimize
import torch

from grokcheck.errors import CertificationError, GrokcheckError
from grokcheck.numerics._margin import homogeneity_degree, margins

__all__ = [
    "KKTCertificate",
    "assert_kkt_point",
    "is_kkt_point",
    "kkt_certificate",
    "kkt_certificate_regression",
]

ModelFn = Callable[[torch.Tensor], torch.Tensor]

#: above this many Jacobian entries (m · P) the NNLS is solved in the m × m Gram form.
_DENSE_LIMIT = 20_000_000


@dataclass(frozen=True)
class KKTCertificate:
    """Approximate-KKT measurement of one parameter point for (R1) or (R2).

    Attributes
    ----------
    problem : ``"R1"`` or ``"R2"``.
    status : ``"ok"``; ``"not_separating"`` when ``q_min ≤ 0`` (R1 cannot be rescaled to
        feasibility; all residuals are then ``inf``).
    degree : the homogeneity degree ``L`` used for the rescaling.
    scale : the factor ``s`` with ``θ̂ = s·θ`` (``q_min^{-1/L}`` for R1, 1 for R2).
    theta_norm : ``‖θ̂‖₂``.
    stationarity : ``min_{μ≥0} ‖θ̂ − Σ_c μ_c ∇q_c(θ̂)‖₂`` — the plain NNLS stationarity
        residual (R2: least squares with free signs).
    stationarity_relative : ``stationarity / ‖θ̂‖₂`` — *the* KKT residual.
    complementarity_gap : R1: ``Σ_c μ_c (q_c(θ̂) − 1) ≥ 0`` with the certificate multipliers
        ``μ`` (see below); R2: 0.
    complementarity_relative : R1: the gap divided by ``Σ_c μ_c q_c(θ̂)``, in ``[0, 1)``.
    feasibility : R1: ``max(0, 1 − min_c q_c(θ̂))`` (0 by construction);
        R2: ``‖f(θ) − y‖₂ / ‖y‖₂``.
    multipliers : array ``(m,)``, the certificate multipliers ``μ_c``: the NNLS solution of the
        stationarity system with the extra complementarity row (module docstring), so that
        they make both residuals small when some multipliers do. R2: least-squares ``μ``.
    constraints : int array — ``(m,)`` point indices (binary / regression) or ``(m, 2)``
        pairs ``(i, j)`` (multi-class) of the constraints used.
    q : array ``(m,)``, ``q_c(θ̂)`` (R1) or ``f_i(θ)`` (R2).
    support : int array, positions in ``constraints`` whose multiplier exceeds
        ``1e-9 · max μ`` — the support vectors.
    n_constraints_total : number of constraints before the active-set restriction.
    joint_stationarity_relative : ``‖θ̂ − Σ_c μ_c ∇q_c(θ̂)‖ / ‖θ̂‖`` at the certificate
        multipliers (≥ ``stationarity_relative``); with ``complementarity_relative`` it is an
        (ε, δ)-KKT certificate in the sense of Lyu & Li. R2: equal to ``stationarity_relative``.
    """

    problem: str
    status: str
    degree: float
    scale: float
    theta_norm: float
    stationarity: float
    stationarity_relative: float
    complementarity_gap: float
    complementarity_relative: float
    feasibility: float
    multipliers: np.ndarray
    constraints: np.ndarray
    q: np.ndarray
    support: np.ndarray
    n_constraints_total: int
    joint_stationarity_relative: float

    @property
    def support_vectors(self) -> np.ndarray:
        """The constraints (point indices or ``(i, j)`` pairs) with positive multiplier."""
        return self.constraints[self.support]


def _constraint_fn(f: ModelFn, y, multiclass: bool, cons: np.ndarray) -> Callable:
    if not multiclass:
        idx = torch.as_tensor(cons, dtype=torch.long)

        def g(theta):
            out = f(theta)
            yy = torch.as_tensor(y, dtype=out.dtype, device=out.device)
            return (out * yy)[idx.to(out.device)]

        return g
    ii = torch.as_tensor(cons[:, 0], dtype=torch.long)
    jj = torch.as_tensor(cons[:, 1], dtype=torch.long)
    yl = torch.as_tensor(np.asarray(y), dtype=torch.long)

    def g(theta):
        out = f(theta)
        i, j = ii.to(out.device), jj.to(out.device)
        return out[i, yl.to(out.device)[i]] - out[i, j]

    return g


def _jacobian(g: Callable, theta: torch.Tensor, chunk_size: int | None) -> torch.Tensor:
    return torch.func.jacrev(g, chunk_size=chunk_size)(theta)


def _nnls(J: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``argmin_{μ≥0} ‖Jᵀμ − b‖`` for ``J`` of shape ``(m, P)``."""
    m, P = J.shape
    if m == 0:  # no constraint kept: μ is empty (scipy's nnls aborts the interpreter on zero columns)
        return np.zeros(0)
    if m * P <= _DENSE_LIMIT:
        mu, _ = scipy.optimize.nnls(J.T, b, maxiter=max(50 * m, 1000))
        return mu
    # Gram form: ‖Jᵀμ − b‖² = μᵀGμ − 2μᵀc + ‖b‖², G = JJᵀ, c = Jb ∈ range(G).
    G = J @ J.T
    c = J @ b
    s, V = scipy.linalg.eigh(G)
    keep = s > s.max() * 1e-14
    R = (np.sqrt(s[keep])[:, None]) * V[:, keep].T
    t = (V[:, keep].T @ c) / np.sqrt(s[keep])
    mu, _ = scipy.optimize.nnls(R, t, maxiter=max(50 * m, 1000))
    return mu


def kkt_certificate(
    f: ModelFn,
    theta: torch.Tensor,
    y,
    *,
    degree: float | None = None,
    active_tol: float | None = None,
    max_constraints: int | None = None,
    chunk_size: int | None = None,
) -> KKTCertificate:
    """Approximate-KKT certificate of ``θ`` for the margin problem (R1).

    Parameters
    ----------
    f : flat-parameter model on the training inputs, ``(P,) -> (n,)`` (binary, ``y ∈ {±1}``)
        or ``(n, k)`` (multi-class, ``y`` class indices). Must be differentiable with
        ``torch.func``.
    theta : shape ``(P,)``.
    y : labels, shape ``(n,)``.
    degree : homogeneity degree ``L``; measured (with a warning if the model is not
        homogeneous) when omitted.
    active_tol : keep only constraints with ``q_c(θ̂) ≤ 1 + active_tol`` (complementarity
        forces ``μ_c = 0`` on the others at an exact KKT point). ``None`` keeps all.
    max_constraints : keep at most this many constraints, smallest ``q_c`` first (bounds
        the Jacobian's size for large multi-class problems).
    chunk_size : passed to ``torch.func.jacrev`` to bound memory.

    Returns
    -------
    KKTCertificate (``status="not_separating"`` with infinite residuals when
    ``min q ≤ 0``).
    """
    if max_constraints is not None and max_constraints < 1:
        from grokcheck.errors import InvalidInputError

        raise InvalidInputError(f"max_constraints must be ≥ 1 (or None for all), got {max_constraints}",
                                option="max_constraints")
    theta = theta.detach()
    with torch.no_grad():
        out = f(theta)
    multiclass = out.ndim == 2
    L = float(degree) if degree is not None else homogeneity_degree(f, theta).degree
    q_all = margins(out, y)
    n = out.shape[0]
    if multiclass:
        k = out.shape[1]
        yl = np.asarray(torch.as_tensor(y).cpu().numpy(), dtype=np.int64)
        o = out.detach().to(torch.float64).cpu().numpy()
        qc = o[np.arange(n), yl][:, None] - o  # (n, k)
        ii, jj = np.nonzero(np.ones((n, k), dtype=bool) & (np.arange(k)[None, :] != yl[:, None]))
        cons = np.stack([ii, jj], axis=1)
        qvals = qc[ii, jj]
    else:
        cons = np.arange(n)
        qvals = q_all
    total = len(qvals)
    q_min = float(qvals.min())
    if not q_min > 0:
        empty = np.zeros(0)
        return KKTCertificate(
            problem="R1", status="not_separating", degree=L, scale=float("nan"),
            theta_norm=float(torch.linalg.vector_norm(theta.double())), stationarity=float("inf"),
            stationarity_relative=float("inf"), complementarity_gap=float("inf"),
            complementarity_relative=float("inf"), feasibility=float("inf"),
            multipliers=empty, constraints=cons[:0], q=empty, support=np.zeros(0, dtype=np.int64),
            n_constraints_total=total, joint_stationarity_relative=float("inf"),
        )
    scale = q_min ** (-1.0 / L)
    qhat = qvals / q_min
    order = np.argsort(qhat, kind="stable")
    if active_tol is not None:
        order = order[qhat[order] <= 1.0 + active_tol]
    if max_constraints is not None:
        order = order[:max_constraints]
    cons = cons[order]
    theta_hat = theta * scale
    g = _constraint_fn(f, y, multiclass, cons)
    J = _jacobian(g, theta_hat, chunk_size).detach().to(torch.float64).cpu().numpy()
    with torch.no_grad():
        qh = g(theta_hat).detach().to(torch.float64).cpu().numpy()
    b = theta_hat.detach().to(torch.float64).cpu().numpy()
    tn = float(np.linalg.norm(b))
    # Plain stationarity NNLS (a lower bound on any certificate's stationarity residual).
    mu0 = _nnls(J, b)
    stat0 = float(np.linalg.norm(b - J.T @ mu0))
    # Joint certificate: one extra row (L/‖θ̂‖)·Σ μ_c (q_c − 1) = 0, so the NNLS minimizes
    # ‖θ̂‖² (stationarity_rel² + complementarity_rel²) (Euler: Σ μ_c q_c ≈ ‖θ̂‖²/L).
    # Without it, NNLS may pick multipliers on non-tight constraints when the stationarity
    # system is underdetermined, and the gap would measure the solver, not the point.
    extra = (L / tn) * (qh - 1.0) if tn > 0 else np.zeros_like(qh)
    mu = _nnls(np.concatenate([J, extra[:, None]], axis=1), np.concatenate([b, [0.0]]))
    stat_joint = float(np.linalg.norm(b - J.T @ mu))
    stat = stat0
    gap = float(np.dot(mu, qh - 1.0))
    denom = float(np.dot(mu, qh))
    mmax = float(mu.max()) if mu.size else 0.0
    support = np.nonzero(mu > 1e-9 * mmax)[0] if mmax > 0 else np.zeros(0, dtype=np.int64)
    return KKTCertificate(
        problem="R1", status="ok", degree=L, scale=float(scale), theta_norm=tn,
        stationarity=stat, stationarity_relative=stat / tn if tn > 0 else float("inf"),
        complementarity_gap=gap, complementarity_relative=gap / denom if denom > 0 else 0.0,
        feasibility=float(max(0.0, 1.0 - qh.min())), multipliers=mu, constraints=cons, q=qh,
        support=support, n_constraints_total=total,
        joint_stationarity_relative=stat_joint / tn if tn > 0 else float("inf"),
    )


def kkt_certificate_regression(
    f: ModelFn,
    theta: torch.Tensor,
    y,
    *,
    chunk_size: int | None = None,
) -> KKTCertificate:
    """Approximate-KKT certificate of ``θ`` for the min-norm interpolation problem (R2).

    ``θ`` is not rescaled (R2 is not scale invariant). Stationarity is the least-squares
    residual ``min_{μ∈ℝⁿ} ‖θ − Σ_i μ_i ∇f_i(θ)‖`` (``scipy.linalg.lstsq``), feasibility
    the relative fit ``‖f(θ) − y‖/‖y‖``.

    Parameters
    ----------
    f : flat-parameter model on the training inputs, ``(P,) -> (n,)``.
    theta : shape ``(P,)``.
    y : targets, shape ``(n,)``.
    """
    theta = theta.detach()
    J = torch.func.jacrev(f, chunk_size=chunk_size)(theta).detach().to(torch.float64).cpu().numpy()
    if J.ndim != 2:
        raise GrokcheckError(f"(R2) needs scalar outputs per point, got a Jacobian of shape {J.shape}")
    with torch.no_grad():
        fv = f(theta).detach().to(torch.float64).cpu().numpy()
    b = theta.to(torch.float64).cpu().numpy()
    mu, *_ = scipy.linalg.lstsq(J.T, b)
    r = b - J.T @ mu
    stat = float(np.linalg.norm(r))
    tn = float(np.linalg.norm(b))
    yv = np.asarray(torch.as_tensor(y).to(torch.float64).cpu().numpy())
    feas = float(np.linalg.norm(fv - yv) / max(np.linalg.norm(yv), 1e-300))
    mmax = float(np.abs(mu).max()) if mu.size else 0.0
    support = np.nonzero(np.abs(mu) > 1e-9 * mmax)[0] if mmax > 0 else np.zeros(0, dtype=np.int64)
    return KKTCertificate(
        problem="R2", status="ok", degree=float("nan"), scale=1.0, theta_norm=tn,
        stationarity=stat, stationarity_relative=stat / tn if tn > 0 else float("inf"),
        complementarity_gap=0.0, complementarity_relative=0.0, feasibility=feas,
        multipliers=mu, constraints=np.arange(len(fv)), q=fv, support=support,
        n_constraints_total=len(fv), joint_stationarity_relative=stat / tn if tn > 0 else float("inf"),
    )


def is_kkt_point(
    cert: KKTCertificate,
    *,
    stationarity_tol: float = 1e-2,
    complementarity_tol: float = 1e-2,
    feasibility_tol: float = 1e-2,
    explain: bool = False,
):
    """Whether a certificate shows an approximate KKT point (relative tolerances).

    Returns a bool, or ``(bool, reason)`` when ``explain`` is true.
    """
    fails = []
    if cert.status != "ok":
        fails.append(f"status {cert.status}")
    if not cert.stationarity_relative <= stationarity_tol:
        fails.append(f"relative stationarity residual {cert.stationarity_relative:.3g} > {stationarity_tol:g}")
    if not cert.complementarity_relative <= complementarity_tol:
        fails.append(f"relative complementarity gap {cert.complementarity_relative:.3g} > {complementarity_tol:g}")
    if not cert.feasibility <= feasibility_tol:
        fails.append(f"feasibility defect {cert.feasibility:.3g} > {feasibility_tol:g}")
    ok = not fails
    if explain:
        return ok, "; ".join(fails) if fails else "approximate KKT point"
    return ok


def assert_kkt_point(cert: KKTCertificate, **tolerances) -> None:
    """Raise :class:`~grokcheck.errors.CertificationError` unless :func:`is_kkt_point` holds."""
    ok, why = is_kkt_point(cert, explain=True, **tolerances)
    if not ok:
        raise CertificationError(
            f"not an approximate KKT point of ({cert.problem}): {why}",
            residuals={
                "stationarity_relative": cert.stationarity_relative,
                "complementarity_relative": cert.complementarity_relative,
                "feasibility": cert.feasibility,
            },
        )
