"""Chughtai, Chan & Nanda (2023): a one-layer MLP on a group groks, and its neurons are single-irrep.

Setting (the paper's, arXiv 2302.03025 §4 and its released configs): the ``onelayer-mlp`` model
(separate embeddings ``W_x``, ``W_y`` (n, 256), hidden ``W`` (512, 128), ReLU, unembedding
``W_U`` (128, n), no biases, their initialisation), cross-entropy, full-batch AdamW with betas
(0.9, 0.98) and weight decay 1, on a random fraction of the |G|² pairs.

The paper trains S5 on 40% of the pairs with lr 1e-3 for 250,000 epochs, which is a GPU job.
On a CPU we keep everything but the learning rate and the training fraction: on S4 (order 24,
non-Abelian) with 50% of the pairs, lr 2e-2 … 5e-2 grok within 1,000–2,000 full-batch steps
(measured while sizing this experiment: lr 3e-2 reached test accuracy 1.0 at step 750, lr 1e-3
was at 0.02 after 6,000 steps; at 40% of the pairs lr 5e-2 grokked at step 1,750 and 3e-2 had
not by 3,000). This is a deliberate change of the paper's optimiser setting, stated here and in
the report; the ``paper`` budget runs the paper's S5 setting.

Study: learning rates × seeds are the members of one batched model on the full table; each
member trains on its seed's split. Per member: final train/test accuracy, t_grok (first logged
step with test accuracy ≥ 0.95) and the irrep attribution of its neurons
(:func:`grokcheck.checks.training.analyze_weights`: winner orbit, share of the centred input
energy; single-irrep when the share ≥ the analysis' default threshold), for the trained weights
and, as the baseline the claim must beat, for the same member's initial weights.

Decision rule (:data:`DECISION`): PASS when the Wilson 95% lower bound of the fraction of
members that grok (test ≥ 0.95) is ≥ 1/2 and, among grokked members, the t-interval of the
single-irrep fraction of live neurons lies above the random-init baseline's interval. FAIL only
for a reason the claim gives: grokked members whose neurons are no more single-irrep than at
random initialisation, or — in the paper's own setting and step count — members that memorise
and stay flat without grokking. "Groks" is a claim about *eventually*: in a shorter budget (every
proxy), too few grokked members, or test curves still climbing at the end, is a shortfall
(:func:`~grokcheck.checks._registry.regime_shortfall`: INCONCLUSIVE, never FAIL). Rivals
(:data:`DESIGN`): "memorises only" and "groks, random neurons", simulated at the run's measured
single-irrep fractions; budgets ``small``/``full`` are proxies (:data:`SETTING`), so a FAIL there
reads "does not transfer".

Budgets: ``small`` S3, 32/32 widths, 300 steps (smoke test); ``full`` S4, 50% of pairs,
lr ∈ {2e-2, 3e-2, 5e-2} × 3 seeds, 2,500 steps; ``paper`` S5, 40%, lr 1e-3, 4 seeds,
250,000 steps (``--device cuda``). Measured times are in the experiments' closing note.
With ``verify G --budget full`` the group is ``G`` (any group of order ≤ 64).
"""

from __future__ import annotations

import math

import numpy as np

from grokcheck.checks._registry import Verdict, regime_shortfall, still_improving
from grokcheck.checks.experiments._rivals import Design, Model, Setting, more_seeds, more_seeds_words, proxy
from grokcheck.checks.experiments._study import (
    CPU_TABLE_TRAINING,
    Experiment,
    Outcome,
    first_crossing,
    group_of,
    inconclusive,
    single_group_cells,
    t_interval,
    wilson_interval,
)

__all__ = ["UNIVERSALITY_MLP"]

GROKKED = 0.95  # test accuracy that counts as grokked (the project's t_grok threshold)
MEMORISED = 0.99  # train accuracy that counts as memorised (the project's t_mem threshold)

DECISION = ("PASS if the Wilson 95% lower bound of the fraction of members with test accuracy ≥ 0.95 is ≥ 1/2 and "
            "the grokked members' single-irrep fraction (t-interval) lies above the random-init baseline's; FAIL if "
            "≥ 2 members grok and their single-irrep interval lies at or below the baseline's, or — at the paper's "
            "own setting and step count only — every member memorised, the Wilson upper bound is < 1/2 and the test "
            "curves are flat; too few members grokking in a shorter budget, or test curves still climbing, is a "
            "shortfall (INCONCLUSIVE, never FAIL); a PASS must also exclude the rivals 'memorises only' and "
            "'groks, random neurons' with simulated power ≥ 0.8")

