"""Tan & Huang (arXiv 2311.06597): the commutative law, perturbed training and the information metrics.

Four training claims of Tan & Huang, "Understanding grokking through a robustness viewpoint",
registered as experiments:

* ``tanhuang.commutative-law-at-grok`` (Section 4.1, Figure 5): "the standard training process
  does not [learn the] commutative rule on the training data until it groks", whereas perturbed
  training learns it "right after the training accuracy reaches 100%".
* ``tanhuang.perturbed-groks-earlier`` (Section 3.2, Figure 4): perturbed training
  (:class:`~grokcheck.checks.experiments._interventions.PerturbedTraining`, noise
  ``σ = max(λ₁ (1 − train acc), λ₂)`` drawn afresh every step) generalises earlier than standard
  training.
* ``tanhuang.abelian-degrok-earlier`` (Section 4.1, Figure 6): training with the abelian
  regulariser (:class:`~grokcheck.checks.experiments._interventions.AbelianRegularizer`,
  ``loss + 100·MSE(f(a,b), f(b,a))``) groks earlier too ("performs even better than the
  perturb-based strategy"); the same paired rule as the perturbed arm. The coefficient 100 is the
  paper's (on the transformer's logits) at every budget.
* ``tanhuang.metrics-change-at-grok`` (Section 5.1, Figures 8 and 9): "perturbed mutual information
  [PMI] and [perturbed entropy, PE] change sharply at the time test accuracy undergoes a quick
  increase". MID and ED (Section 5.2) are logged and their change points reported, but the
  paper's claim for them is different (a decreasing phase before the training accuracy reaches
  100%), so they do not enter the verdict.

Runs. A cell is one arm (``plain`` or ``perturbed``) trained with
:func:`~grokcheck.checks.experiments._interventions.train_with_intervention` (the intervention
is a callback on :func:`~grokcheck.checks.training._train.train`); the seeds are the members of
one batched model, so the two arms of one seed share the initialisation, the split and the batch
order (a paired comparison). Each evaluation logs, per seed:

* the paper's abelian test on the training pairs, ``abelian_acc`` (fraction with
  ``argmax f(a,b) = argmax f(b,a)``);
* ``commute_acc``, the same agreement on the training pairs whose swap ``(b, a)`` is *held
  out*: on a pair whose swap is also a training pair, both predictions agree as soon as both are
  memorised, so the paper's number starts at the fraction of such pairs (≈ the train fraction)
  whatever the network has learned; on the held-out swaps agreement needs the commutative law;
* for the metrics experiment, PMI/PE/MID/ED with the paper's protocol
  (:class:`~grokcheck.checks.training.RobustnessLogger`, α = 1, noise σ, averaged over every
  full batch of the training set as the paper does — ``metric_batches = None``; one batch at the
  ``small`` budget).

Settings. ``paper``: Nanda et al.'s one-layer transformer (p = 113, d = 128, 4 heads, MLP 512,
tokens ``a b =``), 30% of the pairs, full-batch AdamW lr 1e-3, weight decay 1, betas
(0.9, 0.98), the paper's modular-addition noise λ = (0.5, 0.4) on the token embeddings and
σ = 0.4 for the metrics; a GPU job (``--device cuda``). ``full``: a ReLU MLP (width 256) on the
concatenated one-hot operands of C23, 70% of the pairs, AdamW lr 3e-3, weight decay 2, which
groks in ~2–3k full-batch steps on a CPU (measured while sizing). The noise acts on the raw
input there, so the ``full`` budget uses the paper's values for a raw-input network (its MNIST
setting: λ = (0.06, 0.03), metric σ = 0.1); the modular-addition values (0.5, 0.4) on a one-hot
input of norm √2 stopped the MLP from fitting (C31, 50%: train accuracy 0.99 only at step 2,900,
test accuracy 0.00 at 3,000 — measured while sizing). ``small``: C11, a few hundred steps (a
smoke test; nothing groks, so the verdicts are INCONCLUSIVE).

Decision rules (:data:`DECISION_COMMUTE`, :data:`DECISION_EARLIER`, :data:`DECISION_METRICS`) are
statistics over seeds; the tolerance of 0.1 decade is the resolution at which a log-step figure
such as the paper's Figures 5 and 8 can be read (the same 0.25·t tolerance the library's
``check_abelian_test_at_grok`` and ``check_metric_change_at_grok`` use), not a value fitted on
these runs. A study in which no seed groks is INCONCLUSIVE.
"""

