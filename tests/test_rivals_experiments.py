"""Each experiment's decision rule on synthetic results from its claim and from every declared rival.

For the experiments of Tan & Huang, Lyu et al. and Chughtai et al., datasets are drawn from the
generative models the experiment declares (``Experiment.design``) at the ``full`` grid and the
stated noise, analysed by the experiment's own ``analyze`` and passed through the shared rules
(``judge``: shortfall, power against the rivals, setting). A rival never PASSes; the claim gets
the verdict its rule promises at that grid (PASS, or INCONCLUSIVE naming the rival the grid cannot
separate and the grid that would).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from grokcheck.checks._registry import Verdict
from grokcheck.checks.experiments._study import StudyContext, get_experiment, judge

P, F, I = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE

#: experiment → {model name: the verdicts its rule may give that model's datasets at the full grid}
PROMISED = {
    "tanhuang.commutative-law-at-grok": {"right after memorising": {P}, "no effect": {F}},
    "tanhuang.perturbed-groks-earlier": {"earlier": {P}, "no effect": {I, F}, "later": {F, I}},
    "tanhuang.abelian-degrok-earlier": {"earlier": {P}, "no effect": {I, F}, "later": {F, I}},
    "tanhuang.metrics-change-at-grok": {"at the rise": {P, I}, "at memorisation": {F}, "unrelated": {I, F}},
    # α ∈ {2, 4, 8}: the band 1 ± 0.72 contains slope ½, so the claim's PASS becomes INCONCLUSIVE
    "lyu.group-grok-time": {"slope 1": {I}, "α-blind": {F}, "half the effect": {I}, "wrong clock": {F}},
    "lyu.matrix-completion-grok-time": {"slope 1": {P}, "α-blind": {F}, "half the effect": {F, I},
                                        "wrong clock": {F}},
    "lyu.group-table-completion": {"slope 1": {P}, "α-blind": {F}, "half the effect": {F, I}, "wrong clock": {F}},
    "lyu.misgrokking": {"fall to ½": {P}, "no fall": {F}, "half the fall": {I, F}},
    # a proxy budget cannot refute "groks eventually": 'memorises only' is a shortfall there
    "universality.onelayer-mlp-groks": {"groks, single-irrep": {P}, "memorises only": {I},
                                        "groks, random neurons": {F, I}},
}

N_SIMS = 40  # simulations per model inside judge's power analysis (the product uses 200)
N_DATASETS = 2  # synthetic datasets per model


def _fast(exp):
    return dataclasses.replace(exp, design=dataclasses.replace(exp.design, n_sims=N_SIMS))


@pytest.mark.parametrize("exp_id", sorted(PROMISED))
def test_rivals_never_pass_and_the_claim_gets_its_promised_verdict(exp_id):
    exp = _fast(get_experiment(exp_id))
    settings = exp.settings("full")
    ctx = StudyContext(budget="full", seed=0)
    noise = exp.design.stated_noise(settings)
    promised = PROMISED[exp_id]
    models = (exp.design.claim, *exp.design.rivals)
    assert {m.name for m in models} == set(promised), "every declared model has a promised verdict"
    for model in models:
        rng = np.random.default_rng([7, len(model.name)])
        for _ in range(N_DATASETS):
            data = model.simulate(settings, noise, rng)
            out = judge(exp, settings, data, ctx, exp.analyze(settings, data, ctx))
            assert out.verdict in promised[model.name], (model.name, out.verdict, out.reason)
            if model is not exp.design.claim:
                assert out.verdict != Verdict.PASS, (model.name, out.reason)
            assert "separation" in out.details and "setting" in out.details


def test_an_underpowered_rival_is_named_with_the_grid_that_separates_it():
    exp = _fast(get_experiment("lyu.group-grok-time"))
    settings = exp.settings("full")
    data = exp.design.claim.simulate(settings, exp.design.stated_noise(settings), np.random.default_rng(0))
    out = judge(exp, settings, data, StudyContext(budget="full"), exp.analyze(settings, data, StudyContext()))
    assert out.verdict == Verdict.INCONCLUSIVE and "half the effect" in out.reason
    assert "α ∈ {" in out.decide  # a wider α range (a narrower band) separates slope ½


def test_proxy_fail_reads_does_not_transfer():
    exp = _fast(get_experiment("tanhuang.abelian-degrok-earlier"))
    settings = exp.settings("full")
    assert exp.setting_of("full").is_proxy and not exp.setting_of("paper").is_proxy
    assert any("coefficient 100" in d for d in exp.setting_of("full").differences)
    later = exp.design.rivals[1]
    data = later.simulate(settings, exp.design.stated_noise(settings), np.random.default_rng(0))
    out = judge(exp, settings, data, StudyContext(budget="full"), exp.analyze(settings, data, StudyContext()))
    assert out.verdict == Verdict.FAIL and out.reason.startswith("does not transfer to ")


def test_universality_memorising_only_fails_only_in_the_papers_own_setting():
    exp = _fast(get_experiment("universality.onelayer-mlp-groks"))
    model = exp.design.rivals[0]
    noise = exp.design.stated_noise(exp.settings("paper"))
    for budget, expected in (("full", Verdict.INCONCLUSIVE), ("paper", Verdict.FAIL)):
        settings = exp.settings(budget)
        ctx = StudyContext(budget=budget)
        data = model.simulate(settings, noise, np.random.default_rng(1))
        out = judge(exp, settings, data, ctx, exp.analyze(settings, data, ctx))
        assert out.verdict == expected, (budget, out.reason)


def test_a_test_curve_still_climbing_is_a_shortfall_not_a_fail():
    """D7 at the full budget: every member memorised, none grokked, the test curves still climbing."""
    exp = _fast(get_experiment("universality.onelayer-mlp-groks"))
    settings = exp.settings("full")
    data = exp.design.rivals[0].simulate(settings, exp.design.stated_noise(settings), np.random.default_rng(2))
    for m in data["G"][0]["members"]:
        m["curve_test"] = list(np.linspace(0.0, 0.6, 10))
    out = judge(exp, settings, data, StudyContext(budget="paper"),
                exp.analyze(settings, data, StudyContext(budget="paper")))
    assert out.verdict == Verdict.INCONCLUSIVE and "still improving" in out.reason


def test_group_table_interval_excluding_one_is_reported_inside_the_band():
    """C31 0.970 [0.944, 0.996]: inside the band 1 ± 0.44 of α ∈ {3, 10, 30}, but it excludes 1."""
    from grokcheck.checks.experiments._lyu_experiments import _band_verdict, law_band

    assert law_band([3.0, 10.0, 30.0]) == pytest.approx(1 / np.log(900.0 ** (1 / 3)))  # ᾱ = 9.65
    v, words, excl = _band_verdict(0.970, 0.944, 0.996, 3, [3.0, 10.0, 30.0])
    assert v == Verdict.PASS and excl and "excludes the prediction 1" in words
    v, _, excl = _band_verdict(1.18, 0.94, 1.43, 3, [2.0, 4.0, 8.0])
    assert v == Verdict.PASS and not excl  # band 0.72 at α ∈ {2, 4, 8}
    assert _band_verdict(1.0, 0.9, 1.1, 2, [3.0, 10.0, 30.0])[0] == Verdict.INCONCLUSIVE  # too few λ


def test_majority_vote_is_not_applicable_off_abelian_groups():
    from grokcheck.checks._registry import VerifyContext, registered_by_id, run_check
    from grokcheck.theory import group

    check = registered_by_id("CHECKS", "trained.quadratic-majority-vote", "check", "")
    res = run_check(check, VerifyContext(group("Q8")))
    assert res.verdict == Verdict.NOT_APPLICABLE and "Abelian" in res.reason
