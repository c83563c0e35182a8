"""Registered checks: Tian, the Li₂ framework (arXiv 2509.21519): the energy 𝓔, Theorem 2, Corollary 1, the backpropagated gradient G_F."""

from __future__ import annotations

import numpy as np

from grokcheck.checks._hypotheses import HAS_NONTRIVIAL_IRREP
from grokcheck.checks._hypotheses import max_order
from grokcheck.checks._registry import Check
from grokcheck.checks._registry import Hypothesis
from grokcheck.checks._registry import Tolerance
from grokcheck.checks.claims._energy import _flat_directions
from grokcheck.checks.claims._energy import _li2_identity
from grokcheck.checks.claims._energy import _li2_measured
from grokcheck.checks.claims._energy import _li2_prediction
from grokcheck.checks.claims._precursor import _gf

CHECKS = (
    Check(
        id="li2.corollary1-flatness",
        claim="Li₂ Corollary 1 as printed: every local maximum of 𝓔 has a zero Hessian eigenvalue when M > 2.",
        source="Tian, arXiv 2509.21519, Corollary 1; MATH.md §3.3 (exact Hessian at the stable points of §3.4)",
        predict=lambda ctx: 1,
        measure=_flat_directions,
        tolerance=Tolerance(0, "an exact count of zero eigenvalues (sympy): at least one", "at_least"),
        hypotheses=(
            Hypothesis("M = |G| > 2", lambda ctx: ctx.group.order > 2, lambda ctx: f"|G| = {ctx.group.order} ≤ 2"),
            max_order(12, "exact sympy Hessians"),
            Hypothesis(
                "G has a non-trivial rational character (its stable point has rational coordinates)",
                lambda ctx: bool(np.any(np.all(np.abs(ctx.group.character_table.values[1:]
                                                      - np.rint(ctx.group.character_table.values[1:].real)) < 1e-9, axis=1))),
                lambda ctx: f"every non-trivial character of {ctx.group} is irrational, so no exact Hessian signature",
            ),
        ),
        published_false=True,
        layer="theory",
    ),
    Check(
        id="li2.gf-closed-form",
        claim="Li₂ Prop. 1: with fixed features, G_F(t) follows the closed form and tends to η(F̃F̃ᵀ+ηI)⁻¹ỸỸᵀF̃(F̃ᵀF̃+ηI)⁻¹.",
        source="Tian, Prop. 1 and Eq. (4); MATH.md §3.2, §9 row 12",
        predict=lambda ctx: 0.0,
        measure=_gf,
        tolerance=Tolerance(1e-8, "relative error of a DOP853 run at rtol 1e-12 against the exact solution (§9 row 12)", "at_most"),
        hypotheses=(max_order(16, "|G|² × (2|G|+4) feature matrix ODE on CPU"),),
        layer="numerics",
    ),
    Check(
        id="li2.identity-with-omega",
        claim="Li₂'s energy is Ω with the output layer optimised out: 𝓔 = 2|G|⁴ (max_ξ Ω)².",
        source="MATH.md §3.4, §7 item 1, §9 row 11",
        predict=lambda ctx: 0.0,
        measure=_li2_identity,
        tolerance=Tolerance(1e-10, "relative error of two float64 evaluations of the same quartic (§9 row 11)", "at_most"),
        hypotheses=(HAS_NONTRIVIAL_IRREP,),
        layer="numerics",
    ),
    Check(
        id="li2.theorem2-corrected",
        claim="The maxima of 𝓔 (σ = x²) have 𝓔* = M/(2d_k) (real irrep) and M/(4d_k) (complex pair or quaternionic).",
        source="MATH.md §3.4 (corrected constants: the cross term of S is 2uvᵀ)",
        predict=lambda ctx: _li2_prediction(ctx, False),
        measure=lambda ctx: _li2_measured(ctx, False),
        tolerance=Tolerance(1e-6, "converged projected ascent reaches a maximum to ~1e-9 relative; 1e-6 absolute on values ~M/2", "close"),
        hypotheses=(HAS_NONTRIVIAL_IRREP, max_order(64, "projected ascent on CPU")),
        layer="numerics",
    ),
    Check(
        id="li2.theorem2-printed",
        claim="Li₂ Theorem 2 as printed: the maxima of 𝓔 (σ = x²) have 𝓔* = M/(8d_k) (real irrep) and M/(16d_k) (complex pair).",
        source="Tian, arXiv 2509.21519, Theorem 2; MATH.md §3.3",
        predict=lambda ctx: _li2_prediction(ctx, True),
        measure=lambda ctx: _li2_measured(ctx, True),
        tolerance=Tolerance(1e-6, "converged projected ascent reaches a maximum to ~1e-9 relative; 1e-6 absolute on values ~M/8", "close"),
        hypotheses=(HAS_NONTRIVIAL_IRREP, max_order(64, "projected ascent on CPU")),
        published_false=True,
        layer="numerics",
    ),
)
