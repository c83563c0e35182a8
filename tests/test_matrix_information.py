"""Matrix Rényi entropy and mutual information (Tan & Huang, arXiv 2311.06597, Section 5.1 (matrix information))."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from grokcheck.errors import CertificationError, GrokcheckError
from grokcheck.numerics._matrix_information import (
    assert_unit_diagonal_psd,
    is_unit_diagonal_psd,
    matrix_entropy,
    matrix_mutual_information,
    normalized_gram,
)

# float64 eigenvalues of an n×n Gram matrix carry round-off ~ n·eps; entropies are sums of n terms.
ATOL = 1e-10


@st.composite
def grams(draw, *, min_n=2, max_n=12, batch=None):
    """PSD unit-diagonal matrices built valid: Gram matrices of normalised random rows (rank ≤ d)."""
    n = draw(st.integers(min_n, max_n))
    d = draw(st.integers(1, 2 * max_n))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    shape = (n, d) if batch is None else (batch, n, d)
    z = torch.as_tensor(rng.normal(size=shape))
    return normalized_gram(z)


alphas = st.sampled_from([0.5, 1.0, 2.0, 3.0])


@given(g=grams(), alpha=alphas)
def test_entropy_bounds(g, alpha):
    n = g.shape[-1]
    h = float(matrix_entropy(g, alpha))
    assert -ATOL <= h <= math.log(n) + ATOL


@given(g=grams())
def test_h2_closed_form_matches_spectrum(g):
    # the α = 2 branch is closed form; compare with the generic Rényi formula on eigenvalues
    n = g.shape[-1]
    lam = np.clip(np.linalg.eigvalsh(g.numpy() / n), 0, None)
    spectral = -math.log(float((lam**2).sum()))
    closed = 2 * math.log(n) - math.log(float((g**2).sum()))
    assert abs(float(matrix_entropy(g, 2)) - closed) < ATOL
    assert abs(closed - spectral) < ATOL


@given(g=grams(), alpha=alphas)
def test_mutual_information_with_identity_is_entropy(g, alpha):
    n = g.shape[-1]
    eye = torch.eye(n, dtype=g.dtype)
    assert abs(float(matrix_mutual_information(eye, g, alpha)) - float(matrix_entropy(g, alpha))) < ATOL


@given(g=grams(), alpha=alphas)
def test_extremes(g, alpha):
    n = g.shape[-1]
    eye = torch.eye(n, dtype=torch.float64)
    ones = torch.ones(n, n, dtype=torch.float64)
    assert abs(float(matrix_entropy(eye, alpha)) - math.log(n)) < ATOL  # uniform spectrum
    assert abs(float(matrix_entropy(ones, alpha))) < ATOL  # rank one


def test_entropy_alpha_one_is_limit_of_renyi():
    g = normalized_gram(torch.as_tensor(np.random.default_rng(0).normal(size=(9, 4))))
    h1 = float(matrix_entropy(g, 1.0))
    near = [float(matrix_entropy(g, 1 + d)) for d in (1e-3, -1e-3)]
    # Rényi entropy is smooth in α; the ±1e-3 values bracket H₁ to O(1e-3)
    assert min(near) - 1e-9 <= h1 <= max(near) + 1e-9


@given(g=grams(batch=3))
def test_batched_equals_loop(g):
    for alpha in (1.0, 2.0):
        batched = matrix_entropy(g, alpha)
        single = torch.stack([matrix_entropy(gi, alpha) for gi in g])
        assert torch.allclose(batched, single, atol=ATOL, rtol=0)  # same arithmetic per matrix


@given(g1=grams(min_n=5, max_n=5), g2=grams(min_n=5, max_n=5))
def test_schur_product_is_admissible_and_i2_closed_form(g1, g2):
    assert is_unit_diagonal_psd(g1 * g2)  # Schur product theorem
    n = 5
    closed = 2 * math.log(n) - math.log(float((g1**2).sum()) * float((g2**2).sum()) / float(((g1 * g2) ** 2).sum()))
    assert abs(float(matrix_mutual_information(g1, g2, 2)) - closed) < ATOL


def test_clipping_tiny_negative_eigenvalues():
    # 30 rows in 2 dimensions: rank 2, 28 eigenvalues are exactly 0 in exact arithmetic and
    # come back as ±1e-17-ish; without clipping λ log λ would be NaN.
    g = normalized_gram(torch.as_tensor(np.random.default_rng(1).normal(size=(30, 2))))
    lam = torch.linalg.eigvalsh(g / 30)
    h = matrix_entropy(g, 1.0)
    assert torch.isfinite(h)
    nz = lam[lam > 1e-12].numpy()
    assert abs(float(h) - float(-(nz * np.log(nz)).sum())) < ATOL
    assert float(h) <= math.log(2) + ATOL  # at most log(rank)


def test_zero_rows_are_orthogonal():
    z = torch.tensor([[1.0, 0.0], [0.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    g = normalized_gram(z)
    assert torch.equal(g, torch.eye(3, dtype=torch.float64))


def test_validation_and_certificates():
    with pytest.raises(GrokcheckError):
        matrix_entropy(torch.ones(3, 4, dtype=torch.float64))
    with pytest.raises(GrokcheckError):
        matrix_entropy(torch.eye(3, dtype=torch.float64), alpha=0.0)
    with pytest.raises(GrokcheckError):
        matrix_mutual_information(torch.eye(3, dtype=torch.float64), torch.eye(4, dtype=torch.float64))
    bad = torch.tensor([[1.0, 2.0], [2.0, 1.0]], dtype=torch.float64)  # eigenvalue −1
    ok, res = is_unit_diagonal_psd(bad, explain=True)
    assert not ok and res["min_eigenvalue"] < -0.5
    with pytest.raises(CertificationError):
        assert_unit_diagonal_psd(bad)


@given(g1=grams(min_n=6, max_n=6), g2=grams(min_n=6, max_n=6), alpha=st.sampled_from([1.0, 2.0]))
def test_joint_entropy_dominates_marginals(g1, g2, alpha):
    # H(R1 ⊙ R2) ≥ max(H(R1), H(R2)), i.e. I ≤ min(H(R1), H(R2)). (I ≥ 0 does NOT hold in general
    # for the matrix-based quantity: random draws reach I ≈ -0.02, so it is not asserted.)
    i = float(matrix_mutual_information(g1, g2, alpha))
    assert i <= min(float(matrix_entropy(g1, alpha)), float(matrix_entropy(g2, alpha))) + ATOL
