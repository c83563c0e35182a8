"""Per-neuron measurements and the predicted stable points (He et al., arXiv 2606.02993)."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grokcheck.numerics._flow import StageOneFlow
from grokcheck.numerics._measurements import measure_neurons
from grokcheck.numerics._predictions import predictions, stable_point
from grokcheck.theory import FiniteGroup
from grokcheck.theory.strategies import groups


@settings(max_examples=10)
@given(G=groups(min_order=2, max_order=32))
def test_predicted_stable_points(G):
    # Every orbit's predicted point θ¹=θ²=ξ=f is critical, pure, aligned, of the
    # predicted rank, with Ω = |G|^{-3/2}/sqrt(d m).
    ct = G.character_table
    k = len(ct.orbits)
    F = np.array([stable_point(G, o) for o in range(1, k)])
    m = measure_neurons(G, F, F, F)
    pred = predictions(G)
    np.testing.assert_array_equal(m.winner_orbit, np.arange(1, k))
    # 1e-12: exact constructions evaluated in float64 over ≤ 32² terms.
    np.testing.assert_allclose(m.purity, 1.0, atol=1e-12)
    np.testing.assert_allclose(m.align_re, 1.0, atol=1e-12)
    np.testing.assert_allclose(m.rank_ratio, pred.rank_ratio[1:], atol=1e-8)  # SVD of exact rank-1/2 blocks
    np.testing.assert_allclose(m.omega, pred.omega_star[1:], rtol=1e-12)
    v = StageOneFlow(G, domain="parameter").vector_field(F, F, F)
    for x in v:
        np.testing.assert_allclose(x, 0.0, atol=1e-14)  # Riemannian gradient vanishes (entries ~|G|^{-3/2})
    d1 = m.orbit_dims[m.winner_orbit] == 1
    np.testing.assert_allclose(m.phase_residual[d1], 0.0, atol=1e-12)
    assert np.all(np.isnan(m.phase_residual[~d1]))


@pytest.mark.parametrize("gens", [["(1,2,4,7)(3,6,8,5)", "(1,3,4,8)(2,5,7,6)"]])
def test_quaternionic_blocks_of_real_vectors_have_equal_singular_values(gens):
    # quaternionic irreps (docs/conventions.md): for real ν, σ2/σ1 = 1 on the ι = −1 irrep.
    from grokcheck.numerics._omega import fourier_blocks

    G = FiniteGroup.from_permutations(gens)
    rng = np.random.default_rng(0)
    nu = rng.standard_normal((50, G.order))
    (q,) = [i for i, r in enumerate(G.irreps) if r.fs_indicator == -1]
    s = np.linalg.svd(fourier_blocks(G, nu)[q], compute_uv=False)
    np.testing.assert_allclose(s[:, 1] / s[:, 0], 1.0, atol=1e-12)  # exact pairing up to round-off


@settings(max_examples=6)
@given(G=groups(min_order=2, max_order=24), seed=st.integers(0, 10_000), scale=st.floats(1e-3, 1e3))
def test_scale_invariance_and_shapes(G, seed, scale):
    rng = np.random.default_rng(seed)
    t1, t2, xi = (rng.standard_normal((7, G.order)) for _ in range(3))
    a = measure_neurons(G, t1, t2, xi)
    b = measure_neurons(G, scale * t1, t2 / scale, 3 * xi)
    np.testing.assert_array_equal(a.winner_orbit, b.winner_orbit)
    np.testing.assert_allclose(a.purity, b.purity, rtol=1e-10)  # normalisation removes the scale
    np.testing.assert_allclose(a.omega, b.omega, rtol=1e-9, atol=1e-15)
    assert a.purity.shape == (7,) and a.align_abs.shape == (7, 3) and a.orbit_energy.shape[:2] == (7, 3)
    assert np.all(a.purity <= 1 + 1e-12) and np.all(a.align_abs <= 1 + 1e-12)
    assert a.occupancy().sum() == 7
    # orbit energies of each normalised vector sum to 1/|G| (Plancherel)
    np.testing.assert_allclose(a.orbit_energy.sum(axis=2), 1 / G.order, rtol=1e-12)
    json.dumps(a.to_json())  # serialisable, NaN → null


def test_winner_and_mixed_purity():
    G = FiniteGroup.from_permutations(["(1,2)", "(1,2,3)"])
    f1, f2 = stable_point(G, 1), stable_point(G, 2)
    mix = np.sqrt(0.9) * f2 + np.sqrt(0.1) * f1  # orthogonal unit vectors
    m = measure_neurons(G, mix[None], f2[None], f2[None])
    assert m.winner_orbit[0] == 2
    np.testing.assert_allclose(m.purity_per_vector[0], [0.9, 1.0, 1.0], atol=1e-12)  # exact energy shares
    assert m.purity[0] == pytest.approx(0.9, abs=1e-12)
