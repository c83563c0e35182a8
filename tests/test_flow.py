"""The Stage I flow (He et al., arXiv 2606.02993, the Stage I flow)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grokcheck.errors import NumericalFailure
from grokcheck.numerics._flow import StageOneFlow, integrate, run_stage_one, spherical_init
from grokcheck.numerics._measurements import measure_neurons
from grokcheck.theory import FiniteGroup
from grokcheck.theory.strategies import groups


def _s3():
    return FiniteGroup.from_permutations(["(1,2)", "(1,2,3)"])


def _q8():
    return FiniteGroup.from_permutations(["(1,2,4,7)(3,6,8,5)", "(1,3,4,8)(2,5,7,6)"])


@settings(max_examples=6)
@given(G=groups(min_order=2, max_order=24), seed=st.integers(0, 1000))
def test_domains_agree(G, seed):
    # Parameter and Fourier domain integrate the same ODE; agree to 1e-8.
    x0 = spherical_init(3, G.order, seed=seed)
    t1 = 3.0 * G.order**1.5
    kw = dict(t1=t1, saves=3, rtol=1e-11, atol=1e-13)
    a = integrate(StageOneFlow(G, domain="parameter"), x0, **kw)
    b = integrate(StageOneFlow(G, domain="fourier"), x0, **kw)
    for u, v in ((a.theta1, b.theta1), (a.theta2, b.theta2), (a.xi, b.xi)):
        # 1e-8 is the requirement; the solver tolerance is 1e-11.
        np.testing.assert_allclose(u, v, atol=1e-8)
    np.testing.assert_allclose(a.omega, b.omega, atol=1e-10)  # Ω ~ |G|^{-3/2}, 1e-10 ≪ that


def test_s3_converges_to_exact_values():
    # S3: purity 1, rank ratio 0, Ω ∈ {6^{-3/2}, 6^{-3/2}/√2}.
    G = _s3()
    run = run_stage_one(G, neurons=12, seed=1, saves=60)
    m = run.measurements
    sol = run.solution
    assert sol.status == "converged"
    assert sol.monitors.omega_max_decrease <= 1e-15  # Ω never decreases (round-off only)
    assert sol.monitors.norm_max_error <= 1e-7  # renormalised every save; RK error is 1e-8 relative
    expected = {1: 6**-1.5, 2: 6**-1.5 / np.sqrt(2)}  # sign, 2-dim (orbit order of the table)
    for w, om in zip(m.winner_orbit, m.omega):
        assert abs(om - expected[int(w)]) < 1e-10  # converged state, speed ≤ 1e-9·|G|^{-3/2}
    assert m.purity.min() > 1 - 1e-9
    assert m.rank_ratio.max() < 1e-6
    assert m.align_re.min() > 1 - 1e-9


def test_q8_quaternionic_rank_two():
    # Q8: when the quaternionic irrep wins, Ω → 8^{-3/2}/2 and σ2/σ1 = 1.
    G = _q8()
    run = run_stage_one(G, neurons=16, seed=0, saves=60)
    m = run.measurements
    quat = m.orbit_fs[m.winner_orbit] == -1
    assert quat.sum() >= 1 and (~quat).sum() >= 1  # seed 0: both kinds of winner occur
    np.testing.assert_allclose(m.omega[quat], 8**-1.5 / 2, atol=1e-10)  # converged
    np.testing.assert_allclose(m.omega[~quat], 8**-1.5, atol=1e-10)
    # real ν: the quaternionic block has equal singular values at every time (docs/conventions.md)
    np.testing.assert_allclose(m.rank_ratio[quat], 1.0, atol=1e-12)
    assert m.rank_ratio[~quat].max() == 0.0  # 1-dim blocks


@settings(max_examples=4)
@given(G=groups(min_order=3, max_order=21), seed=st.integers(0, 1000))
def test_flow_contract_over_groups(G, seed):
    # Theorem 4.3 as a property: a single orbit wins, Ω → Ω*(winner), alignment → 1.
    run = run_stage_one(G, neurons=4, seed=seed, saves=40, method="RK45")
    m = run.measurements
    acc = run.acceptance()
    assert run.solution.ok
    for key in ("purity_min", "omega_error_max", "align_re_min", "rank_ratio_max_non_quaternionic", "rank_ratio_min_quaternionic", "omega_monotone", "norms"):
        assert acc[key][0], (key, acc[key], str(G))
    assert np.all(m.winner_orbit >= 1)


def test_joint_sphere_variant():
    # The authors' code: [θ¹;θ²] on one sphere. At equilibrium ‖θ¹‖ = ‖θ²‖ = 1/√2,
    # so Ω = Ω*/2 while the separately normalised measurement gives Ω*.
    G = _s3()
    x0 = spherical_init(6, G.order, seed=2, sphere="joint")
    sol = integrate(StageOneFlow(G, domain="fourier", sphere="joint"), x0, t1=400 * 6**1.5, saves=40, speed_tol=1e-12)
    w = np.concatenate([sol.theta1, sol.theta2], axis=1)
    np.testing.assert_allclose(np.linalg.norm(w, axis=1), 1.0, atol=1e-12)  # renormalised at the last save
    np.testing.assert_allclose(np.linalg.norm(sol.theta1, axis=1), 2**-0.5, atol=1e-8)  # converged
    m = measure_neurons(G, sol.theta1, sol.theta2, sol.xi)
    np.testing.assert_allclose(sol.omega[-1], m.omega_star / 2, atol=1e-10)
    assert m.omega_error.max() < 1e-10


def test_retraction_scheme_matches_adaptive():
    G = FiniteGroup.from_permutations(["(1,2,3,4,5,6,7)", "(2,3,5)(4,7,6)"])  # F21
    x0 = spherical_init(5, G.order, seed=4)
    t1 = 5 * G.order**1.5
    a = integrate(StageOneFlow(G), x0, t1=t1, saves=5, rtol=1e-11, atol=1e-13)
    for dom in ("fourier", "parameter"):
        b = integrate(StageOneFlow(G, domain=dom), x0, t1=t1, saves=5, method="retraction", dt=G.order**1.5 / 20)
        # RK4 with 100 steps over 5 time units of 1/Ω*: global error ~1e-7.
        np.testing.assert_allclose(a.xi, b.xi, atol=1e-6)
        assert b.monitors.omega_max_decrease <= 1e-15


def test_failure_is_a_value():
    G = _s3()
    x0 = list(spherical_init(2, 6, seed=0))
    x0[0][0, 0] = np.nan
    sol = integrate(StageOneFlow(G), x0, t1=10.0, saves=2, throw=False)
    assert sol.status in ("nan_encountered", "solver_failed") and not sol.ok
    with pytest.raises(NumericalFailure):
        integrate(StageOneFlow(G), x0, t1=10.0, saves=2)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["S3", "S4", "D5", "Q8", "F21", "C3xC5", "A5"])
def test_acceptance_256_neurons(name):
    # Every neuron converges to its winner's stable point.
    from grokcheck.theory import group

    run = run_stage_one(group(name), neurons=256, seed=0)
    for key, (ok, val) in run.acceptance().items():
        assert ok, (name, key, val)


def test_cli_flow_writes_outputs(tmp_path, capsys):
    from grokcheck.checks.cli import main

    rc = main(["flow", "S3", "--neurons", "8", "--seed", "0", "--method", "retraction", "--no-progress", "--out", str(tmp_path)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "acceptance:" in out and "FAIL" not in out
    import json

    data = json.loads((tmp_path / "flow.json").read_text())
    assert data["measurements"]["summary"]["neurons"] == 8
    assert sum(r["count"] for r in data["measurements"]["summary"]["orbits"]) == 8
    for name in ("omega.png", "winners.png", "blocks.png"):
        assert (tmp_path / name).stat().st_size > 1000


@pytest.mark.parametrize(
    "kwargs",
    [{"domain": "time"}, {"sphere": "stiefel"}],
)
def test_bad_flow_arguments(kwargs):
    with pytest.raises(ValueError):
        StageOneFlow(_s3(), **kwargs)


def test_bad_method():
    with pytest.raises(ValueError):
        integrate(StageOneFlow(_s3()), spherical_init(1, 6, seed=0), t1=1.0, method="euler")
