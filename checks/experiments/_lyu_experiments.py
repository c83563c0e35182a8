"""Lyu et al. (ICLR 2024): t_grok ≈ (1/λ)·log α on a group task, misgrokking, matrix-completion grokking.

``lyu.group-grok-time`` — Theorems 3.4/3.5 (classification) and 3.9/3.10 (regression) predict
that a large initialisation (scale α) with a small weight decay λ stays in the kernel regime until
continuous time ``t ≈ (1/λ) log α``, when the rich regime takes over and the test accuracy jumps.
At fixed λ the slope of ``t_grok`` against ``log α`` is therefore ``1/λ``: the α-independent
corrections (e.g. ``−(1/L) log log(1/λ)``) cancel. Study: a two-layer ReLU MLP on a group table
(He initialisation of ``W₁`` multiplied by α, ``W₂ = 0`` so the initial output is zero), full-batch
gradient descent with weight decay λ, a grid α × λ × seeds — every (α, λ, seed) a member of one
batched model, with its own learning rate, weight decay and clock. ``t_grok`` is the first logged
continuous time with test accuracy ≥ 0.95. Statistic: the pooled within-λ OLS slope of
``λ·t_grok`` on ``log α`` (one intercept per λ, Student-t 95% interval); the prediction is 1.

Two settings:

* ``small`` / ``full`` — the theorems' own hypotheses: ``W₂ ReLU(W₁x)`` without bias is exactly
  2-homogeneous (Assumption 3.1), trained with the centred squared loss (the regression case).
  The step is scale-adaptive, ``η_t = η₀·min(1, ‖θ̄‖²/‖θ_t‖²)`` per member with ``‖θ̄‖`` its
  α = 1 norm: the kernel of a 2-homogeneous net scales like ``‖θ‖²``, so this keeps every member
  at the same fraction of its stability limit as weight decay shrinks ``θ`` from ``α θ̄``, and the
  time is ``t = Σ η_t`` (a discretisation of the same gradient flow; a fixed ``η₀/α²`` would cost
  ``α²`` times more steps in the rich phase). ``full``: C23, 60% of the pairs, width 128,
  α ∈ {2, 4, 8} × λ ∈ {0.004, 0.006, 0.008} × 4 seeds, logged every 10 steps (2000 evaluations:
  the grokking jump is sharp, and a coarser clock would quantise ``λ·t`` by more than the band);
  7 min 52 s of one core. Measured: all 36 runs grok and the slope is 1.18 [0.94, 1.43] —
  INCONCLUSIVE by the rule (with 2 seeds it was 1.00 [0.55, 1.45]): the prediction is inside the
  interval, and so are slopes up to 1.4; at these small α the step from α = 2 to 4 costs more than
  ``log 2/λ`` and the step from 4 to 8 about that.
* ``paper`` — Lyu et al.'s §2 run: ``W₂ ReLU(W₁x + b₁)`` (not homogeneous because of ``b₁``),
  cross-entropy, C97, 40%, width 1024, their constant step 0.002, α ∈ {1, 10, 30, 100} ×
  λ ∈ {1, 2, 4}·10⁻⁴ — 6.3·10⁷ steps, GPU-days.

Why not the paper's classification setting on a CPU: it has no sharp jump at the sizes a ``full``
budget allows. With α = 1 on C23, 80% of the pairs, width 256, lr 0.2 and λ = 0.002, two seeds fit
the training pairs within 2,000 steps and then climb slowly over 10⁵ steps (t = 40/λ, 5.7 min):
to test accuracy 0.82 (never 0.95) and 0.98 (0.95 at t ≈ 11/λ) — ``grokcheck train C23 --model mlp
--width 256 --zero-last --optimizer sgd --lr 0.2 --weight-decay 0.002 --loss ce --train-fraction 0.8
--seeds 2 --steps 100000 --out RUN``. With half the pairs (``--train-fraction 0.5 --weight-decay
0.003 --steps 15000``) both seeds memorise with test accuracy 0.00, below chance. The homogeneous
squared-loss net groks sharply instead: at α = 1 with the constant step 0.5, λ·t_grok = 3.72, 3.60
at λ = 0.002 and 3.92, 3.96 at λ = 0.004 (so ``t ∝ 1/λ``) — ``grokcheck train C23 --model mlp
--width 256 --bias none --zero-last --optimizer sgd --lr 0.5 --weight-decay 0.002 --loss
mse_centered --train-fraction 0.6 --seeds 2 --steps 8000 --eval-every 20 --out RUN``.

Decision rule (:data:`GROUP_DECISION`, shared by the three slope experiments): an equivalence test
of the slope's interval against the band ``1 ± 1/log ᾱ`` (:func:`law_band`, ᾱ the grid's
geometric-mean α). The band comes from the claim, not from a run: the theorems fix
``t = (log α + o(log α))/λ`` only as α → ∞; their lower-order terms are α-independent at fixed λ
(the kernel exit ``−(1/L) log log(1/λ)``, the rich phase's ``o((1/λ) log(1/λ))``), which the
per-λ intercepts absorb; a remaining term of order ``log log α`` — the order of Theorem 3.4's
normalisation ``Z(α) = log(α^c/λ)/γ`` — moves the slope by ``1/log α``. So the band is 0.44 at
α ∈ {3, 10, 30}, 0.72 at {2, 4, 8} (where λ·t_grok's α-independent part, 4–6, exceeds log α ≤ 2.1:
the law's leading term does not dominate there, and the wide band says so) and 0.29 at
{16, 32, 64}. An interval that excludes 1 is reported as such even inside the band. Fewer than
3 λ values with transitions at ≥ 2 α is a shortfall (INCONCLUSIVE, never FAIL). Rivals
(:data:`LAW_RIVALS`: slope 0, ½ and 2) are simulated at the run's measured intercepts and scatter;
a PASS stands only if each is excluded with power ≥ 0.8, else INCONCLUSIVE naming the α grid that
would separate it (at {2, 4, 8} the band contains ½, so the ``full`` budget cannot exclude "half
the effect"; α ∈ {4, 8, 16} can).

``lyu.group-table-completion`` — the law on a group's multiplication table as a regression task
(§3.3's matrix-completion theorems, Cor. 3.11 and Thm 3.12, applied to a group: our construction,
not an experiment of the paper). The bilinear net ``f(g, h) = (UUᵀ − VVᵀ)_{gh}`` — a 2-homogeneous
two-layer linear net on the one-hot pair ``(e_g, e_h)``, zero output at ``U = V = αI`` — is fitted to
``X*[g, h] = Re χ(gh)/χ(1)`` on a random fraction of the ``|G|²`` pairs
(:func:`~grokcheck.checks.experiments.character_table_target`; rank ``d²`` or ``2d²``, so low rank
when ``d² ≪ |G|``). In the kernel phase the unobserved pairs stay at 0 (the test loss sits at its
plateau); at ``t ≈ log α/λ`` the rich phase's minimum-nuclear-norm fit completes the table. The
statistic is the group task's version of the one above: per group, the pooled within-λ slope of
``λ·t`` on ``log α`` (t: first logged time with test loss ≤ ½ plateau), Student-t 95%, decided
against the band 1 ± 1/log ᾱ (:data:`TABLE_DECISION`). Budgets: ``small`` C7 (seconds; two λ, so INCONCLUSIVE
by design), ``full`` C31 through a faithful linear character (rank 2, 30% observed) and S4 through
its 2-dimensional irrep (rank 4, 40%), α ∈ {3, 10, 30} × λ ∈ {0.0025, 0.005, 0.01} × 2 seeds
(2 min 9 s of one core, measured), ``paper`` C97 and S5 (4-dimensional irrep, rank 16) at the
paper's λ ∈ [10⁻⁴, 4·10⁻⁴] and α up to 100. ``verify G --budget full`` runs it on ``G`` through its smallest irrep of degree ≥ 2, or a linear
character when ``G`` is Abelian, with the observed fraction raised to ``3r/|G|`` for a rank-``r``
target. It is NOT APPLICABLE when that fraction exceeds 0.6 (the target is not low rank, Thm
3.12's hypothesis: e.g. A4's 3-dim irrep, rank 9 of 12), and, as a budget limit, above order 48 or when the grid would need more than
4·10⁵ GD steps — small tables, since the stable step is ∝ (observed pairs)/α² (S3 would need 2.5·10⁶).

``lyu.misgrokking`` — §3.2: on data where the L² margin generalises and the L¹ margin does not,
a diagonal net's test accuracy first reaches ≈ 100% (kernel phase) and then falls to about 1/2
after ``t ≈ log α/λ`` (:func:`~grokcheck.checks.experiments.misgrokking_data`). Statistic: the
mean over seeds of (peak − final) test accuracy with a t-interval. The claim names two levels, the
peak ≈ 1 and the end point ≈ 1/2, so the decision is made at the midpoint m = (peak + 1/2)/2 between
"no fall" and "the claimed fall" (a bar taken from the claim, not from our runs): PASS if the mean
peak's interval lies above 0.9 (the kernel phase generalises) and the mean final accuracy's interval
lies below m; FAIL if the final accuracy's interval lies above m in a run to at least twice
log α/λ; INCONCLUSIVE otherwise (e.g. at the CPU size d = 2·10⁴, where the L¹-margin classifier
of 32 points still generalises partly and the fall is slower than at the paper's d = 10⁵).

``lyu.matrix-completion-grok-time`` — §3.3: matrix completion with ``W = UUᵀ − VVᵀ`` from
``U = V = αI`` fits the observed entries at once and completes the matrix (the test loss drops)
at ``t ≈ log α/λ``. Statistic and rule as for the group task (λ·slope of the transition time on
log α, within 1 ± 1/log ᾱ), on :func:`~grokcheck.checks.experiments.grok_time_sweep`'s ``mc`` task.
"""

