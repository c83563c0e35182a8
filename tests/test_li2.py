"""Li₂ energy, maxima, the Ω identity and G_F (Tian, arXiv 2509.21519: Stage I (Proposition 1, Eq. (4)); Theorem 2, corrected constants (docs/errata.md))."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grokcheck.numerics._li2 import (
    gf_closed_form,
    gf_limit,
    gf_small_t,
    li2_energy,
    li2_energy_gradient,
    li2_projected_ascent,
    max_omega_over_xi,
    simulate_gf,
    v_ridge,
)
from grokcheck.numerics._omega import omega
from grokcheck.numerics._predictions import predictions
from grokcheck.theory import FiniteGroup
from grokcheck.theory.strategies import groups


def _cyclic(n):
    a = np.arange(n)
    return FiniteGroup.from_table((a[:, None] + a[None, :]) % n)


S3 = ["(1,2)", "(1,2,3)"]
Q8 = ["(1,2,4,7)(3,6,8,5)", "(1,3,4,8)(2,5,7,6)"]


@pytest.mark.parametrize(
    "G, expected",
    [
        (_cyclic(7), [1.75]),  # M/(4d) for the three complex pairs
        (_cyclic(8), [2.0, 4.0]),  # complex pairs M/4, the real (−1)^g irrep M/2
        (FiniteGroup.from_permutations(S3), [1.5, 3.0]),  # 2-dim real M/4, sign M/2
        (FiniteGroup.from_permutations(Q8), [1.0, 4.0]),  # quaternionic (m = 2): M/(4d); 1-dim real M/2
    ],
)
def test_li2_maxima(G, expected):
    # ascent from 24 random starts ends only at the corrected values,
    # never at the printed M/(8d_k), M/(16d_k); all predicted values are in the table.
    rng = np.random.default_rng(1)
    res = li2_projected_ascent(G, rng.standard_normal((24, 2 * G.order)), max_steps=20000)
    assert res.status == "converged"
    final = res.energy[-1]
    found = np.unique(np.round(final, 6))
    # 1e-6: the ascent stops at tangent gradient ≤ 1e-13·|G|, far below.
    assert np.all(np.min(np.abs(final[:, None] - np.asarray(expected)[None, :]), axis=1) < 1e-6)
    assert set(found) <= set(expected)
    pred = set(np.round(predictions(G).li2_energy_star[1:], 6))
    assert set(expected) == pred
    # energies never decrease along the ascent (per start)
    assert np.all(np.diff(res.energy, axis=0) >= -1e-12)  # float round-off on values ~|G|


def test_li2_flat_directions_numeric():
    # Li₂ Corollary 1 on C7 (all maxima are complex pairs): the Riemannian Hessian at a
    # converged maximum has a zero eigenvalue (rotation of the phase).
    G = _cyclic(7)
    g = G.order
    res = li2_projected_ascent(G, np.random.default_rng(2).standard_normal(2 * g))
    w = res.w
    h = 1e-4
    H = np.zeros((2 * g, 2 * g))
    for i in range(2 * g):
        e = np.zeros(2 * g)
        e[i] = h
        H[:, i] = (li2_energy_gradient(G, w + e) - li2_energy_gradient(G, w - e)) / (2 * h)
    E = li2_energy(G, w)
    P = np.eye(2 * g) - np.outer(w, w)
    R = P @ (H - 4 * E * np.eye(2 * g)) @ P
    ev = np.linalg.eigvalsh((R + R.T) / 2)
    ev = np.delete(ev, np.argmin(np.abs(ev)))  # the normal direction w itself
    assert ev.max() < 1e-6  # a local maximum (no positive curvature); FD error ~1e-8
    assert np.min(np.abs(ev)) < 1e-6  # a flat tangent direction; other eigenvalues are O(1)


@settings(max_examples=15)
@given(G=groups(min_order=2, max_order=40), seed=st.integers(0, 10_000))
def test_li2_equals_max_omega_squared(G, seed):
    # 𝓔(θ¹,θ²) = 2|G|⁴(max_ξ Ω)², and the maximiser is ξ ∝ P^⊥c.
    rng = np.random.default_rng(seed)
    g = G.order
    t1, t2 = rng.standard_normal((2, 3, g))
    E = li2_energy(G, np.concatenate([t1, t2], axis=1), method="table")
    m = max_omega_over_xi(G, t1, t2)
    # 1e-10 relative: the two sides are sums of ~g³ products in float64.
    np.testing.assert_allclose(E, 2 * g**4 * m**2, rtol=1e-10)
    # the maximiser: ξ = ∇_ξΩ/‖∇_ξΩ‖ attains it, random ξ does not exceed it
    from grokcheck.numerics._omega import omega_gradients

    gx = omega_gradients(G, t1, t2, np.zeros((3, g)) + 1.0)[2]
    xi = gx / np.linalg.norm(gx, axis=1, keepdims=True)
    np.testing.assert_allclose(omega(G, t1, t2, xi), m, rtol=1e-10)
    r = rng.standard_normal((3, g))
    assert np.all(omega(G, t1, t2, r / np.linalg.norm(r, axis=1, keepdims=True)) <= m + 1e-15)


def test_li2_gradient_matches_finite_differences():
    G = FiniteGroup.from_permutations(S3)
    w = np.random.default_rng(0).standard_normal(12)
    gr = li2_energy_gradient(G, w)
    h = 1e-6
    fd = np.array([(li2_energy(G, w + h * e) - li2_energy(G, w - h * e)) / (2 * h) for e in np.eye(12)])
    np.testing.assert_allclose(gr, fd, rtol=1e-7, atol=1e-7)  # central differences, O(h²) + round-off/h


def _fixed_features(seed, N=30, K=8, C=5):
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((N, K))
    Y = np.eye(C)[rng.integers(0, C, N)]
    return F, Y


def test_gf_simulation_matches_closed_form_and_limit():
    # G_F(t) with fixed random F: simulated gradient flow = exact solution;
    # G_F(∞) = Prop. 1's closed form; V → V_ridge.
    F, Y = _fixed_features(0)
    eta = 0.3
    V0 = 1e-3 * np.random.default_rng(1).standard_normal((F.shape[1], Y.shape[1]))
    ts = np.array([0.0, 0.01, 0.1, 1.0, 10.0, 200.0])
    sim = simulate_gf(F, Y, V0, eta, ts)
    exact = gf_closed_form(F, Y, V0, eta, ts)
    np.testing.assert_allclose(sim.gf, exact, atol=1e-8)  # DOP853 at rtol 1e-12
    np.testing.assert_allclose(sim.gf[-1], gf_limit(F, Y, eta), atol=1e-8)  # e^{-λ_min·200} ≈ 0
    np.testing.assert_allclose(sim.V, v_ridge(F, Y, eta), atol=1e-8)


def test_gf_small_t_expansion():
    # Prop. 1: G_F(t) = t ỸỸᵀF̃ + O(α) + O(αt) + O(t²): with α = 1e-12 the remainder is
    # quadratic in t (log-log slope 2).
    F, Y = _fixed_features(3)
    V0 = 1e-12 * np.random.default_rng(4).standard_normal((F.shape[1], Y.shape[1]))
    ts = np.array([1e-4, 3e-4, 1e-3, 3e-3])
    rem = np.linalg.norm(gf_closed_form(F, Y, V0, 0.1, ts) - gf_small_t(F, Y, ts), axis=(1, 2))
    slope = np.polyfit(np.log(ts), np.log(rem), 1)[0]
    assert abs(slope - 2) < 0.05  # O(α) terms are 1e-12, far below t² ≥ 1e-8


def test_simulate_gf_refuses_non_finite_input():
    """A NaN field makes solve_ivp's adaptive step shrink for ever (it hung `verify C1`): refused by name."""
    from grokcheck.errors import NumericalFailure
    from grokcheck.numerics._li2 import simulate_gf

    F = np.ones((4, 3))
    F[0, 0] = np.nan
    with pytest.raises(NumericalFailure, match="F has non-finite"):
        simulate_gf(F, np.eye(4)[:, :2], np.zeros((3, 2)), 0.1, [0.0, 1.0])