from __future__ import annotations

import math

import numpy as np

from grokcheck.checks._registry import Verdict
from grokcheck.checks.experiments._study import (
    Cell,
    Experiment,
    Outcome,
    bootstrap_interval,
    first_crossing,
    inconclusive,
    t_interval,
)

__all__ = ["TANHUANG_COMMUTATIVE", "TANHUANG_PERTURBED_EARLIER", "TANHUANG_ABELIAN_EARLIER", "TANHUANG_METRICS_CHANGE",
           "CommuteLogger"]

SOURCE = "Tan & Huang, arXiv 2311.06597"
GROKKED = 0.95  # test accuracy that counts as grokked (the project's t_grok threshold)
COMMUTES = 0.95  # the same level for the commutation accuracy (the abelian test "passed")
DECADE_TOL = 0.1  # log10 resolution of reading a log-step figure (0.1 decade ≈ a factor 1.26)
METRICS = ("pmi", "pe", "mid", "ed")
CLAIMED_METRICS = ("pmi", "pe")  # Section 5.1's claim; MID/ED are claimed to decrease before t_mem

DECISION_COMMUTE = (
    "per seed of standard training, d = log10(t_commute / t_grok) (t_commute: first step at which the agreement "
    "argmax f(a,b) = argmax f(b,a) on training pairs whose swap is held out reaches 0.95; t_grok: test accuracy "
    "0.95); PASS if the Student-t 95% lower bound of mean d is ≥ −0.1 decade (the law is not learned before "
    "grokking), FAIL if the upper bound is < −0.1; INCONCLUSIVE if fewer than 2 seeds grokked or otherwise")
DECISION_EARLIER = (
    "per paired seed, r = t_grok(standard) / t_grok(perturbed) (a run that did not grok counts as the step "
    "budget, so a censored standard run gives a lower bound on r and a censored perturbed run an upper bound); "
    "PASS if the 95% percentile bootstrap (over seeds) interval of the geometric mean of r lies above 1 and no "
    "seed has a censored perturbed run with a grokked standard one, FAIL if it lies below 1 and no seed has a "
    "censored standard run with a grokked perturbed one; INCONCLUSIVE otherwise (in particular if no perturbed "
    "seed grokked)")
DECISION_METRICS = (
    "per grokked seed of standard training and metric m ∈ {PMI, PE}, d = log10(t_change(m) / t_rise) (t_change: "
    "step of the largest change of m over a trailing 0.1-decade window; t_rise: the same for the test accuracy, "
    "i.e. its quickest increase); a metric PASSes if the Student-t 95% interval of mean d lies inside "
    "[−0.1, 0.1] decade and FAILs if it lies outside; the claim PASSes if both metrics pass, FAILs if either "
    "fails, INCONCLUSIVE otherwise or with fewer than 2 grokked seeds")

_COMMON = {
    "small": {"task": "mlp", "group": "C11", "fraction": 0.7, "width": 32, "lr": 3e-3, "weight_decay": 2.0,
              "betas": (0.9, 0.999), "seeds": 2, "steps": 200, "eval_every": 50, "lambda1": 0.06,
              "lambda2": 0.03, "metric_sigma": 0.1, "metric_batch": 64, "metric_batches": 1},
    "full": {"task": "mlp", "group": "C23", "fraction": 0.7, "width": 256, "lr": 3e-3, "weight_decay": 2.0,
             "betas": (0.9, 0.999), "seeds": 5, "steps": 4000, "eval_every": 50, "lambda1": 0.06,
             "lambda2": 0.03, "metric_sigma": 0.1, "metric_batch": 128, "metric_batches": None},
    "paper": {"task": "transformer", "group": "C113", "fraction": 0.3, "width": 128, "lr": 1e-3,
              "weight_decay": 1.0, "betas": (0.9, 0.98), "seeds": 4, "steps": 40_000, "eval_every": 200,
              "lambda1": 0.5, "lambda2": 0.4, "metric_sigma": 0.4, "metric_batch": 256, "metric_batches": None},
}