from __future__ import annotations

import math

import numpy as np

from grokcheck.checks._registry import Hypothesis, Shortfall, Verdict, regime_shortfall
from grokcheck.checks.experiments._rivals import Design, Model, Setting, equivalence, more_seeds, more_seeds_words, proxy
from grokcheck.checks.experiments._study import (Cell, Experiment, Outcome, first_crossing, group_cell_key, inconclusive,
                                                 t_interval)

__all__ = ["LYU_GROUP_GROK_TIME", "LYU_GROUP_TABLE", "LYU_MISGROKKING", "LYU_MC_GROK_TIME", "pooled_slope",
           "law_band", "LAW_BAND_REASON"]

#: the band's reason, in words (see :func:`law_band`)
LAW_BAND_REASON = ("the theorems fix t = (log α + o(log α))/λ only as α → ∞; their lower-order terms are "
                   "α-independent at fixed λ (absorbed by the per-λ intercepts) up to a correction of order "
                   "log log α — the order of the normalisation Z(α) = log(α^c/λ)/γ of Theorem 3.4 — which moves the "
                   "slope by 1/log α at the grid's geometric-mean α")


def law_band(alphas) -> float:
    """The band around slope 1 the claim allows at this α grid: ``1/log ᾱ``, ``ᾱ`` the geometric mean.

    A term ``κ·log log α`` (κ ≤ 1) added to ``λ·t`` changes its slope on ``log α`` by
    ``κ/log α``; the OLS slope over the grid sees it at about the geometric mean of the α
    values. α ∈ {3, 10, 30}: 0.44; {2, 4, 8}: 0.72; {16, 32, 64}: 0.29; {10, 100}: 0.29. The band
    depends only on the grid (fixed before a run), never on the run's results.
    """
    a = np.asarray([float(v) for v in alphas], dtype=float)
    mid = float(np.exp(np.mean(np.log(a))))
    return 1.0 / math.log(mid) if mid > 1 else math.inf


GROUP_DECISION = ("the Student-t 95% interval of the pooled within-λ slope of λ·t_grok on log α (one intercept per "
                  "λ) against the band 1 ± 1/log ᾱ (ᾱ: the grid's geometric-mean α; the slope change a log log α "
                  "term makes): PASS if it lies inside, FAIL if it lies outside, INCONCLUSIVE if it straddles an "
                  "edge or fewer than 3 λ values have ≥ 2 grokked α (the run did not reach the law's regime); an "
                  "interval that excludes 1 is reported as such; a PASS must also exclude the declared rivals "
                  "(slope 0, ½, 2) with simulated power ≥ 0.8")


def pooled_slope(x, y, groups, level: float = 0.95) -> tuple[float, float, float, int]:
    """Within-group OLS slope of ``y`` on ``x`` (one intercept per group) with its t-interval.

    Returns ``(slope, lo, hi, n_points)``; NaN when fewer than two distinct x in every group.
    """
    from scipy import stats

    x, y, g = (np.asarray(v, dtype=float) for v in (x, y, groups))
    ok = np.isfinite(x) & np.isfinite(y)
    x, y, g = x[ok], y[ok], g[ok]
    xt, yt, k = np.zeros_like(x), np.zeros_like(y), 0
    for v in np.unique(g):
        sel = g == v
        if sel.sum() >= 2 and np.ptp(x[sel]) > 0:
            xt[sel] = x[sel] - x[sel].mean()
            yt[sel] = y[sel] - y[sel].mean()
            k += 1
        else:
            xt[sel] = 0.0
            yt[sel] = 0.0
    sxx = float(xt @ xt)
    n = int(sum((g == v).sum() for v in np.unique(g) if (g == v).sum() >= 2 and np.ptp(x[g == v]) > 0))
    if sxx == 0 or n - k - 1 < 1:
        return (math.nan, math.nan, math.nan, n)
    b = float(xt @ yt) / sxx
    r = yt - b * xt
    s2 = float(r @ r) / (n - k - 1)
    half = float(stats.t.ppf(0.5 + level / 2, n - k - 1)) * math.sqrt(s2 / sxx)
    return (b, b - half, b + half, n)


def _band_verdict(b, lo, hi, n_lams_ok, alphas):
    """``(verdict, words, excludes_prediction)`` of the slope's interval against :func:`law_band`."""
    if n_lams_ok < 3 or not math.isfinite(lo):
        return inconclusive(), "fewer than 3 λ values with transitions at ≥ 2 α", False
    e = equivalence((lo, hi), 1.0, law_band(alphas), LAW_BAND_REASON, what="λ·slope")
    return e.verdict, e.words, e.excludes_prediction


def _law_shortfall(n_ok: int, n_lams: int, decide: str):
    return regime_shortfall(n_ok, n_lams, needed=3, event="transitions at ≥ 2 α values (λ values)", decide=decide)


