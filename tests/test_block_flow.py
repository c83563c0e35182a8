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


@pytest.mark.parametrize("blow_up", [False, True])
def test_the_stepping_loop_takes_solve_ivps_steps_and_keeps_only_the_last_state(blow_up):
    """``run_block_flow`` steps scipy's RK45 itself so that it does not keep every state (3.2 GB on S8); the
    last state, time, success and message are solve_ivp's to the bit, for a run that reaches t1 and one
    that fails (y' = y², which blows up at t = 1/y0 = 1 < t1: the step size underflows there)."""
    from scipy.integrate import solve_ivp

    from grokcheck.numerics._block_flow import _integrate_rk45

    def fun(_t, y):
        return y**2 if blow_up else -0.5 * y + np.sin(y[::-1])

    y0 = np.linspace(0.25, 1.0, 7)
    ref = solve_ivp(fun, (0.0, 3.0), y0, method="RK45", rtol=1e-8, atol=1e-11)
    assert ref.success is not blow_up
    y, t, ok, message = _integrate_rk45(fun, y0, 3.0)
    assert ok == ref.success and message == ref.message and t == ref.t[-1]
    assert np.array_equal(y, ref.y[:, -1])
