"""Checks on real trained networks (issue 6): T-a1 on trained quadratic nets and ReLU MLPs,
the Stage I headline, the majority vote on population logits, and the grokking-time definitions.

Artifacts (pre-seed them with ``VerifyContext(artifacts=...)`` to check your own model):

* ``"trained.quadratic"`` – a :class:`~grokcheck.checks.RunResult` of He et al.'s quadratic
  model trained (Stage I, separate spheres, Adam) on the full table;
* ``"trained.mlp"`` – a :class:`~grokcheck.checks.RunResult` of a ReLU MLP (concatenated
  one-hot, AdamW + weight decay) trained on a fraction of the table.

Budgets: ``small`` trains the quadratic model at width 128 for 1500 steps and skips the
grokking runs; ``full`` uses the paper's width 512 with 2000 Stage I steps (the F21 headline
of MATH.md §2.6) and trains a width-256 ReLU MLP for 6000 steps (2 seeds, weight decay 2 and 3,
80% of the table).
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from grokcheck.checks._hypotheses import HAS_NONTRIVIAL_IRREP, max_order
from grokcheck.checks._registry import Check, Hypothesis, Measured, Tolerance

@contextmanager
def _torch_threads(n: int):
    """Run with ``n`` torch intra-op threads and restore the previous setting.

    These models are tiny (width ≤ 512, ≤ 4096 samples): a second thread only adds
    synchronisation — 300 Stage I steps on S3 took 0.34 s with one thread and 39 s with two
    on a loaded 2-core machine.
    """
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


_TRAIN_HYPS = (HAS_NONTRIVIAL_IRREP, max_order(64, "training on CPU within the verify budget"))
_SPLIT_HYPS = _TRAIN_HYPS + (
    Hypothesis(
        "budget is full (a grokking run takes several CPU minutes)",
        lambda ctx: ctx.budget == "full",
        lambda ctx: "the small budget skips grokking runs; use --budget full",
    ),
    Hypothesis(
        "|G| ≥ 12 (a train/test split of the table with ≥ 28 test pairs)",
        lambda ctx: ctx.group.order >= 12,
        lambda ctx: f"|G| = {ctx.group.order}: 20% of {ctx.group.order ** 2} pairs is too few to measure generalisation",
    ),
)


def _quadratic(ctx):
    def build():
        from grokcheck.checks.training._data import group_task
        from grokcheck.checks.training._models import QuadraticConfig
        from grokcheck.checks.training._optimizers import OptimizerConfig
        from grokcheck.checks.training._train import TrainConfig, train

        full = ctx.budget == "full"
        steps = 2000 if full else 1500
        cfg = TrainConfig(
            model=QuadraticConfig(width=512 if full else 128, scale=0.125),  # notebook's s_out·s_in² (MATH.md §2.1)
            optimizer=OptimizerConfig("adam", lr=1e-3),
            steps=steps,
            n_seeds=1,
            seed=ctx.seed,
            eval_every=steps // 10,
            dtype="float64",
            plot=False,
        )
        with _torch_threads(1):
            res = train(cfg, group_task(ctx.group, n_seeds=1, seed=ctx.seed), device=ctx.device, progress=ctx.progress)

        def draw(path):
            from grokcheck.checks.training._analyze import analyze_neurons, plot_neuron_heatmap

            return plot_neuron_heatmap(analyze_neurons(ctx.group, res.model), path)

        ctx.figures["trained_quadratic_heatmap.png"] = draw
        return res

    return ctx.artifact("trained.quadratic", build)


def _quadratic_analysis(ctx):
    def build():
        from grokcheck.checks.training._analyze import analyze_neurons

        return analyze_neurons(ctx.group, _quadratic(ctx).model).summary()

    return ctx.artifact("trained.quadratic.analysis", build)


def _mlp(ctx):
    def build():
        from grokcheck.checks.training._data import group_task
        from grokcheck.checks.training._models import MLPConfig
        from grokcheck.checks.training._optimizers import OptimizerConfig
        from grokcheck.checks.training._train import TrainConfig, train

        full = ctx.budget == "full"
        steps = 6000 if full else 3000
        task = group_task(ctx.group, train_fraction=0.8, n_seeds=2, seed=ctx.seed)
        cfg = TrainConfig(
            model=MLPConfig(widths=(256,)),
            # the training layer's S4 grokking setting (τ = 0.8, AdamW lr 3e-3, weight decay 2 and 3)
            optimizer=OptimizerConfig("adamw", lr=3e-3, weight_decay=(2.0, 3.0)),
            steps=steps,
            n_seeds=2,
            seed=ctx.seed,
            eval_every=50,
            plot=False,
        )
        with _torch_threads(1):
            res = train(cfg, task, device=ctx.device, progress=ctx.progress)

        def draw(path):
            from grokcheck.checks.training._train import plot_curves

            return plot_curves(res.history, path)

        ctx.figures["trained_mlp_curves.png"] = draw
        return res

    return ctx.artifact("trained.mlp", build)


def _quadratic_accuracy(ctx):
    res = _quadratic(ctx)
    acc = res.final["train_acc"]
    return Measured(float(min(a for a in acc if a is not None)), {"status": res.status, "steps": res.step})


def _quadratic_purity(ctx):
    s = _quadratic_analysis(ctx)
    return Measured(
        s["purity_fraction_ge_0.95"],
        {k: s.get(k) for k in ("neurons_live", "purity_quantiles", "rank_ratio_multidim", "align_re", "occupancy")},
    )


def _quadratic_alignment(ctx):
    s = _quadratic_analysis(ctx)
    return Measured(s["align_re"]["median"], {"align_re": s["align_re"], "align_abs": s["align_abs"]})


def _quadratic_majority(ctx):
    from grokcheck.checks.training._analyze import majority_vote
    from grokcheck.checks.training._data import group_task

    mv = majority_vote(ctx.group, _quadratic(ctx).model, group_task(ctx.group, n_seeds=1, seed=ctx.seed))
    seed0 = mv["per_seed"][0]
    return Measured(seed0["margin_positive_fraction"], {"margin_min": seed0["margin_min"], "coef_normalized": seed0["coef_normalized"]})


def _mlp_times(ctx):
    res = _mlp(ctx)
    t_mem, t_grok = np.asarray(res.t_mem), np.asarray(res.t_grok)
    ok = (t_grok >= 0) & (t_mem >= 0)
    # Fraction of seeds that grok (test ≥ 0.95) no earlier than they memorise (train ≥ 0.99).
    grokked_after = ok & (t_mem <= t_grok)
    return Measured(float(np.mean(grokked_after)), {"t_mem": t_mem, "t_grok": t_grok, "plateau": t_grok - t_mem})


def _mlp_single_irrep(ctx):
    from grokcheck.checks.training._analyze import analyze_neurons

    res = _mlp(ctx)
    s = analyze_neurons(ctx.group, res.model, alive=res.alive).summary()
    return Measured(
        s["purity_fraction_ge_0.9"],
        {"neurons_live": s["neurons_live"], "occupancy": s["occupancy"], "t_grok": res.t_grok,
         "purity_per_vector_median": s["purity_per_vector_median"]},
    )