def _budgets(extra: dict | None = None) -> dict:
    return {b: {**v, **(extra or {})} for b, v in _COMMON.items()}


# --------------------------------------------------------------------------- logging


class CommuteLogger:
    """``on_eval`` callback: the abelian test on all training pairs and on those whose swap is held out.

    Adds ``abelian_acc`` (S,) — the paper's abelian test, the fraction of training pairs with
    ``argmax f(a,b) = argmax f(b,a)`` — and ``commute_acc`` (S,) — the same fraction over the
    training pairs ``(a, b)`` whose swap ``(b, a)`` is not a training pair (``None`` for a seed
    with no such pair). Group tasks with the concat or sequence encoding only (the sum encoding
    is symmetric by construction).
    """

    def __init__(self, task):
        import torch

        enc = task.meta.get("encoding") if task.kind == "group" else None
        if enc not in ("concat", "sequence"):
            from grokcheck.errors import GroupInputError

            raise GroupInputError(f"CommuteLogger needs a group task with concat or sequence encoding, got {enc!r}")
        n = int(task.meta["order"])
        idx = task.train_idx.cpu()
        S = idx.shape[0]
        member = torch.zeros(S, n * n, dtype=torch.bool)
        member.scatter_(1, idx, True)
        swap = (idx % n) * n + idx // n
        self.held_out_swap = ~torch.gather(member, 1, swap)  # (S, n_train)
        self.task = task

    def __call__(self, step: int, model, info: dict) -> dict:
        return self.on_eval(step, model, info)

    def on_eval(self, step: int, model, info: dict) -> dict:
        import torch

        from grokcheck.checks.experiments._interventions import swap_operands

        x = info["x_train"]
        with torch.no_grad():
            agree = (model(x).argmax(-1) == model(swap_operands(x, self.task)).argmax(-1)).double().cpu()
        m = self.held_out_swap.double()
        n_m = m.sum(1)
        paper = agree.mean(1)
        held = (agree * m).sum(1) / n_m.clamp_min(1.0)
        alive = info["alive"].cpu().numpy()
        return {"abelian_acc": [float(v) if a else None for v, a in zip(paper, alive)],
                "commute_acc": [float(v) if a and k > 0 else None for v, k, a in zip(held, n_m, alive)]}


# --------------------------------------------------------------------------- cells


def _cells_for(arms):
    def cells(settings, ctx):
        spec = {k: v for k, v in settings.items() if k != "seeds"}
        seeds = tuple(range(int(settings["seeds"])))
        return [Cell(key=arm, spec={**spec, "arm": arm}, seeds=seeds) for arm in arms]

    return cells


