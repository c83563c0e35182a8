"""EGD (arXiv 2510.04930): the toy theory's plateau ∝ 1/ε, and the measured speed-up over SGD.

Two experiments.

``egd.toy-plateau-scaling`` — Theorem 1 / Corollary 1 of the paper: on the two-dimensional
least-squares toy with covariance diag(1, ε), gradient descent's test-error plateau lasts
``Θ(1/(ηε))`` steps, while the preconditioned (egalitarian) update removes the ε dependence.
Grid: ε values × seeds (each seed samples its own training and test data;
:func:`grokcheck.numerics.simulate_toy`). Statistic: the OLS slope of log(plateau length) on
log ε over all (ε, seed) points, with its Student-t 95% interval. Decision rule: PASS if GD's
interval lies within −1 ± 0.1 (the tolerance covers finite-ε corrections: β = 1 − ηε gives
log β = −ηε(1 + O(ηε)), and the fast coordinate's ε-independent transient of O(1/η) steps) and
the preconditioned slope's interval lies within 0 ± 0.1; FAIL if either interval lies entirely
outside its band; INCONCLUSIVE otherwise (too few seeds for an interval narrower than the band). Pure numpy (a Python loop
over steps): seconds at the small budget, about a minute at the full one.

``egd.speedup-over-sgd`` — the paper's Table 1 claim that EGD groks in far fewer epochs than
SGD with the same step size, weight decay and batch (EGD's own preset), on modular addition and
on sparse parity. The comparison is paired: every method trains the same initialisation on the
same split with the same batch order (:func:`grokcheck.checks.experiments.run_accelerate`), no
method looks at test accuracy. Statistic: per task, the ratio median(SGD epochs to 95% test) /
median(EGD epochs) with a seeded percentile bootstrap over seeds (SGD seeds that never reach 95%
count at the budget, which only lowers the ratio: a lower bound). Decision rule: PASS if on every
task EGD groks on at least half the seeds and the bootstrap lower bound of the ratio exceeds 1;
FAIL if on some task both methods grok on every seed and the ratio's upper bound is below 1;
INCONCLUSIVE otherwise.

Budgets for the speed-up: ``small`` C7 and parity n = 10, a few epochs (smoke test); ``full``
C59 (1,740 training pairs, 3 steps of batch 512 per epoch; on C31 — 480 pairs — neither method
grokked in 400 epochs with batch 512 or 64: EGD reached test accuracy 0.1; on C59 EGD was at 0.73 after
400 epochs and at 0.90–0.92 after 800 (SGD: 0.00), so the budget is 1,200) and parity with 30 bits (the paper's
presets otherwise; measured time in the experiments' closing note); ``paper`` C97 and parity n = 100 (Table 1).
"""

from __future__ import annotations

import math

import numpy as np

from grokcheck.checks._registry import Verdict
from grokcheck.checks.experiments._study import Cell, Experiment, Outcome, bootstrap_interval, fit_line, inconclusive

__all__ = ["EGD_TOY_PLATEAU", "EGD_SPEEDUP", "paired_speedup"]

SLOPE_TOL = 0.1  # finite-ε corrections and the O(1/η) transient of the fast coordinate (module docstring)

TOY_DECISION = ("PASS if the Student-t 95% interval of GD's log-log slope lies within −1 ± 0.1 and the "
                "preconditioned slope's within 0 ± 0.1; FAIL if either interval lies outside its band; "
                "INCONCLUSIVE otherwise (an interval wider than the band)")

TOY_BUDGETS = {
    "small": {"eps": [2e-2, 1e-2], "seeds": 2, "n": 1000, "eta": 0.5, "threshold": 0.5},
    "full": {"eps": [1e-2, 5e-3, 2e-3, 1e-3, 5e-4, 2e-4], "seeds": 5, "n": 20000, "eta": 0.5, "threshold": 0.5},
    "paper": {"eps": [1e-2, 3e-3, 1e-3, 3e-4, 1e-4], "seeds": 10, "n": 20000, "eta": 0.5, "threshold": 0.5},
}


def _toy_cells(settings, ctx):
    seeds = tuple(range(int(settings["seeds"])))
    rest = {k: v for k, v in settings.items() if k not in ("eps", "seeds")}
    return [Cell(key=f"eps{e:g}", spec={"eps": float(e), **rest}, seeds=seeds) for e in settings["eps"]]


