"""Ω in parameter and Fourier form and its gradients (He et al., arXiv 2606.02993: the energy Ω; the Stage I flow)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grokcheck.numerics._omega import (
    fourier_blocks,
    inverse_fourier_blocks,
    omega,
    omega_fourier,
    omega_gradients,
    omega_gradients_fourier,
)
from grokcheck.theory import FiniteGroup
from grokcheck.theory.strategies import groups


def _unit(rng, shape):
    x = rng.standard_normal(shape)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _s3():
    return FiniteGroup.from_permutations(["(1,2)", "(1,2,3)"])


@settings(max_examples=15)
@given(G=groups(min_order=2, max_order=40), seed=st.integers(0, 2**16))
def test_parameter_and_fourier_forms_agree(G, seed):
    # E[ξ̃(g1g2)θ¹(g1)θ²(g2)] = Σ_{ρ≠1} d tr(ξ̂*θ̂²θ̂¹).
    rng = np.random.default_rng(seed)
    t1, t2, xi = (_unit(rng, (5, G.order)) for _ in range(3))
    a = omega(G, t1, t2, xi)
    b = omega_fourier(G, *(fourier_blocks(G, v) for v in (t1, t2, xi)))
    # 1e-12: float64 sums of ≤ 40² unit-scale products, values ~|G|^{-3/2}.
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


@settings(max_examples=10)
@given(G=groups(min_order=6, max_order=40, abelian=False), seed=st.integers(0, 2**16))
def test_reversed_order_fails_for_non_abelian(G, seed):
    # negative half: θ̂¹θ̂² is a different number for non-Abelian G.
    rng = np.random.default_rng(seed)
    t1, t2, xi = (_unit(rng, (4, G.order)) for _ in range(3))
    B = [fourier_blocks(G, v) for v in (t1, t2, xi)]
    right = omega_fourier(G, *B)
    wrong = omega_fourier(G, *B, reverse=True)
    # Random Gaussian directions: the difference is of the size of Ω itself
    # (~|G|^{-2}); 1e-9 is far below that and far above round-off (1e-16).
    assert np.max(np.abs(right - wrong)) > 1e-9


@settings(max_examples=10)
@given(G=groups(min_order=2, max_order=30, abelian=True), seed=st.integers(0, 2**16))
def test_order_irrelevant_for_abelian(G, seed):
    rng = np.random.default_rng(seed)
    B = [fourier_blocks(G, _unit(rng, (3, G.order))) for _ in range(3)]
    # 1e-14: 1×1 blocks commute exactly up to round-off.
    np.testing.assert_allclose(omega_fourier(G, *B), omega_fourier(G, *B, reverse=True), atol=1e-14)


def test_s3_fourier_identity_and_reversed_value():
    # on S3 (fixed vectors; published reference values come without their vectors, so the
    # identity and the failure of the reversed order are checked, not 0.039098 itself).
    G = _s3()
    rng = np.random.default_rng(20260601)
    t1, t2, xi = (_unit(rng, G.order) for _ in range(3))
    B = [fourier_blocks(G, v) for v in (t1, t2, xi)]
    # 1e-15: six-element sums.
    assert abs(omega(G, t1, t2, xi) - omega_fourier(G, *B)) < 1e-15
    assert abs(omega(G, t1, t2, xi) - omega_fourier(G, *B, reverse=True)) > 1e-4  # S3 is non-Abelian


@settings(max_examples=12)
@given(G=groups(min_order=2, max_order=36), seed=st.integers(0, 2**16))
def test_gradients_fourier_vs_parameter_and_euler(G, seed):
    # the block formulas are the Fourier images of the
    # parameter gradients; Euler's identity ⟨ν, ∇_νΩ⟩ = Ω.
    rng = np.random.default_rng(seed)
    vs = [_unit(rng, (3, G.order)) for _ in range(3)]
    gp = omega_gradients(G, *vs)
    gf = omega_gradients_fourier(G, *(fourier_blocks(G, v) for v in vs))
    om = omega(G, *vs)
    for v, a, b in zip(vs, gp, gf):
        back = inverse_fourier_blocks(G, b)
        # 1e-13: gradient entries are ~|G|^{-3/2}; transforms add ~1e-16 relative error.
        np.testing.assert_allclose(back.real, a, atol=1e-13)
        np.testing.assert_allclose(back.imag, 0, atol=1e-13)
        np.testing.assert_allclose(np.sum(v * a, axis=1), om, atol=1e-14)  # Euler, exact up to round-off


def test_gradients_match_autograd():
    # the gradients against torch autograd on the parameter form (float64).
    torch = pytest.importorskip("torch")
    C12 = FiniteGroup.from_table((np.arange(12)[:, None] + np.arange(12)[None, :]) % 12)
    for G in (C12, _s3()):
        rng = np.random.default_rng(3)
        vs = [_unit(rng, G.order) for _ in range(3)]
        T = torch.as_tensor(np.array(G.table))
        ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in vs]
        xit = ts[2] - ts[2].mean()
        om = (xit[T] * ts[0][:, None] * ts[1][None, :]).sum() / G.order**2
        om.backward()
        for t, g in zip(ts, omega_gradients(G, *vs)):
            # 1e-15: both are the same finite sum evaluated in float64.
            np.testing.assert_allclose(t.grad.numpy(), g, atol=1e-15)


def test_gradient_taylor_remainder_slope():
    # Directional derivative check: |Ω(x+εv) − Ω(x) − ε⟨∇Ω, v⟩| = O(ε²) (log-log slope 2).
    G = FiniteGroup.from_permutations(["(1,2,3,4,5)", "(1,2)"])  # S5, order 120
    rng = np.random.default_rng(7)
    x = [_unit(rng, G.order) for _ in range(3)]
    v = [rng.standard_normal(G.order) for _ in range(3)]
    g = omega_gradients(G, *x)
    lin = sum(np.dot(a, b) for a, b in zip(g, v))
    eps = np.array([1e-1, 3e-2, 1e-2, 3e-3])
    rem = [abs(omega(G, *(a + e * b for a, b in zip(x, v))) - omega(G, *x) - e * lin) for e in eps]
    slope = np.polyfit(np.log(eps), np.log(rem), 1)[0]
    # Ω is a cubic polynomial: the remainder is exactly quadratic + cubic in ε, slope 2 ± 0.1.
    assert abs(slope - 2.0) < 0.1
