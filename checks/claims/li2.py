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

L2 = "Tian, arXiv 2509.21519"

CHECKS = (
    Check(
        id="li2.corollary1-flatness",
        claim="Li₂ Corollary 1 as printed: every local maximum of 𝓔 has a zero Hessian eigenvalue when M > 2.",
        source=f"{L2}, Corollary 1 (checked with the exact Riemannian Hessian of 𝓔 at its stable points)",
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
        why_false="at the maximum on a rational real irrep the exact Hessian of 𝓔 on the sphere is strictly negative "
                  "definite in the tangent directions (no zero eigenvalue), so the flatness the corollary derives "
                  "from Theorem 2 does not occur",
        layer="theory",
    ),
    Check(
        id="li2.gf-closed-form",
        claim="Li₂ Prop. 1: with fixed features, G_F(t) follows the closed form and tends to η(F̃F̃ᵀ+ηI)⁻¹ỸỸᵀF̃(F̃ᵀF̃+ηI)⁻¹.",
        source=f"{L2}, Proposition 1 and Eq. (4)",
        predict=lambda ctx: 0.0,
        measure=_gf,
        tolerance=Tolerance(1e-8, "a DOP853 run at rtol 1e-12 over 90 time units differs from the exact solution by "
                                  "≲ 1e-10 relative; the limit is reached to e^{-0.3·90} ≈ 2e-12", "at_most"),
        hypotheses=(max_order(16, "|G|² × (2|G|+4) feature matrix ODE on CPU"),),
        layer="numerics",
    ),
    Check(
        id="li2.identity-with-omega",
        claim="Li₂'s energy is He et al.'s Ω with the output layer optimised out: 𝓔 = 2|G|⁴ (max_ξ Ω)², 𝓔 from its "
              "definition ½‖Ỹᵀσ(Xw)‖² (σ = x²) and from the library's convolution form, Ω from its parameter form.",
        source=f"{L2}, the energy 𝓔 of Stage II, against He et al., arXiv 2606.02993, the energy Ω",
        predict=lambda ctx: 0.0,
        measure=_li2_identity,
        tolerance=Tolerance(1e-10, "relative error between independent float64 evaluations of a quartic in O(|G|²) "
                                   "terms: rounding ~1e-14", "at_most"),
        hypotheses=(HAS_NONTRIVIAL_IRREP, max_order(128, "Li₂'s data matrices have |G|² rows")),
        layer="numerics",
    ),
    Check(
        id="li2.theorem2-corrected",
        claim="The maxima of 𝓔 (σ = x²) have 𝓔* = M/(2d_k) (real irrep) and M/(4d_k) (complex pair or quaternionic).",
        source=f"{L2}, Theorem 2, with the constants recomputed (the cross term of S is 2uvᵀ)",
        predict=lambda ctx: _li2_prediction(ctx, False),
        measure=lambda ctx: _li2_measured(ctx, False),
        tolerance=Tolerance(1e-6, "converged projected ascent reaches a maximum to ~1e-9 relative; 1e-6 absolute on values ~M/2", "close"),
        hypotheses=(HAS_NONTRIVIAL_IRREP, max_order(64, "projected ascent on CPU")),
        layer="numerics",
    ),
    Check(
        id="li2.theorem2-printed",
        claim="Li₂ Theorem 2 as printed: the maxima of 𝓔 (σ = x²) have 𝓔* = M/(8d_k) (real irrep) and M/(16d_k) (complex pair).",
        source=f"{L2}, Theorem 2",
        predict=lambda ctx: _li2_prediction(ctx, True),
        measure=lambda ctx: _li2_measured(ctx, True),
        tolerance=Tolerance(1e-6, "converged projected ascent reaches a maximum to ~1e-9 relative; 1e-6 absolute on values ~M/8", "close"),
        hypotheses=(HAS_NONTRIVIAL_IRREP, max_order(64, "projected ascent on CPU")),
        published_false=True,
        why_false="the proof drops the factor 2 of the cross term 2uvᵀ of S, so each maximum is 4× the printed "
                  "value (M/(2d) and M/(4d), not M/(8d) and M/(16d))",
        layer="numerics",
    ),
)

# Experiments (studies over grids of training runs; `grokcheck experiments`)
from grokcheck.checks.experiments._li2_critical import LI2_CRITICAL_RATIO  # noqa: E402
from grokcheck.checks.experiments._muon import MUON_VS_ADAMW  # noqa: E402

EXPERIMENTS = (LI2_CRITICAL_RATIO, MUON_VS_ADAMW)
