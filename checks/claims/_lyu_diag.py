"""Lyu et al.'s dichotomy on diagonal linear nets (arXiv 2311.18817) as registered checks.

Group-independent; one batched run of diagonal nets serves all five checks: sparse sign data
(n = 256 training points, d = 2000, k = 3), three data seeds × three init scales
α ∈ {10², 10³, 10⁴} at λ = 0.1, η = 0.02, to t = 2·log(10⁴)/λ, with snapshots at
0.5, 1.5 and 2 times each cell's log α/λ (the KKT check reads those in the window [1, 2]). The single-run checks read the α = 10⁴ cell of the
first seed; the grokking-time law reads every cell and seed. It needs ``--budget full``; the
artifact ``"lyu.diag"`` can be pre-seeded with another
:class:`~grokcheck.checks.DiagonalNetRun` (cells: several α at one λ).
"""

from __future__ import annotations

import math

import numpy as np

from grokcheck.checks._registry import Hypothesis, Measured

_FULL = Hypothesis(
    "budget is full (a diagonal-net run of ~10⁴ steps)",
    lambda ctx: ctx.budget == "full",
    lambda ctx: "the small budget skips the diagonal-net run; use --budget full",
    budget=True,
)

ALPHAS = (1e2, 1e3, 1e4)
LAMBDA, LR = 0.1, 0.02


def _run(ctx):
    def build():
        from grokcheck.checks.experiments._diagonal_net import sparse_sign_data, train_diagonal_nets

        T = math.log(max(ALPHAS)) / LAMBDA
        data = sparse_sign_data(n=256, d=2000, k=3, n_test=2000, seeds=[ctx.seed, ctx.seed + 1, ctx.seed + 2])
        return train_diagonal_nets(data, alphas=list(ALPHAS), lambdas=[LAMBDA] * len(ALPHAS), lrs=[LR] * len(ALPHAS),
                                   steps=int(2 * T / LR), eval_every=50, snapshot_fractions=(0.5, 1.5, 2.0))

    return ctx.artifact("lyu.diag", build)


def _main_cell(run) -> int:
    """The cell with the largest α (the one closest to the theorems' α → ∞)."""
    return int(np.argmax(run.alphas))


def _as_measured(r) -> Measured:
    return Measured(r.measurement, dict(r.details), inconclusive=r.reason if r.verdict == "INCONCLUSIVE" else None,
                    decide=r.decide or None, statistic=r.statistic)


def _lyu(ctx, fn_name: str, **kwargs):
    import grokcheck.checks.claims._lyu_verdicts as lyu

    run = _run(ctx)
    return _as_measured(getattr(lyu, fn_name)(run, cell=_main_cell(run), **kwargs))


def _late_kkt(ctx):
    from grokcheck.checks.claims._lyu_verdicts import check_diag_kkt_in_alpha

    return _as_measured(check_diag_kkt_in_alpha(_run(ctx)))


def _grok_law(ctx):
    from grokcheck.checks.claims._lyu_verdicts import check_diag_grok_time_law

    return _as_measured(check_diag_grok_time_law(_run(ctx)))
