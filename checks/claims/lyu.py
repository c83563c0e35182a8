"""Registered checks: Lyu, Jin, Li, Du, Lee, Hu, the dichotomy of early and late implicit biases (arXiv 2311.18817,
ICLR 2024): diagonal nets, KKT certificates, the grokking time. Group-independent: reported once, apart."""

from __future__ import annotations

from grokcheck.checks._registry import Check
from grokcheck.checks._registry import Tolerance
from grokcheck.checks.claims._lyu_diag import _FULL
from grokcheck.checks.claims._lyu_diag import _FULL_SMALL_RUNS
from grokcheck.checks.claims._lyu_diag import _grok_law
from grokcheck.checks.claims._lyu_diag import _kkt_small_lambda
from grokcheck.checks.claims._lyu_diag import _late_kkt
from grokcheck.checks.claims._lyu_diag import _lyu
from grokcheck.checks.claims._lyu_diag import _mc_error_bound
from grokcheck.checks.claims._lyu_diag import _mc_kernel_zero
from grokcheck.checks.claims._lyu_diag import _mc_late_kkt
from grokcheck.checks.claims._lyu_diag import _no_wd
from grokcheck.checks.claims._lyu_diag import _ntk_limit
from grokcheck.checks.claims._lyu_diag import _wd_collapse

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
    Check(
        id="lyu.ntk-kernel-limit",
        claim="Lyu et al. Thm 3.4: at T⁻_c = (1−c)·log α/λ the diagonal net's outputs on test points, divided by "
              "Z(α) = log(α^c/λ)/γ_ntk, are the NTK-SVM's ⟨∇f(θ̄; x), h*_ntk⟩ (scikit-learn's hard-margin SVM on the "
              "NTK features): cosine ≥ 0.95 and scale within 4/3 at the largest α.",
        source=f"{LYU}, Theorem 3.4",
        predict=lambda ctx: 1.0,
        measure=_ntk_limit,
        tolerance=Tolerance(0.05, "a limit α → ∞ reached at rate 1/log α: cos ≥ 0.95, above the L¹-margin rival, "
                                  "with the scale in [0.75, 4/3]", "at_least"),
        hypotheses=(_FULL_SMALL_RUNS,),
        layer="training",
        group_independent=True,
    ),
    Check(
        id="lyu.mc-kernel-zero",
        claim="Lyu et al. Cor. 3.11: in the kernel phase (t = ½·log α/λ) matrix completion W = UUᵀ − VVᵀ from "
              "U = V = αI fits the observed entries and leaves the others at 0: ‖W − K‖_F/‖K‖_F ≈ 0 for K = X* on "
              "Ω ∪ Ωᵀ and 0 elsewhere.",
        source=f"{LYU}, Corollary 3.11",
        predict=lambda ctx: 0.0,
        measure=_mc_kernel_zero,
        tolerance=Tolerance(0.1, "Cor. 3.11 is a limit α → ∞; 10% of ‖K‖_F separates the kernel limit (0) from the "
                                 "initial W = 0 (1) and from a completed table", "at_most"),
        hypotheses=(_FULL_SMALL_RUNS,),
        layer="training",
        group_independent=True,
    ),
    Check(
        id="lyu.mc-late-kkt",
        claim="Lyu et al. Thm 3.10: at t = (1+c)·log α/λ the matrix-completion factors approach a KKT point of "
              "(R2) min ½‖θ‖² s.t. W_ij = X*_ij on Ω: the stationarity residual falls with α and the infeasibility "
              "falls like λ (log-log slope 1).",
        source=f"{LYU}, Theorem 3.10",
        predict=lambda ctx: 1.0,
        measure=_mc_late_kkt,
        tolerance=Tolerance(0.25, "slope 1 ± 0.25 on log λ (the O(λ²) term; excludes ½ and 0), and the stationarity "
                                  "slope on log α ≤ −½", "close"),
        hypotheses=(_FULL_SMALL_RUNS,),
        layer="training",
        group_independent=True,
    ),
    Check(
        id="lyu.kkt-needs-small-lambda",
        claim="Lyu et al. Thms 3.5/3.10 at finite λ: the late-phase KKT residual does not vanish as α grows at fixed "
              "λ; it falls like λ (so the theorems' limit needs λ → 0, as their coupling λ = Θ(α^-p) provides).",
        source=f"{LYU}, Theorems 3.5 and 3.10 (λ = Θ(α^-p))",
        predict=lambda ctx: 0.0,
        measure=_kkt_small_lambda,
        tolerance=Tolerance(0.25, "|slope on log λ − 1| ≤ 0.25 (the O(λ²) term) and |slope on log α| ≤ 0.1", "at_most"),
        hypotheses=(_FULL_SMALL_RUNS,),
        layer="training",
        group_independent=True,
    ),
    Check(
        id="lyu.wd-collapse",
        claim="Lyu et al. Fig. 2c: too large a weight decay collapses training. On matrix completion the threshold is "
              "exact: W → 0 (training loss = that of W = 0) iff λ > λ_c = (4/n)‖sym P_Ω X*‖_op; at 0.5 and 0.9·λ_c "
              "training fits, at 1.1 and 2·λ_c it collapses.",
        source=f"{LYU}, Fig. 2c (proxy: matrix completion, §3.3)",
        predict=lambda ctx: 1.0,
        measure=_wd_collapse,
        tolerance=Tolerance(0.1, "the grid brackets λ_c at ±10%: below, training loss ≤ 0.9 of W = 0's; above, "
                                 "≥ 0.99 of it", "close"),
        hypotheses=(_FULL_SMALL_RUNS,),
        layer="training",
        group_independent=True,
    ),
    Check(
        id="lyu.no-wd-no-transition",
        claim="Lyu et al. App. B: without weight decay there is no sharp transition. On matrix completion from "
              "U = V = 3I, λ = 0 leaves the test loss at the kernel plateau (≥ 0.9 of it, still over the second half) "
              "over a horizon in which λ = 0.004 falls below half of it.",
        source=f"{LYU}, Appendix B (proxy: matrix completion, §3.3)",
        predict=lambda ctx: 1.0,
        measure=_no_wd,
        tolerance=Tolerance(0.1, "final test loss ≥ 0.9 of the plateau and ≤ 1% motion over the second half, while "
                                 "the weight-decay cell drops below ½", "at_least"),
        hypotheses=(_FULL_SMALL_RUNS,),
        layer="training",
        group_independent=True,
    ),
    Check(
        id="lyu.mc-error-bound",
        claim="Lyu et al. Thm 3.12: the rich-phase limit W∞ of matrix completion satisfies ‖W∞ − X*‖_F ≲ "
              "√(λ‖X*‖_*)·μ² log d: over λ ∈ [5e-4, 4e-3] the error falls at least like √λ (log-log slope ≥ ½).",
        source=f"{LYU}, Theorem 3.12",
        predict=lambda ctx: 0.5,
        measure=_mc_error_bound,
        tolerance=Tolerance(0.1, "an upper bound: any slope ≥ ½ satisfies it; 0.1 for the curvature over the grid; "
                                 "slope 0 (an error floor) FAILs", "at_least"),
        layer="numerics",
        group_independent=True,
    ),
)

# Experiments (studies over grids of training runs; `grokcheck experiments`)
from grokcheck.checks.experiments._lyu_experiments import LYU_GROUP_GROK_TIME  # noqa: E402
from grokcheck.checks.experiments._lyu_experiments import LYU_GROUP_TABLE  # noqa: E402
from grokcheck.checks.experiments._lyu_experiments import LYU_MC_GROK_TIME  # noqa: E402
from grokcheck.checks.experiments._lyu_experiments import LYU_MISGROKKING  # noqa: E402

EXPERIMENTS = (LYU_GROUP_GROK_TIME, LYU_GROUP_TABLE, LYU_MISGROKKING, LYU_MC_GROK_TIME)
