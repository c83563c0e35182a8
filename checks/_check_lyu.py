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
        from grokcheck.checks._diagonal_net import sparse_sign_data, train_diagonal_nets

        alpha, lam, lr = 1e4, 0.1, 0.02
        T = math.log(alpha) / lam
        data = sparse_sign_data(n=256, d=2000, k=3, n_test=2000, seeds=ctx.seed)
        return train_diagonal_nets(data, alphas=[alpha], lambdas=[lam], lrs=[lr], steps=int(2 * T / lr), eval_every=50)

    return ctx.artifact("lyu.diag", build)


def _lyu(ctx, fn_name: str):
    import grokcheck.checks._lyu_checks as lyu

    r = getattr(lyu, fn_name)(_run(ctx))
    return Measured(float(r.measurement), {**r.details, "reason": r.reason})


def _grok_ratio(ctx):
    m = _lyu(ctx, "check_diag_grok_time")
    run = _run(ctx)
    return Measured(m.value / float(run.predicted_t_grok[0]), m.details)


CHECKS = (
    Check(
        id="lyu.diag-early-direction",
        claim="Lyu et al. Cor. 3.6: in the kernel phase (t = ½ log α/λ) the diagonal net points along the max L2-margin classifier w₂*.",
        source="Lyu et al., ICLR 2024, Cor. 3.6; MATH.md §5.3",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _lyu(ctx, "check_diag_early_direction"),
        tolerance=Tolerance(0.05, "cos ≥ 0.95: Cor. 3.6 is an α → ∞ limit and margin maximisation converges like 1/log t", "at_least"),
        hypotheses=(_FULL,),
        layer="training",
    ),
    Check(
        id="lyu.diag-late-direction",
        claim="Lyu et al. Cor. 3.7: after the switch the diagonal net points along the max L1-margin classifier w₁*.",
        source="Lyu et al., Cor. 3.7; MATH.md §5.3",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _lyu(ctx, "check_diag_late_direction"),
        tolerance=Tolerance(0.05, "cos ≥ 0.95: the finite-λ minimiser tends to w₁* only as λ → 0", "at_least"),
        hypotheses=(_FULL,),
        layer="training",
    ),
    Check(
        id="lyu.diag-late-kkt",
        claim="Lyu et al. Thm 3.5: the late-phase diagonal net is a KKT point of min ‖θ‖² s.t. yᵢfᵢ(θ) ≥ 1 (NNLS certificate).",
        source="Lyu et al., Thm 3.5; MATH.md §5.2, §9 row 17",
        predict=lambda ctx: 0.0,
        measure=lambda ctx: _lyu(ctx, "check_diag_late_kkt"),
        tolerance=Tolerance(1e-2, "relative stationarity residual at finite time and λ (issue 7 bound)", "at_most"),
        hypotheses=(_FULL,),
        layer="training",
    ),
    Check(
        id="lyu.diag-grok-time",
        claim="Lyu et al.: the test accuracy jumps at t_grok ≈ log α / λ (continuous time t = η·steps).",
        source="Lyu et al., Thms 3.4–3.5; MATH.md §5.2, §7 item 2, §9 row 16",
        predict=lambda ctx: 1.0,
        measure=_grok_ratio,
        tolerance=Tolerance(0.35, "an α-independent shift b/λ moves the ratio by −0.16…−0.19 at α = 10⁴ (3×3 grid)", "close"),
        hypotheses=(_FULL,),
        layer="training",
    ),
)
