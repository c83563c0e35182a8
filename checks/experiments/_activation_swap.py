"""He et al.: swap the activation of a trained ReLU network at test time — even ones work, odd ones fail.

The authors' blog (the precursor on cyclic groups, arXiv 2602.16849; the paper's own text is not
available to grokcheck, so the blog's wording is used): a ReLU network trained on modular addition
(p = 23) keeps 100% accuracy when its ReLU is replaced at test time by |x|, x², x⁴,
log(1 + e^{2x}) or eˣ, and falls to chance with x (4.1%) or x³ (3.6%). The reason the papers give:
relu(x) = (x + |x|)/2, and over a phase-symmetric population of neurons the odd part of any
activation cancels, so the network computes with the even part only.

Study: a two-layer ReLU MLP (:class:`~grokcheck.checks.training.MLPNet`, no biases, concatenated
one-hot inputs) trained with the project's loop (:func:`~grokcheck.checks.experiments._study.train_on_table`,
full-batch AdamW with weight decay) on a random fraction of the table; per member the accuracy on its
held-out pairs with the trained weights and each swapped activation (``activation(name)`` of the
training layer: abs, sqr, quartic, softplus2, exp — the claim's successes —, identity, cube — its
failures).

Decision rule (:data:`DECISION`): among members that grokked (held-out accuracy ≥ 0.95 with ReLU),
PASS if every even activation keeps a held-out accuracy ≥ 0.9 on every member and both odd ones
stay ≤ 0.5 on every member; FAIL if some even activation is < 0.5 on a grokked member, or some odd
one ≥ 0.9; INCONCLUSIVE otherwise, and when fewer than half the members grokked (a shortfall of the
budget, never FAIL). Rivals (:data:`DESIGN`): "any activation works" (the trained weights do not
depend on the activation's parity) and "only ReLU works" (every swap falls to chance), simulated
with binomial noise on the run's held-out pair counts.

Measured while sizing (2 shared CPU cores): the ``small`` budget (C7, 300 steps, ~5 s) does not
grok and is INCONCLUSIVE (a smoke test of the pipeline); on C11 with 90% of the pairs, width 256,
lr 1e-2, weight decay 0.3 and 1,500 steps the ReLU net stayed at 8% held-out accuracy while the
same weights with |x| scored 100% (x², 83%; eˣ, x, x³: 0%) — the even part generalises before the
ReLU net does. ``full`` (C23, ~100 s): 4/4 members grok (ReLU 0.98–0.99 held out); |x|, x², x⁴
keep ≥ 0.97, x and x³ fall to 0 — but log(1 + e^{2x}) and eˣ fall to 5–10%, so the verdict is FAIL
("does not transfer" to this proxy). Their odd parts (x, sinh x) do not cancel here; a probe with
0.3× the He initialisation gave the same (softplus 5–9%, eˣ 8–10%, 2 seeds), so the initialisation
scale alone does not explain it; the blog's summed (shared) inputs, width 512 and lr 1e-4 are the
untested differences.
"""

from __future__ import annotations

import math


from grokcheck.checks._registry import Verdict, regime_shortfall, still_improving
from grokcheck.checks.experiments._rivals import Design, Model, Setting, more_seeds, more_seeds_words, proxy
from grokcheck.checks.experiments._study import CPU_TABLE_TRAINING, Experiment, Outcome, group_of, inconclusive, single_group_cells

__all__ = ["ACTIVATION_SWAP"]

#: the claim's successes (even part carries the computation) and failures (purely odd)
SUCCEED = ("abs", "sqr", "quartic", "softplus2", "exp")
FAIL = ("identity", "cube")
GROKKED = 0.95  # held-out accuracy that counts as grokked (the project's t_grok threshold)
KEEPS = 0.9  # "succeeds": the blog reports 100%; 0.9 leaves room for a finite-width, finite-step network
FALLS = 0.5  # "fails": the blog reports chance (4%); 0.5 is far below any success and robust to the binomial noise of ~10 held-out pairs

DECISION = (f"among members with held-out ReLU accuracy ≥ {GROKKED}: PASS if each of {', '.join(SUCCEED)} keeps "
            f"held-out accuracy ≥ {KEEPS} on every member and each of {', '.join(FAIL)} stays ≤ {FALLS}; FAIL if an "
            "even activation is < 0.5 or an odd one ≥ 0.9 on a grokked member; INCONCLUSIVE otherwise, or when fewer "
            "than half the members grokked (a budget shortfall); a PASS must also exclude the rivals 'any activation "
            "works' and 'only ReLU works' with simulated power ≥ 0.8")

