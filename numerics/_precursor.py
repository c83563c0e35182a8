"""The per-neuron ODE of the cyclic precursor (arXiv 2602.16849), derived form (He et al.'s precursor, arXiv 2602.16849).

Setting: ``Z_p``, shared input, σ = x², one frequency ``k`` (ω = 2πk/p), neuron
``θ(j) = α cos(ωj + φ)``, ``ξ(j) = β cos(ωj + ψ)``, ``𝒟 = 2φ − ψ``:

    α̇ = (2/p) α β cos 𝒟,   β̇ = (1/p) α² cos 𝒟,
    φ̇ = −(2β/p) sin 𝒟,     ψ̇ = (α²/(pβ)) sin 𝒟,
    𝒟̇ = −(1/p)(4β + α²/β) sin 𝒟.

This is what the authors' simulator (``precompute/generate_analytical.py:
gradient_update``: ``θ̇ = (2/p)αβ cos(ωj + ψ − φ)``, ``ξ̇ = (1/p)α² cos(ωj + 2φ)``)
implies; the blog's 𝒟̇ equation disagrees with it. Invariant:
``α² − 2β²``. 𝒟 = 0 attracts, 𝒟 = π repels. The magnitudes blow up in finite time, so
integration stops at a magnitude cap (a terminal event, reported as a status).

:func:`precursor_vector_flow` integrates the simulator's vector field on ``(θ, ξ) ∈ R^p × R^p``
so the two can be compared; :func:`euler_simulator` takes the
simulator's discrete Euler steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from grokcheck.errors import NumericalFailure

__all__ = ["PrecursorSolution", "precursor_ode", "precursor_vector_flow", "single_frequency", "frequency_coordinates", "euler_simulator"]


@dataclass(frozen=True)
class PrecursorSolution:
    """``ts`` ``(T,)`` and ``alpha, beta, phi, psi, D`` ``(T,)``; ``invariant = α² − 2β²``;
    status ``"t1_reached"`` / ``"cap_reached"`` / ``"solver_failed"``."""

    ts: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    phi: np.ndarray
    psi: np.ndarray
    status: str

    @property
    def D(self) -> np.ndarray:
        return np.angle(np.exp(1j * (2 * self.phi - self.psi)))

    @property
    def invariant(self) -> np.ndarray:
        return self.alpha**2 - 2 * self.beta**2


def _rhs(p):
    def f(_t, y):
        a, b, ph, ps = y
        D = 2 * ph - ps
        c, s = np.cos(D), np.sin(D)
        return [2 / p * a * b * c, a * a * c / p, -2 * b / p * s, a * a / (p * b) * s]

    return f


def precursor_ode(p: int, alpha0: float, beta0: float, phi0: float, psi0: float, *, t1: float, cap: float = 10.0, t_eval=None, rtol: float = 1e-12, atol: float = 1e-15, throw: bool = True) -> PrecursorSolution:
    """Integrate the derived ODE from ``(α, β, φ, ψ)(0)`` until ``t1`` or ``max(α, β) = cap``."""

    def hit(_t, y):
        return cap - max(abs(y[0]), abs(y[1]))

    hit.terminal = True
    sol = solve_ivp(_rhs(p), (0.0, float(t1)), [alpha0, beta0, phi0, psi0], method="DOP853", rtol=rtol, atol=atol, t_eval=t_eval, events=hit)
    status = {0: "t1_reached", 1: "cap_reached"}.get(sol.status, "solver_failed")
    if throw and status == "solver_failed":
        raise NumericalFailure(f"precursor ODE failed: {sol.message}", where={"t": float(sol.t[-1])})
    return PrecursorSolution(sol.t, sol.y[0], sol.y[1], sol.y[2], sol.y[3], status)


def single_frequency(p: int, k: int, amp: float, phase: float) -> np.ndarray:
    """``amp · cos(2πk j/p + phase)``, ``(p,)``."""
    return amp * np.cos(2 * np.pi * k * np.arange(p) / p + phase)


def frequency_coordinates(v, k: int) -> tuple[float, float]:
    """``(magnitude, phase)`` of ``v`` at frequency ``k``: ``v ≈ A cos(ωj + φ)``."""
    v = np.asarray(v, float)
    p = v.shape[-1]
    z = np.sum(v * np.exp(-2j * np.pi * k * np.arange(p) / p), axis=-1) * 2 / p
    return np.abs(z), np.angle(z)


def precursor_vector_flow(p: int, theta0, xi0, *, t_eval, rtol: float = 1e-12, atol: float = 1e-15) -> tuple[np.ndarray, np.ndarray]:
    """Integrate the simulator's vector field on ``(θ, ξ) ∈ R^p × R^p``:

    ``θ̇(j) = (4/p²) Σ_i ξ̃(i+j) θ(i)``, ``ξ̇(h) = (2/p²) P^⊥ Σ_{i+j=h} θ(i)θ(j)``

    (``2/p`` times the Euclidean gradients of the shared-input Ω, scaled so that on
    single-frequency vectors, where ``Σ_i cos(ω(i+j)+ψ)cos(ωi+φ) = (p/2)cos(ωj+ψ−φ)``,
    they are exactly the simulator's ``(2/p)αβ cos(ωj+ψ−φ)`` and ``(1/p)α² cos(ωj+2φ)``).
    Returns ``(θ(t), ξ(t))``, each ``(T, p)``.
    """
    t_eval = np.asarray(t_eval, float)
    sol = solve_ivp(_scaled(p), (0.0, float(t_eval[-1])), np.concatenate([theta0, xi0]), method="DOP853", t_eval=t_eval, rtol=rtol, atol=atol)
    return sol.y[:p].T, sol.y[p:].T


def _scaled(p):
    """Vector field whose single-frequency restriction is the derived ODE exactly."""
    j = np.arange(p)
    S = (j[:, None] + j[None, :]) % p

    def f(_t, y):
        th, xi = y[:p], y[p:]
        xt = xi - xi.mean()
        # Σ_i ξ(i+j)θ(i) = (p/2)αβ cos(ωj+ψ−φ)  →  multiply by 4/p² to get (2/p)αβ cos(·)
        dth = (4.0 / p**2) * (xt[S] @ th)
        # Σ_{i+j=h} θ(i)θ(j) = (p/2)α² cos(ωh+2φ)  →  multiply by 2/p² to get (1/p)α² cos(·)
        conv = np.bincount(S.ravel(), weights=np.outer(th, th).ravel(), minlength=p)
        dxi = (2.0 / p**2) * (conv - conv.mean())
        return np.concatenate([dth, dxi])

    return f


def euler_simulator(p: int, k: int, amp: float, phi0: float, psi0: float, *, steps: int, lr: float = 1.0) -> tuple[float, float, float]:
    """The authors' discrete simulator: Euler steps of the simulator's update on the
    vectors; returns the final ``(α, β, 𝒟)``."""
    th = single_frequency(p, k, amp, phi0)
    xi = single_frequency(p, k, amp, psi0)
    f = _scaled(p)
    y = np.concatenate([th, xi])
    for _ in range(steps):
        y = y + lr * f(0.0, y)
    a, ph = frequency_coordinates(y[:p], k)
    b, ps = frequency_coordinates(y[p:], k)
    return float(a), float(b), float(np.angle(np.exp(1j * (2 * ph - ps))))
