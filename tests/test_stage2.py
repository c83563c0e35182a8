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


# --------------------------------------------------------------------------- Stage II on a trained network


def test_stage_two_descent_is_grokchecks_own_training_loop(tmp_path):
    """The descent of numerics.stage_two_descent is what `train` does to QuadraticConfig(stage="II") with plain
    SGD from a Stage I run (init_from): the same scales and losses at every logged step."""
    import torch

    from grokcheck.checks.claims._trained import trained_net_from_run
    from grokcheck.checks.training._data import group_task
    from grokcheck.checks.training._models import QuadraticConfig
    from grokcheck.checks.training._optimizers import OptimizerConfig
    from grokcheck.checks.training._train import TrainConfig, train
    from grokcheck.numerics._stage2 import stage_two_descent

    G = group("C5")
    task = group_task(G, n_seeds=1, seed=0)
    one = train(TrainConfig(model=QuadraticConfig(width=16, scale=0.125), optimizer=OptimizerConfig("adam", lr=1e-2),
                            steps=60, n_seeds=1, seed=0, eval_every=60, dtype="float64", plot=False),
                task, out_dir=tmp_path / "one", progress=False)
    net = trained_net_from_run(one, task)

    def scale(step, model, info):
        return {"scale": model.a[:, 0].tolist()}

    lr, steps = 5.0, 40
    two = train(TrainConfig(model=QuadraticConfig(width=16, scale=0.125, stage="II"), optimizer=OptimizerConfig("sgd", lr=lr),
                            steps=steps, n_seeds=1, seed=0, eval_every=1, dtype="float64", plot=False,
                            init_from=str(tmp_path / "one")), task, progress=False, callbacks=[scale])
    run = stage_two_descent(G, net.theta1[0], net.theta2[0], net.xi[0], a0=0.125, lr=lr, steps=steps)
    by_step = {h["step"]: h for h in two.history}
    for k, a, r in zip(run.steps, run.a, run.risk):
        # float64 both ways; the loop's gathered forward pass sums in another order: rounding only
        assert by_step[int(k)]["scale"][0] == pytest.approx(a, rel=1e-9)
        assert by_step[int(k)]["train_loss"][0] == pytest.approx(r, rel=1e-9)
    assert torch.get_default_dtype() == torch.float32  # the runs did not change the global default


def test_stage_two_descent_follows_the_flow_and_weight_decay_stops_it():
    G = group("C5")
    t1, t2, xi = ideal_abelian_population(G, per_orbit=5, shared=False)
    from grokcheck.numerics._stage2 import stage_two_descent

    run = stage_two_descent(G, t1, t2, xi, target_risk=1e-4)
    assert run.margin > 0 and run.risk[-1] <= 1e-4 and np.all(np.diff(run.risk) <= 0)  # monotone: η below 1/R''
    late = run.t >= run.t[-1] / 10
    # the ideal population: every wrong class at the margin, so R ≈ 1/(γ²t) already at R ~ 1e-4
    assert -np.polyfit(np.log(run.t[late]), np.log(run.risk[late]), 1)[0] == pytest.approx(1.0, abs=0.05)
    T = [run.time_to_risk(e) for e in (1e-2, 1e-3)]
    assert np.log(T[1] / T[0]) / np.log(10) == pytest.approx(1.0, abs=0.1)
    # the rival: weight decay stops the scale where R'(a) = −λa, so the risk saturates
    wd = stage_two_descent(G, t1, t2, xi, weight_decay=1e-2, steps=int(run.steps[-1]))
    assert wd.risk[-1] > 1e-2 and abs(wd.a[-1] - wd.a[-2]) < 1e-6 * wd.a[-1]


def test_trained_stage_two_checks_pass_on_c5_and_their_baseline_does_not():
    from grokcheck.checks._registry import VerifyContext, get_check, run_check

    ctx = VerifyContext(group("C5"), budget="small", seed=0)
    for cid in ("stage2.trained-loss-decay", "stage2.trained-risk-time"):
        r = run_check(get_check(cid), ctx)
        assert r.verdict.value == "PASS", (cid, r.measurement, r.reason)
        assert not abs(r.baseline - 1.0) <= 0.25  # random directions: the scale stops, R saturates (slope 0 or nan)
        assert r.details["setting"].startswith("proxy")
        if cid == "stage2.trained-loss-decay":  # the weight-decay rival: the risk saturates, the slope falls to ~0
            assert abs(r.details["rival_weight_decay"]["loss_decay_slope"]) < 0.1