BUDGETS = {
    "small": {"group": "C7", "fraction": 0.8, "width": 64, "lr": 3e-2, "weight_decay": 1.0, "seeds": 2,
              "steps": 300, "eval_every": 50},
    "full": {"group": "C23", "fraction": 0.75, "width": 256, "lr": 1e-2, "weight_decay": 1.0, "seeds": 4,
             "steps": 3000, "eval_every": 100},
    "paper": {"group": "C23", "fraction": 0.75, "width": 512, "lr": 1e-4, "weight_decay": 2.0, "seeds": 4,
              "steps": 25_000, "eval_every": 200},
}


def _swap_accuracy(model, x, y, test_mask, name: str):
    """Held-out accuracy (S,) of the trained first/second layers with ``name`` as the activation."""
    import torch

    from grokcheck.checks.training._models import activation

    sigma = activation(name)
    with torch.no_grad():
        h = torch.einsum("pi,sji->spj", x.to(model.w1.dtype), model.w1)  # (S, P, W)
        out = torch.bmm(sigma(h.double()), model.w2.double().transpose(1, 2))  # float64: e^x, x⁴ do not overflow
        right = (out.argmax(-1) == y[None, :]).double()
        w = test_mask.double()
        return ((right * w).sum(1) / w.sum(1).clamp_min(1.0)).cpu().numpy()


def _run_cell(cell, ctx):
    from grokcheck.checks.experiments._study import table_split_masks, train_on_table
    from grokcheck.checks.training._data import group_task
    from grokcheck.checks.training._models import MLPConfig, MLPNet
    from grokcheck.checks.training._optimizers import OptimizerConfig, build_optimizer
    from grokcheck.theory import group

    sp = cell.spec
    G = ctx.group if ctx.group is not None else group(sp["group"])
    seeds = list(cell.seeds)
    S = len(seeds)
    task = group_task(G, train_fraction=1.0, n_seeds=S, seed=ctx.seed, encoding="concat")
    model = MLPNet(MLPConfig(widths=(int(sp["width"]),), activation="relu", bias="none"), task, n_seeds=S,
                   seed=ctx.seed, device=ctx.device)
    opt = build_optimizer(model, OptimizerConfig("adamw", lr=float(sp["lr"]), weight_decay=float(sp["weight_decay"])),
                          seed=ctx.seed)
    masks = table_split_masks(G.order**2, [sp["fraction"]], seeds, ctx.seed, device=ctx.device)
    steps = ctx.steps(sp["steps"])
    x, y = task.x.to(ctx.device), task.y.to(ctx.device)
    rec = train_on_table(model, x, y, masks, opt, steps=steps, eval_every=min(int(sp["eval_every"]), steps), loss="ce")
    test = ~masks
    acc = {name: _swap_accuracy(model, x, y, test, name) for name in ("relu",) + SUCCEED + FAIL}
    n_test = test.sum(1).cpu().numpy()
    return {s: {"alive": bool(rec["alive"][j]), "n_test": int(n_test[j]), "curve_test": rec["test_acc"][j].tolist(),
                "accuracy": {k: float(v[j]) for k, v in acc.items()}} for j, s in enumerate(seeds)}


def _analyze(settings, results, ctx):
    (key,) = results
    per = results[key]
    members = [per[s] for s in sorted(per)]
    n = len(members)
    grok = [m for m in members if m["alive"] and m["accuracy"]["relu"] >= GROKKED]
    k = len(grok)
    decide = "more training steps or seeds (--budget full, or --budget paper for the blog's setting)"
    figures = {} if getattr(ctx, "simulating", False) else {
        f"activation_swap_{key}.png": lambda path: _plot(path, group_of(settings, ctx), members)}
    if k == 0 or k < math.ceil(n / 2):
        climbing = still_improving([m["curve_test"] for m in members if m["alive"]])
        sf = regime_shortfall(k, n, needed=math.ceil(n / 2), event="grokking (held-out ReLU accuracy ≥ 0.95)",
                              decide=decide, still_improving=climbing)
        return Outcome(verdict=inconclusive(), statistic=float("nan"), interval=(float("nan"), float("nan")),
                       reason=f"only {k}/{n} members grokked", shortfall=sf, decide=decide,
                       details={"per_member": [m["accuracy"] for m in members]}, figures=figures)
    even_min = {a: min(m["accuracy"][a] for m in grok) for a in SUCCEED}
    odd_max = {a: max(m["accuracy"][a] for m in grok) for a in FAIL}
    worst_even, worst_odd = min(even_min.values()), max(odd_max.values())
    words = (f"even activations' worst held-out accuracy {worst_even:.3f} "
             f"({min(even_min, key=even_min.get)}); odd activations' best {worst_odd:.3f} "
             f"({max(odd_max, key=odd_max.get)}); {k}/{n} members grokked")
    if worst_even >= KEEPS and worst_odd <= FALLS:
        verdict = Verdict.PASS
    elif worst_even < 0.5 or worst_odd >= 0.9:
        verdict = Verdict.FAIL
    else:
        verdict = inconclusive()
    # the statistic: the gap between the worst success and the best failure (claim: ≳ 1 − 1/|G|)
    gap = worst_even - worst_odd
    if getattr(ctx, "simulating", False):
        return Outcome(verdict=verdict, statistic=gap, interval=(gap, gap), reason=words)
    details = {"group": group_of(settings, ctx), "members": n, "grokked": k,
               "even_min_accuracy": even_min, "odd_max_accuracy": odd_max,
               "per_member": [m["accuracy"] for m in members],
               "blog": {"abs/sqr/quartic/softplus2/exp": 1.0, "identity": 0.041, "cube": 0.036}}
    return Outcome(verdict=verdict, statistic=gap, interval=(gap, gap), predicted=1.0, reason=words, details=details,
                   test=f"held-out accuracy of {k} grokked members with each swapped activation (min over members "
                        "for the even ones, max for the odd ones)", n_seeds=n, decide=decide, figures=figures)