def _run_arm(cell, ctx, *, information: bool):
    import torch

    from grokcheck.checks.experiments._interventions import (
        AbelianRegularizer,
        PerturbedTraining,
        train_with_intervention,
    )
    from grokcheck.checks.training._data import group_task
    from grokcheck.checks.training._metric_logging import RobustnessLogger
    from grokcheck.checks.training._models import MLPConfig, TransformerConfig
    from grokcheck.checks.training._optimizers import OptimizerConfig
    from grokcheck.checks.training._train import TrainConfig
    from grokcheck.theory import group

    sp = cell.spec
    G = group(sp["group"])
    seeds = list(cell.seeds)
    S = len(seeds)
    transformer = sp["task"] == "transformer"
    task = group_task(G, train_fraction=float(sp["fraction"]), n_seeds=S, seed=ctx.seed,
                      encoding="sequence" if transformer else "concat")
    model = TransformerConfig(d_model=int(sp["width"])) if transformer else MLPConfig(widths=(int(sp["width"]),))
    steps = ctx.steps(sp["steps"])
    cfg = TrainConfig(model=model, optimizer=OptimizerConfig("adamw", lr=float(sp["lr"]),
                                                             weight_decay=float(sp["weight_decay"]),
                                                             betas=tuple(sp["betas"])),
                      steps=steps, n_seeds=S, seed=ctx.seed, eval_every=min(int(sp["eval_every"]), steps),
                      checkpoint_every=None, plot=False)
    cbs = [CommuteLogger(task)]
    if information:
        cbs.append(RobustnessLogger(every=min(int(sp["eval_every"]), steps), sigma=float(sp["metric_sigma"]),
                                    batch_size=int(sp["metric_batch"]), n_batches=sp["metric_batches"], abelian=False,
                                    seed=ctx.seed))
    iv = None
    if sp["arm"] == "perturbed":
        iv = PerturbedTraining(float(sp["lambda1"]), float(sp["lambda2"]))
    elif sp["arm"] == "abelian":
        iv = AbelianRegularizer(float(sp["abelian_weight"]))
    prev = torch.get_num_threads()
    try:
        res = train_with_intervention(cfg, task, intervention=iv, device=ctx.device, progress=False, callbacks=cbs)
    finally:
        torch.set_num_threads(prev)
    hist = res.history
    keys = ["train_acc", "test_acc", "abelian_acc", "commute_acc"] + (list(METRICS) if information else [])
    out = {}
    for j, s in enumerate(seeds):
        row = {"arm": sp["arm"], "steps": [int(h["step"]) for h in hist], "budget_steps": steps,
               "alive": bool(res.alive[j]),
               "t_mem": int(res.t_mem[j]) if res.t_mem[j] >= 0 else None,
               "t_grok": int(res.t_grok[j]) if res.t_grok[j] >= 0 else None}
        for k in keys:
            row[k] = [None if h.get(k) is None or h[k][j] is None else float(h[k][j]) for h in hist]
        out[s] = row
    return out


def _curve(r, key):
    return np.array([math.nan if v is None else v for v in r[key]], dtype=np.float64)


def _change_step(steps, vals):
    from grokcheck.checks.claims._tan_huang_verdicts import metric_change_step

    hist = [{"step": int(t), "m": [None if not math.isfinite(v) else float(v)]} for t, v in zip(steps, vals)]
    return metric_change_step(hist, "m", seed=0)


def _log_ratio(a, b):
    if a is None or b is None or not (a > 0 and b > 0):
        return math.nan
    return math.log10(a / b)


def _interval_json(t):
    return {"mean": t[0], "interval": [t[1], t[2]]}


# --------------------------------------------------------------------------- claim 1: commutative law