def _toy_run(cell, ctx):
    from grokcheck.numerics._egd import EGDToyProblem, plateau_length, simulate_toy, theorem1_test_error

    sp = cell.spec
    prob = EGDToyProblem(eps=float(sp["eps"]), eta=float(sp["eta"]))
    horizon = 8 * int(math.ceil(max(1.0, math.log(max(prob.tau_exit, math.e))) / (prob.eta * prob.eps))) + 100
    k_th = plateau_length(theorem1_test_error(prob, np.arange(horizon + 1)), threshold=sp["threshold"])
    steps = 2 * (k_th or horizon) + int(math.ceil(20 / prob.eta))
    out = {}
    for s in cell.seeds:
        seed = int(np.random.SeedSequence([ctx.seed, s, int(round(-math.log10(prob.eps) * 1000))]).generate_state(1)[0])
        gd = simulate_toy(prob, method="gd", steps=steps, n=int(sp["n"]), seed=seed)
        pgd = simulate_toy(prob, method="pgd", steps=steps, n=int(sp["n"]), seed=seed)
        out[s] = {"gd": plateau_length(gd.test_error, threshold=sp["threshold"]),
                  "pgd": plateau_length(pgd.test_error, threshold=sp["threshold"]), "theory": k_th, "steps": steps}
    return out


def _toy_analyze(settings, results, ctx):
    eps, gd, pgd, th = [], [], [], {}
    for key, per in results.items():
        e = float(key[3:])
        for s in sorted(per):
            eps.append(e)
            gd.append(np.nan if per[s]["gd"] is None else per[s]["gd"])
            # a plateau of 0 steps is counted as 1 on the log axis
            pgd.append(np.nan if per[s]["pgd"] is None else max(per[s]["pgd"], 1))
            th[e] = per[s]["theory"]
    eps, gd, pgd = (np.asarray(v, dtype=float) for v in (eps, gd, pgd))
    fg = fit_line(np.log(eps), np.log(gd))
    fp = fit_line(np.log(eps), np.log(pgd))
    e_sorted = np.array(sorted(th))
    ft = fit_line(np.log(e_sorted), np.log(np.array([th[e] for e in e_sorted], dtype=float)))
    def inside(fit, target):
        lo, hi = fit.slope_interval
        return bool(np.isfinite(lo) and target - SLOPE_TOL <= lo and hi <= target + SLOPE_TOL)

    def outside(fit, target):
        lo, hi = fit.slope_interval
        return bool(np.isfinite(lo) and (hi < target - SLOPE_TOL or lo > target + SLOPE_TOL))

    if inside(fg, -1.0) and inside(fp, 0.0):
        verdict = Verdict.PASS
    elif outside(fg, -1.0) or outside(fp, 0.0):
        verdict = Verdict.FAIL
    else:
        verdict = inconclusive()  # an interval wider than the band: more seeds or a wider ε range decide
    reason = (f"GD slope {fg.slope:.3f} [{fg.slope_interval[0]:.3f}, {fg.slope_interval[1]:.3f}], preconditioned "
              f"{fp.slope:.3f} [{fp.slope_interval[0]:.3f}, {fp.slope_interval[1]:.3f}]; Theorem 1's curve {ft.slope:.3f}")
    details = {"gd_fit": fg.to_json(), "pgd_fit": fp.to_json(), "theory_fit": ft.to_json(),
               "eps": eps.tolist(), "gd_steps": gd.tolist(), "pgd_steps": pgd.tolist(),
               "interval_method": "OLS slope over (ε, seed) points, Student-t 95%"}

    def draw(path):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from grokcheck.checks._io import atomic_save_figure

        fig, ax = plt.subplots(figsize=(6, 4.4))
        ax.loglog(eps, gd, "o", ms=4, label=f"GD (slope {fg.slope:.2f})")
        ax.loglog(eps, pgd, "s", ms=4, label=f"preconditioned GD (slope {fp.slope:.2f})")
        ax.loglog(e_sorted, [th[e] for e in e_sorted], "k--", lw=1, label="Theorem 1 curve")
        ax.set_xlabel("ε (variance of the slow feature)")
        ax.set_ylabel("plateau length (steps to test error ≤ 1/2)")
        ax.set_title("EGD toy problem: plateau ∝ 1/ε under GD")
        ax.legend(fontsize=8)
        fig.tight_layout()
        atomic_save_figure(fig, path, dpi=110)
        plt.close(fig)

    return Outcome(verdict=verdict, statistic=fg.slope, interval=fg.slope_interval, predicted=-1.0, reason=reason,
                   details=details, figures={"egd_toy_plateau.png": draw},
                   test="OLS slope of log plateau on log ε, Student-t 95%", n_seeds=int(settings["seeds"]),
                   decide="more seeds or a wider range of ε")