def test_trained_stage_two_is_inconclusive_without_a_stage_one_solution():
    """A run that never reached Stage II (its Stage I network misclassifies a pair) is INCONCLUSIVE, not FAIL."""
    from grokcheck.checks._registry import VerifyContext, get_check, run_check
    from grokcheck.checks.claims._trained import TrainedNet

    G = group("C5")
    t1, t2, xi = spherical_init(4, G.order, seed=0)  # margin ≤ 0 (see test_stage_two_refuses_an_inaccurate_predictor)
    net = TrainedNet(theta1=t1[None], theta2=t2[None], xi=xi[None], logits=None, train_acc=np.array([0.5]),
                     test_acc=np.array([np.nan]), t_mem=np.array([-1]), t_grok=np.array([-1]), steps=10, eval_every=10,
                     loss_trend=np.array([np.nan]), source="four random neurons")
    ctx = VerifyContext(group("C5"), budget="small", seed=0,
                        artifacts={"trained.quadratic": net, "trained.quadratic.init": net})
    r = run_check(get_check("stage2.trained-risk-time"), ctx)
    assert r.verdict.value == "INCONCLUSIVE" and "never reached Stage II" in r.reason


@pytest.mark.parametrize("law, passes", [("1/t", True), ("1/sqrt(t)", False), ("1/t^2", False), ("exp", False)])
def test_trained_stage_two_checks_fail_on_curves_of_the_rival_laws(law, passes):
    """The two trained Stage II checks read the run's risk curve only: on a curve of the claimed law (R ∝ 1/t) they
    PASS, on each rival law the tolerances name (R ∝ t^(-1/2), R ∝ 1/t², exponential decay) they FAIL."""
    from grokcheck.checks._registry import VerifyContext, get_check, run_check
    from grokcheck.checks.claims._trained import TrainedNet
    from grokcheck.numerics._stage2 import StageTwoDescent

    G = group("C5")
    t1, t2, xi = ideal_abelian_population(G, per_orbit=5, shared=False)
    net = TrainedNet(theta1=t1[None], theta2=t2[None], xi=xi[None], logits=None, train_acc=np.array([1.0]),
                     test_acc=np.array([1.0]), t_mem=np.array([0]), t_grok=np.array([0]), steps=1, eval_every=1,
                     loss_trend=np.array([np.nan]), source=f"a synthetic risk curve, R ~ {law}")
    t = np.concatenate([[0.0], np.geomspace(1.0, 1e7, 300)])
    curve = {"1/t": 10.0 / np.maximum(t, 1.0), "1/sqrt(t)": 1.0 / np.sqrt(np.maximum(t, 1.0)),
             "1/t^2": 100.0 / np.maximum(t, 1.0) ** 2, "exp": np.exp(-t / 1e6)}[law]
    risk = np.minimum(np.log(5.0), curve)  # from the plateau at log|G|; every curve ends below ε = 1e-3

    def run(r):
        return StageTwoDescent(steps=np.arange(len(t)), t=t, a=np.log1p(t), risk=r, margin=0.5, lr=1.0,
                               weight_decay=0.0, group_order=5)

    saturating = np.maximum(risk, 0.5)  # the random-init baseline: the scale stops, R stays near 0.5
    ctx = VerifyContext(G, budget="small", seed=0, artifacts={
        "trained.quadratic": net, "trained.quadratic.init": net, "stage2.trained": (net, run(risk)),
        "stage2.trained.init": (net, run(saturating)), "stage2.trained.wd": {"loss_decay_slope": 0.0}})
    for cid in ("stage2.trained-loss-decay", "stage2.trained-risk-time"):
        r = run_check(get_check(cid), ctx)
        assert r.verdict.value == ("PASS" if passes else "FAIL"), (cid, law, r.measurement, r.reason)