def _analyze_commute(settings, results, ctx):
    plain = [results["plain"][s] for s in sorted(results["plain"])]
    pert = [results["perturbed"][s] for s in sorted(results["perturbed"])] if "perturbed" in results else []
    rows = []
    for r in plain:
        st = r["steps"]
        tg = first_crossing(st, _curve(r, "test_acc"), GROKKED)
        tc = first_crossing(st, _curve(r, "commute_acc"), COMMUTES)
        ta = first_crossing(st, _curve(r, "abelian_acc"), COMMUTES)
        rows.append({"t_grok": tg, "t_commute": tc, "t_abelian_paper": ta, "t_mem": r["t_mem"],
                     "d": _log_ratio(tc, tg) if math.isfinite(tg) else math.nan})
    # a grokked seed whose commutation accuracy never reached the level: the law came after grokking
    # (at least to the end of the run): d is bounded below by log10(budget / t_grok)
    for row, r in zip(rows, plain):
        if math.isfinite(row["t_grok"]) and not math.isfinite(row["t_commute"]):
            row["d"] = math.log10(max(r["budget_steps"], 1) / row["t_grok"])
            row["commute_censored"] = True
    d = [row["d"] for row in rows if math.isfinite(row["d"])]
    n_grok = len(d)
    mean, lo, hi = t_interval(d)
    if n_grok < 2:
        verdict, reason = inconclusive(), f"{n_grok} of {len(rows)} standard-training seeds grokked (need ≥ 2)"
    elif lo >= -DECADE_TOL:
        verdict, reason = Verdict.PASS, (f"log10(t_commute / t_grok) = {mean:+.3f} decade, 95% lower bound "
                                         f"{lo:+.3f} ≥ −{DECADE_TOL}: not learned before grokking ({n_grok} seeds)")
    elif hi < -DECADE_TOL:
        verdict, reason = Verdict.FAIL, (f"log10(t_commute / t_grok) = {mean:+.3f} decade, upper bound "
                                         f"{hi:+.3f} < −{DECADE_TOL}: learned before grokking ({n_grok} seeds)")
    else:
        verdict, reason = inconclusive(), f"interval [{lo:+.3f}, {hi:+.3f}] contains −{DECADE_TOL} ({n_grok} seeds)"
    prow = []
    for r in pert:
        st = r["steps"]
        prow.append({"t_mem": r["t_mem"], "t_grok": first_crossing(st, _curve(r, "test_acc"), GROKKED),
                     "t_commute": first_crossing(st, _curve(r, "commute_acc"), COMMUTES)})
    pd = t_interval([_log_ratio(p["t_commute"], p["t_grok"]) for p in prow
                     if math.isfinite(p["t_commute"]) and math.isfinite(p["t_grok"])])
    details = {"group": settings["group"], "fraction": settings["fraction"], "model": settings["task"],
               "per_seed_standard": rows, "per_seed_perturbed": prow,
               "log10_commute_over_grok_standard": _interval_json((mean, lo, hi)),
               "log10_commute_over_grok_perturbed": _interval_json(pd),
               "interval_method": "Student-t over seeds of log10(t_commute / t_grok)",
               "note": "commute_acc: argmax agreement of f(a,b), f(b,a) over training pairs whose swap is held out; "
                       "abelian_acc (the paper's) is over all training pairs and starts at ≈ the train fraction"}

    def draw(path):
        _plot_commute(path, settings, plain, pert)

    return Outcome(verdict=verdict, statistic=mean, interval=(lo, hi), predicted=f"≥ −{DECADE_TOL} decade",
                   reason=reason, details=details, figures={"tanhuang_commutative_law.png": draw},
                   test="mean over seeds of log10(t_commute / t_grok), standard training, Student-t 95%",
                   n_seeds=int(settings["seeds"]), baseline=pd[0],
                   decide="more steps or seeds (--budget full; --budget paper on a GPU)")


# --------------------------------------------------------------------------- claim 2: perturbed groks earlier