BUDGETS = {
    "small": {"group": "S3", "fraction": 0.6, "embed": 32, "hidden": 32, "lrs": [3e-2], "weight_decay": 1.0,
              "seeds": 2, "steps": 150, "eval_every": 50},
    "full": {"group": "S4", "fraction": 0.5, "embed": 256, "hidden": 128, "lrs": [2e-2, 3e-2, 5e-2],
             "weight_decay": 1.0, "seeds": 3, "steps": 2500, "eval_every": 100},
    "paper": {"group": "S5", "fraction": 0.4, "embed": 256, "hidden": 128, "lrs": [1e-3], "weight_decay": 1.0,
              "seeds": 4, "steps": 250_000, "eval_every": 1000},
}


def _attribution(G, left, right, out):
    from grokcheck.checks.training._analyze import analyze_weights

    sh = analyze_weights(G, left, right, out, measure=False).shares[0]
    live = sh.alive
    return {"alive": int(live.sum()), "single": int(sh.single.sum()),
            "single_fraction": float(sh.single.sum() / max(1, live.sum())),
            "occupancy": sh.occupancy().tolist(), "single_occupancy": sh.single_occupancy().tolist(),
            "orbits": [list(map(int, o)) for o in sh.orbits]}


def _run_cell(cell, ctx):
    from grokcheck.checks.experiments._study import table_split_masks, train_on_table
    from grokcheck.checks.training._data import group_task
    from grokcheck.checks.training._onelayer import OneLayerMLPConfig, OneLayerMLPNet
    from grokcheck.checks.training._optimizers import OptimizerConfig, build_optimizer
    from grokcheck.theory import group

    sp = cell.spec
    G = ctx.group if ctx.group is not None else group(sp["group"])
    n = G.order
    lrs = [float(v) for v in sp["lrs"]]
    seeds = list(cell.seeds)
    S = len(lrs) * len(seeds)
    task = group_task(G, train_fraction=1.0, n_seeds=S, seed=ctx.seed, encoding="concat")
    model = OneLayerMLPNet(OneLayerMLPConfig(embed=int(sp["embed"]), hidden=int(sp["hidden"])), task, n_seeds=S,
                           seed=ctx.seed, device=ctx.device)
    init = [model.neuron_weights()]
    member_lr = tuple(lr for lr in lrs for _ in seeds)
    opt = build_optimizer(model, OptimizerConfig("adamw", lr=member_lr, weight_decay=float(sp["weight_decay"]),
                                                 betas=(0.9, 0.98)), seed=ctx.seed)
    masks = table_split_masks(n * n, [sp["fraction"]] * len(lrs), seeds, ctx.seed, device=ctx.device)
    steps = ctx.steps(sp["steps"])
    rec = train_on_table(model, task.x.to(ctx.device), task.y.to(ctx.device), masks, opt, steps=steps,
                         eval_every=min(int(sp["eval_every"]), steps), loss="ce")
    t1, t2, xi = model.neuron_weights()
    i1, i2, ixi = init[0]
    out = {s: {"lrs": lrs, "members": []} for s in seeds}
    for i, lr in enumerate(lrs):
        for j, s in enumerate(seeds):
            m = i * len(seeds) + j
            ok = bool(rec["alive"][m])
            row = {"lr": lr, "alive": ok, "train_acc": float(rec["train_acc"][m, -1]),
                   "test_acc": float(rec["test_acc"][m, -1]),
                   "t_grok": first_crossing(rec["steps"], rec["test_acc"][m], GROKKED),
                   "t_mem": first_crossing(rec["steps"], rec["train_acc"][m], MEMORISED),
                   "curve_steps": rec["steps"].tolist(), "curve_test": rec["test_acc"][m].tolist(),
                   "curve_train": rec["train_acc"][m].tolist(), "steps": steps,
                   "baseline": _attribution(G, i1[m], i2[m], ixi[m])}
            row["trained"] = _attribution(G, t1[m], t2[m], xi[m]) if ok else None
            out[s]["members"].append(row)
    return out