# --------------------------------------------------------------------------- rivals of the slope law

#: the declared rival laws of the three slope experiments: λ·slope of the transition time on log α
LAW_RIVALS = ((0.0, "α-blind", "the transition ignores the initial scale (t ∝ 1/λ only): slope 0"),
              (0.5, "half the effect", "half the claimed dependence on log α: slope ½"),
              (2.0, "wrong clock", "the transition at 2·log α/λ (e.g. the squared norm's clock read as the norm's): "
                                   "slope 2"))

#: the noise of a slope study when the run gives none: λ·t scatters by 0.1 about its per-λ line (the
#: quantisation of a 400-evaluation clock over a horizon of 1.8·log 30/λ is 0.015; seeds add the rest)
STATED_LAW_SD = 0.1


def _law_noise(rows_by_key: dict) -> dict | None:
    """Per key (group), the per-λ intercepts of ``λ·t − log α`` and the residual sd about the within-λ fit."""
    out = {}
    for key, rows in rows_by_key.items():
        a, lam, t = _law_arrays(rows)
        ok = np.isfinite(t)
        if ok.sum() < 4:
            return None
        b, lo, hi, n = pooled_slope(np.log(a), lam * t, lam)
        if not math.isfinite(b):
            return None
        y = lam * t - b * np.log(a)
        icpt = {f"{v:g}": float(np.nanmean(y[(lam == v) & ok])) if ((lam == v) & ok).any() else 0.0
                for v in np.unique(lam)}
        res = np.concatenate([y[(lam == v) & ok] - np.mean(y[(lam == v) & ok]) for v in np.unique(lam)
                              if ((lam == v) & ok).sum() >= 2] or [np.zeros(0)])
        dof = max(1, res.size - len(icpt) - 1)
        out[key] = {"intercepts": icpt, "sd": float(max(math.sqrt(float(res @ res) / dof), 1e-3))}
    return out


def _law_rows(alphas, lambdas, slope, noise, rng):
    """One seed's synthetic rows: λ·t = slope·log α + c(λ) + N(0, sd²)."""
    rows = []
    for lam in lambdas:
        c = float(noise.get("intercepts", {}).get(f"{float(lam):g}", 0.0))
        for a in alphas:
            y = slope * math.log(float(a)) + c + float(noise["sd"]) * rng.standard_normal()
            rows.append({"alpha": float(a), "lambda": float(lam), "t_grok": y / float(lam)})
    return rows


def _law_design(simulate_for, keys_of) -> Design:
    """The slope experiments' :class:`Design`: claim slope 1 and :data:`LAW_RIVALS`, at the run's noise.

    ``keys_of(settings)``: the result keys (one per group, or the single cell); ``simulate_for(settings,
    key, seed, rows)``: the per-seed result in ``run_cell``'s format.
    """

    def gen(slope):
        def simulate(settings, noise, rng):
            out = {}
            for key in keys_of(settings, noise):
                nz = noise.get(key) or noise.get("*") or {"sd": STATED_LAW_SD}
                out[key] = {s: simulate_for(settings, key, s, _law_rows(settings["alphas"], settings["lambdas"],
                                                                        slope, nz, rng))
                            for s in range(int(settings["seeds"]))}
            return out

        return simulate

    def enlarge(settings, f):
        return {**settings, "alphas": [float(a) * f for a in settings["alphas"]]}

    def enlarge_words(settings, f):
        al = [float(a) * f for a in settings["alphas"]]
        return f"α ∈ {{{', '.join(f'{a:g}' for a in al)}}} (band ± {law_band(al):.2f})"

    return Design(
        claim=Model("slope 1", "the claim: λ·t = log α + c(λ)", gen(1.0)),
        rivals=tuple(Model(name, desc, gen(b)) for b, name, desc in LAW_RIVALS),
        noise=lambda settings, results: _law_noise({k: [r for s in sorted(v) for r in v[s]["cells"]]
                                                    for k, v in results.items()}),
        stated_noise=lambda settings: {"*": {"sd": STATED_LAW_SD}},
        enlarge=enlarge, enlarge_words=enlarge_words)


# --------------------------------------------------------------------------- the group task

GROUP_BUDGETS = {
    # small / full: the exactly 2-homogeneous net (ReLU, no bias) with the centred squared loss and the
    # scale-adaptive step; paper: Lyu et al.'s §2 run (b₁, cross-entropy, their constant step 0.002)
    "small": {"group": "C7", "fraction": 0.8, "width": 64, "bias": "none", "loss": "mse_centered",
              "alphas": [2.0, 4.0], "lambdas": [0.01, 0.02], "step": "adaptive", "lr0": 0.5, "horizon": 8.0,
              "seeds": 1, "evals": 100},
    "full": {"group": "C23", "fraction": 0.6, "width": 128, "bias": "none", "loss": "mse_centered",
             "alphas": [2.0, 4.0, 8.0], "lambdas": [0.004, 0.006, 0.008], "step": "adaptive", "lr0": 0.5,
             "horizon": 8.0, "seeds": 4, "evals": 2000},
    "paper": {"group": "C97", "fraction": 0.4, "width": 1024, "bias": "first", "loss": "ce",
              "alphas": [1.0, 10.0, 30.0, 100.0], "lambdas": [1e-4, 2e-4, 4e-4], "step": "constant", "lr0": 0.002,
              "horizon": 8.0, "seeds": 3, "evals": 400},
}


def _members(sp):
    return [(float(a), float(lam)) for lam in sp["lambdas"] for a in sp["alphas"]]


def _group_cells(settings, ctx):
    seeds = tuple(range(int(settings["seeds"])))
    spec = {k: v for k, v in settings.items() if k != "seeds"}
    return [Cell(key=settings["group"], spec=spec, seeds=seeds)]


def _group_steps(sp) -> int:
    """GD steps that take every member to continuous time ``(log α + horizon)/λ``.

    With the adaptive step the kernel phase (norm ``α e^{−λt}`` down to the α = 1 scale) costs
    ``∫ α² e^{−2λt} / η₀ dt ≤ α²/(2λη₀)`` steps and the rest ``horizon/(λη₀)``; with the constant
    step ``η₀`` it is ``(log α + horizon)/(λη₀)``.
    """
    lr0, h = float(sp["lr0"]), float(sp["horizon"])
    if sp["step"] == "adaptive":
        return int(math.ceil(max(a * a / (2 * lam * lr0) + h / (lam * lr0) for a, lam in _members(sp))))
    return int(math.ceil(max((math.log(a) + h) / (lam * lr0) for a, lam in _members(sp))))