EGD_TOY_PLATEAU = Experiment(
    id="egd.toy-plateau-scaling",
    claim="EGD Theorem 1 / Corollary 1: gradient descent's plateau on the ill-conditioned toy lasts ∝ 1/ε steps; "
          "the egalitarian (preconditioned) update removes the ε dependence.",
    source="EGD, arXiv 2510.04930, §3, Theorem 1 and Corollary 1",
    budgets=TOY_BUDGETS,
    cells=_toy_cells,
    run_cell=_toy_run,
    analyze=_toy_analyze,
    decision_rule=TOY_DECISION,
)


# --------------------------------------------------------------------------- speed-up over SGD

SPEEDUP_DECISION = ("PASS if on every task EGD reaches 95% test accuracy on ≥ half the seeds and the seeded bootstrap "
                    "lower bound of median(SGD epochs)/median(EGD epochs) exceeds 1; FAIL if on some task both always "
                    "grok and the ratio's upper bound is < 1; INCONCLUSIVE otherwise")

SPEEDUP_BUDGETS = {
    "small": {"tasks": {"group:C7": {"epochs": 10}, "parity": {"epochs": 4, "preset": {"n_bits": 10, "n_train": 200,
                                                                                      "n_test": 300}}},
              "seeds": 2},
    "full": {"tasks": {"group:C59": {"epochs": 1200},
                       "parity": {"epochs": 150, "preset": {"n_bits": 30}}}, "seeds": 3},
    "paper": {"tasks": {"group:C97": {"epochs": 2000}, "parity": {"epochs": 1000}}, "seeds": 5},
}


def _speed_cells(settings, ctx):
    seeds = tuple(range(int(settings["seeds"])))
    return [Cell(key=t.replace(":", "-"), spec={"task": t, **v}, seeds=seeds) for t, v in settings["tasks"].items()]


def _speed_run(cell, ctx):
    from grokcheck.checks.experiments._accelerate import AccelerateConfig, run_accelerate
    from grokcheck.theory import group

    sp = cell.spec
    kind, _, gname = sp["task"].partition(":")
    epochs = int(sp["epochs"]) if ctx.max_steps is None else max(1, min(int(sp["epochs"]), int(ctx.max_steps)))
    cfg = AccelerateConfig(task=kind, methods=("sgd", "egd"), n_seeds=len(cell.seeds), seed=ctx.seed, epochs=epochs,
                           eval_every_epochs=1 if epochs <= 500 else 5, chunk_epochs=min(50, epochs),
                           preset_overrides=dict(sp.get("preset", {})))
    rep = run_accelerate(cfg, group=group(gname) if gname else None, device=ctx.device, progress=False)
    sgd, egd = rep.result("sgd"), rep.result("egd")
    return {s: {"sgd": sgd.epochs_to_95[j], "egd": egd.epochs_to_95[j], "epochs": epochs,
                "sec_per_epoch": {"sgd": sgd.sec_per_epoch, "egd": egd.sec_per_epoch},
                "curve_epochs": {"sgd": list(sgd.curve_epochs), "egd": list(egd.curve_epochs)},
                "curve_test": {"sgd": list(np.asarray(sgd.curve_test_acc)[j]), "egd": list(np.asarray(egd.curve_test_acc)[j])}}
            for j, s in enumerate(cell.seeds)}