def _irrep_labels(G, orbits):
    dims = G.character_table.values[:, 0].real.round().astype(int)
    fs = list(G.character_table.fs_indicators)
    labs = []
    for o in orbits:
        k = o[0]
        kind = {1: "real", 0: "complex pair", -1: "quaternionic"}.get(int(fs[k]), "?")
        labs.append("trivial" if k == 0 else f"X.{k + 1} (dim {dims[k]}, {kind})")
    return labs


def _analyze(settings, results, ctx):
    from grokcheck.theory import group

    (key,) = results
    per = results[key]
    gname = group_of(settings, ctx)
    members = [r for s in sorted(per) for r in per[s]["members"]]
    n = len(members)
    grok = [r["alive"] and r["test_acc"] >= GROKKED for r in members]
    mem = [r["alive"] and r["train_acc"] >= MEMORISED for r in members]
    k = int(sum(grok))
    p, lo, hi = wilson_interval(k, n)
    test_m = t_interval([r["test_acc"] for r in members])
    single_tr = t_interval([r["trained"]["single_fraction"] for r, g in zip(members, grok) if g])
    single_bl = t_interval([r["baseline"]["single_fraction"] for r in members])
    sep = (math.isfinite(single_tr[1]) and math.isfinite(single_bl[2]) and single_tr[1] > single_bl[2]) or (
        k == 1 and math.isfinite(single_bl[2]) and single_tr[0] > single_bl[2])
    # the claim's own failure: grokked members whose neurons are no more single-irrep than at random init
    not_single = k >= 2 and math.isfinite(single_tr[2]) and math.isfinite(single_bl[1]) and single_tr[2] <= single_bl[1]
    climbing = still_improving([r["curve_test"] for r in members if r["alive"]])
    decide = ("more training steps (--budget paper runs the paper's S5 setting for its 250,000 steps on a GPU)"
              if ctx.budget != "paper" else "more steps or seeds")
    shortfall = None
    if lo >= 0.5 and sep:
        verdict, reason = Verdict.PASS, (f"{k}/{n} members grok (Wilson [{lo:.2f}, {hi:.2f}]); single-irrep fraction "
                                         f"{single_tr[0]:.2f} [{single_tr[1]:.2f}, {single_tr[2]:.2f}] vs random init "
                                         f"{single_bl[0]:.2f} [{single_bl[1]:.2f}, {single_bl[2]:.2f}]")
    elif not_single:
        verdict, reason = Verdict.FAIL, (f"{k}/{n} members grok but their single-irrep fraction {single_tr[0]:.2f} "
                                         f"[{single_tr[1]:.2f}, {single_tr[2]:.2f}] is not above random init "
                                         f"{single_bl[0]:.2f} [{single_bl[1]:.2f}, {single_bl[2]:.2f}]")
    elif all(mem) and hi < 0.5 and ctx.budget == "paper" and not climbing:
        # only the paper's own setting and step count can refute "groks": a proxy's budget is ours
        verdict, reason = Verdict.FAIL, (f"every member memorised but only {k}/{n} grokked (Wilson upper {hi:.2f} < 0.5) "
                                         "within the paper's 250,000 steps, with flat test curves")
    else:
        verdict = inconclusive()
        why = []
        if not all(mem):
            why.append(f"{n - int(sum(mem))}/{n} members did not memorise")
        if lo < 0.5:
            why.append(f"{k}/{n} grokked (Wilson [{lo:.2f}, {hi:.2f}])")
        if not sep:
            why.append("single-irrep fraction not separated from the random-init baseline")
        reason = "; ".join(why)
        if lo < 0.5:
            # grokking is claimed eventually: a budget that stops first did not reach the regime
            shortfall = regime_shortfall(k, n, needed=math.ceil(n / 2), event="grokking (test accuracy ≥ 0.95)",
                                         decide=decide, still_improving=climbing)
    if getattr(ctx, "simulating", False):
        return Outcome(verdict=verdict, statistic=p, interval=(lo, hi), reason=reason, shortfall=shortfall)
    G = ctx.group if ctx.group is not None else group(gname)
    orbits = members[0]["baseline"]["orbits"]
    labels = _irrep_labels(G, orbits)
    occ = np.zeros(len(orbits), dtype=int)
    for r, g in zip(members, grok):
        if g:
            occ += np.asarray(r["trained"]["single_occupancy"], dtype=int)
    attribution = {lab: int(c) for lab, c in zip(labels, occ)}
    t_grok = np.array([r["t_grok"] for r in members], dtype=np.float64)  # None (never) → NaN
    details = {
        "group": gname, "order": G.order, "fraction": settings["fraction"], "lrs": settings["lrs"],
        "members": n, "grokked": k, "grokked_interval": [lo, hi],
        "mean_test_acc": {"mean": test_m[0], "interval": [test_m[1], test_m[2]]},
        "median_t_grok": float(np.nanmedian(t_grok)) if np.isfinite(t_grok).any() else None,
        "single_irrep_fraction_trained": {"mean": single_tr[0], "interval": [single_tr[1], single_tr[2]]},
        "single_irrep_fraction_random_init": {"mean": single_bl[0], "interval": [single_bl[1], single_bl[2]]},
        "irrep_attribution": attribution,
        "per_member": [{"lr": r["lr"], "test_acc": r["test_acc"], "train_acc": r["train_acc"], "t_grok": r["t_grok"],
                        "single_fraction": None if r["trained"] is None else r["trained"]["single_fraction"],
                        "alive_neurons": None if r["trained"] is None else r["trained"]["alive"]} for r in members],
        "interval_method": "grokked fraction: Wilson score; means: Student-t over members",
        "setting_note": "Chughtai et al.'s architecture, initialisation, AdamW betas and weight decay; "
                        "learning rate and train fraction as in the budget (the paper: S5, 40%, lr 1e-3)",
    }

    def draw(path):
        _plot(path, gname, G.order, members, labels, occ)

    # predicted: every member groks; the baseline column is the random-init single-irrep fraction
    return Outcome(verdict=verdict, statistic=p, interval=(lo, hi), predicted=1.0, reason=reason, details=details,
                   figures={f"universality_onelayer_{key}.png": draw},
                   test=f"fraction of {n} members (lr × seed) with test accuracy ≥ 0.95, Wilson 95%",
                   n_seeds=int(settings["seeds"]),
                   baseline=single_bl[0], decide=decide, shortfall=shortfall)


