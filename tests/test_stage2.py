"""He et al.'s Stage II and the small-logit expansion (numerics/_stage2.py, checks/claims/_stage2.py)."""

from __future__ import annotations

import numpy as np
import pytest

from grokcheck.errors import InvalidInputError, NumericalFailure
from grokcheck.numerics._abelian_stats import ideal_abelian_population
from grokcheck.numerics._flow import spherical_init
from grokcheck.numerics._stage2 import (
    expansion_error_slope,
    logit_margin,
    run_stage_two,
    small_logit_risk,
    table_cross_entropy,
    table_cross_entropy_slope,
    unit_logits,
)
from grokcheck.theory import group


def _uncentred(G, t1, t2, xi, a):
    """A plausible wrong expansion: ξ not centred, so the square terms of σ do not drop out."""
    X = xi[:, G.table]
    return float(np.log(G.order) - 2 * a * np.mean(np.einsum("mab,ma,mb->m", X, t1, t2) / G.order**2))


def _half(G, t1, t2, xi, a):
    """A plausible wrong expansion: the factor 2 of the cross term dropped."""
    return small_logit_risk(G, t1, t2, xi, a / 2)


@pytest.mark.parametrize("name", ["C5", "S3", "C2xC4"])
def test_expansion_error_is_second_order(name):
    G = group(name)
    t1, t2, xi = spherical_init(12, G.order, seed=3)
    slope, err = expansion_error_slope(G, t1, t2, xi)
    # the O(a³) term moves the fitted slope by ≲ 0.01 over the default scales (see the docstring)
    assert abs(slope - 2.0) < 0.05, (slope, err)


@pytest.mark.parametrize("wrong", [_uncentred, _half])
@pytest.mark.parametrize("name", ["C5", "S3"])
def test_wrong_expansion_is_caught(name, wrong):
    G = group(name)
    t1, t2, xi = spherical_init(12, G.order, seed=3)
    slope, _ = expansion_error_slope(G, t1, t2, xi, approx=wrong)
    # the registered check allows 2 ± 0.1: an O(a) error must land outside it
    assert slope < 1.5, slope


def test_cross_entropy_is_stable_and_slope_is_its_derivative():
    G = group("C5")
    t1, t2, xi = ideal_abelian_population(G, per_orbit=5, shared=False)
    F = unit_logits(G, t1, t2, xi)
    a, h = 3.0, 1e-5
    fd = (table_cross_entropy(G, (a + h) * F) - table_cross_entropy(G, (a - h) * F)) / (2 * h)
    # central differences: truncation O(h²·R''') ~ 1e-10, rounding ~1e-16/h ~ 1e-11
    assert table_cross_entropy_slope(G, F, a) == pytest.approx(fd, rel=1e-6, abs=1e-10)
    big = 5e3  # R ≈ (g−1)e^{−aγ}/… ≪ 1e-14: a naive logsumexp(z) − z_y would return 0 or rounding noise
    r = table_cross_entropy(G, big * F)
    gamma = logit_margin(G, F)
    expected = np.log1p((G.order - 1) * np.exp(-big * gamma))  # ideal population: every wrong class at margin γ
    assert r == pytest.approx(expected, rel=1e-9)  # logaddexp keeps relative precision


def test_stage_two_grows_logarithmically_and_risk_falls_as_one_over_t():
    G = group("C5")
    t1, t2, xi = ideal_abelian_population(G, per_orbit=5, shared=False)
    run = run_stage_two(G, t1, t2, xi, a0=0.01)
    assert run.margin > 0 and np.all(np.diff(run.t) > 0)
    late = run.a >= 0.5 * run.a[-1]
    slope = np.polyfit(np.log(run.t[late]), run.a[late], 1)[0]
    # a ≈ γ⁻¹ log(1 + ct): γ·da/dlog t → 1; on the ideal population every wrong class sits at the margin
    assert slope * run.margin == pytest.approx(1.0, abs=0.02)
    T = np.array([run.time_to_risk(e) for e in (1e-4, 1e-5)])
    # R ≈ 1/(γ²t): T(ε) ∝ 1/ε, the local slope within 5% of 1 at these ε
    assert np.log(T[1] / T[0]) / np.log(10) == pytest.approx(1.0, abs=0.05)
    assert T[1] * 1e-5 * run.margin**2 == pytest.approx(1.0, abs=0.1)


def test_log_law_beats_the_rivals_and_the_rule_rejects_a_rival_curve():
    from grokcheck.checks.claims._stage2 import _fit_rms

    t = np.geomspace(1e3, 1e8, 200)
    x_log = np.log1p(20 * t)
    a_log = 50 * x_log
    for x_rival in (np.sqrt(t), t, None):
        # a logarithmic a(t) is fitted ≥ 10× worse by every rival (the registered bar)
        assert _fit_rms(x_rival, a_log) > 10 * _fit_rms(x_log, a_log)
    a_sqrt = 2 * np.sqrt(t)
    # a √t curve: the log law is the worse fit, so the ratio is < 1 and the check FAILs
    assert _fit_rms(np.sqrt(t), a_sqrt) < _fit_rms(x_log, a_sqrt) / 10


def test_stage_two_refuses_an_inaccurate_predictor():
    G = group("C5")
    t1, t2, xi = spherical_init(4, G.order, seed=0)
    F = unit_logits(G, t1, t2, xi)
    assert logit_margin(G, F) <= 0  # four random neurons cannot classify all 25 pairs
    with pytest.raises(NumericalFailure, match="margin"):
        run_stage_two(G, t1, t2, xi)


def test_bad_shapes_are_named():
    G = group("C5")
    with pytest.raises(InvalidInputError, match="theta1, theta2, xi"):
        unit_logits(G, np.zeros((3, 5)), np.zeros((3, 4)), np.zeros((3, 5)))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["C7", "S3"])
def test_registered_stage2_checks_pass(name):
    from grokcheck.checks._registry import VerifyContext, get_check, run_check

    ctx = VerifyContext(group(name), budget="small", seed=0)
    for cid in ("stage2.log-growth", "stage2.log-growth-rivals", "stage2.risk-time", "stage2.small-logit-expansion",
                "stage2.plateau"):
        r = run_check(get_check(cid), ctx)
        assert r.verdict.value == "PASS", (cid, r.measurement, r.reason)
