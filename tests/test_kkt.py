"""KKT certificates for (R1)/(R2) on constructed exact KKT points (Lyu et al., arXiv 2311.18817, Section 3 (theorems))."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from grokcheck.errors import CertificationError
from grokcheck.numerics import assert_kkt_point, is_kkt_point, kkt_certificate, kkt_certificate_regression


def _kkt_linear_data(rng, n_support, n_extra, dim):
    """Data for which a given θ is an exact KKT point of min ½‖θ‖² s.t. y_i⟨θ, x_i⟩ ≥ 1.

    Support points: y_i x_i = θ/‖θ‖² + p_i with p_i ⊥ θ and Σ μ_i p_i = 0, Σ μ_i = ‖θ‖², so
    θ = Σ μ_i y_i x_i and y_i⟨θ, x_i⟩ = 1. Extra points have margin > 1 and μ = 0.
    """
    theta = rng.normal(size=dim)
    t2 = theta @ theta
    mu = rng.uniform(0.5, 2.0, size=n_support)
    mu *= t2 / mu.sum()
    P = rng.normal(size=(n_support + n_extra, dim))
    P -= np.outer(P @ theta, theta) / t2
    P[:n_support] -= (mu @ P[:n_support]) / mu.sum()
    c = np.concatenate([np.ones(n_support), rng.uniform(1.5, 3.0, size=n_extra)])
    A = c[:, None] * theta[None, :] / t2 + P
    y = rng.choice([-1.0, 1.0], size=n_support + n_extra)
    return theta, y[:, None] * A, y, mu


@given(seed=st.integers(0, 10_000), ns=st.integers(1, 6), ne=st.integers(0, 6), extra_dim=st.integers(1, 8))
def test_exact_kkt_point_linear_model(seed, ns, ne, extra_dim):
    rng = np.random.default_rng(seed)
    theta, X, y, mu = _kkt_linear_data(rng, ns, ne, ns + extra_dim)
    Xt = torch.tensor(X)
    f = lambda th: Xt @ th  # noqa: E731  (1-homogeneous)
    th = torch.tensor(theta) * rng.uniform(0.2, 5.0)  # any positive multiple: the certificate rescales
    cert = kkt_certificate(f, th, torch.tensor(y))
    assert cert.degree == 1.0
    # an exact KKT point: NNLS reaches zero residual up to float64 round-off
    assert cert.stationarity_relative <= 1e-8
    assert cert.complementarity_relative <= 1e-8
    assert is_kkt_point(cert, stationarity_tol=1e-8, complementarity_tol=1e-8)
    assert set(cert.support_vectors.tolist()) <= set(range(ns))
    # perturb off the cone of the constraint gradients
    g = np.random.default_rng(seed + 1).normal(size=theta.size)
    bad = kkt_certificate(f, torch.tensor(theta + 0.3 * np.linalg.norm(theta) * g / np.linalg.norm(g)), torch.tensor(y), degree=1)
    assert bad.stationarity_relative > 1e-3 or bad.complementarity_relative > 1e-3


def _kkt_diag_data(rng, n_support, n_extra, s, d):
    """Exact KKT point of min ‖u‖²+‖v‖² s.t. y_i⟨u²−v², x_i⟩ ≥ 1 for a diagonal net.

    On the support S of w (|S| = s) stationarity reads Σ μ_i y_i x_{i,S} = sign(w_S)/2; we build
    a_i = y_i x_{i,S} = c·sign(w_S)/2 + p_i with p_i ⊥ w_S, Σ μ_i p_i = 0, c = 2/‖w_S‖₁, Σμ_i = 1/c.
    """
    wS = rng.uniform(0.5, 2.0, size=s) * rng.choice([-1.0, 1.0], size=s)
    sg = np.sign(wS) / 2
    c = 2.0 / np.abs(wS).sum()
    mu = rng.uniform(0.5, 2.0, size=n_support)
    mu *= (1 / c) / mu.sum()
    n = n_support + n_extra
    P = rng.normal(size=(n, s))
    P -= np.outer(P @ wS, wS) / (wS @ wS)
    P[:n_support] -= (mu @ P[:n_support]) / mu.sum()
    scale = np.concatenate([np.ones(n_support), rng.uniform(1.5, 3.0, size=n_extra)])
    A = scale[:, None] * c * sg[None, :] + P
    y = rng.choice([-1.0, 1.0], size=n)
    X = np.zeros((n, d))
    X[:, :s] = y[:, None] * A
    X[:, s:] = rng.normal(size=(n, d - s))
    w = np.zeros(d)
    w[:s] = wS
    return w, X, y


@given(seed=st.integers(0, 10_000), ns=st.integers(1, 4), ne=st.integers(0, 5), s=st.integers(2, 5), pad=st.integers(1, 10))
def test_exact_kkt_point_diagonal_net(seed, ns, ne, s, pad):
    rng = np.random.default_rng(seed)
    d = s + pad
    w, X, y = _kkt_diag_data(rng, ns, ne, s, d)
    Xt = torch.tensor(X)
    f = lambda th: Xt @ (th[:d] ** 2 - th[d:] ** 2)  # noqa: E731  (2-homogeneous)
    th = torch.tensor(np.concatenate([np.sqrt(np.maximum(w, 0)), np.sqrt(np.maximum(-w, 0))]))
    cert = kkt_certificate(f, 1.7 * th, torch.tensor(y))
    assert cert.degree == 2.0
    assert cert.stationarity_relative <= 1e-8  # exact KKT point, float64 round-off
    assert cert.complementarity_relative <= 1e-8
    assert_kkt_point(cert, stationarity_tol=1e-8, complementarity_tol=1e-8)
    # make u_k and v_k both non-zero on a coordinate: stationarity would need
    # Σ μ_i y_i x_ik = +1/2 and −1/2 at once, so the residual is bounded away from 0
    bad_th = th.clone()
    bump = 0.3 * float(torch.linalg.vector_norm(th))
    bad_th[0] += bump
    bad_th[d] += bump
    bad = kkt_certificate(f, bad_th, torch.tensor(y), degree=2)
    assert bad.status == "ok"
    assert bad.stationarity_relative > 1e-3
    with pytest.raises(CertificationError):
        assert_kkt_point(bad, stationarity_tol=1e-3)


def test_multiclass_kkt_from_binary():
    """θ₁ = −θ₂ = w/2 for a binary KKT point w is a KKT point of the two-class linear model."""
    rng = np.random.default_rng(5)
    theta, X, y, _ = _kkt_linear_data(rng, 3, 4, 6)
    Xt = torch.tensor(X)
    labels = torch.tensor((y < 0).astype(np.int64))  # class 0 ↔ y = +1
    f = lambda th: torch.stack([Xt @ th[:6], Xt @ th[6:]], dim=1)  # noqa: E731
    th = torch.tensor(np.concatenate([theta / 2, -theta / 2]))
    cert = kkt_certificate(f, th, labels)
    assert cert.constraints.shape == (7, 2)
    assert cert.stationarity_relative <= 1e-8 and cert.complementarity_relative <= 1e-8  # exact point


def test_not_separating_is_a_status():
    X = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    cert = kkt_certificate(lambda th: X @ th, torch.tensor([1.0, 0.0]), torch.tensor([1.0, -1.0]), degree=1)
    assert cert.status == "not_separating" and not is_kkt_point(cert)


@given(seed=st.integers(0, 10_000), n=st.integers(1, 6), extra=st.integers(1, 6))
def test_regression_kkt_exact_and_perturbed(seed, n, extra):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n + extra))
    mu = rng.normal(size=n)
    theta = X.T @ mu  # min-norm interpolant of its own outputs: an exact (R2) KKT point
    Xt = torch.tensor(X)
    f = lambda th: Xt @ th  # noqa: E731
    y = torch.tensor(X @ theta)
    cert = kkt_certificate_regression(f, torch.tensor(theta), y)
    assert cert.stationarity_relative <= 1e-8 and cert.feasibility <= 1e-10  # round-off only
    null = rng.normal(size=theta.size)
    null -= X.T @ np.linalg.lstsq(X.T, null, rcond=None)[0]  # component outside the row space
    bad = kkt_certificate_regression(f, torch.tensor(theta + null * np.linalg.norm(theta) / np.linalg.norm(null)), y)
    assert bad.stationarity_relative > 0.1  # half of the norm lies off the row space


def test_gram_route_matches_dense_route(monkeypatch):
    import grokcheck.numerics._kkt as kkt_mod

    rng = np.random.default_rng(11)
    theta, X, y, _ = _kkt_linear_data(rng, 4, 5, 9)
    Xt = torch.tensor(X)
    f = lambda th: Xt @ th  # noqa: E731
    dense = kkt_certificate(f, torch.tensor(theta), torch.tensor(y))
    monkeypatch.setattr(kkt_mod, "_DENSE_LIMIT", 0)  # force the m × m Gram formulation
    gram = kkt_certificate(f, torch.tensor(theta), torch.tensor(y))
    assert gram.stationarity_relative <= 1e-7  # eigen-square-root of the Gram matrix loses ~√eps·cond
    np.testing.assert_allclose(gram.multipliers, dense.multipliers, rtol=1e-6, atol=1e-8)
