"""Li₂ training dynamics (semi-grokking, t ∼ 1/η, large K) and Theorem 8's Muon count: each rule is fed
synthetic data of its claim and of each rival, and catches the rivals; one tiny end-to-end run."""

import math

import numpy as np
import pytest

from grokcheck.checks._registry import Verdict
from grokcheck.checks.experiments._li2_dynamics import (
    LI2_SEMI_GROKKING,
    LI2_WEIGHT_DECAY_TIME,
    LI2_WIDTH_SLOWS,
    median_log_slope,
    paired_mean_interval,
)
from grokcheck.checks.experiments._rivals import separation
from grokcheck.checks.experiments._study import StudyContext, get_experiment, judge, run_experiment

INCONCLUSIVE = Verdict("INCONCLUSIVE")


def _verdict(exp, results, budget="full"):
    """The verdict of ``exp``'s own rule on ``results``, after the shared shortfall rule (no power analysis)."""
    settings = exp.settings(budget)
    ctx = StudyContext(budget=budget, seed=0)
    out = judge(exp, settings, results, ctx, exp.analyze(settings, results, ctx), power=False)
    return Verdict(out.verdict), out


# --------------------------------------------------------------------------- semi-grokking


def _semi_data(acc_small, acc_large, e_small, e_large, *, n=6, train=1.0, climbing=False, seed=0):
    rng = np.random.default_rng(seed)
    steps = list(range(0, 4001, 400))
    out = {}
    for s in range(n):
        a = [float(np.clip(acc_small + 0.02 * rng.standard_normal(), 0, 1)),
             float(np.clip(acc_large + 0.02 * rng.standard_normal(), 0, 1))]
        e = [e_small * (1 + 0.02 * rng.standard_normal()), e_large * (1 + 0.02 * rng.standard_normal())]
        # a finished curve is flat over its last fifth; a climbing one gains 0.3 there
        small_curve = [a[0] * min(1.0, i / 5) for i in range(len(steps))] if not climbing else \
            [a[0] * i / (len(steps) - 1) for i in range(len(steps))]
        out[s] = {"lrs": [0.01, 0.1], "final_test": a, "final_train": [train, train], "energy": e,
                  "curve_steps": steps, "curve_test": [small_curve, [a[1]] * len(steps)]}
    return {"lrs": out}


@pytest.mark.parametrize("data, expected", [
    (dict(acc_small=0.98, acc_large=0.10, e_small=0.70, e_large=0.93), Verdict.PASS),      # the claim (Fig. 7)
    (dict(acc_small=0.98, acc_large=0.98, e_small=0.70, e_large=0.70), INCONCLUSIVE),      # lr has no effect
    (dict(acc_small=0.98, acc_large=0.97, e_small=0.70, e_large=0.93), INCONCLUSIVE),      # large lr generalises too
    (dict(acc_small=0.10, acc_large=0.98, e_small=0.70, e_large=0.93), Verdict.FAIL),      # large lr generalises better
    (dict(acc_small=0.98, acc_large=0.10, e_small=0.93, e_large=0.70), Verdict.FAIL),      # ngsol at LOWER energy
])
def test_semi_grokking_rule_separates_the_claim_from_its_rivals(data, expected):
    v, _ = _verdict(LI2_SEMI_GROKKING, _semi_data(**data))
    assert v == expected


def test_semi_grokking_is_inconclusive_when_the_arms_do_not_fit_or_still_climb():
    claim = dict(acc_small=0.98, acc_large=0.10, e_small=0.70, e_large=0.93)
    v, out = _verdict(LI2_SEMI_GROKKING, _semi_data(**claim, train=0.6))
    assert v == INCONCLUSIVE and "train accuracy" in out.reason
    v, out = _verdict(LI2_SEMI_GROKKING, _semi_data(**claim, climbing=True))
    assert v == INCONCLUSIVE and "settled small-lr test accuracy" in out.reason


def test_paired_mean_interval_resamples_seeds_jointly_and_is_seeded():
    d = np.array([[1.0, 2.0], [1.2, 2.4], [0.8, 1.6], [1.1, 2.2]])
    a = paired_mean_interval(d, seed=3, n_boot=500)
    assert a == paired_mean_interval(d, seed=3, n_boot=500)
    assert math.isclose(a[0][0], 1.025) and math.isclose(a[1][0], 2.05)
    # the second column is twice the first, seed by seed: a joint resample keeps the ratio at the ends
    assert math.isclose(a[1][1], 2 * a[0][1], rel_tol=1e-9) and math.isclose(a[1][2], 2 * a[0][2], rel_tol=1e-9)


# --------------------------------------------------------------------------- grok time against η or K


