"""Lyu et al.'s dichotomy on diagonal linear nets as registered checks (MATH.md §5.2–5.3, §9 rows 16–17).

Group-independent; one batched run of a diagonal net (n = 256, d = 2000, k = 3, α = 10⁴,
λ = 0.1, η = 0.02, to t = 2·log α/λ) serves all four checks. It needs ``--budget full``
(about a CPU minute); the artifact ``"lyu.diag"`` can be pre-seeded with another
:class:`~grokcheck.checks.DiagonalNetRun`.
"""

from __future__ import annotations

import math

from grokcheck.checks._registry import Check, Hypothesis, Measured, Tolerance

_FULL = Hypothesis(
    "budget is full (a diagonal-net run of ~10⁴ steps)",
    lambda ctx: ctx.budget == "full",
    lambda ctx: "the small budget skips the diagonal-net run; use --budget full",
)


def _run(ctx):
    def build():
        from grokcheck.checks.experiments._diagonal_net import sparse_sign_data, train_diagonal_nets

        alpha, lam, lr = 1e4, 0.1, 0.02
        T = math.log(alpha) / lam
        data = sparse_sign_data(n=256, d=2000, k=3, n_test=2000, seeds=ctx.seed)
        return train_diagonal_nets(data, alphas=[alpha], lambdas=[lam], lrs=[lr], steps=int(2 * T / lr), eval_every=50)

    return ctx.artifact("lyu.diag", build)


def _lyu(ctx, fn_name: str):
    import grokcheck.checks.claims._lyu_verdicts as lyu

    r = getattr(lyu, fn_name)(_run(ctx))
    return Measured(float(r.measurement), {**r.details, "reason": r.reason})


def _grok_ratio(ctx):
    m = _lyu(ctx, "check_diag_grok_time")
    run = _run(ctx)
    return Measured(m.value / float(run.predicted_t_grok[0]), m.details)