def _analyze_earlier(settings, results, ctx, arm="perturbed"):
    seeds = sorted(results["plain"])
    plain = [results["plain"][s] for s in seeds]
    pert = [results[arm][s] for s in seeds]
    budget = float(plain[0]["budget_steps"])
    tp = np.array([r["t_grok"] if r["t_grok"] is not None else math.nan for r in plain], dtype=float)
    tq = np.array([r["t_grok"] if r["t_grok"] is not None else math.nan for r in pert], dtype=float)
    cp, cq = np.nan_to_num(tp, nan=budget), np.nan_to_num(tq, nan=budget)
    logr = np.log(np.maximum(cp, 1.0) / np.maximum(cq, 1.0))
    n = len(seeds)

    def stat(idx):
        return float(np.exp(logr[idx].mean()))

    g, lo, hi = bootstrap_interval(stat, n, seed=ctx.seed)
    if n < 2:  # one seed has no spread to resample
        lo = hi = math.nan
    any_q, any_p = bool(np.isfinite(tq).any()), bool(np.isfinite(tp).any())
    # a censored run bounds its seed's ratio on one side only: a censored standard run gives a lower
    # bound (usable for PASS), a censored intervened run an upper bound (usable for FAIL)
    pass_ok = not bool((np.isnan(tq) & np.isfinite(tp)).any())
    fail_ok = not bool((np.isnan(tp) & np.isfinite(tq)).any())
    if not any_q:
        verdict, reason = inconclusive(), (f"no {arm} seed grokked within the budget" if any_p else
                                           f"neither standard nor {arm} training grokked on any seed within the budget")
    elif math.isfinite(lo) and lo > 1.0 and pass_ok:
        verdict, reason = Verdict.PASS, f"standard/{arm} t_grok = {g:.2f} [{lo:.2f}, {hi:.2f}] > 1 ({n} paired seeds)"
    elif math.isfinite(hi) and hi < 1.0 and fail_ok:
        verdict, reason = Verdict.FAIL, f"standard/{arm} t_grok = {g:.2f} [{lo:.2f}, {hi:.2f}] < 1 ({n} paired seeds)"
    else:
        verdict, reason = inconclusive(), (f"ratio {g:.2f} [{lo:.2f}, {hi:.2f}] not decided ({n} paired seeds; "
                                           "censored runs bound a seed's ratio on one side only)")
    censored = int(np.isnan(tp).sum())
    if verdict == Verdict.PASS and censored:
        reason += f"; {censored} standard run(s) did not grok within {int(budget)} steps, so the ratio is a lower bound"
    details = {"group": settings["group"], "fraction": settings["fraction"], "model": settings["task"],
               "intervention": _arm_label(settings, arm),
               "per_seed": [{"seed": s, "t_grok_standard": None if math.isnan(a) else a,
                             f"t_grok_{arm}": None if math.isnan(b) else b,
                             "t_mem_standard": p["t_mem"], f"t_mem_{arm}": q["t_mem"]}
                            for s, a, b, p, q in zip(seeds, tp, tq, plain, pert)],
               "standard_censored": censored, f"{arm}_censored": int(np.isnan(tq).sum()), "budget_steps": budget,
               "ratio_geometric_mean": {"mean": g, "interval": [lo, hi]},
               "interval_method": "percentile bootstrap over paired seeds (2,000 resamples, seeded)"}

    def draw(path):
        _plot_arms(path, settings, plain, pert, arm)

    return Outcome(verdict=verdict, statistic=g, interval=(lo, hi), predicted="> 1", reason=reason, details=details,
                   figures={f"tanhuang_{arm}_earlier.png": draw},
                   test=f"geometric mean over paired seeds of t_grok(standard)/t_grok({arm}), bootstrap 95%",
                   n_seeds=n, baseline=1.0, decide="more steps or seeds (--budget paper on a GPU)")


# --------------------------------------------------------------------------- claim 3: metrics change at grokking