def _group_run(cell, ctx):
    import torch

    from grokcheck.checks.experiments._study import table_split_masks, train_on_table
    from grokcheck.checks.training._data import group_task
    from grokcheck.checks.training._models import MLPConfig, build_model
    from grokcheck.checks.training._optimizers import OptimizerConfig, build_optimizer
    from grokcheck.theory import group

    sp = cell.spec
    G = group(sp["group"])
    n = G.order
    grid = _members(sp)
    seeds = list(cell.seeds)
    mem = [(a, lam, s) for (a, lam) in grid for s in seeds]
    S = len(mem)
    lr0 = float(sp["lr0"])
    steps = ctx.steps(_group_steps(sp))
    task = group_task(G, train_fraction=1.0, n_seeds=S, seed=ctx.seed, encoding="concat")
    model = build_model(MLPConfig(widths=(int(sp["width"]),), bias=sp["bias"], init="he", zero_last=True), task,
                        n_seeds=S, seed=ctx.seed, device=ctx.device)
    params = [p for p in model.parameters() if p.requires_grad]

    def norm2():
        return sum(p.detach().reshape(S, -1).double().pow(2).sum(1) for p in params)

    base = norm2()  # ‖θ̄‖² at the α = 1 scale (W₂ = 0), per member
    with torch.no_grad():
        for m, (a, _, _) in enumerate(mem):
            model.w1[m].mul_(a)
    opt = build_optimizer(model, OptimizerConfig("sgd", lr=tuple([lr0] * S), weight_decay=tuple(lam for _, lam, _ in mem)),
                          seed=ctx.seed)
    t = torch.zeros(S, dtype=torch.float64, device=ctx.device)
    adaptive = sp["step"] == "adaptive"

    def on_step(step, alive):
        # The kernel of a 2-homogeneous net scales like ‖θ‖², so η = η₀·min(1, ‖θ̄‖²/‖θ‖²) keeps every
        # member at the same fraction of its stability limit while the weight decay shrinks θ from
        # α·θ̄; t = Σ η is the gradient flow's time.
        if adaptive:
            lr = lr0 * torch.clamp(base / norm2(), max=1.0)
            opt.lr.copy_(lr.to(opt.lr.dtype))
        t.add_(opt.lr.double() * alive.double())

    masks = table_split_masks(n * n, [sp["fraction"]] * len(grid), seeds, ctx.seed, device=ctx.device)
    rec = train_on_table(model, task.x.to(ctx.device), task.y.to(ctx.device), masks, opt, steps=steps,
                         eval_every=max(1, steps // int(sp["evals"])), loss=sp["loss"], on_step=on_step,
                         callback=lambda step, m: {"time": t.cpu().tolist()})
    times = rec["time"]  # (S, T) continuous time at each logged step
    out = {s: {"cells": []} for s in seeds}
    for m, (a, lam, s) in enumerate(mem):
        out[s]["cells"].append({"alpha": a, "lambda": lam, "t_grok": first_crossing(times[m], rec["test_acc"][m], 0.95),
                                "t_mem": first_crossing(times[m], rec["train_acc"][m], 0.99),
                                "t_end": float(times[m, -1]),
                                "final_test": float(rec["test_acc"][m, -1]), "final_train": float(rec["train_acc"][m, -1]),
                                "times": times[m].tolist(), "test_curve": rec["test_acc"][m].tolist()})
    return out


def _law_arrays(rows):
    """``(α, λ, t)`` float arrays of result rows (``t`` NaN where the transition never came)."""
    a = np.array([r["alpha"] for r in rows], dtype=float)
    lam = np.array([r["lambda"] for r in rows], dtype=float)
    t = np.array([np.nan if r["t_grok"] is None else r["t_grok"] for r in rows], dtype=float)
    return a, lam, t


def _lambdas_with_two_alphas(a, lam, t) -> int:
    """How many λ values have a transition at ≥ 2 distinct α (a within-λ slope needs two)."""
    return sum(len(set(a[(lam == v) & np.isfinite(t)].tolist())) >= 2 for v in np.unique(lam))


def _draw_law(ax, a, lam, t, fitted=None):
    """``λ·t`` against ``log α``, one colour per λ, each with the law's slope-1 line through its points."""
    import matplotlib.pyplot as plt

    xs = np.linspace(np.log(a).min(), np.log(a).max(), 10)
    cols = plt.cm.viridis(np.linspace(0, 0.85, len(np.unique(lam))))
    for c, v in zip(cols, np.unique(lam)):
        sel = lam == v
        ax.plot(np.log(a[sel]), v * t[sel], "o", color=c, label=f"λ = {v:g}")
        if np.isfinite(t[sel]).any():  # the law through this λ's points: slope 1, its own intercept
            ax.plot(xs, xs + np.nanmean(v * t[sel] - np.log(a[sel])), "--", color=c, lw=1)
    label = "slope 1 (the law)"
    if fitted is not None and np.isfinite(fitted[0]):
        label += f"; fitted {fitted[0]:.2f} [{fitted[1]:.2f}, {fitted[2]:.2f}]"
    ax.plot([], [], "k--", lw=1, label=label)
    ax.set_xlabel("log α")


def _slope_outcome(rows, settings, ctx, *, title, fig_name):
    a, lam, tg = _law_arrays(rows)
    b, lo, hi, n = pooled_slope(np.log(a), lam * tg, lam)
    per_lam = {}
    for v in np.unique(lam):
        sel = (lam == v) & np.isfinite(tg)
        per_lam[f"{v:g}"] = {"grokked_alphas": sorted({float(x) for x in a[sel]}),
                             "ratio_t_lambda_over_log_alpha": (tg[sel] * v / np.log(a[sel])).tolist()}
    n_ok = _lambdas_with_two_alphas(a, lam, tg)
    verdict, words, excl = _band_verdict(b, lo, hi, n_ok, settings["alphas"])
    reason = (f"pooled λ·slope {b:.3f} [{lo:.3f}, {hi:.3f}] over {n} grokked runs; {n_ok} of {len(per_lam)} λ values "
              f"have ≥ 2 grokked α; {words}")
    decide = "a longer horizon or more seeds (--budget full; --budget paper on a GPU)"
    shortfall = _law_shortfall(n_ok, len(per_lam), decide)
    details = {"per_lambda": per_lam, "n_runs": len(rows), "n_grokked": int(np.isfinite(tg).sum()),
               "band": {"half_width": law_band(settings["alphas"]), "reason": LAW_BAND_REASON},
               "interval_excludes_prediction": excl,
               "interval_method": "within-λ OLS (one intercept per λ), Student-t 95%"}
    if getattr(ctx, "simulating", False):
        return Outcome(verdict=verdict, statistic=b, interval=(lo, hi), predicted=1.0, reason=reason,
                       shortfall=shortfall)

    def draw(path):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from grokcheck.checks._io import atomic_save_figure

        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        ax.set_title(title)
        if not np.isfinite(tg).any():  # nothing to draw: say so instead of an empty frame and a "nan" legend
            ax.text(0.5, 0.5, f"no member grokked within the horizon\n({len(tg)} runs over α = "
                    f"{', '.join(f'{x:g}' for x in np.unique(a))}; λ = {', '.join(f'{x:g}' for x in np.unique(lam))})",
                    ha="center", va="center", transform=ax.transAxes, wrap=True)
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            _draw_law(ax, a, lam, tg, (b, lo, hi))
            ax.set_ylabel("λ · t_grok (continuous time)")
            ax.legend(fontsize=8, framealpha=0.6)
        fig.tight_layout()
        atomic_save_figure(fig, path, dpi=110)
        plt.close(fig)

    return Outcome(verdict=verdict, statistic=b, interval=(lo, hi), predicted=1.0, reason=reason, details=details,
                   figures={fig_name: draw}, test="pooled within-λ OLS slope of λ·t_grok on log α, Student-t 95%",
                   n_seeds=int(settings["seeds"]), decide=decide, shortfall=shortfall)


def _group_analyze(settings, results, ctx):
    (key,) = results
    rows = [r for s in sorted(results[key]) for r in results[key][s]["cells"]]
    model = "ReLU MLP" + (" (no bias)" if settings["bias"] == "none" else " with b₁")
    loss = {"mse_centered": "squared loss", "ce": "cross-entropy"}.get(settings["loss"], settings["loss"])
    out = _slope_outcome(rows, settings, ctx, title=f"Lyu et al.'s law on {settings['group']}: {model}, {loss}, GD",
                         fig_name=f"lyu_group_grok_time_{key}.png")
    out.details.update({"group": settings["group"], "loss": settings["loss"],
                        "final_test_acc": [r.get("final_test") for r in rows]})
    return out


_GROUP_PROXY = proxy(
    "a bias-free ReLU MLP (width 128) with the centred squared loss on C23 at 60%, α ∈ {2, 4, 8}",
    "the theorems' exactly 2-homogeneous net and squared loss (Thms 3.9–3.10), not §2's W₂ReLU(W₁x + b₁) with "
    "cross-entropy",
    "C23 at 60% of the pairs and width 128, not C97 at 40% and width 1024",
    "a scale-adaptive step η₀·min(1, ‖θ̄‖²/‖θ‖²), not the constant step 0.002",
    "α ∈ {2, 4, 8}, where λ·t_grok's α-independent part (≈ 4–6) exceeds log α (≤ 2.1), not α up to 100")

LYU_GROUP_GROK_TIME = Experiment(
    id="lyu.group-grok-time",
    claim="Lyu et al.: on a group task the test accuracy jumps at t_grok ≈ (1/λ)·log α, so λ·(slope of t_grok on "
          "log α) = 1 over an (α, λ) grid.",
    source="Lyu, Jin, Li, Du, Lee, Hu, arXiv 2311.18817 (ICLR 2024), Theorems 3.4–3.5 and §2 (modular addition)",
    budgets=GROUP_BUDGETS,
    cells=_group_cells,
    run_cell=_group_run,
    analyze=_group_analyze,
    decision_rule=GROUP_DECISION,
    design=_law_design(lambda settings, key, seed, rows: {"cells": rows},
                       lambda settings, noise: [settings["group"]]),
    setting={"small": proxy("the full budget's net and loss on C7 at 80%, width 64, α ∈ {2, 4} (a smoke test)",
                           *_GROUP_PROXY.differences),
             "full": _GROUP_PROXY,
             "paper": Setting("paper", "§2: W₂ReLU(W₁x + b₁), cross-entropy, C97 at 40%, width 1024, "
                                                       "constant step 0.002, α up to 100")},
)


# --------------------------------------------------------------------------- misgrokking

MIS_DECISION = ("with m = (mean peak + 1/2)/2, the midpoint between no fall and the claimed fall to 1/2: PASS if the "
                "t-interval of the mean peak test accuracy lies above 0.9 and that of the mean final test accuracy "
                "below m; FAIL if the final accuracy's interval lies above m in a run to at least twice log α/λ; "
                "INCONCLUSIVE otherwise")

MIS_BUDGETS = {
    "small": {"n": 32, "d": 200, "gamma": 25.0, "n_test": 300, "alpha": 10.0, "lambda": 1e-2, "eta_lambda": 2e-3,
              "horizon": 1.0, "seeds": 2, "evals": 50},
    "full": {"n": 32, "d": 20000, "gamma": 25.0, "n_test": 2000, "alpha": 10.0, "lambda": 1e-2, "eta_lambda": 2e-3,
             "horizon": 3.0, "seeds": 4, "evals": 300},
    "paper": {"n": 32, "d": 100_000, "gamma": 25.0, "n_test": 10_000, "alpha": 128.0, "lambda": 1e-3,
              "eta_lambda": 1e-5, "horizon": 2.0, "seeds": 5, "evals": 400},
}


def _mis_cells(settings, ctx):
    return [Cell(key="misgrok", spec={k: v for k, v in settings.items() if k != "seeds"},
                 seeds=tuple(range(int(settings["seeds"]))))]


def _mis_run(cell, ctx):
    from grokcheck.checks.experiments._diagonal_net import misgrokking_data, train_diagonal_nets

    sp = cell.spec
    seeds = [int(np.random.SeedSequence([ctx.seed, s, 7]).generate_state(1)[0]) for s in cell.seeds]
    # a smoke run (max_steps set) keeps the paper's d but only 100 test points: 10⁴ × 10⁵ float64 is 8 GB
    n_test = int(sp["n_test"]) if ctx.max_steps is None else min(int(sp["n_test"]), 100)
    data = misgrokking_data(n=int(sp["n"]), d=int(sp["d"]), gamma=float(sp["gamma"]), n_test=n_test, seeds=seeds)
    lr = float(sp["eta_lambda"]) / float(sp["lambda"])
    steps = ctx.steps(int(math.ceil(sp["horizon"] * math.log(sp["alpha"]) / (lr * sp["lambda"]))))
    run = train_diagonal_nets(data, alphas=[sp["alpha"]], lambdas=[sp["lambda"]], lrs=lr, steps=steps,
                              eval_every=max(1, steps // int(sp["evals"])), snapshot_fractions=(), reference=False)
    out = {}
    for j, s in enumerate(cell.seeds):
        te = run.test_acc[j, 0]
        out[s] = {"peak": float(np.nanmax(te)), "final": float(te[-1]), "times": run.times[0].tolist(),
                  "test_curve": te.tolist(), "predicted_switch": float(math.log(sp["alpha"]) / sp["lambda"])}
    return out


def _mis_analyze(settings, results, ctx):
    per = results["misgrok"]
    peak = t_interval([per[s]["peak"] for s in per])
    final = t_interval([per[s]["final"] for s in per])
    drop = t_interval([per[s]["peak"] - per[s]["final"] for s in per])
    # the claim's two levels (peak ≈ 1, end ≈ 1/2) decide at their midpoint, not a bar fitted on a run
    mid = (peak[0] + 0.5) / 2
    shortfall = None
    if peak[1] > 0.9 and final[2] < mid:
        verdict = Verdict.PASS
    elif final[1] > mid:
        verdict = Verdict.FAIL
        if settings["horizon"] < 2:  # the fall is claimed after log α/λ: a run that stopped before twice it is short
            shortfall = Shortfall(f"the run stopped at {settings['horizon']:g}·log α/λ, before twice the predicted "
                                  "switch time", "a horizon of at least 2·log α/λ")
    else:
        verdict = inconclusive()
    reason = (f"peak test accuracy {peak[0]:.3f} [{peak[1]:.3f}, {peak[2]:.3f}], final {final[0]:.3f} "
              f"[{final[1]:.3f}, {final[2]:.3f}], midpoint {mid:.3f}")
    if getattr(ctx, "simulating", False):
        return Outcome(verdict=verdict, statistic=drop[0], reason=reason, shortfall=shortfall)

    def draw(path):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from grokcheck.checks._io import atomic_save_figure

        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        for s in sorted(per):
            ax.plot(np.maximum(per[s]["times"], 1e-3), per[s]["test_curve"], lw=1)
        ax.axvline(per[sorted(per)[0]]["predicted_switch"], color="k", ls="--", lw=1, label="log α / λ")
        ax.set_xscale("log")
        ax.set_xlabel("continuous time t = η·steps")
        ax.set_ylabel("test accuracy")
        ax.set_title(f"misgrokking: diagonal net, α = {settings['alpha']:g}, λ = {settings['lambda']:g}")
        ax.legend(fontsize=8)
        fig.tight_layout()
        atomic_save_figure(fig, path, dpi=110)
        plt.close(fig)

    return Outcome(verdict=verdict, statistic=drop[0], interval=(drop[1], drop[2]), predicted="peak ≈ 1, final ≈ 1/2",
                   reason=reason, details={"peak": list(peak), "final": list(final),
                                           "interval_method": "Student-t 95% over seeds"},
                   figures={"lyu_misgrokking.png": draw}, test="mean (peak − final) test accuracy, Student-t 95%",
                   n_seeds=int(settings["seeds"]), decide="more seeds or a longer horizon", shortfall=shortfall)


#: stated between-seed spreads of the peak and final test accuracy when a run gives none (a test set of
#: 2,000 points has a binomial sd of 0.011 at 50%; seeds' data sets add the rest)
STATED_MIS_NOISE = {"peak": 0.99, "sd_peak": 0.01, "sd_final": 0.05}


def _mis_noise(settings, results):
    per = results.get("misgrok") or {}
    if len(per) < 2:
        return None
    pk = np.array([per[s]["peak"] for s in per], dtype=float)
    fi = np.array([per[s]["final"] for s in per], dtype=float)
    return {"peak": float(pk.mean()), "sd_peak": float(max(pk.std(ddof=1), 1e-3)),
            "sd_final": float(max(fi.std(ddof=1), 1e-3))}


def _mis_model(level):
    """Final accuracy at ``level(peak)``: the claim ½, or a rival's level."""

    def simulate(settings, noise, rng):
        out = {}
        for s in range(int(settings["seeds"])):
            pk = float(min(1.0, noise["peak"] + noise["sd_peak"] * rng.standard_normal()))
            fi = float(np.clip(level(noise["peak"]) + noise["sd_final"] * rng.standard_normal(), 0.0, 1.0))
            out[s] = {"peak": pk, "final": fi}
        return {"misgrok": out}

    return simulate


MIS_DESIGN = Design(
    claim=Model("fall to ½", "the claim: the test accuracy falls from its peak to ≈ ½", _mis_model(lambda p: 0.5)),
    rivals=(Model("no fall", "the kernel phase's accuracy persists (no misgrokking)", _mis_model(lambda p: p)),
            Model("half the fall", "the accuracy falls half-way, to (peak + ½)/2", _mis_model(lambda p: (p + 0.5) / 2))),
    noise=_mis_noise, stated_noise=lambda settings: dict(STATED_MIS_NOISE),
    enlarge=more_seeds,
    enlarge_words=more_seeds_words)

LYU_MISGROKKING = Experiment(
    id="lyu.misgrokking",
    claim="Lyu et al. §3.2: when the L² margin generalises and the L¹ margin does not, the test accuracy of a "
          "diagonal net first reaches ≈ 100% and then falls to ≈ 50% after t ≈ log α / λ (misgrokking).",
    source="Lyu et al., arXiv 2311.18817, §3.2 (misgrokking) and Cor. 3.6–3.7",
    budgets=MIS_BUDGETS,
    cells=_mis_cells,
    run_cell=_mis_run,
    analyze=_mis_analyze,
    decision_rule=MIS_DECISION,
    design=MIS_DESIGN,
    setting={b: proxy(f"n = 32, d = {MIS_BUDGETS[b]['d']:,}, α = {MIS_BUDGETS[b]['alpha']:g}, "
                      f"λ = {MIS_BUDGETS[b]['lambda']:g}",
                      f"d = {MIS_BUDGETS[b]['d']:,}, not 10⁵ (the L¹-margin classifier of 32 points still "
                      "generalises partly at smaller d)",
                      f"initial norm α = {MIS_BUDGETS[b]['alpha']:g} and λ = {MIS_BUDGETS[b]['lambda']:g}, not 128 "
                      "and 1e-3 (a CPU-sized log α/λ)")
             for b in ("small", "full")}
    | {"paper": Setting("paper", "§3.2 with the released code's sizes: n = 32, d = 10⁵, γ = 25, α = 128, λ = 1e-3")},
)


# --------------------------------------------------------------------------- matrix completion

MC_BUDGETS = {
    "small": {"alphas": [3.0, 10.0], "lambdas": [2e-2, 4e-2], "d": 12, "fraction": 0.3, "horizon": 1.4, "seeds": 1},
    "full": {"alphas": [3.0, 10.0, 30.0], "lambdas": [5e-3, 1e-2, 2e-2], "d": 40, "fraction": 0.2, "horizon": 1.8,
             "seeds": 2},
    "paper": {"alphas": [3.0, 10.0, 30.0, 100.0], "lambdas": [1e-4, 2e-4, 4e-4], "d": 97, "fraction": 0.05,
              "horizon": 2.0, "seeds": 3},
}


def _mc_cells(settings, ctx):
    return [Cell(key="mc", spec={k: v for k, v in settings.items() if k != "seeds"},
                 seeds=tuple(range(int(settings["seeds"]))))]


def _mc_run(cell, ctx):
    from grokcheck.checks.experiments._grok_time import grok_time_sweep

    sp = cell.spec
    seeds = [int(np.random.SeedSequence([ctx.seed, s, 11]).generate_state(1)[0]) % (2**31) for s in cell.seeds]
    kw = {"d": int(sp["d"]), "fraction": float(sp["fraction"]), "horizon": float(sp["horizon"])}
    if ctx.max_steps is not None:
        # a smoke run: the horizon that gives about max_steps steps (the sweep's lr rule: min(0.1, n/(16α²)))
        n_obs = round(kw["fraction"] * kw["d"] ** 2)
        per_unit = max(math.log(a) / (lam * min(0.1, n_obs / (16 * a * a))) for a in sp["alphas"] for lam in sp["lambdas"])
        kw["horizon"] = min(kw["horizon"], ctx.max_steps / per_unit)
    sw = grok_time_sweep("mc", alphas=sp["alphas"], lambdas=sp["lambdas"], seeds=seeds, **kw)
    out = {}
    for j, s in enumerate(cell.seeds):
        out[s] = {"cells": [{"alpha": float(a), "lambda": float(lam), "t_grok": float(t)}
                            for a, lam, t in zip(sw.alphas, sw.lambdas, sw.t_grok[j])]}
    return out


def _mc_analyze(settings, results, ctx):
    rows = [r for s in sorted(results["mc"]) for r in results["mc"][s]["cells"]]
    return _slope_outcome(rows, settings, ctx, title="Lyu et al.'s law in matrix completion (W = UUᵀ − VVᵀ)",
                          fig_name="lyu_mc_grok_time.png")


LYU_MC_GROK_TIME = Experiment(
    id="lyu.matrix-completion-grok-time",
    claim="Lyu et al. §3.3: matrix completion from U = V = αI groks (the test loss drops) at t ≈ log α / λ, so "
          "λ·(slope of t_grok on log α) = 1.",
    source="Lyu et al., arXiv 2311.18817, §3.3, Cor. 3.11 and Thm 3.12",
    budgets=MC_BUDGETS,
    cells=_mc_cells,
    run_cell=_mc_run,
    analyze=_mc_analyze,
    decision_rule=GROUP_DECISION.replace("t_grok", "the transition time"),
    design=_law_design(lambda settings, key, seed, rows: {"cells": rows}, lambda settings, noise: ["mc"]),
    setting={b: proxy(f"the rank-one target ij/d² at d = {MC_BUDGETS[b]['d']}, {MC_BUDGETS[b]['fraction']:.0%} "
                      "observed, larger λ",
                      f"d = {MC_BUDGETS[b]['d']} and {MC_BUDGETS[b]['fraction']:.0%} observed, not d = 97 and 5%",
                      f"λ ∈ {MC_BUDGETS[b]['lambdas']}, not 1e-4, so that log α/λ fits a CPU")
             for b in ("small", "full")}
    | {"paper": Setting("paper", "§3.3: d = 97, 5% observed, λ around 1e-4 (α grid around the paper's α = 10)")},
)


# --------------------------------------------------------------------------- the group table, completed

TABLE_BUDGETS = {
    # each group: [name, degree of the character, observed fraction of the |G|² table]
    "small": {"groups": [["C7", 1, 0.6]], "alphas": [3.0, 10.0], "lambdas": [0.02, 0.04], "horizon": 1.8,
              "seeds": 1, "fraction": 0.6},
    "full": {"groups": [["C31", 1, 0.3], ["S4", 2, 0.4]], "alphas": [3.0, 10.0, 30.0],
             "lambdas": [0.0025, 0.005, 0.01], "horizon": 1.8, "seeds": 2, "fraction": 0.4},
    "paper": {"groups": [["C97", 1, 0.1], ["S5", 4, 0.3]], "alphas": [3.0, 10.0, 30.0, 100.0],
              "lambdas": [1e-4, 2e-4, 4e-4], "horizon": 2.0, "seeds": 3, "fraction": 0.3},
}

TABLE_DECISION = ("per group, the Student-t 95% interval of the pooled within-λ slope of λ·t (t: first time the "
                  "test loss is ≤ half its kernel-phase plateau) on log α, against the band 1 ± 1/log ᾱ (ᾱ: the "
                  "grid's geometric-mean α; the slope change a log log α term makes): PASS if every group's "
                  "interval lies inside, FAIL if some group's lies outside, INCONCLUSIVE otherwise (an interval "
                  "straddling an edge, or a group with < 3 λ values having ≥ 2 transitions: the run did not reach "
                  "the law's regime); an interval that excludes 1 is reported as such; a PASS must also exclude "
                  "the declared rivals (slope 0, ½, 2) with simulated power ≥ 0.8")

TABLE_MAX_ORDER = 48  # |G|³ work per step: C31 takes ~45 s of one core at the full budget, |G| = 48 about 4× that
TABLE_MAX_STEPS = 400_000  # the GD steps a grid may need below the paper budget (S4 at full: 153k, 36 s)


def _table_choice(G, settings) -> tuple[int, float]:
    """``verify G``: the character and the observed fraction for ``G``.

    The smallest degree ≥ 2 (a matrix irrep) when there is one, else a linear character. The
    fraction is the budget's, raised to ``3r/|G|`` (at most 0.8) for a target of rank ``r``: a
    symmetric rank-``r`` matrix has about ``r|G|`` degrees of freedom and the ``f|G|²`` observed
    pairs give about ``f|G|²/2`` distinct symmetric entries, so ``f = 2r/|G|`` is the bare count
    and ``3r/|G|`` leaves room for the nuclear norm's oversampling.
    """
    from grokcheck.checks.experiments._matrix_completion import character_table_target

    dg = min((int(x) for x in G.character_table.degrees if int(x) >= 2), default=1)
    _, info = character_table_target(G, dg)
    return dg, float(max(float(settings["fraction"]), 3 * info["rank"] / G.order))


TABLE_MAX_FRACTION = 0.6  # above it fewer than (1 − 0.6)² = 16% of the pairs are unseen both ways: no plateau to leave


def _table_low_rank(ctx) -> bool:
    return ctx.group is None or ctx.group.order == 1 or _table_choice(ctx.group, TABLE_BUDGETS[ctx.budget])[1] <= TABLE_MAX_FRACTION


def _table_low_rank_why(ctx) -> str:
    dg, f = _table_choice(ctx.group, TABLE_BUDGETS[ctx.budget])
    return (f"the degree-{dg} character's table is not low rank for |G| = {ctx.group.order}: completing it needs "
            f"about {f:.2f} of the pairs observed (3·rank/|G|), and above {TABLE_MAX_FRACTION} the kernel phase's "
            "symmetric fill already covers the test pairs")


def _table_steps(n: int, fraction: float, settings) -> int:
    """GD steps of a grid on an ``n × n`` table: ``horizon · max log α/(λη)``, ``η = min(0.1, n_obs/(16α²))``."""
    n_obs = max(1, round(fraction * n * n))
    return int(math.ceil(max(float(settings["horizon"]) * math.log(a) / (lam * min(0.1, n_obs / (16 * a * a)))
                             for a in settings["alphas"] for lam in settings["lambdas"])))


def _table_affordable(ctx) -> bool:
    if ctx.budget == "paper" or ctx.group is None or ctx.group.order == 1:
        return True
    settings = TABLE_BUDGETS[ctx.budget]
    if ctx.group.order > TABLE_MAX_ORDER:
        return False
    _, f = _table_choice(ctx.group, settings)
    return f > TABLE_MAX_FRACTION or _table_steps(ctx.group.order, f, settings) <= TABLE_MAX_STEPS  # (else: low rank fails)


def _table_unaffordable_why(ctx) -> str:
    if ctx.group.order > TABLE_MAX_ORDER:
        return f"|G| = {ctx.group.order} > {TABLE_MAX_ORDER}; use --budget paper on a GPU"
    _, f = _table_choice(ctx.group, TABLE_BUDGETS[ctx.budget])
    n = _table_steps(ctx.group.order, f, TABLE_BUDGETS[ctx.budget])
    return (f"the {ctx.group.order}×{ctx.group.order} table has too few pairs: the stable step is ∝ (observed "
            f"pairs)/α², so this grid needs {n:,} GD steps (> {TABLE_MAX_STEPS:,}); use --budget paper")


def _table_groups(settings, ctx):
    if ctx.group is None:
        return [(str(g), int(dg), float(f)) for g, dg, f in settings["groups"]]
    dg, f = _table_choice(ctx.group, settings)
    return [(str(ctx.group), dg, f)]


def _table_cells(settings, ctx):
    seeds = tuple(range(int(settings["seeds"])))
    common = {k: settings[k] for k in ("alphas", "lambdas", "horizon")}
    return [Cell(key=group_cell_key(g), spec={"group": g, "degree": dg, "fraction": f, **common}, seeds=seeds)
            for g, dg, f in _table_groups(settings, ctx)]


def _table_run(cell, ctx):
    from grokcheck.checks.experiments._matrix_completion import (character_table_target, matrix_completion_data,
                                                                 train_matrix_completion)
    from grokcheck.theory import group

    sp = cell.spec
    G = ctx.group if ctx.group is not None and str(ctx.group) == sp["group"] else group(sp["group"])
    X, info = character_table_target(G, int(sp["degree"]))
    seeds = [int(np.random.SeedSequence([ctx.seed, s, 13]).generate_state(1)[0]) % (2**31) for s in cell.seeds]
    data = matrix_completion_data(fraction=float(sp["fraction"]), seeds=seeds, target=X)
    grid = [(float(a), float(lam)) for lam in sp["lambdas"] for a in sp["alphas"]]
    alphas = np.array([a for a, _ in grid])
    lambdas = np.array([lam for _, lam in grid])
    # GD on U = αI is stable for η·α²·(4/n)·2 < 2 (the observed-entry Hessian); a factor 4 below that bound
    lrs = np.minimum(0.1, data.n / (16 * alphas**2))
    steps = ctx.steps(int(math.ceil(float(sp["horizon"]) * np.max(np.log(alphas) / (lambdas * lrs)))))
    run = train_matrix_completion(data, alphas=alphas, lambdas=lambdas, lrs=lrs, steps=steps,
                                  eval_every=max(1, steps // 400), progress=ctx.progress, device=ctx.device)
    t = run.transition_step * lrs[None, :]
    out = {}
    for j, s in enumerate(cell.seeds):
        out[s] = {"info": info, "plateau": float(run.plateau[j]),
                  "cells": [{"alpha": a, "lambda": lam, "lr": float(lrs[c]), "t_grok": float(t[j, c]),
                             "final_test_loss": float(run.test_loss[j, c, -1]),
                             "times": (run.steps * lrs[c]).tolist(), "test_curve": run.test_loss[j, c].tolist()}
                            for c, (a, lam) in enumerate(grid)]}
    return out


def _table_analyze(settings, results, ctx):
    per_group, verdicts, rows_all, short = {}, [], [], []
    for key in sorted(results):
        seeds = sorted(results[key])
        rows = [r for s in seeds for r in results[key][s]["cells"]]
        a, lam, tg = _law_arrays(rows)
        b, lo, hi, n = pooled_slope(np.log(a), lam * tg, lam)
        n_ok = _lambdas_with_two_alphas(a, lam, tg)
        v, words, excl = _band_verdict(b, lo, hi, n_ok, settings["alphas"])
        if n_ok < 3:
            short.append(f"{key}: {n_ok} of {len(np.unique(lam))} λ values have transitions at ≥ 2 α")
        verdicts.append(v)
        first = results[key][seeds[0]]
        per_group[key] = {"slope": b, "interval": [lo, hi], "n_transitions": int(np.isfinite(tg).sum()),
                          "n_runs": len(rows), "lambdas_with_two_alphas": n_ok, "verdict": v.value,
                          "interval_excludes_prediction": excl, "words": words,
                          "target": first.get("info"),
                          "plateau": [results[key][s].get("plateau") for s in seeds],
                          "final_test_loss": [r.get("final_test_loss") for r in rows]}
        rows_all += [(key, r) for r in rows]
    if any(v == Verdict.FAIL for v in verdicts):
        verdict = Verdict.FAIL
    elif verdicts and all(v == Verdict.PASS for v in verdicts):
        verdict = Verdict.PASS
    else:
        verdict = inconclusive()
    decide = "a smaller λ grid or a longer horizon (the test loss must fall below half its plateau)"
    shortfall = Shortfall("; ".join(short) + " (the run did not reach the completion transition)", decide) if short else None
    reason = "; ".join(f"{k}: λ·slope {d['slope']:.3f} [{d['interval'][0]:.3f}, {d['interval'][1]:.3f}] "
                       f"({d['n_transitions']}/{d['n_runs']} transitions, {d['verdict']}: {d['words']})"
                       for k, d in per_group.items())
    if getattr(ctx, "simulating", False):
        return Outcome(verdict=verdict, statistic=None, reason=reason, shortfall=shortfall)
    # the headline number: the slope pooled over groups (one intercept per group × λ)
    a, lam, tg = _law_arrays([r for _, r in rows_all])
    labels = [f"{k}|{r['lambda']:g}" for k, r in rows_all]
    gl = np.unique(labels, return_inverse=True)[1]  # integer codes: pooled_slope reads numbers
    b, lo, hi, n = pooled_slope(np.log(a), lam * tg, gl)

    def draw(path):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from grokcheck.checks._io import atomic_save_figure

        keys = sorted(per_group)
        fig, axes = plt.subplots(1, len(keys), figsize=(5.2 * len(keys), 4.2), squeeze=False)
        for ax, k in zip(axes[0], keys):
            d = per_group[k]
            _draw_law(ax, *_law_arrays([r for kk, r in rows_all if kk == k]), (d["slope"], *d["interval"]))
            info = d["target"]
            ax.set_title(f"{k}: Re χ(gh)/χ(1), deg {info['degree']}, rank {info['rank']}", fontsize=9)
            ax.set_ylabel("λ · t (test loss ≤ ½ plateau)")
            ax.legend(fontsize=7)
        fig.tight_layout()
        atomic_save_figure(fig, path, dpi=110)
        plt.close(fig)

    return Outcome(verdict=verdict, statistic=b, interval=(lo, hi), predicted=1.0, reason=reason,
                   details={"per_group": per_group, "pooled_over_groups": {"slope": b, "interval": [lo, hi], "n": n},
                            "band": {"half_width": law_band(settings["alphas"]), "reason": LAW_BAND_REASON},
                            "interval_method": "within-λ OLS (one intercept per group × λ), Student-t 95%"},
                   figures={"lyu_group_table_completion.png": draw},
                   test="per group, pooled within-λ OLS slope of λ·t on log α, Student-t 95%",
                   n_seeds=int(settings["seeds"]), decide=decide, shortfall=shortfall)


LYU_GROUP_TABLE = Experiment(
    id="lyu.group-table-completion",
    claim="Lyu et al. on a group table: the bilinear net f(g, h) = (UUᵀ − VVᵀ)_{gh} fitted to a character of gh "
          "on observed pairs completes the table (test loss falls) at t ≈ log α / λ, so λ·slope on log α = 1.",
    source="Lyu et al., arXiv 2311.18817, §3.3 (Cor. 3.11, Thm 3.12) on the table of a group (our construction)",
    budgets=TABLE_BUDGETS,
    cells=_table_cells,
    run_cell=_table_run,
    analyze=_table_analyze,
    decision_rule=TABLE_DECISION,
    design=_law_design(lambda settings, key, seed, rows: {"cells": rows},
                       lambda settings, noise: sorted(k for k in noise if k != "*") or
                       [group_cell_key(str(g)) for g, _, _ in settings["groups"]]),
    # the law applied to a group's table is our construction: no budget is the paper's setting
    setting={b: proxy(f"the table Re χ(gh)/χ(1) of {', '.join(str(g) for g, _, _ in TABLE_BUDGETS[b]['groups'])} "
                      "(or the verified group)",
                      "a group's character table as the target, not the paper's rank-one ij/d²",
                      "the observed fraction set from the target's rank, not 5%")
             for b in ("small", "full", "paper")},
    group_parameter=True,
    hypotheses=(Hypothesis(f"|G| ≤ {TABLE_MAX_ORDER} and ≤ {TABLE_MAX_STEPS:,} GD steps below the paper budget",
                           _table_affordable, _table_unaffordable_why, budget=True),
                Hypothesis("the character's table is low rank (Thm 3.12: rank O(1) against |G|)",
                           _table_low_rank, _table_low_rank_why),
                Hypothesis("G has a non-trivial character",
                           lambda ctx: ctx.group is None or ctx.group.order > 1,
                           lambda ctx: "the trivial group has only the trivial character")),
)
