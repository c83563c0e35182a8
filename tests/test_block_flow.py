"""The Fourier-domain Stage I flow from irrep dimensions alone (no table): agrees with the dense flow's field."""

import numpy as np
import pytest

from grokcheck.errors import InvalidInputError
from grokcheck.numerics._block_flow import _BlockField, run_block_flow
from grokcheck.numerics._flow import _FourierField, _rhs
from grokcheck.theory import group


def test_block_field_equals_the_dense_fourier_field_on_s4():
    G = group("S4")  # every irrep real: real orthogonal blocks
    dense = _FourierField(G, "separate")
    blocks = _BlockField(G.order, G.character_table.degrees)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, G.order))
    x /= np.linalg.norm(x, axis=2, keepdims=True)
    s = dense.encode(*x)
    for d in s:
        assert np.max(np.abs(s[d].imag)) < 1e-13  # real irreps ⇒ real blocks (float64 rounding)
    a, b = _rhs(dense, s), _rhs(blocks, s)
    assert max(np.max(np.abs(a[d] - b[d])) for d in a) < 1e-15  # the same formulas: equal up to BLAS rounding
    assert np.allclose(blocks.sq_norms(s), 1.0, atol=1e-12)  # Plancherel: unit vectors have unit block norm


def test_block_flow_reaches_the_predicted_levels_on_s4():
    r = run_block_flow(24, group("S4").character_table.degrees, neurons=6, seed=1)
    # Ω* = |G|^{-3/2}/√d ≈ 5e-3: float64 integration error of the converged flow is ~1e-17
    assert np.max(np.abs(r.omega - r.omega_star)) < 1e-12
    assert r.purity.min() > 0.999 and r.rank_ratio.max() < 1e-6  # He et al.'s single-irrep, rank-one end state
    assert (r.dominant != 0).all()


def test_block_flow_refuses_inconsistent_dimensions():
    with pytest.raises(InvalidInputError):
        run_block_flow(24, [1, 1, 2, 3], neurons=2)
