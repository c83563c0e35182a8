"""Registered checks: Lyu et al., the dichotomy of early and late implicit biases (ICLR 2024): diagonal nets, KKT certificates, the grokking time."""

from __future__ import annotations

from grokcheck.checks._registry import Check
from grokcheck.checks._registry import Tolerance
from grokcheck.checks.claims._lyu_diag import _FULL
from grokcheck.checks.claims._lyu_diag import _grok_ratio
from grokcheck.checks.claims._lyu_diag import _lyu

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
        id="lyu.diag-grok-time",
        claim="Lyu et al.: the test accuracy jumps at t_grok ≈ log α / λ (continuous time t = η·steps).",
        source="Lyu et al., Thms 3.4–3.5; MATH.md §5.2, §7 item 2, §9 row 16",
        predict=lambda ctx: 1.0,
        measure=_grok_ratio,
        tolerance=Tolerance(0.35, "an α-independent shift b/λ moves the ratio by −0.16…−0.19 at α = 10⁴ (3×3 grid)", "close"),
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
)