def paired_speedup(sgd, egd, budget: float, *, seed: int = 0) -> tuple[float, float, float]:
    """``median(sgd)/median(egd)`` with a paired percentile bootstrap over seeds.

    ``None`` entries are censored: SGD at ``budget`` (the ratio is then a lower bound), EGD at
    +inf (ratio 0).
    """
    s = np.array([budget if v is None else v for v in sgd], dtype=float)
    e = np.array([math.inf if v is None else v for v in egd], dtype=float)

    def stat(idx):
        me = np.median(e[idx])
        return float(np.median(s[idx]) / me) if me > 0 else math.inf

    return bootstrap_interval(stat, len(s), n_boot=2000, seed=seed)


def _speed_analyze(settings, results, ctx):
    per_task, verdicts = {}, []
    for key, per in results.items():
        seeds = sorted(per)
        sg = [per[s]["sgd"] for s in seeds]
        eg = [per[s]["egd"] for s in seeds]
        budget = float(per[seeds[0]]["epochs"])
        r, lo, hi = paired_speedup(sg, eg, budget, seed=ctx.seed)
        egd_ok = sum(v is not None for v in eg) >= len(eg) / 2
        both_all = all(v is not None for v in sg + eg)
        if egd_ok and lo > 1:
            v = "PASS"
        elif both_all and hi < 1:
            v = "FAIL"
        else:
            v = "INCONCLUSIVE"
        verdicts.append(v)
        per_task[key] = {"ratio": r, "interval": [lo, hi], "sgd_epochs": sg, "egd_epochs": eg, "budget_epochs": budget,
                         "sgd_censored": sum(v is None for v in sg), "verdict": v,
                         "sec_per_epoch": per[seeds[0]]["sec_per_epoch"]}
    if all(v == "PASS" for v in verdicts):
        verdict = Verdict.PASS
    elif "FAIL" in verdicts:
        verdict = Verdict.FAIL
    else:
        verdict = inconclusive()
    worst = min(per_task, key=lambda k: per_task[k]["interval"][0] if np.isfinite(per_task[k]["interval"][0]) else -1)
    reason = "; ".join(f"{k}: SGD/EGD = {d['ratio']:.3g} [{d['interval'][0]:.3g}, {d['interval'][1]:.3g}]"
                       + (f" (lower bound: SGD censored on {d['sgd_censored']} seeds)" if d["sgd_censored"] else "")
                       for k, d in per_task.items())

    def draw(path):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from grokcheck.checks._io import atomic_save_figure

        fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.2), squeeze=False)
        for ax, (key, per) in zip(axes[0], results.items()):
            for m, col in (("sgd", "C0"), ("egd", "C3")):
                for s in sorted(per):
                    ax.plot(np.maximum(per[s]["curve_epochs"][m], 1), per[s]["curve_test"][m], color=col, lw=1,
                            label=m.upper() if s == sorted(per)[0] else None)
            ax.axhline(0.95, color="grey", lw=0.5)
            ax.set_xscale("log")
            ax.set_xlabel("epoch")
            ax.set_ylabel("test accuracy")
            ax.set_title(f"{key}: EGD vs SGD (same lr, wd, batch, init, split)")
            ax.legend(fontsize=8)
        fig.tight_layout()
        atomic_save_figure(fig, path, dpi=110)
        plt.close(fig)

    d = per_task[worst]
    return Outcome(verdict=verdict, statistic=d["ratio"], interval=tuple(d["interval"]), predicted="> 1",
                   reason=reason, details={"tasks": per_task, "statistic_task": worst,
                                           "interval_method": "paired percentile bootstrap over seeds (2000, seeded)"},
                   figures={"egd_speedup.png": draw},
                   test=f"median epochs ratio SGD/EGD on {worst} (the weakest task), paired bootstrap 95%",
                   n_seeds=int(settings["seeds"]),
                   decide="a longer budget (more epochs) or more seeds")


EGD_SPEEDUP = Experiment(
    id="egd.speedup-over-sgd",
    claim="EGD groks in far fewer epochs than SGD with the same step size, weight decay and batch, on modular "
          "addition and on sparse parity.",
    source="EGD, arXiv 2510.04930, Table 1 and §6",
    budgets=SPEEDUP_BUDGETS,
    cells=_speed_cells,
    run_cell=_speed_run,
    analyze=_speed_analyze,
    decision_rule=SPEEDUP_DECISION,
)
