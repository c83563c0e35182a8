"""The precursor per-neuron ODE, derived form (arXiv 2602.16849)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grokcheck.numerics._precursor import (
    euler_simulator,
    frequency_coordinates,
    precursor_ode,
    precursor_vector_flow,
    single_frequency,
)


@settings(max_examples=8)
@given(
    p=st.sampled_from([7, 11, 23]),
    k=st.integers(1, 3),
    phi0=st.floats(-3.0, 3.0),
    psi0=st.floats(-3.0, 3.0),
)
def test_ode_matches_vector_flow(p, k, phi0, psi0):
    # the derived (α, β, φ, ψ) ODE is the single-frequency restriction of the
    # simulator's vector field; agreement 1e-8 (both integrated at rtol 1e-12).
    ts = np.linspace(0, 10 * p, 5)  # the blow-up time is ≈ p/(2·0.02) = 25p when 𝒟(0) = 0
    th, xi = precursor_vector_flow(p, single_frequency(p, k, 0.02, phi0), single_frequency(p, k, 0.02, psi0), t_eval=ts)
    sol = precursor_ode(p, 0.02, 0.02, phi0, psi0, t1=ts[-1], t_eval=ts)
    assert sol.status == "t1_reached"
    a, ph = frequency_coordinates(th, k)
    b, ps = frequency_coordinates(xi, k)
    np.testing.assert_allclose(a, sol.alpha, atol=1e-8)
    np.testing.assert_allclose(b, sol.beta, atol=1e-8)
    np.testing.assert_allclose(np.angle(np.exp(1j * (ph - sol.phi))), 0, atol=1e-8 / 0.02)  # phase error ≈ position error / amplitude
    # conservation of α² − 2β² (values ~1e-3; DOP853 at rtol 1e-12)
    assert np.max(np.abs(sol.invariant - sol.invariant[0])) < 1e-14


def test_authors_case_one_values():
    # after 1400 steps, p = 23, k = 2, amplitude 0.02, (φ0, ψ0) = (1.5, 0.18):
    # Euler simulator α 0.0480, β 0.0367, 𝒟 0.0297; ODE α 0.0483, β 0.0370, 𝒟 0.0293.
    a, b, D = euler_simulator(23, 2, 0.02, 1.5, 0.18, steps=1400)
    assert (round(a, 4), round(b, 4), round(D, 4)) == (0.0480, 0.0367, 0.0297)
    sol = precursor_ode(23, 0.02, 0.02, 1.5, 0.18, t1=1400)
    assert (round(sol.alpha[-1], 4), round(sol.beta[-1], 4), round(sol.D[-1], 4)) == (0.0483, 0.0370, 0.0293)


def test_D_attracted_to_zero_repelled_from_pi():
    # 𝒟 = 0 attracts (→ ~5e-8 by the cap), 𝒟 = π is an equilibrium that repels.
    sol = precursor_ode(23, 0.02, 0.02, 1.5, 3.0 - 0.5, t1=1e6, cap=5.0)
    assert sol.status == "cap_reached"
    assert abs(sol.D[-1]) < 1e-6  # D decays like exp(−∫(4β + α²/β)/p) and β → cap
    s_pi = precursor_ode(23, 0.02, 0.02, 0.0, -np.pi, t1=2000)
    assert abs(abs(s_pi.D[-1]) - np.pi) < 1e-9  # sin π = 1.2e-16 in float64: stays put
    s_near = precursor_ode(23, 0.02, 0.02, 0.0, -np.pi + 1e-3, t1=1e6, cap=5.0)
    assert abs(s_near.D[-1]) < 1e-3  # leaves π and ends at 0


def test_magnitude_cap_is_a_status():
    sol = precursor_ode(23, 0.5, 0.5, 0.0, 0.0, t1=1e9, cap=3.0)
    assert sol.status == "cap_reached"
    assert max(sol.alpha[-1], sol.beta[-1]) == pytest.approx(3.0, rel=1e-9)  # event located to solver tolerance
