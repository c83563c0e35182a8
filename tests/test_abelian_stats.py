"""Abelian population statistics and the majority vote (He et al., arXiv 2606.02993: the Abelian population law and the majority vote)."""

import numpy as np
import pytest

from grokcheck.numerics._abelian_stats import (
    abelian_statistics,
    ideal_abelian_population,
    kuiper_test,
    majority_vote_regression,
    phase_moments,
    population_logits,
    rayleigh_test,
)
from grokcheck.numerics._flow import StageOneFlow, integrate, spherical_init
from grokcheck.theory import FiniteGroup


def _abelian(*ns):
    G = None
    for n in ns:
        a = np.arange(n)
        C = FiniteGroup.from_table((a[:, None] + a[None, :]) % n)
        G = C if G is None else G.direct_product(C)
    return G


def test_circular_tests_are_calibrated():
    rng = np.random.default_rng(0)
    uni = rng.uniform(-np.pi, np.pi, 400)
    conc = rng.vonmises(0.3, 2.0, 400)
    assert rayleigh_test(uni)[1] > 0.01 and kuiper_test(uni)[1] > 0.01  # seed 0: a uniform sample passes
    assert rayleigh_test(conc)[1] < 1e-10 and kuiper_test(conc)[1] < 1e-10  # κ = 2 is far from uniform
    # p-values of the Rayleigh test are ~uniform under the null (KS against U(0,1))
    from scipy import stats

    ps = [rayleigh_test(rng.uniform(0, 2 * np.pi, 50))[1] for _ in range(300)]
    assert stats.kstest(ps, "uniform").pvalue > 0.001  # Zar's approximation is accurate at n = 50
    m = phase_moments(2 * np.pi * np.arange(7) / 7)
    assert m[2] < 1e-15 and m[4] < 1e-15  # exact cancellation on the 7-gon


@pytest.mark.parametrize("ns", [(7,), (3, 5)])
def test_flow_population_is_uniform(ns):
    # odd order: winners uniform over conjugate pairs (χ²), phases Haar
    # (Rayleigh/Kuiper), ι = 2, 4 moments of Haar size, and the phase law ψ = φ¹ + φ².
    G = _abelian(*ns)
    g = G.order
    x0 = spherical_init(140, g, seed=0)
    sol = integrate(StageOneFlow(G), x0, t1=150 * g**1.5, saves=10, method="retraction", speed_tol=1e-10 * g**-1.5)
    st = abelian_statistics(G, sol.theta1, sol.theta2, sol.xi)
    assert st.counts[0] == 0
    assert st.chi2_p > 0.01  # seed 0; the test's level
    assert st.min_phase_p > 0.01
    for r in st.per_orbit:
        if r["count"] >= 5:
            # Haar: |mean e^{iιφ}| ~ 1/sqrt(N); 4/sqrt(N) is a 4-sigma-ish bound
            assert max(r["moments"].values()) < 4 / np.sqrt(r["count"])
            assert r["phase_law_residual"] < 1e-6  # converged: Δ = ψ − φ¹ − φ² → 0


@pytest.mark.parametrize("ns", [(5,), (7,), (3, 3), (3, 5), (23,)])
def test_majority_vote(ns):
    # shared input → (2, 1, 1, −4/|G|) (ghosts at half height);
    # unshared with independent phases → no ghosts.
    G = _abelian(*ns)
    g = G.order
    pop = ideal_abelian_population(G, per_orbit=6, shared=True)
    mv = majority_vote_regression(G, population_logits(G, *pop))
    # 1e-10: exact trigonometric cancellations evaluated in float64 (about 1e-13 seen).
    np.testing.assert_allclose(mv.normalized, [2, 1, 1, -4 / g], atol=1e-10)
    assert mv.residual < 1e-10 and mv.margin > 0
    pop = ideal_abelian_population(G, per_orbit=6, shared=False)
    mv = majority_vote_regression(G, population_logits(G, *pop))
    np.testing.assert_allclose(mv.normalized[1:3], 0, atol=1e-10)
    assert mv.residual < 1e-10 and mv.margin > 0


def test_majority_vote_detects_missing_phase_symmetry():
    # With only 2 phases per frequency the ι = 2 moment does not cancel: the fit is not exact.
    G = _abelian(7)
    pop = ideal_abelian_population(G, per_orbit=2, shared=True)
    mv = majority_vote_regression(G, population_logits(G, *pop))
    assert mv.residual > 1e-3