def _plot(path, gname, order, members, labels, occ):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from grokcheck.checks._io import atomic_save_figure

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    lrs = sorted({r["lr"] for r in members})
    cols = dict(zip(lrs, plt.cm.viridis(np.linspace(0, 0.85, len(lrs)))))
    for r in members:
        st = np.maximum(np.asarray(r["curve_steps"], dtype=float), 1)
        axes[0].plot(st, r["curve_test"], "-", color=cols[r["lr"]], lw=1)
        axes[0].plot(st, r["curve_train"], ":", color=cols[r["lr"]], lw=0.8)
    for lr in lrs:
        axes[0].plot([], [], color=cols[lr], label=f"lr {lr:g} (test solid, train dotted)")
    axes[0].axhline(GROKKED, color="grey", lw=0.5)
    axes[0].set_xscale("log")
    axes[0].set_xlabel("full-batch step")
    axes[0].set_ylabel("accuracy")
    axes[0].set_title(f"one-layer MLP on {gname} (|G| = {order})")
    axes[0].legend(fontsize=7)
    axes[1].bar(range(len(labels)), occ, color="C0")
    axes[1].set_xticks(range(len(labels)))
    axes[1].set_xticklabels(labels, rotation=30, ha="right", fontsize=7)
    axes[1].set_ylabel("single-irrep neurons (grokked members)")
    axes[1].set_xlabel("irrep orbit")
    axes[1].set_title(f"irrep attribution of the neurons on {gname}")
    fig.tight_layout()
    atomic_save_figure(fig, path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- rivals and settings

#: the claim's magnitude: "most" neurons single-irrep (the bar of ``trained.mlp-single-irrep``; Chughtai
#: et al. report neurons that each read out one irrep), or the random-init fraction + 0.3 where that
#: is higher — the claim's "far above random initialisation"
CLAIMED_SINGLE = 0.5
CLAIMED_ABOVE_BASELINE = 0.3
#: the noise when a run gives none (tests; a run measures its own): single-irrep fractions vary by 0.1
#: between grokked members and by 0.05 at random init, where the mean is 0.1
STATED_NOISE = {"sd_single": 0.1, "baseline": 0.1, "sd_baseline": 0.05}


def _noise(settings, results):
    members = [r for per in results.values() for s in sorted(per) for r in per[s]["members"]]
    tr = [r["trained"]["single_fraction"] for r in members if r["alive"] and r["test_acc"] >= GROKKED]
    bl = [r["baseline"]["single_fraction"] for r in members]
    if len(bl) < 2:
        return None
    return {"sd_single": float(max(np.std(tr, ddof=1), 1e-3)) if len(tr) >= 2 else STATED_NOISE["sd_single"],
            "baseline": float(np.mean(bl)), "sd_baseline": float(max(np.std(bl, ddof=1), 1e-3))}


def _model(groks: bool, single_like_baseline: bool):
    def simulate(settings, noise, rng):
        members = []
        steps = int(settings["steps"])
        for _ in range(len(settings["lrs"]) * int(settings["seeds"])):
            mu, sd = ((noise["baseline"], noise["sd_baseline"]) if single_like_baseline else
                      (max(CLAIMED_SINGLE, noise["baseline"] + CLAIMED_ABOVE_BASELINE), noise["sd_single"]))
            test = 1.0 if groks else 0.3
            # flat after its first tenth: a curve that stopped, not one still climbing at the budget
            members.append({"alive": True, "train_acc": 1.0, "test_acc": test, "curve_test": [0.0] + [test] * 9,
                            "curve_train": [0.0] + [1.0] * 9, "curve_steps": list(np.linspace(0, steps, 10)),
                            "lr": settings["lrs"][0], "t_grok": steps / 10 if groks else None,
                            "trained": {"single_fraction": float(np.clip(mu + sd * rng.standard_normal(), 0, 1)),
                                        "alive": int(settings["hidden"]), "single_occupancy": [0]},
                            "baseline": {"single_fraction": float(np.clip(noise["baseline"] + noise["sd_baseline"]
                                                                          * rng.standard_normal(), 0, 1)),
                                         "orbits": [[0]], "single_occupancy": [0]}})
        return {"G": {0: {"members": members}}}

    return simulate


DESIGN = Design(
    claim=Model("groks, single-irrep", "every member groks and most of its neurons are single-irrep (far above random "
                                       "initialisation)",
                _model(True, False)),
    rivals=(Model("memorises only", "every member memorises and never generalises (test accuracy 0.3, flat)",
                  _model(False, False)),
            Model("groks, random neurons", "members grok but their neurons are no more single-irrep than at random "
                                           "initialisation", _model(True, True))),
    noise=_noise, stated_noise=lambda settings: dict(STATED_NOISE),
    enlarge=more_seeds,
    enlarge_words=more_seeds_words)

#: Chughtai et al.'s released configuration (also the weak-universality experiment's paper setting)
PAPER_SETTING = Setting("paper", "S5 at 40% of the pairs, lr 1e-3, 250,000 full-batch AdamW steps")


def chughtai_settings(budgets: dict, lr: str) -> dict:
    """The small/full proxies of Chughtai et al.'s run and its paper setting, for an experiment whose budgets
    name ``group``, ``fraction`` and ``steps``; ``lr`` is the budget key holding the learning rate(s)."""
    def one(b):
        c = budgets[b]
        lrs = f"{c[lr]:g}" if isinstance(c[lr], float) else c[lr]
        return proxy(f"Chughtai et al.'s one-layer MLP on {c['group']} at {c['fraction']:.0%}, lr {lrs}, "
                     f"{c['steps']:,} steps",
                     f"{c['group']} at {c['fraction']:.0%} instead of S5 at 40%",
                     f"lr {lrs} instead of 1e-3 ({c['steps']:,} CPU steps, not 250,000)",
                     *(("embedding/hidden widths 32/32 instead of 256/128",) if b == "small" else ()))
    return {"small": one("small"), "full": one("full"), "paper": PAPER_SETTING}


SETTING = chughtai_settings(BUDGETS, "lrs")

UNIVERSALITY_MLP = Experiment(
    id="universality.onelayer-mlp-groks",
    claim=("Chughtai et al.'s one-layer MLP (separate embeddings, AdamW, weight decay 1) on a group groks "
           "(test ≥ 0.95) and its neurons are single-irrep, far above random initialisation."),
    source="Chughtai, Chan & Nanda, arXiv 2302.03025 (ICML 2023), §4–5 and the released configs",
    budgets=BUDGETS,
    cells=single_group_cells,
    run_cell=_run_cell,
    analyze=_analyze,
    decision_rule=DECISION,
    design=DESIGN,
    setting=SETTING,
    group_parameter=True,
    hypotheses=(CPU_TABLE_TRAINING,),
)
