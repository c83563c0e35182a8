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

#: the same budget rule for the matrix-completion and small diagonal-net runs of the remaining theorems
_FULL_SMALL_RUNS = Hypothesis(
    "budget is full (gradient-descent runs of 10³–10⁴ steps, seconds to a minute)",
    lambda ctx: ctx.budget == "full",
    lambda ctx: "the small budget skips these gradient-descent runs; use --budget full",
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


# --------------------------------------------------------------------------- matrix completion (§3.3)

#: The matrix-completion grid of the Thm 3.10 / Cor. 3.11 checks: the rank-one table ij/d² at d = 10 with 40% of
#: the entries observed (n = 40), cells (α, λ) — two λ at α = 3 and two α at λ = 0.004 — with λ ≪ 4·max|X*|/n so
#: that the regularised fit is close to the data (a λ near 4·max|X*|/n collapses it: Fig. 2c).
MC_GRID = {"d": 10, "fraction": 0.4, "cells": ((3.0, 0.004), (3.0, 0.002), (6.0, 0.004)),
           "snapshots": (0.5, 2.0, 3.0), "horizon": 3.0}
#: Thm 3.12's λ grid (a factor 8): W∞ is the penalised nuclear-norm fit, no training needed.
MC_BOUND_LAMBDAS = (0.004, 0.002, 0.001, 0.0005)


def mc_data(ctx):
    from grokcheck.checks.experiments._matrix_completion import matrix_completion_data

    return matrix_completion_data(d=MC_GRID["d"], fraction=MC_GRID["fraction"], seeds=[ctx.seed])


def train_mc_grid(data):
    """GD on every :data:`MC_GRID` cell of ``data`` for ``horizon`` × the slowest cell's (1/(η λ))·log α steps."""
    from grokcheck.checks.experiments._matrix_completion import train_matrix_completion

    alphas = [a for a, _ in MC_GRID["cells"]]
    lams = [lam for _, lam in MC_GRID["cells"]]
    # GD is stable at U = αI for η ≤ n/(16α²) (the rule of grok_time_sweep's mc task), capped at 0.1
    lrs = [min(0.1, data.n / (16 * a * a)) for a in alphas]
    steps = int(MC_GRID["horizon"] * max(math.log(a) / (lr * lam) for a, lam, lr in zip(alphas, lams, lrs)))
    return train_matrix_completion(data, alphas=alphas, lambdas=lams, lrs=lrs, steps=steps, eval_every=500,
                                   snapshot_fractions=MC_GRID["snapshots"])


def _mc_run(ctx):
    def build():
        return train_mc_grid(mc_data(ctx))

    return ctx.artifact("lyu.mc", build)


def _mc_kernel_zero(ctx):
    from grokcheck.checks.claims._lyu_verdicts import check_mc_kernel_limit

    return _as_measured(check_mc_kernel_limit(_mc_run(ctx), cell=0, snapshot=0))


def _mc_late_kkt(ctx):
    from grokcheck.checks.claims._lyu_verdicts import check_mc_late_kkt

    return _as_measured(check_mc_late_kkt(_mc_run(ctx), snapshot=1))


def _kkt_small_lambda(ctx):
    from grokcheck.checks.claims._lyu_verdicts import check_kkt_needs_small_lambda

    return _as_measured(check_kkt_needs_small_lambda(_mc_run(ctx), snapshot=-1))


def _mc_error_bound(ctx):
    from grokcheck.checks.claims._lyu_verdicts import check_mc_error_bound

    return _as_measured(check_mc_error_bound(mc_data(ctx), MC_BOUND_LAMBDAS))


# --------------------------------------------------------------------------- Thm 3.4: the NTK-SVM limit

#: A small separable problem (n = 16 < d = 40) at λ = 0.1, η = 0.02 (stable up to α = 10³), read at T⁻_c with c = ½.
NTK_GRID = {"n": 16, "d": 40, "alphas": (1e1, 1e2, 1e3), "lambda": 0.1, "lr": 0.02}


def _ntk_run(ctx):
    def build():
        from grokcheck.checks.experiments._diagonal_net import sparse_sign_data, train_diagonal_nets

        g = NTK_GRID
        data = sparse_sign_data(n=g["n"], d=g["d"], k=3, n_test=200, seeds=[ctx.seed])
        steps = int(0.5 * math.log(max(g["alphas"])) / (g["lambda"] * g["lr"])) + 2
        return train_diagonal_nets(data, alphas=list(g["alphas"]), lambdas=[g["lambda"]] * len(g["alphas"]),
                                   lrs=g["lr"], steps=steps, eval_every=50, snapshot_fractions=(0.5,), reference=False)

    return ctx.artifact("lyu.ntk", build)


def _ntk_limit(ctx):
    from grokcheck.checks.claims._lyu_verdicts import check_ntk_kernel_limit

    return _as_measured(check_ntk_kernel_limit(_ntk_run(ctx), snapshot=0))


# --------------------------------------------------------------------------- Fig. 2c: too large a weight decay

#: weight decays at these multiples of the exact collapse threshold λ_c, on the MC_GRID data at α = 3
WD_FACTORS = (0.5, 0.9, 1.1, 2.0)


def _wd_run(ctx):
    def build():
        from grokcheck.checks.experiments._matrix_completion import train_matrix_completion, weight_decay_threshold

        data = mc_data(ctx)
        lc = weight_decay_threshold(data)
        lams = [f * lc for f in WD_FACTORS]
        a = 3.0
        lr = min(0.1, data.n / (16 * a * a))
        # 12·log α/λ at the smallest λ: near λ_c the decay rate |λ − λ_c| is only 0.1·λ_c
        steps = int(12 * math.log(a) / (lr * min(lams)))
        return train_matrix_completion(data, alphas=[a] * len(lams), lambdas=lams, lrs=lr, steps=steps,
                                       eval_every=100, snapshot_fractions=())

    return ctx.artifact("lyu.wd", build)


def _wd_collapse(ctx):
    from grokcheck.checks.claims._lyu_verdicts import check_wd_collapse

    return _as_measured(check_wd_collapse(_wd_run(ctx)))


# --------------------------------------------------------------------------- App. B: no weight decay

#: α = 3 with λ = 0.004 (the MC_GRID data) against λ = 0, both to 4·log α/λ of the weight-decay cell
NO_WD = {"alpha": 3.0, "lambda": 0.004, "horizon": 4.0}


def _no_wd_run(ctx):
    def build():
        from grokcheck.checks.experiments._matrix_completion import train_matrix_completion

        data = mc_data(ctx)
        a, lam = NO_WD["alpha"], NO_WD["lambda"]
        lr = min(0.1, data.n / (16 * a * a))
        steps = int(NO_WD["horizon"] * math.log(a) / (lr * lam))
        return train_matrix_completion(data, alphas=[a, a], lambdas=[lam, 0.0], lrs=lr, steps=steps,
                                       eval_every=100, snapshot_fractions=())

    return ctx.artifact("lyu.nowd", build)


def _no_wd(ctx):
    from grokcheck.checks.claims._lyu_verdicts import check_no_wd_no_transition

    return _as_measured(check_no_wd_no_transition(_no_wd_run(ctx)))
