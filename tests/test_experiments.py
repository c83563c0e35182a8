"""The experiment framework: cache and resume, statistics, the one-layer MLP, every registered experiment."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest
import torch

from grokcheck.checks._registry import Verdict
from grokcheck.checks.experiments._study import (
    Cell,
    Experiment,
    Outcome,
    all_experiments,
    bootstrap_interval,
    fit_line,
    run_experiment,
    t_interval,
    table_split_masks,
    wilson_interval,
)

# --------------------------------------------------------------------------- a counting experiment


def _counting(calls, *, fail_on=None):
    def cells(settings, ctx):
        return [Cell(key=f"c{i}", spec={"x": x}, seeds=tuple(range(settings["seeds"]))) for i, x in enumerate(settings["xs"])]

    def run_cell(cell, ctx):
        if fail_on is not None and cell.key == fail_on:
            raise RuntimeError("interrupted")
        calls.append(cell.key)
        return {s: {"y": cell.spec["x"] * 10 + s} for s in cell.seeds}

    def analyze(settings, results, ctx):
        total = sum(v["y"] for per in results.values() for v in per.values())
        return Outcome(verdict=Verdict.PASS, statistic=float(total), interval=(0.0, 1.0), test="sum")

    budgets = {b: {"xs": [1, 2, 3], "seeds": 2} for b in ("small", "full", "paper")}
    return Experiment(id="test.counting", claim="c", source="s", budgets=budgets, cells=cells, run_cell=run_cell,
                      analyze=analyze, decision_rule="always PASS")


def test_cache_reruns_only_missing_cells_and_resumes(tmp_path):
    calls = []
    # an interrupted run: the third cell raises, the first two are stored
    r = run_experiment(_counting(calls, fail_on="c2"), out_dir=tmp_path)
    assert r.verdict == Verdict.ERROR and calls == ["c0", "c1"]
    calls.clear()
    r = run_experiment(_counting(calls), out_dir=tmp_path)
    assert calls == ["c2"], "the resumed study must compute only the unfinished cell"
    assert r.verdict == Verdict.PASS and r.measurement == 10 + 11 + 20 + 21 + 30 + 31
    assert r.details["cells_cached"] == 2 and r.details["cells_computed"] == 1
    calls.clear()
    run_experiment(_counting(calls), out_dir=tmp_path)
    assert calls == []
    # a different run seed is a different study
    run_experiment(_counting(calls), out_dir=tmp_path, seed=1)
    assert calls == ["c0", "c1", "c2"]
    # one file per seed, by experiment, budget and cell
    dirs = sorted((tmp_path / "cache" / "test.counting" / "small").glob("c0-*"))
    assert len(dirs) == 2  # run seeds 0 and 1
    assert all(sorted(p.name for p in d.glob("seed-*.json")) == ["seed-0.json", "seed-1.json"] for d in dirs)


def test_a_missing_seed_file_recomputes_that_cell(tmp_path):
    calls = []
    run_experiment(_counting(calls), out_dir=tmp_path)
    (next((tmp_path / "cache" / "test.counting" / "small").glob("c1-*")) / "seed-1.json").unlink()
    calls.clear()
    run_experiment(_counting(calls), out_dir=tmp_path)
    assert calls == ["c1"]


def test_result_carries_statistic_rule_and_grid():
    r = run_experiment(_counting([]))
    assert r.statistic["rule"] == "always PASS" and r.statistic["ci"] == [0.0, 1.0]
    assert r.details["grid"] == {"cells": ["c0", "c1", "c2"], "seeds": [0, 1]}
    json.dumps(r.to_json())  # the report can be written


# --------------------------------------------------------------------------- statistics


def test_t_interval_matches_the_textbook_formula():
    from scipy import stats

    v = np.array([1.0, 2.0, 4.0, 7.0])
    m, lo, hi = t_interval(v)
    half = stats.t.ppf(0.975, 3) * v.std(ddof=1) / 2.0
    assert m == pytest.approx(3.5) and hi - m == pytest.approx(half) and m - lo == pytest.approx(half)
    assert math.isnan(t_interval([1.0])[1])


def test_wilson_interval_known_values():
    # Wilson 95% for 0/10: upper = z²/(n+z²) = 0.2775 (z = 1.96); for 10/10 the mirror image
    p, lo, hi = wilson_interval(0, 10)
    assert p == 0 and lo == 0 and hi == pytest.approx(0.2775, abs=2e-4)
    assert wilson_interval(10, 10)[1] == pytest.approx(1 - 0.2775, abs=2e-4)


def test_fit_line_recovers_an_exact_and_a_noisy_slope():
    x = np.linspace(0, 1, 8)
    f = fit_line(x, 3 * x - 1)
    assert f.slope == pytest.approx(3) and f.slope_interval[1] - f.slope_interval[0] < 1e-9
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(200):  # the t-interval covers the true slope ~95% of the time
        g = fit_line(x, 2 * x + rng.normal(0, 0.3, x.size))
        hits += g.slope_interval[0] <= 2 <= g.slope_interval[1]
    assert 0.88 <= hits / 200 <= 0.99  # binomial(200, 0.95): ±3.5 standard deviations


def test_bootstrap_is_seeded():
    data = np.arange(10.0)
    a = bootstrap_interval(lambda idx: data[idx].mean(), 10, seed=3)
    b = bootstrap_interval(lambda idx: data[idx].mean(), 10, seed=3)
    assert a == b and a[1] < 4.5 < a[2]


def test_critical_ratio_interpolates_in_log_p():
    from grokcheck.checks.experiments._li2_critical import critical_ratio

    assert critical_ratio([0.1, 0.4], [0.0, 1.0]) == pytest.approx(0.2)  # geometric midpoint
    assert math.isnan(critical_ratio([0.1, 0.4], [0.0, 0.3]))
    assert critical_ratio([0.1, 0.4], [0.9, 1.0]) == 0.1


def test_split_masks_nest_across_fractions():
    m = table_split_masks(100, [0.2, 0.5], [0, 1], run_seed=0)
    assert m.shape == (4, 100) and m.sum(1).tolist() == [20, 20, 50, 50]
    assert bool((m[0] <= m[2]).all()) and bool((m[1] <= m[3]).all())
    assert not bool((m[0] == m[1]).all())


# --------------------------------------------------------------------------- the one-layer MLP


def _onelayer(G, S=2, **kw):
    from grokcheck.checks.training._data import group_task
    from grokcheck.checks.training._onelayer import OneLayerMLPConfig, OneLayerMLPNet

    task = group_task(G, train_fraction=1.0, n_seeds=S, seed=0)
    return task, OneLayerMLPNet(OneLayerMLPConfig(**kw), task, n_seeds=S, seed=0)


def test_onelayer_mlp_is_the_released_architecture():
    from grokcheck.theory import group

    G = group("S3")
    n, e, h = 6, 16, 8
    task, model = _onelayer(G, embed=e, hidden=h)
    sd = model.seed_state_dict(1)
    assert {k: tuple(v.shape) for k, v in sd.items()} == {"W_x": (n, e), "W_y": (n, e), "W": (2 * e, h), "W_U": (h, n)}
    # the reference forward of the release: relu([W_x[x], W_y[y]] @ W) @ W_U
    g1 = torch.arange(n).repeat_interleave(n)
    g2 = torch.arange(n).repeat(n)
    ref = torch.relu(torch.cat([sd["W_x"][g1], sd["W_y"][g2]], dim=1) @ sd["W"]) @ sd["W_U"]
    out = model(task.x.unsqueeze(0).expand(2, -1, -1))[1]
    assert torch.allclose(out, ref, atol=1e-5)  # float32 sums of 2e terms
    # the neuron view: neuron i sees u_i(g1) + v_i(g2)
    t1, t2, xi = model.neuron_weights()
    u = (sd["W_x"] @ sd["W"][:e]).double().numpy()
    assert np.allclose(t1[1], u.T, atol=1e-6) and np.allclose(xi[1], sd["W_U"].double().numpy())
    # loading a released-layout state dict into another seed reproduces its outputs
    model.load_seed_state_dict(0, sd)
    out = model(task.x.unsqueeze(0).expand(2, -1, -1))
    assert torch.equal(out[0], out[1])
    with pytest.raises(KeyError):
        model.load_seed_state_dict(0, {**sd, "bogus": sd["W"]})


def test_onelayer_mlp_initialisation_scales():
    from grokcheck.theory import group

    _, model = _onelayer(group("C31"), S=1, embed=256, hidden=128)
    # N(0, 1/e), N(0, 1/(2e)), N(0, 1/h): sample stds over thousands of entries, within 5%
    assert model.W_x.std().item() == pytest.approx(1 / 16, rel=0.05)
    assert model.W.std().item() == pytest.approx(1 / math.sqrt(512), rel=0.05)
    assert model.W_U.std().item() == pytest.approx(1 / math.sqrt(128), rel=0.05)


def test_onelayer_mlp_trains_through_the_training_layer(tmp_path):
    from grokcheck.checks.training._data import group_task
    from grokcheck.checks.training._onelayer import OneLayerMLPConfig
    from grokcheck.checks.training._optimizers import OptimizerConfig
    from grokcheck.checks.training._train import TrainConfig, load_run, train
    from grokcheck.theory import group

    G = group("C5")
    task = group_task(G, train_fraction=0.8, n_seeds=2, seed=0)
    cfg = TrainConfig(model=OneLayerMLPConfig(embed=16, hidden=16, bias=True),
                      optimizer=OptimizerConfig("adamw", lr=1e-2, weight_decay=1.0, betas=(0.9, 0.98)),
                      steps=60, n_seeds=2, eval_every=30, plot=False)
    res = train(cfg, task, out_dir=tmp_path / "run", progress=False)
    assert min(res.final["train_acc"]) > 0.5  # 60 AdamW steps fit 20 pairs
    run = load_run(tmp_path / "run")
    assert torch.equal(run.model.W, res.model.W) and hasattr(run.model, "b_U")


# --------------------------------------------------------------------------- the registered experiments


def test_registered_experiments_have_the_required_claims():
    ids = {e.id for e in all_experiments()}
    for required in ("li2.critical-ratio-law", "universality.onelayer-mlp-groks", "egd.toy-plateau-scaling",
                     "egd.speedup-over-sgd", "li2.muon-small-width", "lyu.group-grok-time", "lyu.misgrokking",
                     "lyu.matrix-completion-grok-time", "lyu.group-table-completion",
                     "he.exponential-rates-and-lottery"):
        assert required in ids


def test_every_experiment_runs_its_small_budget(tmp_path):
    t0 = time.perf_counter()
    for e in all_experiments():
        r = run_experiment(e, budget="small", out_dir=tmp_path)
        assert r.verdict != Verdict.ERROR, (e.id, r.reason, r.details.get("traceback"))
        assert r.verdict in (Verdict.PASS, Verdict.FAIL, Verdict("INCONCLUSIVE")), (e.id, r.verdict)
        assert r.details["figures"], f"{e.id} drew no figure"
    # the whole small tier is a CI smoke test (the budget is ~40 s on the project's 2-core CPU;
    # the bound leaves room for a loaded machine)
    assert time.perf_counter() - t0 < 150


@pytest.mark.slow  # builds every paper-sized model (C97 × 1024, S5, d = 10⁵ …): minutes on two cores
def test_every_experiment_runs_a_few_steps_of_its_paper_budget(tmp_path):
    for e in all_experiments():
        r = run_experiment(e, budget="paper", out_dir=tmp_path, max_steps=2, max_cells=1, max_seeds=1)
        assert r.verdict != Verdict.ERROR, (e.id, r.reason, r.details.get("traceback"))


def test_experiments_cli_writes_the_verify_report(tmp_path, capsys):
    from grokcheck.checks.cli import main

    rc = main(["experiments", "--budget", "small", "--only", "egd.toy", "--out", str(tmp_path / "out"), "--quiet"])
    assert rc == 0
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [c["id"] for c in data["checks"]] == ["egd.toy-plateau-scaling"]
    md = (tmp_path / "out" / "report.md").read_text()
    assert md.startswith("# grokcheck experiments") and "egd_toy_plateau.png" in md
    assert (tmp_path / "out" / "egd_toy_plateau.png").stat().st_size > 1000
    assert main(["experiments", "--list", "--only", "li2."]) == 0
    assert "li2.critical-ratio-law" in capsys.readouterr().out


def test_verify_full_runs_the_experiments_that_take_the_group(tmp_path):
    from grokcheck.checks.experiments._study import experiments_on_group
    from grokcheck.theory import group

    results, figures = experiments_on_group(group("S3"), budget="small", out_dir=tmp_path)
    by_id = {r.id: r for r in results}
    assert set(by_id) == {e.id for e in all_experiments() if e.group_parameter}
    # He et al.'s population law is stated for Abelian groups of odd order: S3 is outside its scope
    assert by_id["he.exponential-rates-and-lottery"].verdict == Verdict.NOT_APPLICABLE
    assert by_id["universality.onelayer-mlp-groks"].details["group"] == "S3"
    # Lyu et al.'s table completion: S3's 2-dimensional irrep has rank 4 of 6, not a low-rank table
    tc = by_id["lyu.group-table-completion"]
    assert tc.verdict == Verdict.NOT_APPLICABLE and "not low rank" in tc.reason
    assert all((tmp_path / f).exists() for f in figures)


def test_group_table_completion_takes_the_verified_group_through_its_smallest_matrix_irrep(tmp_path):
    from grokcheck.checks.experiments._lyu_experiments import LYU_GROUP_TABLE
    from grokcheck.theory import group

    r = run_experiment(LYU_GROUP_TABLE, budget="small", group=group("S4"), out_dir=tmp_path)
    assert r.verdict != Verdict.ERROR, r.details.get("traceback")
    target = r.details["per_group"]["S4"]["target"]
    assert (target["degree"], target["rank"]) == (2, 4)  # the 2-dim irrep of S4 (through S3), rank d² = 4
    big = run_experiment(LYU_GROUP_TABLE, budget="full", group=group("C7xC7"))
    assert big.verdict == Verdict.NOT_APPLICABLE and "48" in big.reason


@pytest.mark.parametrize("finals, horizon, expected", [
    ([0.52, 0.55, 0.50, 0.57], 3.0, "PASS"),        # the claimed fall to ≈ 1/2
    ([0.99, 0.98, 1.00, 0.99], 3.0, "FAIL"),        # no fall in a run to 3·log α/λ
    ([0.99, 0.98, 1.00, 0.99], 1.0, "INCONCLUSIVE"),  # no fall, but the run stopped before 2·log α/λ
    ([0.72, 0.82, 0.76, 0.78], 3.0, "INCONCLUSIVE"),  # half-way: the interval straddles the midpoint
])
def test_misgrokking_decides_at_the_midpoint_of_the_claimed_levels(finals, horizon, expected):
    from types import SimpleNamespace

    from grokcheck.checks.experiments._lyu_experiments import LYU_MISGROKKING, MIS_BUDGETS, _mis_analyze
    from grokcheck.checks.experiments._study import StudyContext, judge

    settings = dict(MIS_BUDGETS["full"], horizon=horizon, seeds=len(finals))
    per = {s: {"peak": 1.0, "final": f, "times": [0.0, 1.0], "test_curve": [1.0, f], "predicted_switch": 1.0}
           for s, f in enumerate(finals)}
    out = _mis_analyze(settings, {"misgrok": per}, SimpleNamespace(seed=0))
    # the shared rules: a run stopped before 2·log α/λ is a shortfall (INCONCLUSIVE, never FAIL)
    out = judge(LYU_MISGROKKING, settings, {"misgrok": per}, StudyContext(budget="full"), out, power=False)
    assert out.verdict.value == expected, out.reason


def test_lyu_group_clock_starts_at_lr0_over_alpha_squared_and_stays_below_lr0():
    """The scale-adaptive step of lyu.group-grok-time: at t = 0 the norm is α‖θ̄‖ (W₂ = 0), so the
    first step is η₀/α²; the clock t = Σ η is increasing and never faster than η₀ per step."""
    from grokcheck.checks.experiments._lyu_experiments import LYU_GROUP_GROK_TIME
    from grokcheck.checks.experiments._study import StudyContext

    settings = LYU_GROUP_GROK_TIME.settings("small")
    (cell,) = LYU_GROUP_GROK_TIME.cells(settings, StudyContext())
    cell = type(cell)(key=cell.key, spec={**cell.spec, "evals": 40}, seeds=cell.seeds)
    out = LYU_GROUP_GROK_TIME.run_cell(cell, StudyContext(max_steps=40))
    lr0 = float(settings["lr0"])
    for row in out[0]["cells"]:
        t = np.asarray(row["times"])
        assert t[0] == 0 and np.all(np.diff(t) > 0)
        assert np.all(np.diff(t) <= lr0 * (1 + 1e-9))
        # float32 parameters: the first step's η₀/α² to float32 precision of the norm ratio
        assert t[1] == pytest.approx(lr0 / row["alpha"] ** 2, rel=1e-5)


@pytest.mark.parametrize("law, verdict", [(1.0, "PASS"), (2.0, "FAIL"), (0.0, "FAIL"), (None, "INCONCLUSIVE")])
def test_lyu_group_analyses_decide_on_the_slope_of_lambda_t_on_log_alpha(law, verdict):
    """Synthetic transition times λ·t = law·log α + c(λ) + noise: slope 1 passes; a clock in the wrong
    units (slope 2) or a transition that ignores α (slope 0) fails; runs that never leave the kernel
    phase (no transition, as for untrained weights) are INCONCLUSIVE, never PASS."""
    from grokcheck.checks.experiments._lyu_experiments import LYU_GROUP_GROK_TIME, LYU_GROUP_TABLE
    from grokcheck.checks.experiments._study import StudyContext

    rng = np.random.default_rng(0)
    alphas, lambdas = [2.0, 4.0, 8.0], [0.004, 0.006, 0.008]

    def rows():
        out = []
        for lam in lambdas:
            for a in alphas:
                t = math.nan if law is None else (law * math.log(a) + 5 + 300 * lam + rng.normal(0, 0.05)) / lam
                out.append({"alpha": a, "lambda": lam, "t_grok": t, "final_test": 1.0, "final_test_loss": 0.0})
        return out

    seeds = {s: {"cells": rows()} for s in range(3)}
    grok = LYU_GROUP_GROK_TIME.analyze(LYU_GROUP_GROK_TIME.settings("full"), {"C23": seeds}, StudyContext())
    assert grok.verdict == Verdict(verdict), grok.reason
    table = {s: {"cells": rows(), "info": {"degree": 1, "rank": 2}, "plateau": 0.3} for s in range(3)}
    comp = LYU_GROUP_TABLE.analyze(LYU_GROUP_TABLE.settings("full"), {"C31": table}, StudyContext())
    assert comp.verdict == Verdict(verdict), comp.reason
