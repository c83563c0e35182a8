"""EGD update map, its identities and its toy theory (EGD, arXiv 2510.04930, Eq. (11) and Section 3)."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from grokcheck.errors import GrokcheckError
from grokcheck.numerics._egd import (
    EGDToyProblem,
    egd_direction,
    egd_identities,
    plateau_length,
    plateau_scaling,
    simulate_toy,
    theorem1_test_error,
    toy_test_error,
)

# float64 SVD / eigh reconstructions of O(1) matrices: errors ~ 1e-15·cond; 1e-10 leaves five orders of margin.
TOL = 1e-10


@st.composite
def gradients(draw):
    """Gradient matrices of every shape and rank: product of (m×k)(k×p) Gaussians, k ≤ min(m, p)."""
    m = draw(st.integers(1, 9))
    p = draw(st.integers(1, 9))
    k = draw(st.integers(1, min(m, p)))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    return rng.normal(size=(m, k)) @ rng.normal(size=(k, p))


@given(g=gradients())
def test_egd_identities(g):
    ident = egd_identities(g)
    k = ident.rank
    sv = ident.singular_values
    assert np.allclose(sv[:k], 1.0, atol=TOL) and np.allclose(sv[k:], 0.0, atol=TOL)
    assert ident.polar_left_residual < 1e-8  # eigh-based square root of GGᵀ loses ~sqrt(eps)·cond on tiny eigenvalues
    assert ident.polar_right_residual < 1e-8
    assert ident.frobenius_sq == pytest.approx(k, abs=TOL)
    assert ident.fisher_trace == pytest.approx(ident.grad_frobenius_sq, rel=1e-9)  # tr(G̃ᵀ F G̃) = ‖G‖_F²
    # the paper's Fisher-norm "identity" ‖G̃‖²/m = 1 holds exactly when G has full row rank
    assert (abs(ident.paper_fisher_norm - 1.0) < TOL) == (k == g.shape[0])


def test_paper_fisher_norm_claim_fails_on_wide_rank_deficient_gradient():
    rng = np.random.default_rng(0)
    g = rng.normal(size=(6, 2)) @ rng.normal(size=(2, 5))  # rank 2 < m = 6
    ident = egd_identities(g)
    assert ident.paper_fisher_norm == pytest.approx(2 / 6, abs=TOL)


def test_batched_and_orientation_free():
    gen = torch.Generator().manual_seed(0)
    g = torch.randn(3, 2, 7, 5, dtype=torch.float64, generator=gen)
    d = egd_direction(g)
    for i in range(3):
        for j in range(2):
            assert torch.allclose(d[i, j], egd_direction(g[i, j]), atol=TOL, rtol=0)
    assert torch.allclose(egd_direction(g.mT), d.mT, atol=TOL, rtol=0)  # polar factor of Gᵀ is (UVᵀ)ᵀ


def test_rsvd_is_exact_when_rank_covers_the_gradient():
    gen = torch.Generator().manual_seed(1)
    low = torch.randn(20, 4, dtype=torch.float64, generator=gen) @ torch.randn(4, 30, dtype=torch.float64, generator=gen)
    exact = egd_direction(low)
    for r in (4, 8):
        approx = egd_direction(low, method="rsvd", rank=r, generator=torch.Generator().manual_seed(2))
        assert torch.allclose(approx, exact, atol=1e-9, rtol=0)  # the sketch spans the 4-dim range exactly


def test_rsvd_truncates_to_top_singular_directions():
    # G = U diag(s) Vᵀ with a spectral gap: rank-r RSVD ≈ U_r V_rᵀ (top r directions only)
    rng = np.random.default_rng(3)
    u, _ = np.linalg.qr(rng.normal(size=(12, 12)))
    v, _ = np.linalg.qr(rng.normal(size=(10, 10)))
    s = np.array([10.0, 9.0, 8.0, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3])
    g = torch.as_tensor(u[:, :10] * s @ v.T)
    approx = egd_direction(g, method="rsvd", rank=3, generator=torch.Generator().manual_seed(0))
    want = torch.as_tensor(u[:, :3] @ v[:, :3].T)
    assert torch.allclose(approx, want, atol=1e-6, rtol=0)  # gap 8/1e-3 with 2 power iterations: error ~ (1e-4)^5


def test_colnorm_normalises_each_output_unit():
    g = torch.tensor([[3.0, 4.0], [0.0, 0.001]], dtype=torch.float64)
    d = egd_direction(g, method="colnorm")
    assert torch.allclose(d[0], torch.tensor([0.6, 0.8], dtype=torch.float64))  # default rtol 1e-5 ≫ float64 division error
    assert torch.allclose(d[1], g[1] / 0.01)  # norms are clamped at 0.01 (authors' code)


def test_matches_training_layer_optimizer_on_full_rank():
    from grokcheck.checks.training._optimizers import egd_direction as opt_egd

    gen = torch.Generator().manual_seed(4)
    g = torch.randn(2, 16, 9, dtype=torch.float64, generator=gen)
    # full rank: the optimizer's soft clamp max(s, 1e-6) and our pseudo-inverse coincide
    assert torch.allclose(opt_egd(g, method="svd"), egd_direction(g), atol=TOL, rtol=0)
    assert torch.allclose(opt_egd(g, method="colnorm"), egd_direction(g, method="colnorm"), atol=0, rtol=0)
    assert torch.allclose(egd_direction(g, clamp=1e-6, rcond=0.0), egd_direction(g), atol=TOL, rtol=0)


def test_bad_inputs():
    with pytest.raises(GrokcheckError):
        egd_direction(torch.ones(3))
    with pytest.raises(GrokcheckError):
        egd_direction(torch.ones(3, 3), method="rsvd")
    with pytest.raises(GrokcheckError):
        egd_direction(torch.ones(3, 3), method="nope")
    assert torch.equal(egd_direction(torch.zeros(2, 4, 3)), torch.zeros(2, 4, 3))


# ------------------------------------------------------------------ toy theory


def test_theorem1_is_exact_population_error_of_population_gd():
    # Theorem 1's formula = the exact angular test error at the population GD iterate (μ_k, ν_k)
    prob = EGDToyProblem(eps=0.01)
    k = np.arange(0, 2000, 7)
    w = np.stack([prob.mu(k), prob.nu(k)], axis=1)
    assert np.allclose(theorem1_test_error(prob, k), toy_test_error(w, eps=prob.eps, theta=prob.theta), atol=1e-12)  # same formula up to arccos/atan2 round-off


def test_exit_step_is_where_error_leaves_one():
    prob = EGDToyProblem(eps=0.02)
    k = prob.exit_step()
    err = theorem1_test_error(prob, np.arange(k + 2))
    assert np.all(err[:k] == 1.0) and err[k] < 1.0
    # Corollary 1 order with the exit's own τ: k ≈ log(τ_exit)/(ηε)
    assert k == pytest.approx(math.log(prob.tau_exit) / (prob.eta * prob.eps), rel=0.02)  # μ_k → m1/m2 after ~10 steps


def test_simulated_gd_tracks_theorem1():
    prob = EGDToyProblem(eps=0.02)
    run = simulate_toy(prob, method="gd", steps=600, n=20000, seed=0)
    theory = theorem1_test_error(prob, np.arange(601))
    # finite n: Σ̂ deviates from diag(m2, ε) by O(1/√n); the curves agree to a few percent
    assert np.max(np.abs(run.test_error_population - theory)) < 0.1  # O(1/√n) drift of Σ̂, n = 20000
    assert np.max(np.abs(run.test_error - run.test_error_population)) < 0.05  # 4000 test points: binomial noise ≲ 0.02
    assert run.train_accuracy[-1] == 1.0  # separable with margin 2s


def test_plateau_scaling_slopes():
    ps = plateau_scaling([0.04, 0.02, 0.01, 0.005], seed=0)
    assert ps.gd_slope == pytest.approx(-1.0, abs=0.1)  # Corollary 1: k* ≍ log τ / (ηε)
    assert ps.theory_slope == pytest.approx(-1.0, abs=0.05)  # log τ/(ηε) with μ_k ≈ m1/m2: slope −1 up to log-term drift
    assert abs(ps.pgd_slope) < 0.1  # preconditioned GD: no ε dependence
    assert np.all(ps.pgd_steps <= 10)


def test_plateau_length_helper():
    assert plateau_length(np.array([1.0, 0.9, 0.4, 0.1]), threshold=0.5) == 2
    assert plateau_length(np.array([1.0, 1.0])) is None
