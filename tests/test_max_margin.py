"""Reference solutions: max L2/L1-margin classifiers, (K1)/(K2), nuclear-norm completion."""

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

from grokcheck.numerics import (
    kernel_max_margin,
    max_l1_margin,
    max_l2_margin,
    max_margin_optimality,
    min_norm_interpolant,
    min_nuclear_norm_completion,
    ntk_features,
)


def _separable(seed, n, d, k):
    rng = np.random.default_rng(seed)
    X = rng.choice([-1.0, 1.0], size=(n, d))
    w = np.zeros(d)
    w[:k] = rng.choice([-1.0, 1.0], size=k)
    return X, np.sign(X @ w), w


@given(seed=st.integers(0, 10_000), n=st.integers(2, 30), d=st.integers(3, 60), k=st.sampled_from([1, 3]))
def test_l2_and_l1_solutions_satisfy_kkt(seed, n, d, k):
    X, y, teacher = _separable(seed, n, d, min(k, d))
    for sol, tol in ((max_l2_margin(X, y), 1e-9), (max_l1_margin(X, y), 1e-7)):
        # NNLS is exact to round-off; HiGHS's primal/dual feasibility tolerance is 1e-7
        assert sol.status == "ok"
        res = max_margin_optimality(sol, X, y)
        assert max(res.values()) <= tol, (sol.norm, res)
    # optimality against an oracle: the teacher is feasible, so its margin is a lower bound
    l2, l1 = max_l2_margin(X, y), max_l1_margin(X, y)
    q = y * (X @ teacher)
    assert l2.margin >= q.min() / np.linalg.norm(teacher) - 1e-12  # round-off
    assert l1.margin >= q.min() / np.abs(teacher).sum() - 1e-9  # HiGHS tolerance


def test_l1_margin_recovers_sparse_teacher():
    # n ≫ k² log d: the L1-margin direction is the teacher's (Lyu et al., arXiv 2311.18817, experimental settings, Cor. 3.7)
    X, y, w = _separable(0, 200, 300, 3)
    l1, l2 = max_l1_margin(X, y), max_l2_margin(X, y)
    cos = lambda a, b: a @ b / np.linalg.norm(a) / np.linalg.norm(b)  # noqa: E731
    assert cos(l1.w, w) > 0.999  # exact recovery up to LP tolerance
    assert cos(l2.w, w) < 0.9  # n ≪ k·d: the L2 direction is spread over all coordinates


def test_infeasible_is_a_status():
    X = np.array([[1.0, 2.0], [-1.0, -2.0]])
    y = np.array([1.0, 1.0])
    assert max_l2_margin(X, y).status == "infeasible"
    assert max_l1_margin(X, y).status == "infeasible"


@given(seed=st.integers(0, 10_000), n=st.integers(1, 8), extra=st.integers(0, 8))
def test_min_norm_interpolant(seed, n, extra):
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(n, n + extra))
    y = rng.normal(size=n)
    sol = min_norm_interpolant(F, y)
    assert sol.status == "ok" and sol.residual <= 1e-10  # generic features are independent
    # h lies in the row space (the min-norm characterisation)
    proj = F.T @ np.linalg.lstsq(F.T, sol.h, rcond=None)[0]
    np.testing.assert_allclose(proj, sol.h, atol=1e-10 * max(1, np.linalg.norm(sol.h)))  # round-off


def test_kernel_max_margin_of_diagonal_net_is_l2_margin():
    """NTK features of the diagonal net at θ̄ = (1,1)/√(2d) are (2x, −2x)/√(2d): (K1) ∝ w₂*."""
    X, y, _ = _separable(1, 20, 15, 3)
    d = X.shape[1]
    Xt = torch.tensor(X)
    f = lambda th: Xt @ (th[:d] ** 2 - th[d:] ** 2)  # noqa: E731
    phi = ntk_features(f, torch.full((2 * d,), 1 / np.sqrt(2 * d), dtype=torch.float64))
    k1 = kernel_max_margin(phi, y)
    h = k1.direction
    w_from_h = h[:d] - h[d:]  # ⟨φ(x), h⟩ = (2/√(2d))·⟨x, h_u − h_v⟩
    w2 = max_l2_margin(X, y).direction
    assert abs(w_from_h @ w2 / np.linalg.norm(w_from_h) - 1) < 1e-9  # same direction up to round-off


def test_exact_nuclear_completion_recovers_low_rank_and_certifies():
    d = 20
    u = np.arange(1, d + 1) / d
    M = np.outer(u, u)
    rng = np.random.default_rng(0)
    idx = rng.permutation(d * d)[:150]
    r, c = idx // d, idx % d
    sol = min_nuclear_norm_completion(d, r, c, M[r, c], tol=1e-9)
    assert sol.converged
    assert sol.gap <= 1e-6  # dual certificate: ‖X‖_* within 1e-6 of a proven lower bound
    assert np.abs(sol.X[r, c] - M[r, c]).max() == 0.0  # constraints imposed exactly
    assert np.linalg.norm(sol.X - M) / np.linalg.norm(M) < 1e-4  # rank 1, 150 ≫ d·log d samples


def test_penalized_nuclear_completion_optimality():
    d, lam = 15, 1e-2
    rng = np.random.default_rng(1)
    u = rng.normal(size=d)
    M = np.outer(u, u)
    idx = rng.permutation(d * d)[:80]
    r, c = idx // d, idx % d
    sol = min_nuclear_norm_completion(d, r, c, M[r, c], lam=lam, tol=1e-10)
    assert sol.converged and sol.gap <= 1e-9  # prox-gradient fixed point
    obj = lambda X: np.mean((X[r, c] - M[r, c]) ** 2) + lam * np.abs(np.linalg.eigvalsh(X)).sum()  # noqa: E731
    f0 = obj(sol.X)
    for _ in range(20):  # convexity: no symmetric perturbation does better
        E = rng.normal(size=(d, d)) * 1e-3
        assert obj(sol.X + (E + E.T) / 2) >= f0 - 1e-12  # round-off