def _times(xs, slope, *, n, t_mid=300.0, sd=0.05, censor_above=None, seed=0):
    rng = np.random.default_rng(seed)
    xs = np.asarray(xs, float)
    mid = np.exp(np.mean(np.log(xs)))
    T = t_mid * (xs[:, None] / mid) ** slope * np.exp(sd * rng.standard_normal((xs.size, n)))
    T = np.ceil(T / 10) * 10
    if censor_above is not None:
        T = np.where(T <= censor_above, T, np.nan)
    return T


def _wd_data(slope, **kw):
    exp = LI2_WEIGHT_DECAY_TIME
    xs = exp.settings("full")["weight_decays"]
    n = exp.settings("full")["seeds"]
    T = _times(xs, slope, n=n, **kw)
    steps = list(range(0, 3001, 10))
    return {"wd": {s: {"per_wd": [{"grok_step": float(T[i, s]), "fit_step": 20.0, "curve_test": [0.0] * len(steps)}
                                  for i in range(len(xs))], "curve_steps": steps, "weight_decays": xs}
                   for s in range(n)}}


@pytest.mark.parametrize("slope, expected", [(-1.0, Verdict.PASS), (0.0, Verdict.FAIL), (-2.0, Verdict.FAIL),
                                             (-0.5, INCONCLUSIVE)])
def test_weight_decay_rule_accepts_one_over_eta_and_rejects_the_rival_laws(slope, expected):
    v, out = _verdict(LI2_WEIGHT_DECAY_TIME, _wd_data(slope))
    assert v == expected, out.reason


def test_weight_decay_rule_is_inconclusive_when_the_runs_do_not_grok():
    # the three smallest η never grok within the budget: only two levels have a median
    v, out = _verdict(LI2_WEIGHT_DECAY_TIME, _wd_data(-1.0, censor_above=200.0))
    assert v == INCONCLUSIVE and "reached grokking" in out.reason


def _width_data(slope, **kw):
    exp = LI2_WIDTH_SLOWS
    xs = exp.settings("full")["widths"]
    n = exp.settings("full")["seeds"]
    T = _times(xs, slope, n=n, t_mid=200.0, **kw)
    return {f"K{int(x)}": {s: {"grok_step": float(T[i, s]), "curve_steps": [0, 10], "curve_test": [0.0, 0.0]}
                           for s in range(n)} for i, x in enumerate(xs)}


@pytest.mark.parametrize("slope, expected", [(0.5, Verdict.PASS), (0.0, INCONCLUSIVE), (-0.5, Verdict.FAIL)])
def test_width_rule_passes_slower_grokking_and_fails_faster(slope, expected):
    v, out = _verdict(LI2_WIDTH_SLOWS, _width_data(slope))
    assert v == expected, out.reason


def test_width_rule_is_inconclusive_when_the_widths_do_not_grok():
    v, out = _verdict(LI2_WIDTH_SLOWS, _width_data(0.5, censor_above=100.0))
    assert v == INCONCLUSIVE and "reached grokking" in out.reason


def test_median_log_slope_treats_censored_runs_as_late():
    x = np.array([1.0, 2.0, 4.0, 8.0])
    T = 100 / x[:, None] * np.ones((4, 5))
    s, lo, hi, kept = median_log_slope(x, T)
    assert s == pytest.approx(-1.0) and lo == pytest.approx(-1.0) and hi == pytest.approx(-1.0) and kept.all()
    T[0, :2] = np.nan  # two of five censored: the median is still the observed 100
    assert median_log_slope(x, T)[0] == pytest.approx(-1.0)
    T[0, :3] = np.nan  # three of five: the level leaves the fit
    s, _, _, kept = median_log_slope(x, T)
    assert not kept[0] and s == pytest.approx(-1.0)
    T[1, :3] = np.nan  # two levels left: no slope
    assert math.isnan(median_log_slope(x, T)[0])
    # one seed: a slope, but no interval (nothing to resample)
    s, lo, hi, _ = median_log_slope(x, 100 / x[:, None])
    assert s == pytest.approx(-1.0) and math.isnan(lo) and math.isnan(hi)


@pytest.mark.parametrize("exp", [LI2_SEMI_GROKKING, LI2_WEIGHT_DECAY_TIME, LI2_WIDTH_SLOWS], ids=lambda e: e.id)
def test_full_designs_separate_each_rival_at_stated_noise(exp):
    # 60 simulations: a rate near the bar is known to ±0.1, enough to see a design that cannot separate
    sep = separation(exp.design, exp.analyze, exp.settings("full"), None, StudyContext(budget="full"), n_sims=60,
                     factors=())
    assert sep.claim.pass_rate >= 0.8, sep.to_json()
    for r in sep.rivals:
        assert r.power >= 0.8, (r.name, sep.to_json())