def _plot(path, gname, members):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from grokcheck.checks._io import atomic_save_figure

    names = ("relu",) + SUCCEED + FAIL
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for j, m in enumerate(members):
        ax.plot(range(len(names)), [m["accuracy"][a] for a in names], "o", alpha=0.7, label=f"seed {j}")
    ax.axvspan(0.5, len(SUCCEED) + 0.5, color="C2", alpha=0.08, label="claimed to keep the accuracy")
    ax.axvspan(len(SUCCEED) + 0.5, len(names) - 0.5, color="C3", alpha=0.08, label="claimed to fail")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right")
    ax.set_ylim(-0.03, 1.03)
    ax.set_ylabel("held-out accuracy")
    ax.set_title(f"ReLU MLP on {gname}: activation swapped at test time")
    ax.legend(fontsize=7)
    fig.tight_layout()
    atomic_save_figure(fig, path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- rivals and settings

def _model(even_ok: bool, odd_ok: bool):
    def simulate(settings, noise, rng):
        from grokcheck.theory import group

        order = group(str(settings["group"])).order
        n_test = max(1, round((1 - float(settings["fraction"])) * order * order))
        chance = 1.0 / max(order, 2)
        out = {}
        for s in range(int(settings["seeds"])):
            acc = {"relu": 1.0}  # the claim is about a network that grokked
            for a in SUCCEED:
                acc[a] = rng.binomial(n_test, 0.99 if even_ok else chance) / n_test
            for a in FAIL:
                acc[a] = rng.binomial(n_test, 0.99 if odd_ok else chance) / n_test
            out[s] = {"alive": True, "n_test": n_test, "curve_test": [acc["relu"]] * 5, "accuracy": acc}
        return {"G": out}

    return simulate


DESIGN = Design(
    claim=Model("even succeed, odd fail", "|x|, x², x⁴, softplus, eˣ keep the accuracy; x, x³ fall to chance",
                _model(True, False)),
    rivals=(Model("any activation works", "every swapped activation keeps the accuracy (no parity law)",
                  _model(True, True)),
            Model("only ReLU works", "every swapped activation falls to chance", _model(False, False))),
    noise=lambda settings, results: {}, stated_noise=lambda settings: {},
    enlarge=more_seeds,
    enlarge_words=more_seeds_words)

SETTING = {
    "small": proxy(f"ReLU MLP on {BUDGETS['small']['group']}, width {BUDGETS['small']['width']}, AdamW lr "
                   f"{BUDGETS['small']['lr']}, {BUDGETS['small']['steps']} steps",
                   "C7 instead of C23", "width 64 instead of 512", "lr 3e-2 and weight decay 1 instead of 1e-4 and 2",
                   "concatenated instead of summed one-hot inputs"),
    "full": proxy(f"ReLU MLP on C23, width 256, AdamW lr 1e-2, {BUDGETS['full']['steps']:,} steps",
                  "width 256 instead of 512", "lr 1e-2 and weight decay 1 instead of 1e-4 and 2",
                  "concatenated instead of summed one-hot inputs"),
    "paper": Setting("paper", "the blog's p = 23 ReLU MLP, 75% of the pairs, AdamW lr 1e-4, weight decay 2 "
                              "(concatenated one-hot inputs: grokcheck's group encoding)"),
}

ACTIVATION_SWAP = Experiment(
    id="he.activation-swap",
    claim=("Swapping the activation of a trained ReLU network at test time: |x|, x², x⁴, log(1+e^{2x}) and eˣ keep "
           "the accuracy; x and x³ fall to chance (the odd part of the activation cancels over the neurons)."),
    source="He et al., arXiv 2606.02993, and its precursor arXiv 2602.16849, in the wording of the authors' blog "
           "(the paper's text is not available to grokcheck)",
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
