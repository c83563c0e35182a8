"""The rivals-and-power framework, setting provenance, censoring, equivalence and the shared shortfall rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grokcheck.checks._registry import (
    CheckResult,
    Verdict,
    is_self_test,
    regime_shortfall,
    still_improving,
)
from grokcheck.checks.experiments._rivals import (
    Design,
    Magnitude,
    Model,
    Setting,
    apply_separation,
    censored_ratio,
    decide_bound,
    equivalence,
    proxy,
    separation,
)
from grokcheck.checks.experiments._study import Cell, Experiment, Outcome, StudyContext, judge, run_experiment, t_interval
from grokcheck.errors import GrokcheckError


# A toy experiment: per-seed effects with mean μ; the claim says μ = 1. Rule: PASS if the t-interval
# lies inside 1 ± 0.3, FAIL if it lies outside, INCONCLUSIVE otherwise.
def _toy_analyze(settings, results, ctx):
    v = [results["c"][s]["x"] for s in sorted(results["c"])]
    m, lo, hi = t_interval(v)
    if 0.7 <= lo and hi <= 1.3:
        verdict = Verdict.PASS
    elif hi < 0.7 or lo > 1.3:
        verdict = Verdict.FAIL
    else:
        verdict = Verdict.INCONCLUSIVE
    return Outcome(verdict=verdict, statistic=m, interval=(lo, hi), reason=f"mean {m:.2f}")


def _gen(mu):
    def simulate(settings, noise, rng):
        n = int(settings["seeds"])
        return {"c": {s: {"x": float(mu + noise["sd"] * rng.standard_normal())} for s in range(n)}}
    return simulate


def _design(**kw):
    return Design(
        claim=Model("claim", "μ = 1", _gen(1.0)),
        rivals=(Model("no effect", "μ = 0", _gen(0.0)), Model("half", "μ = 0.5", _gen(0.5))),
        noise=lambda settings, results: {"sd": float(np.std([r["x"] for r in results["c"].values()], ddof=1))},
        stated_noise=lambda settings: {"sd": 0.2},
        enlarge=lambda settings, f: {**settings, "seeds": int(settings["seeds"]) * f},
        enlarge_words=lambda settings, f: f"{f}× the seeds ({int(settings['seeds']) * f})",
        n_sims=60, **kw)


def _toy_experiment(design, setting=None):
    budgets = {b: {"seeds": 8} for b in ("small", "full", "paper")}

    def run_cell(cell, ctx):
        rng = np.random.default_rng(ctx.seed)
        return {s: {"x": float(1.0 + 0.2 * rng.standard_normal())} for s in cell.seeds}

    return Experiment(id="toy.effect", claim="μ = 1", source="none", budgets=budgets,
                      cells=lambda st, ctx: [Cell("c", {}, tuple(range(st["seeds"])))], run_cell=run_cell,
                      analyze=_toy_analyze, decision_rule="PASS if the t-interval lies in 1 ± 0.3", design=design,
                      setting=setting)


def test_separation_reports_power_and_pass_rate():
    ctx = StudyContext(seed=3)
    sep = separation(_design(), _toy_analyze, {"seeds": 8}, None, ctx)
    assert sep.noise_source == "stated"
    assert sep.claim.pass_rate > 0.8  # 8 seeds at sd 0.2: the half-width is ≈ 0.17 < 0.3
    by = {r.name: r for r in sep.rivals}
    assert by["no effect"].power == 1.0 and by["half"].power > 0.8
    assert sep.underpowered() == []
    # deterministic: the same seed gives the same counts
    again = separation(_design(), _toy_analyze, {"seeds": 8}, None, ctx)
    assert again.to_json() == sep.to_json()


def _point_analyze(settings, results, ctx):
    # a weaker rule: PASS when the mean (no interval) lies within 1 ± 0.3
    m = float(np.mean([r["x"] for r in results["c"].values()]))
    return Outcome(verdict=Verdict.PASS if abs(m - 1) <= 0.3 else Verdict.INCONCLUSIVE, statistic=m)


def test_underpowered_rival_turns_pass_into_inconclusive_and_names_the_grid():
    # a rival at μ = 0.6 PASSes often at 2 seeds (sd 0.4) and rarely at 16
    d = Design(claim=Model("claim", "μ = 1", _gen(1.0)),
               rivals=(Model("μ = 0.6", "close rival", _gen(0.6)), Model("μ = 0.85", "inside the band", _gen(0.85))),
               noise=lambda st, r: None, stated_noise=lambda st: {"sd": 0.4},
               enlarge=lambda st, f: {**st, "seeds": st["seeds"] * f},
               enlarge_words=lambda st, f: f"{f}× the seeds", n_sims=80)
    sep = separation(d, _point_analyze, {"seeds": 2}, None, StudyContext(seed=0))
    weak = {r.name: r for r in sep.underpowered()}
    assert set(weak) == {"μ = 0.6", "μ = 0.85"}
    assert weak["μ = 0.6"].enlarged is not None and weak["μ = 0.6"].enlarged[0] in (4, 8)
    assert weak["μ = 0.85"].enlarged is None  # inside the band: no number of seeds separates it
    v, reason, decide = apply_separation(Verdict.PASS, "fits", "", sep)
    assert v == Verdict.INCONCLUSIVE and "μ = 0.6" in reason and "the seeds separates μ = 0.6" in decide
    assert "no tried grid separates μ = 0.85" in decide


def test_fail_on_claims_own_data_is_inconclusive():
    d = Design(claim=Model("claim", "μ = 1", _gen(1.0)), rivals=(), noise=lambda st, r: None,
               stated_noise=lambda st: {"sd": 3.0}, n_sims=60)
    # with 2 seeds and sd 3 the intervals are huge: the claim is never FAILed, so a FAIL stands
    sep = separation(d, _toy_analyze, {"seeds": 2}, None, StudyContext())
    assert sep.claim.fail_rate <= 0.2
    # a rule that always FAILs fails the claim's own data: its FAIL is not evidence
    sep2 = separation(d, lambda st, r, c: Outcome(Verdict.FAIL, 0), {"seeds": 2}, None, StudyContext())
    v, reason, _ = apply_separation(Verdict.FAIL, "below", "", sep2)
    assert v == Verdict.INCONCLUSIVE and "claim itself" in reason


def test_run_experiment_records_separation_and_setting():
    setting = {"small": proxy("a toy", "not the paper's model"), "full": Setting("paper"), "paper": Setting("paper")}
    r = run_experiment(_toy_experiment(_design(), setting), budget="small")
    assert r.verdict == Verdict.PASS, r.reason
    sep = r.details["separation"]
    assert {x["name"] for x in sep["rivals"]} == {"no effect", "half"}
    assert sep["noise_source"] == "measured"
    assert r.setting["kind"] == "proxy" and r.statistic["separation"]["no effect"] == 1.0


def test_proxy_fail_does_not_transfer_and_is_not_unexpected():
    exp = _toy_experiment(None, {b: proxy("a toy", "not the paper's model") for b in ("small", "full", "paper")})
    out = judge(exp, {"seeds": 8}, {}, StudyContext(budget="small"), Outcome(Verdict.FAIL, 0.0, reason="mean 0.1"))
    assert out.verdict == Verdict.FAIL and out.reason.startswith("does not transfer to a toy")
    res = CheckResult(id="x", claim="", source="", verdict=Verdict.FAIL, setting=out.details["setting"])
    assert res.does_not_transfer and not res.unexpected_fail
    paper = CheckResult(id="x", claim="", source="", verdict=Verdict.FAIL, setting={"kind": "paper"})
    assert paper.unexpected_fail and not paper.does_not_transfer


def test_shortfall_is_never_fail():
    exp = _toy_experiment(None)
    sf = regime_shortfall(0, 9, needed=3, event="grokking", decide="--budget paper", still_improving=True)
    out = judge(exp, {"seeds": 8}, {}, StudyContext(), Outcome(Verdict.FAIL, 0.0, reason="0/9", shortfall=sf))
    assert out.verdict == Verdict.INCONCLUSIVE and "still improving" in out.reason
    assert out.decide == "--budget paper" and out.details["verdict_before_shortfall"] == "FAIL"
    assert regime_shortfall(5, 9, needed=3, event="grokking", decide="") is None
    # the same rule for checks: a Measured carrying the shortfall
    m = sf.measured(0.0)
    assert m.inconclusive == sf.reason and m.decide == "--budget paper"


def test_still_improving():
    flat = np.tile(np.linspace(0, 1, 50)[None, :] * 0 + 0.3, (3, 1))
    climbing = np.vstack([flat[:2], np.linspace(0.0, 0.6, 50)])
    assert not still_improving(flat) and still_improving(climbing)


def test_setting_validation():
    with pytest.raises(GrokcheckError):
        Setting("proxy", "x")  # a proxy lists its differences
    with pytest.raises(GrokcheckError):
        Setting("somewhere")
    with pytest.raises(GrokcheckError):
        _toy_experiment(None, {"small": Setting("paper")})  # every budget declares one


def test_censored_ratio_and_bound():
    mag = Magnitude(45.0, "Table 1", "45–53× on modular addition")
    # SGD never reaches the event within 1200 epochs; EGD at ~1000: the ratio is a bound > ~1.2
    r = censored_ratio([None, None, None], [1000, 1100, 1050], 1200, seed=0)
    assert r.is_bound and r.censored == 3 and r.lo < 45
    v, reason, decide = decide_bound(r, mag, needed_budget="≥ 47,000 epochs (45× EGD's)")
    assert v == Verdict.INCONCLUSIVE and "bound" in reason and "47,000" in decide
    # a bound that clears the magnitude passes
    r2 = censored_ratio([None] * 3, [10, 12, 11], 1200, seed=0)
    assert decide_bound(r2, mag, needed_budget="")[0] == Verdict.PASS
    # an observed ratio below the magnitude fails
    r3 = censored_ratio([100, 120, 110], [10, 12, 11], 1200, seed=0)
    assert not r3.is_bound and decide_bound(r3, mag, needed_budget="")[0] == Verdict.FAIL


def test_equivalence_reports_excluded_prediction():
    e = equivalence((0.944, 0.996), 1.0, 1 / 3, "Theorem 3.12's finite-size term")
    assert e.verdict == Verdict.PASS and e.excludes_prediction and "excludes the prediction 1" in e.words
    assert equivalence((0.2, 0.5), 1.0, 0.1, "r").verdict == Verdict.FAIL
    assert equivalence((0.85, 1.0), 1.0, 0.1, "r").verdict == Verdict.INCONCLUSIVE
    assert equivalence((math.nan, 1.0), 1.0, 0.1, "r").verdict == Verdict.INCONCLUSIVE


def test_self_tests_are_the_library_checks():
    assert is_self_test("irreps.certified")
    assert not is_self_test("li2.critical-ratio-law")


# --------------------------------------------------------------------------- the experiments' own rules on their rivals


def _verdicts(analyze, model, settings, noise, n=6):
    """Verdicts of ``analyze`` on ``n`` seeded datasets drawn from ``model``."""
    ctx = StudyContext(seed=0, simulating=True)
    return [analyze(settings, model.simulate(settings, noise, np.random.default_rng([i, 7])), ctx).verdict.value
            for i in range(n)]


def test_li2_critical_rivals_never_pass_and_the_claim_passes_on_a_separating_grid():
    from grokcheck.checks.experiments._li2_critical import BUDGETS, DESIGN, _enlarge, _stated_noise, analyze_critical

    wide = _enlarge(BUDGETS["full"], 8)  # the paper's groups, 12 seeds, 32 fractions
    noise = _stated_noise(wide)
    claim = _verdicts(analyze_critical, DESIGN.claim, wide, noise)
    assert claim.count("PASS") >= 4, claim
    for rival in DESIGN.rivals:
        v = _verdicts(analyze_critical, rival, wide, noise)
        assert "PASS" not in v, (rival.name, v)
    # a rival far from the claim is refuted on that grid
    one_over_m = next(r for r in DESIGN.rivals if r.name == "1 / M")
    assert _verdicts(analyze_critical, one_over_m, wide, noise).count("FAIL") >= 4
    # on the full grid (M = 7–36) nothing separates log M/M from M^-0.6: never PASS, never FAIL
    full = BUDGETS["full"]
    for model in (DESIGN.claim, *DESIGN.rivals[:2]):
        assert set(_verdicts(analyze_critical, model, full, _stated_noise(full))) == {"INCONCLUSIVE"}


def test_li2_critical_budget_limited_p_c_is_a_shortfall_not_a_fail():
    from grokcheck.checks.experiments._li2_critical import BUDGETS, DESIGN, _enlarge, _stated_noise, analyze_critical

    wide = _enlarge(BUDGETS["full"], 8)
    one_over_m = next(r for r in DESIGN.rivals if r.name == "1 / M")
    data = one_over_m.simulate(wide, _stated_noise(wide), np.random.default_rng(0))
    for per in data.values():  # at half the steps nothing has generalised yet: the budget, not n, sets p_c
        for r in per.values():
            r["test_acc_half"] = [0.0] * len(r["test_acc"])
    out = analyze_critical(wide, data, StudyContext(simulating=True))
    assert out.shortfall is not None and "step budget" in out.shortfall.reason
    exp_out = judge(_li2(), wide, data, StudyContext(simulating=True), out, power=False)
    assert exp_out.verdict == Verdict.INCONCLUSIVE


def _li2():
    from grokcheck.checks.experiments._li2_critical import LI2_CRITICAL_RATIO

    return LI2_CRITICAL_RATIO


def _speed_noise(settings, egd=116.0):
    return {"tasks": {t.replace(":", "-"): {"egd_median": 115.0 if t.startswith("parity") else egd, "log_sd": 0.15}
                      for t in settings["tasks"]}}


def test_egd_speedup_rivals_never_pass_and_censoring_gives_bounds():
    from grokcheck.checks.experiments._egd_experiments import SPEEDUP_BUDGETS, SPEEDUP_DESIGN, _speed_analyze

    paper = {**SPEEDUP_BUDGETS["paper"], "seeds": 12}
    for rival in SPEEDUP_DESIGN.rivals:
        v = _verdicts(_speed_analyze, rival, paper, _speed_noise(paper))
        assert "PASS" not in v and v.count("FAIL") >= 5, (rival.name, v)
    # the full budget (C59, 1,110 epochs, EGD ≈ 900): SGD is censored at 45× → a bound, INCONCLUSIVE, never PASS
    full = SPEEDUP_BUDGETS["full"]
    noise = _speed_noise(full, egd=900.0)
    claim = _verdicts(_speed_analyze, SPEEDUP_DESIGN.claim, full, noise)
    assert "PASS" not in claim and "FAIL" not in claim
    data = SPEEDUP_DESIGN.claim.simulate(full, noise, np.random.default_rng(1))
    out = _speed_analyze(full, data, StudyContext(simulating=True))
    assert "lower bound" in out.reason and "bound below" in out.reason
    # a claim far beyond the magnitude, observed in full, passes
    big = Model("100×", "", _speed_sim(100.0))
    assert _verdicts(_speed_analyze, big, paper, _speed_noise(paper)).count("PASS") >= 4  # parity: a bound ≈ 17 > 15.5


def _speed_sim(ratio):
    from grokcheck.checks.experiments._egd_experiments import _speed_model

    return _speed_model(lambda kind: ratio)


def test_egd_speedup_egd_never_grokking_is_a_shortfall():
    from grokcheck.checks.experiments._egd_experiments import SPEEDUP_BUDGETS, _speed_analyze

    full = SPEEDUP_BUDGETS["full"]
    data = {t.replace(":", "-"): {s: {"sgd": 50.0, "egd": None, "epochs": float(v["epochs"])} for s in range(3)}
            for t, v in full["tasks"].items()}
    out = _speed_analyze(full, data, StudyContext(simulating=True))
    assert out.verdict == Verdict.INCONCLUSIVE  # EGD slower than SGD, but it never reached 95%: no FAIL


@pytest.mark.parametrize("exp_name", ["EGD_TOY_PLATEAU", "HE_RATES", "MUON_VS_ADAMW"])
def test_rivals_never_pass_and_the_claim_passes_at_the_full_grid(exp_name):
    import importlib

    module = {"EGD_TOY_PLATEAU": "_egd_experiments", "HE_RATES": "_he_rates", "MUON_VS_ADAMW": "_muon"}[exp_name]
    exp = getattr(importlib.import_module(f"grokcheck.checks.experiments.{module}"), exp_name)
    settings = exp.settings("full")
    noise = exp.design.stated_noise(settings)
    claim = _verdicts(exp.analyze, exp.design.claim, settings, noise, n=4)
    assert claim.count("PASS") >= 3, claim
    for rival in exp.design.rivals:
        v = _verdicts(exp.analyze, rival, settings, noise, n=4)
        # "no effect" against a one-sided interval rule can PASS by chance (≤ 5% of draws): allow one
        assert v.count("PASS") <= (1 if rival.name == "no effect" else 0), (rival.name, v)


def test_every_one_of_my_experiments_declares_rivals_and_settings():
    from grokcheck.checks.experiments._study import get_experiment

    for i in ("li2.critical-ratio-law", "egd.speedup-over-sgd", "egd.toy-plateau-scaling",
              "he.exponential-rates-and-lottery", "li2.muon-small-width"):
        e = get_experiment(i)
        assert e.design is not None and e.design.rivals, i
        assert set(e.setting) == {"small", "full", "paper"}, i
        assert "rivals" in e.to_json() and "setting" in e.to_json()


def test_report_counts_proxy_fails_and_self_tests_apart_and_renders_rules():
    from grokcheck.checks._verify import VerifyReport

    proxy_fail = CheckResult(id="e.proxy", claim="c", source="s", verdict=Verdict.FAIL, reason="does not transfer to X: y",
                             setting={"kind": "proxy", "name": "X", "differences": ["a smaller group"]},
                             statistic={"test": "t", "rule": "PASS if the interval lies above 0"})
    paper_fail = CheckResult(id="e.paper", claim="c", source="s", verdict=Verdict.FAIL, setting={"kind": "paper"},
                             statistic={"rule": "PASS if …"})
    selft = CheckResult(id="irreps.certified", claim="c", source="s", verdict=Verdict.PASS, self_test=True)
    rep = VerifyReport("G", 6, "full", 0, (proxy_fail, paper_fail, selft))
    c = rep.counts()
    assert c["group"]["does not transfer"] == 1 and c["group"]["unexpected FAIL"] == 1
    assert c["self_tests"]["PASS"] == 1 and c["group"]["PASS"] == 0
    assert [r.id for r in rep.unexpected] == ["e.paper"]  # --strict ignores the proxy FAIL
    md = rep.to_markdown()
    assert "PASS if the interval lies above 0" in md  # the experiment's rule is rendered
    assert "## Infrastructure self-tests" in md and "does not transfer to X" in md
    assert "differs from the paper's setting: a smaller group" in md


def test_verify_only_selects_an_experiment_id(tmp_path):
    from grokcheck.checks._verify import verify
    from grokcheck.theory import group

    rep = verify(group("C7"), budget="small", only=["egd.toy-plateau-scaling"], out_dir=tmp_path, progress=False)
    assert [r.id for r in rep.results] == ["egd.toy-plateau-scaling"]
    assert rep.results[0].verdict != Verdict.ERROR, rep.results[0].reason
    with pytest.raises(GrokcheckError, match="unknown check id"):
        verify(group("C7"), only=["nosuch.id"], progress=False)