#: model → the verdicts the shared rules (shortfall, power at 40 simulations, setting) may give its data at ``full``
PROMISED = {
    "li2.semi-grokking": {"semi-grokking": {Verdict.PASS, INCONCLUSIVE}, "lr has no effect": {INCONCLUSIVE, Verdict.FAIL},
                          "large lr generalises too": {INCONCLUSIVE, Verdict.FAIL},
                          "no energy ordering": {INCONCLUSIVE, Verdict.FAIL}},
    "li2.weight-decay-grok-time": {"t ∼ 1/η": {Verdict.PASS}, "no effect": {Verdict.FAIL},
                                   "t ∼ 1/η²": {Verdict.FAIL}},
    "li2.width-slows-grokking": {"large K slows grokking": {Verdict.PASS}, "K has no effect": {INCONCLUSIVE},
                                 "large K speeds grokking": {Verdict.FAIL}},
}


@pytest.mark.parametrize("exp_id", sorted(PROMISED))
def test_design_data_through_the_shared_rules_never_pass_a_rival(exp_id):
    import dataclasses

    exp = get_experiment(exp_id)
    exp = dataclasses.replace(exp, design=dataclasses.replace(exp.design, n_sims=40))
    settings = exp.settings("full")
    ctx = StudyContext(budget="full", seed=0)
    noise = exp.design.stated_noise(settings)
    for model in (exp.design.claim, *exp.design.rivals):
        data = model.simulate(settings, noise, np.random.default_rng([7, len(model.name)]))
        out = judge(exp, settings, data, ctx, exp.analyze(settings, data, ctx))
        assert Verdict(out.verdict) in PROMISED[exp_id][model.name], (model.name, out.verdict, out.reason)
        assert "separation" in out.details and "setting" in out.details


# --------------------------------------------------------------------------- registration and a tiny run


def test_the_three_experiments_are_registered():
    for e in (LI2_SEMI_GROKKING, LI2_WEIGHT_DECAY_TIME, LI2_WIDTH_SLOWS):
        assert get_experiment(e.id) is e
        assert all(e.setting_of(b).is_proxy for b in ("small", "full", "paper"))


def test_semi_grokking_small_budget_runs_end_to_end(tmp_path):
    r = run_experiment(LI2_SEMI_GROKKING, budget="small", out_dir=tmp_path)
    assert r.verdict == INCONCLUSIVE, (r.reason, r.details.get("traceback"))  # 60 steps do not fit the table
    assert r.details["figures"] == ["li2_semi_grokking.png"] and (tmp_path / "li2_semi_grokking.png").exists()
    assert len(r.details["energy_per_seed"]) == 2 and all(e > 0 for row in r.details["energy_per_seed"] for e in row)


# --------------------------------------------------------------------------- Theorem 8 (Muon) and the energy


def test_theorem8_muon_count_passes_and_a_wrong_law_is_caught():
    from grokcheck.checks._registry import VerifyContext, get_check, run_check
    from grokcheck.numerics._li2 import guided_cover_counts
    from grokcheck.numerics._li2_theorems import coupon_collector_mean
    from grokcheck.theory import FiniteGroup

    r = run_check(get_check("li2.theorem8-muon-cover"), VerifyContext(FiniteGroup.from_table(np.array([[0, 1], [1, 0]]))))
    assert r.verdict == Verdict.PASS, r.reason
    mu, a = np.array([1.0, 0.8, 0.6, 0.4, 0.2]), 2.0
    p = mu**a / np.sum(mu**a)
    t0 = coupon_collector_mean(p)
    t_a = 2**-a * t0 + (1 - 2**-a) * p.size
    # unguided learning (suppression 1) is the coupon collector: T₀, far from T_a
    n = guided_cover_counts(mu, a, suppression=1.0, trials=20000, rng=np.random.default_rng(1))
    se = n.std(ddof=1) / np.sqrt(n.size)
    assert abs(n.mean() - t0) < 5 * se and abs(n.mean() - t_a) > 50 * se
    # a stronger suppression (4) gives 4^{−a}T₀ + (1 − 4^{−a})L, not the printed T_a
    n = guided_cover_counts(mu, a, suppression=4.0, trials=20000, rng=np.random.default_rng(2))
    se = n.std(ddof=1) / np.sqrt(n.size)
    assert abs(n.mean() - (4**-a * t0 + (1 - 4**-a) * p.size)) < 5 * se and abs(n.mean() - t_a) > 5 * se


def test_empirical_energy_on_the_full_table_is_the_energy():
    from grokcheck.numerics._li2 import empirical_energy, li2_energy, table_inputs
    from grokcheck.theory import FiniteGroup

    a = np.arange(5)
    G = FiniteGroup.from_table((a[:, None] + a[None, :]) % 5)
    X, Y = table_inputs(G)
    W = np.random.default_rng(0).standard_normal((7, 10))
    w = W / np.linalg.norm(W, axis=1, keepdims=True)
    assert np.allclose(empirical_energy(X, Y, 3.0 * W), li2_energy(G, w, method="table"), rtol=1e-12)