def _analyze_metrics(settings, results, ctx):
    plain = [results["plain"][s] for s in sorted(results["plain"])]
    rows = []
    for r in plain:
        st = r["steps"]
        grok = r["t_grok"] is not None
        t_rise = _change_step(st, _curve(r, "test_acc")) if grok else None
        row = {"t_grok": r["t_grok"], "t_rise": t_rise, "t_mem": r["t_mem"]}
        for m in METRICS:
            tc = _change_step(st, _curve(r, m)) if grok else None
            row[f"t_change_{m}"] = tc
            row[f"d_{m}"] = _log_ratio(tc, t_rise)
        rows.append(row)
    n_grok = sum(r["t_grok"] is not None for r in rows)
    per_metric = {}
    for m in METRICS:
        t = t_interval([row[f"d_{m}"] for row in rows])
        if n_grok < 2 or not math.isfinite(t[1]):
            v = "INCONCLUSIVE"
        elif -DECADE_TOL <= t[1] and t[2] <= DECADE_TOL:
            v = "PASS"
        elif t[1] > DECADE_TOL or t[2] < -DECADE_TOL:
            v = "FAIL"
        else:
            v = "INCONCLUSIVE"
        per_metric[m] = {"mean": t[0], "interval": [t[1], t[2]], "verdict": v, "claimed": m in CLAIMED_METRICS}
    vs = [per_metric[m]["verdict"] for m in CLAIMED_METRICS]
    desc = "; ".join(f"{m.upper()} {per_metric[m]['mean']:+.3f} [{per_metric[m]['interval'][0]:+.3f}, "
                     f"{per_metric[m]['interval'][1]:+.3f}] decade" for m in CLAIMED_METRICS)
    if n_grok < 2:
        verdict, reason = inconclusive(), f"{n_grok} of {len(rows)} standard-training seeds grokked (need ≥ 2)"
    elif all(v == "PASS" for v in vs):
        verdict, reason = Verdict.PASS, f"change point − quickest test rise: {desc} (inside ±{DECADE_TOL})"
    elif any(v == "FAIL" for v in vs):
        verdict, reason = Verdict.FAIL, f"change point − quickest test rise: {desc} (outside ±{DECADE_TOL})"
    else:
        verdict, reason = inconclusive(), f"change point − quickest test rise: {desc} (not decided at ±{DECADE_TOL})"
    main = per_metric["pmi"]
    details = {"group": settings["group"], "fraction": settings["fraction"], "model": settings["task"],
               "metric_sigma": settings["metric_sigma"], "per_seed": rows, "per_metric": per_metric,
               "interval_method": "Student-t over grokked seeds of log10(t_change / t_rise)",
               "note": "MID and ED are reported but not decided: the paper claims a decreasing phase before t_mem for them"}

    def draw(path):
        _plot_metrics(path, settings, plain, rows)

    return Outcome(verdict=verdict, statistic=main["mean"], interval=tuple(main["interval"]),
                   predicted=f"within ±{DECADE_TOL} decade", reason=reason, details=details,
                   figures={"tanhuang_metrics_change.png": draw},
                   test="mean over grokked seeds of log10(t_change / t_rise) for PMI (PE in details), Student-t 95%",
                   n_seeds=int(settings["seeds"]), decide="more steps or seeds (--budget paper on a GPU)")


# --------------------------------------------------------------------------- figures


def _axes(n):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, n, figsize=(5.5 * n, 4.2))
    return plt, fig, np.atleast_1d(axes)


def _save(plt, fig, path):
    from grokcheck.checks._io import atomic_save_figure

    fig.tight_layout()
    atomic_save_figure(fig, path, dpi=110)
    plt.close(fig)


def _plot_commute(path, settings, plain, pert):
    plt, fig, axes = _axes(2)
    for ax, runs, title in ((axes[0], plain, "standard"), (axes[1], pert, "perturbed")):
        for i, r in enumerate(runs):
            st = np.maximum(np.asarray(r["steps"], dtype=float), 1)
            c = f"C{i % 10}"
            ax.plot(st, _curve(r, "test_acc"), "-", color=c, lw=1.2)
            ax.plot(st, _curve(r, "commute_acc"), "--", color=c, lw=1)
            ax.plot(st, _curve(r, "abelian_acc"), ":", color=c, lw=0.8)
        ax.plot([], [], "k-", label="test accuracy")
        ax.plot([], [], "k--", label="commutation (held-out swaps)")
        ax.plot([], [], "k:", label="abelian test (all training pairs)")
        ax.set_xscale("log")
        ax.set_xlabel("step")
        ax.set_title(f"{title} training, {settings['group']}, {settings['task']}")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("accuracy")
    _save(plt, fig, path)


def _arm_label(settings, arm):
    if arm == "abelian":
        return f"abelian regulariser, weight {settings['abelian_weight']:g}"
    return f"perturbed, λ = ({settings['lambda1']:g}, {settings['lambda2']:g})"


def _plot_arms(path, settings, plain, pert, arm="perturbed"):
    plt, fig, axes = _axes(1)
    ax = axes[0]
    for i, (p, q) in enumerate(zip(plain, pert)):
        c = f"C{i % 10}"
        ax.plot(np.maximum(p["steps"], 1), _curve(p, "test_acc"), "-", color=c, lw=1)
        ax.plot(np.maximum(q["steps"], 1), _curve(q, "test_acc"), "--", color=c, lw=1)
    ax.plot([], [], "k-", label="standard")
    ax.plot([], [], "k--", label=_arm_label(settings, arm))
    ax.axhline(GROKKED, color="grey", lw=0.5)
    ax.set_xscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"{settings['group']}, {settings['task']}: paired seeds (same init and split)")
    ax.legend(fontsize=8)
    _save(plt, fig, path)


