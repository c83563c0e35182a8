"""Registered checks: Lyu, Jin, Li, Du, Lee, Hu, the dichotomy of early and late implicit biases (arXiv 2311.18817,
ICLR 2024): diagonal nets, KKT certificates, the grokking time. Group-independent: reported once, apart."""

from __future__ import annotations

from grokcheck.checks._registry import Check
from grokcheck.checks._registry import Tolerance
from grokcheck.checks.claims._lyu_diag import _FULL
from grokcheck.checks.claims._lyu_diag import _grok_law
from grokcheck.checks.claims._lyu_diag import _late_kkt
from grokcheck.checks.claims._lyu_diag import _lyu

LYU = "Lyu, Jin, Li, Du, Lee, Hu, arXiv 2311.18817"

CHECKS = (
    Check(
        id="lyu.diag-early-direction",
        claim="Lyu et al. Cor. 3.6: in the kernel phase (t = ½ log α/λ) the diagonal net points along the max L2-margin classifier w₂*.",
        source=f"{LYU}, Corollary 3.6",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _lyu(ctx, "check_diag_early_direction"),
        tolerance=Tolerance(0.05, "Cor. 3.6 is an α → ∞ limit and margin maximisation converges like 1/log t, "
                                  "so cos ≥ 0.95 rather than 1", "at_least"),
        hypotheses=(_FULL,),
        layer="training",
        group_independent=True,
    ),
    Check(
        id="lyu.diag-grok-time",
        claim="Lyu et al.: the test accuracy jumps at t_grok = (log α + O(1))/λ: over α ∈ {10², 10³, 10⁴} and 3 seeds the "
              "slope of λ·t_grok against log α is 1.",
        source=f"{LYU}, Theorems 3.4–3.5 (t_grok ≈ log α/λ)",
        predict=lambda ctx: 1.0,
        measure=_grok_law,
        tolerance=Tolerance(0.25, "the 95% Student-t interval of the mean slope over seeds must contain 1 (FAIL if it "
                                  "excludes it) and have half-width ≤ 0.25, narrow enough to exclude the slopes ½ and 2 "
                                  "(else INCONCLUSIVE); the α-independent O(1) shift cancels in the slope", "close"),
        hypotheses=(_FULL,),
        layer="training",
        group_independent=True,
    ),
    Check(
        id="lyu.diag-late-direction",
        claim="Lyu et al. Cor. 3.7: after the switch the diagonal net points along the max L1-margin classifier w₁*.",
        source=f"{LYU}, Corollary 3.7",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _lyu(ctx, "check_diag_late_direction"),
        tolerance=Tolerance(0.05, "cos ≥ 0.95: the finite-λ minimiser tends to w₁* only as λ → 0",
                            "at_least"),
        hypotheses=(_FULL,),
        layer="training",
        group_independent=True,
    ),
    Check(
        id="lyu.diag-late-kkt",
        claim="Lyu et al. Thm 3.5: in the window t ∈ [1, 1+c]·log α/λ the diagonal net reaches a KKT point of "
              "min ‖θ‖² s.t. yᵢfᵢ(θ) ≥ 1 as α → ∞: stationarity and complementarity (NNLS certificate) both within "
              "is_kkt_point's bars at the largest α.",
        source=f"{LYU}, Theorem 3.5",
        predict=lambda ctx: 0.0,
        measure=_late_kkt,
        tolerance=Tolerance(1e-2, "is_kkt_point's relative bars (1e-2 for stationarity and complementarity) at the "
                                  "largest α; the theorem is a limit α → ∞, so a residual still falling with α is "
                                  "INCONCLUSIVE and one that does not fall with α FAILs", "at_most"),
        hypotheses=(_FULL,),
        layer="training",
        group_independent=True,
    ),
)

# Experiments (studies over grids of training runs; `grokcheck experiments`)
from grokcheck.checks.experiments._lyu_experiments import LYU_GROUP_GROK_TIME  # noqa: E402
from grokcheck.checks.experiments._lyu_experiments import LYU_GROUP_TABLE  # noqa: E402
from grokcheck.checks.experiments._lyu_experiments import LYU_MC_GROK_TIME  # noqa: E402
from grokcheck.checks.experiments._lyu_experiments import LYU_MISGROKKING  # noqa: E402

EXPERIMENTS = (LYU_GROUP_GROK_TIME, LYU_GROUP_TABLE, LYU_MISGROKKING, LYU_MC_GROK_TIME)
