"""Tian's Li₂ framework, numerically: the energy 𝓔, its projected ascent, and G_F (Tian, arXiv 2509.21519).

* ``𝓔(w) = ½ ‖Ỹᵀ σ(X w)‖²`` with σ = x², ``X`` the ``(g², 2g)`` concatenated one-hot
  inputs of the full table, ``Ỹ = P^⊥_1 Y`` (Tian, arXiv 2509.21519, Stage II (the energy 𝓔)). :func:`li2_energy` evaluates
  it from the definition (``method="table"``) or from ``2‖P^⊥c‖²`` with
  ``c_h = Σ_{g1g2=h} w¹(g1) w²(g2)`` (``method="convolution"``).
* :func:`li2_projected_ascent`: ``w ← normalise(w + lr ∇𝓔(w))`` on the unit sphere.
* :func:`max_omega_over_xi`: ``max_{‖ξ‖=1} Ω(θ¹, θ², ξ) = |G|⁻² ‖P^⊥c‖``, hence
  ``𝓔 = 2|G|⁴ (max_ξ Ω)²``.
* Stage I (Prop. 1, Eq. (4)): with ``F`` fixed, gradient flow on ``V`` for
  ``J = ½‖P^⊥(Y − FV)‖² + η/2 ‖V‖²`` gives ``V(t) = V_ridge + e^{−At}(V(0) − V_ridge)``,
  ``A = F̃ᵀF̃ + ηI``, and ``G_F = P^⊥(Y − FV)Vᵀ`` with limit
  ``η(F̃F̃ᵀ + ηI)⁻¹ỸỸᵀF̃(F̃ᵀF̃ + ηI)⁻¹`` and small-t expansion ``t ỸỸᵀF̃``.
* :func:`empirical_energy`: 𝓔̂ of each hidden node of a trained first layer on a training subset
  (the landscape whose maxima Theorems 4–5 and §4.5's semi-grokking are about).
* :func:`guided_cover_counts`: Theorem 8's node counts to cover every maximum, independent and
  under the proof's model of Muon guiding (the rates of covered maxima divided by a factor).

Shapes: ``g`` group order; ``w`` is ``(..., 2g)``; ``F`` is ``(N, K)`` (``N`` samples,
``K`` hidden nodes), ``Y`` ``(N, C)``, ``V`` ``(K, C)``.
References: Tian, arXiv 2509.21519, Thm 1–2, Prop. 1, Eq. (4); the corrected Theorem 2 constants: docs/errata.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from grokcheck.errors import NumericalFailure
from grokcheck.numerics._omega import product_table_inverse

__all__ = [
    "table_inputs",
    "li2_energy",
    "li2_energy_gradient",
    "max_omega_over_xi",
    "Li2Ascent",
    "li2_projected_ascent",
    "gf_limit",
    "v_ridge",
    "gf_small_t",
    "GFTrajectory",
    "simulate_gf",
    "gf_closed_form",
    "empirical_energy",
    "guided_cover_counts",
]


def table_inputs(G) -> tuple[np.ndarray, np.ndarray]:
    """``X`` ``(g², 2g)`` with rows ``[e_{g1}; e_{g2}]`` and one-hot targets ``Y`` ``(g², g)``."""
    g = G.order
    a, b = np.meshgrid(np.arange(g), np.arange(g), indexing="ij")
    a, b = a.ravel(), b.ravel()
    X = np.zeros((g * g, 2 * g))
    X[np.arange(g * g), a] = 1.0
    X[np.arange(g * g), g + b] = 1.0
    Y = np.zeros((g * g, g))
    Y[np.arange(g * g), G.table[a, b]] = 1.0
    return X, Y


def _conv(G, u, v):
    """``c_h = Σ_{g1 g2 = h} u(g1) v(g2)`` for ``(..., g)`` arrays."""
    L = product_table_inverse(G)
    return np.einsum("...a,...ah->...h", u, v[..., L])


def li2_energy(G, w, *, method: str = "convolution") -> np.ndarray:
    """𝓔(w) for ``w`` ``(..., 2g)`` (not normalised)."""
    g = G.order
    w = np.asarray(w, dtype=np.float64)
    if method == "table":
        return _sample_energy(*table_inputs(G), w)
    if method != "convolution":
        raise ValueError(f"method must be 'table' or 'convolution', got {method!r}")
    c = _conv(G, w[..., :g], w[..., g:])
    c = c - c.mean(axis=-1, keepdims=True)
    return 2.0 * np.sum(c * c, axis=-1)


def li2_energy_gradient(G, w) -> np.ndarray:
    """``∇𝓔(w) = Xᵀ[σ'(Xw) ∘ ỸỸᵀσ(Xw)]`` (Thm 1), ``w`` ``(2g,)`` or ``(..., 2g)``."""
    X, Y = table_inputs(G)
    Yt = Y - Y.mean(axis=0, keepdims=True)
    pre = np.asarray(w, dtype=np.float64) @ X.T
    back = (pre**2 @ Yt) @ Yt.T
    return (2.0 * pre * back) @ X


def max_omega_over_xi(G, theta1, theta2) -> np.ndarray:
    """``max_{‖ξ‖=1} Ω = |G|⁻² ‖P^⊥ c‖`` (attained at ``ξ ∝ P^⊥c``), ``(...,)``."""
    c = _conv(G, np.asarray(theta1, float), np.asarray(theta2, float))
    c = c - c.mean(axis=-1, keepdims=True)
    return np.linalg.norm(c, axis=-1) / G.order**2


@dataclass(frozen=True)
class Li2Ascent:
    """Result of :func:`li2_projected_ascent`: final ``w`` ``(..., 2g)``, energy trace
    ``(steps+1, ...)``, status ``"converged"`` / ``"max_steps_reached"``."""

    w: np.ndarray
    energy: np.ndarray
    status: str
    steps: int


def li2_projected_ascent(G, w0, *, lr: float | None = None, max_steps: int = 20000, tol: float = 1e-13, throw: bool = False) -> Li2Ascent:
    """Projected gradient ascent of 𝓔 on the unit sphere, for a batch of starting points.

    ``lr`` defaults to ``0.1/|G|`` (𝓔 ~ |G| on the sphere, Hessian ~ |G|). Stops when the
    largest tangent gradient is below ``tol · |G|``.
    """
    g = G.order
    w = np.asarray(w0, dtype=np.float64)
    w = w / np.linalg.norm(w, axis=-1, keepdims=True)
    lr = 0.1 / g if lr is None else lr
    trace = [li2_energy(G, w)]
    status = "max_steps_reached"
    k = 0
    for k in range(1, max_steps + 1):
        gr = li2_energy_gradient(G, w)
        tang = gr - np.sum(gr * w, axis=-1, keepdims=True) * w
        w = w + lr * tang
        w = w / np.linalg.norm(w, axis=-1, keepdims=True)
        if k % 50 == 0 or k == max_steps:
            trace.append(li2_energy(G, w))
            if not np.all(np.isfinite(trace[-1])):
                raise NumericalFailure("Li₂ ascent produced NaN", where={"step": k})
            if np.max(np.linalg.norm(tang, axis=-1)) <= tol * g:
                status = "converged"
                break
    if throw and status != "converged":
        raise NumericalFailure("Li₂ ascent did not converge", where={"steps": k})
    return Li2Ascent(w=w, energy=np.asarray(trace), status=status, steps=k)


# ------------------------------------------------------------------ Stage I: G_F
def _center(A):
    return A - A.mean(axis=0, keepdims=True)


def v_ridge(F, Y, eta: float) -> np.ndarray:
    """``V_ridge = (F̃ᵀF̃ + ηI)⁻¹ F̃ᵀ Ỹ``."""
    Ft, Yt = _center(F), _center(Y)
    K = F.shape[1]
    return np.linalg.solve(Ft.T @ Ft + eta * np.eye(K), Ft.T @ Yt)


def gf_limit(F, Y, eta: float) -> np.ndarray:
    """Prop. 1: ``G_F(∞) = η(F̃F̃ᵀ + ηI)⁻¹ ỸỸᵀ F̃ (F̃ᵀF̃ + ηI)⁻¹`` (``(N, K)``), ``η > 0``."""
    Ft, Yt = _center(F), _center(Y)
    N, K = F.shape
    left = np.linalg.solve(Ft @ Ft.T + eta * np.eye(N), Yt @ (Yt.T @ Ft))
    return eta * np.linalg.solve((Ft.T @ Ft + eta * np.eye(K)).T, left.T).T


def gf_small_t(F, Y, t) -> np.ndarray:
    """Leading term ``t ỸỸᵀF̃`` of ``G_F(t)`` for ``V(0) → 0``."""
    Ft, Yt = _center(F), _center(Y)
    return np.multiply.outer(np.asarray(t, float), Yt @ (Yt.T @ Ft))


def gf_closed_form(F, Y, V0, eta: float, t) -> np.ndarray:
    """Exact ``G_F(t)`` from ``V(t) = V_ridge + e^{−At}(V0 − V_ridge)``; ``(T, N, K)``."""
    Ft, Yt = _center(F), _center(Y)
    K = F.shape[1]
    A = Ft.T @ Ft + eta * np.eye(K)
    lam, Q = np.linalg.eigh(A)
    Vr = np.linalg.solve(A, Ft.T @ Yt)
    D = Q.T @ (V0 - Vr)
    out = []
    for s in np.atleast_1d(t):
        V = Vr + Q @ (np.exp(-lam * s)[:, None] * D)
        out.append((Yt - Ft @ V) @ V.T)
    return np.asarray(out)


@dataclass(frozen=True)
class GFTrajectory:
    """Simulated ``V̇ = F̃ᵀ(Ỹ − F̃V) − ηV``: times ``(T,)``, ``G_F`` ``(T, N, K)``, final ``V``."""

    ts: np.ndarray
    gf: np.ndarray
    V: np.ndarray
    status: str


def simulate_gf(F, Y, V0, eta: float, ts, *, rtol: float = 1e-12, atol: float = 1e-14) -> GFTrajectory:
    """Integrate gradient flow on ``V`` with ``F`` fixed (``solve_ivp``, DOP853)."""
    Ft, Yt = _center(F), _center(Y)
    shape = V0.shape
    FtF, FtY = Ft.T @ Ft, Ft.T @ Yt

    def rhs(_t, v):
        V = v.reshape(shape)
        return (FtY - FtF @ V - eta * V).ravel()

    ts = np.asarray(ts, float)
    for name, arr in (("F", Ft), ("Y", Yt), ("V0", V0), ("eta", eta)):
        if not np.all(np.isfinite(arr)):  # a NaN field makes the adaptive step shrink for ever
            raise NumericalFailure(f"simulate_gf: {name} has non-finite entries (NaN or inf); the flow is undefined")
    sol = solve_ivp(rhs, (0.0, float(ts[-1])), V0.ravel(), method="DOP853", t_eval=ts, rtol=rtol, atol=atol)
    Vs = sol.y.T.reshape((-1,) + shape)
    gf = np.asarray([(Yt - Ft @ V) @ V.T for V in Vs])
    return GFTrajectory(ts=sol.t, gf=gf, V=Vs[-1], status="success" if sol.status == 0 else "solver_failed")


# ------------------------------------------------------------------ trained nodes: the empirical energy
def empirical_energy(X, Y, W) -> np.ndarray:
    """𝓔̂(w) = ½‖Ỹᵀσ(Xw/‖w‖)‖² (σ = x²) of every row of ``W`` on the samples ``(X, Y)``.

    ``X`` ``(n, d)`` inputs, ``Y`` ``(n, C)`` one-hot targets (centred here over the ``n`` samples),
    ``W`` ``(..., K, d)`` hidden weights (normalised here: the energy is defined on the sphere).
    Returns ``(..., K)``. On the full table this is :func:`li2_energy` (``method="table"``).
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    norms = np.linalg.norm(W, axis=-1, keepdims=True)
    if np.any(norms == 0):
        raise NumericalFailure("empirical_energy: a hidden node has zero weights (its energy is undefined)")
    return _sample_energy(X, Y, W / norms)


def _sample_energy(X, Y, w) -> np.ndarray:
    """``½‖Ỹᵀ(Xw)²‖²`` over the rows of ``w`` ``(..., d)`` (as given, not normalised), ``Y`` centred here."""
    z = ((w @ X.T) ** 2) @ _center(Y)
    return 0.5 * np.sum(z * z, axis=-1)


# ------------------------------------------------------------------ Theorem 8: covering the maxima
def guided_cover_counts(mu, a: float, *, suppression: float, trials: int, rng: np.random.Generator) -> np.ndarray:
    """Nodes learned one after another until every maximum ``ζ_l`` is reached, ``(trials,)`` ints.

    Node ``j`` starts from fresh inverse-exponential coordinates ``α_l(0)`` (``CDF = exp(−x^{−a})``)
    and reaches ``argmax_l μ'_l α_l(0)`` (the first coordinate of ``α̇_l = μ'_l α_l²`` to blow up;
    Tian, arXiv 2509.21519, Theorem 8, Eq. (40)). Independent learning: ``μ' = μ``. Muon guiding as the
    theorem's proof models it (App. B, Eqs. (42)–(44)): the gradient components along maxima already
    covered are suppressed, i.e. ``μ'_l = μ_l / suppression`` for every covered ``l`` (the proof's
    bound is ``suppression = 2``); ``suppression = 1`` is independent learning.
    """
    mu = np.asarray(mu, dtype=np.float64)
    L = mu.size
    if suppression < 1 or a <= 0 or L == 0:
        raise ValueError("guided_cover_counts needs suppression ≥ 1, a > 0 and at least one maximum")
    counts = np.zeros(trials, dtype=np.int64)
    covered = np.zeros((trials, L), dtype=bool)
    active = np.ones(trials, dtype=bool)
    while active.any():
        idx = np.nonzero(active)[0]
        alpha = (-np.log(rng.uniform(size=(idx.size, L)))) ** (-1.0 / a)  # inverse CDF of exp(−x^{−a})
        rate = mu * np.where(covered[idx], 1.0 / suppression, 1.0)
        win = np.argmax(rate * alpha, axis=1)
        covered[idx, win] = True
        counts[idx] += 1
        active[idx] = ~covered[idx].all(axis=1)
    return counts