def _plot_metrics(path, settings, plain, rows):
    plt, fig, axes = _axes(len(METRICS))
    for ax, m in zip(axes, METRICS):
        for i, (r, row) in enumerate(zip(plain, rows)):
            c = f"C{i % 10}"
            st = np.maximum(np.asarray(r["steps"], dtype=float), 1)
            ax.plot(st, _curve(r, m), "-", color=c, lw=1)
            if row[f"t_change_{m}"] is not None:
                ax.axvline(row[f"t_change_{m}"], color=c, ls="--", lw=0.7)
            if row["t_rise"] is not None:
                ax.axvline(row["t_rise"], color=c, ls=":", lw=0.7)
        ax.set_xscale("log")
        ax.set_xlabel("step")
        ax.set_title(f"{m.upper()} (dashed: change point, dotted: quickest test rise)", fontsize=8)
    _save(plt, fig, path)


# --------------------------------------------------------------------------- registration


TANHUANG_COMMUTATIVE = Experiment(
    id="tanhuang.commutative-law-at-grok",
    claim=("Standard training does not learn the commutative law on the training pairs before it groks: the "
           "agreement of f(a,b) and f(b,a) on pairs whose swap is held out reaches 0.95 no earlier than the test "
           "accuracy does."),
    source=f"{SOURCE}, Section 4.1 and Figure 5 (the abelian test)",
    budgets=_budgets(),
    cells=_cells_for(("plain", "perturbed")),
    run_cell=lambda cell, ctx: _run_arm(cell, ctx, information=False),
    analyze=_analyze_commute,
    decision_rule=DECISION_COMMUTE,
)

TANHUANG_PERTURBED_EARLIER = Experiment(
    id="tanhuang.perturbed-groks-earlier",
    claim=("Perturbed training (Gaussian noise on the input, σ = max(λ₁(1 − train acc), λ₂), drawn afresh every "
           "step) groks earlier than standard training from the same initialisation and split."),
    source=f"{SOURCE}, Section 3.2 and Figure 4 (degrokking)",
    budgets=_budgets(),
    cells=_cells_for(("plain", "perturbed")),
    run_cell=lambda cell, ctx: _run_arm(cell, ctx, information=False),
    analyze=_analyze_earlier,
    decision_rule=DECISION_EARLIER,
)

TANHUANG_METRICS_CHANGE = Experiment(
    id="tanhuang.metrics-change-at-grok",
    claim=("The perturbed mutual information (PMI) and perturbed entropy (PE) of standard training change "
           "sharply when the test accuracy rises quickly."),
    source=f"{SOURCE}, Section 5.1 and Figures 8–9 (MID and ED of Section 5.2 reported)",
    budgets=_budgets(),
    cells=_cells_for(("plain",)),
    run_cell=lambda cell, ctx: _run_arm(cell, ctx, information=True),
    analyze=_analyze_metrics,
    decision_rule=DECISION_METRICS,
)

TANHUANG_ABELIAN_EARLIER = Experiment(
    id="tanhuang.abelian-degrok-earlier",
    claim=("Training with the abelian regulariser (loss + 100·MSE(f(a,b), f(b,a)) over the training batch, "
           "'abelian degrok') groks earlier than standard training from the same initialisation and split."),
    source=f"{SOURCE}, Section 4.1 and Figure 6 (abelian degrok)",
    budgets=_budgets({"abelian_weight": 100.0}),
    cells=_cells_for(("plain", "abelian")),
    run_cell=lambda cell, ctx: _run_arm(cell, ctx, information=False),
    analyze=lambda settings, results, ctx: _analyze_earlier(settings, results, ctx, arm="abelian"),
    decision_rule=DECISION_EARLIER.replace("perturbed", "abelian-regularised"),
)
