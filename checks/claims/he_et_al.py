"""Registered checks: He et al., spectral representations for group composition (the energy Ω, the Stage I flow, Abelian statistics, the precursor ODE, trained quadratic networks)."""

from __future__ import annotations

import numpy as np

from grokcheck.checks._hypotheses import ABELIAN_ODD
from grokcheck.checks._hypotheses import HAS_NONTRIVIAL_IRREP
from grokcheck.checks._hypotheses import NON_ABELIAN
from grokcheck.checks._hypotheses import max_order
from grokcheck.checks._registry import Check
from grokcheck.checks._registry import Tolerance
from grokcheck.checks.claims._energy import _PARAM_FOURIER_TOL
from grokcheck.checks.claims._energy import _exact_equal
from grokcheck.checks.claims._energy import _gradient_errors
from grokcheck.checks.claims._energy import _omega_fourier
from grokcheck.checks.claims._energy import _omega_param
from grokcheck.checks.claims._energy import _omega_reversed_gap
from grokcheck.checks.claims._flow import _ABELIAN_SMALL
from grokcheck.checks.claims._flow import _FLOW_HYPS
from grokcheck.checks.claims._flow import _align
from grokcheck.checks.claims._flow import _chi2_p
from grokcheck.checks.claims._flow import _majority
from grokcheck.checks.claims._flow import _monotone
from grokcheck.checks.claims._flow import _omega_error
from grokcheck.checks.claims._flow import _phase_p
from grokcheck.checks.claims._flow import _phase_threshold
from grokcheck.checks.claims._flow import _purity
from grokcheck.checks.claims._flow import _rank_by_indicator
from grokcheck.checks.claims._flow import _rank_published
from grokcheck.checks.claims._precursor import _ODD_CYCLIC
from grokcheck.checks.claims._precursor import _ode_vs_vectors
from grokcheck.checks.claims._trained import _TRAIN_HYPS
from grokcheck.checks.claims._trained import _quadratic_accuracy
from grokcheck.checks.claims._trained import _quadratic_alignment
from grokcheck.checks.claims._trained import _quadratic_majority
from grokcheck.checks.claims._trained import _quadratic_purity

CHECKS = (
    Check(
        id="abelian.majority-vote-shared",
        claim="With shared input and symmetric phases the population logits are ∝ 2·1[j=g₁g₂] + 1[j=g₁²] + 1[j=g₂²] (the flawed indicator).",
        source="He et al. precursor Prop. 1 (blog); MATH.md §2.4, §9 row 8",
        predict=lambda ctx: np.array([2.0, 1.0, 1.0]),
        measure=lambda ctx: _majority(ctx, True),
        tolerance=Tolerance(1e-10, "exact trigonometric identity evaluated in float64 (§9 row 8)"),
        hypotheses=(_ABELIAN_SMALL, HAS_NONTRIVIAL_IRREP),
        layer="numerics",
    ),
    Check(
        id="abelian.no-ghosts-unshared",
        claim="With unshared inputs and independent phases the ghost peaks at g₁², g₂² vanish.",
        source="MATH.md §2.4 (derived, D✓), §9 row 8",
        predict=lambda ctx: np.array([2.0, 0.0, 0.0]),
        measure=lambda ctx: _majority(ctx, False),
        tolerance=Tolerance(1e-10, "exact identity evaluated in float64 (§9 row 8)"),
        hypotheses=(_ABELIAN_SMALL, HAS_NONTRIVIAL_IRREP),
        layer="numerics",
    ),
    Check(
        id="abelian.uniform-phases",
        claim="T-a3: phases within each frequency group are Haar-uniform (Rayleigh and Kuiper tests).",
        source="He et al. T-a3; MATH.md §2.5, §9 row 7",
        predict=_phase_threshold,
        measure=_phase_p,
        tolerance=Tolerance(0.0, "smallest p-value above 0.01/(number of tests) (Bonferroni, §9 row 7)", "at_least"),
        hypotheses=_FLOW_HYPS + (ABELIAN_ODD,),
        layer="numerics",
    ),
    Check(
        id="abelian.uniform-winners",
        claim="T-a3: for Abelian G of odd order, winning orbits are uniform over the conjugate pairs (χ² test).",
        source="He et al. T-a3; MATH.md §2.4, §2.5, §9 row 7",
        predict=lambda ctx: 0.01,
        measure=_chi2_p,
        tolerance=Tolerance(0.0, "a χ² p-value above 0.01 (§9 row 7); the test is exact, no slack", "at_least"),
        hypotheses=_FLOW_HYPS + (ABELIAN_ODD,),
        layer="numerics",
    ),
    Check(
        id="flow.alignment",
        claim="T-a1 (2): the Fourier blocks align rotationally with positive sign: Re-cosines of (ξ̂, θ̂²θ̂¹), (θ̂¹, θ̂²*ξ̂), (θ̂², ξ̂θ̂¹*) → 1.",
        source="He et al. T-a1; MATH.md §2.5 (rotational alignment), §9 row 6",
        predict=lambda ctx: 1.0,
        measure=_align,
        tolerance=Tolerance(1e-3, "issue 4 acceptance: Re-alignment ≥ 0.999", "at_least"),
        hypotheses=_FLOW_HYPS,
        layer="numerics",
    ),
    Check(
        id="flow.monotone-on-spheres",
        claim="Along the flow Ω never decreases and every vector stays on its unit sphere.",
        source="MATH.md §2.3 (Riemannian gradient ascent), §9 row 6",
        predict=lambda ctx: 0.0,
        measure=_monotone,
        tolerance=Tolerance(1e-10, "saved Ω values of an adaptive integrator with renormalisation: rounding only", "at_most"),
        hypotheses=_FLOW_HYPS,
        layer="numerics",
    ),
    Check(
        id="flow.omega-star",
        claim="Each neuron's Ω converges to Ω*(ρ) = |G|^{-3/2}/√(d_ρ m_ρ) of its winning irrep.",
        source="MATH.md §2.3 (stable values), §9 row 6",
        predict=lambda ctx: 0.0,
        measure=_omega_error,
        tolerance=Tolerance(1e-6, "MATH.md §9 row 6; the integrator converges to ~1e-12", "at_most"),
        hypotheses=_FLOW_HYPS,
        layer="numerics",
    ),
    Check(
        id="flow.rank-by-indicator",
        claim="Winning blocks have σ₂/σ₁ = 0 on real and complex irreps and σ₂/σ₁ = 1 on quaternionic ones.",
        source="MATH.md §1.2 (quaternionic caveat), §2.4 consistency issue, §10 item 4",
        predict=lambda ctx: 0.0,
        measure=_rank_by_indicator,
        tolerance=Tolerance(1e-3, "issue 4 acceptance (σ₂/σ₁ ≤ 1e-3, ≥ 0.999 for ι = −1)", "at_most"),
        hypotheses=_FLOW_HYPS,
        layer="numerics",
    ),
    Check(
        id="flow.rank-one-published",
        claim="T-a1 (2) as published: every neuron's Fourier blocks on its winning irrep become rank one (σ₂/σ₁ → 0).",
        source="He et al. T-a1 (blog statement for any finite G); MATH.md §2.4",
        predict=lambda ctx: 0.0,
        measure=_rank_published,
        tolerance=Tolerance(1e-3, "issue 4 acceptance threshold for σ₂/σ₁ (the authors use 0.1)", "at_most"),
        hypotheses=_FLOW_HYPS,
        published_false=True,
        layer="numerics",
    ),
    Check(
        id="flow.single-irrep",
        claim="T-a1 (1): under the Stage I flow every neuron converges to a single irrep orbit (purity → 1).",
        source="He et al., Theorem 4.3 (T-a1); MATH.md §2.4, §9 row 6",
        predict=lambda ctx: 1.0,
        measure=_purity,
        tolerance=Tolerance(1e-3, "issue 4 acceptance: purity ≥ 0.999 at the end of a finite integration", "at_least"),
        hypotheses=_FLOW_HYPS,
        layer="numerics",
    ),
    Check(
        id="omega.exact-stable-values",
        claim="Each predicted stable point (one irrep orbit, rank-one aligned blocks) is an exact critical point with Ω* = |G|^{-3/2}/√(d_ρ m_ρ).",
        source="He et al. T-a1; MATH.md §2.3 (sympy, exact)",
        predict=lambda ctx: 1,
        measure=_exact_equal,
        tolerance=Tolerance(0, "exact sympy arithmetic: equality", "equal"),
        hypotheses=(HAS_NONTRIVIAL_IRREP, max_order(12, "exact sympy expressions")),
        layer="theory",
    ),
    Check(
        id="omega.fourier-form",
        claim="Ω = E[ξ̃(g₁g₂)θ¹(g₁)θ²(g₂)] equals Σ_{ρ≠1} d_ρ tr(ξ̂*θ̂²θ̂¹) (order θ̂²θ̂¹).",
        source="He et al. (blog), MATH.md §2.2, §9 row 3",
        predict=_omega_param,
        measure=_omega_fourier,
        tolerance=_PARAM_FOURIER_TOL,
        hypotheses=(HAS_NONTRIVIAL_IRREP,),
        layer="numerics",
    ),
    Check(
        id="omega.gradients",
        claim="The Fourier-block gradients of Ω (§2.3) equal the parameter-space ones and finite differences; ⟨ν, ∇_νΩ⟩ = Ω.",
        source="MATH.md §2.3, §9 row 4",
        predict=lambda ctx: 0.0,
        measure=_gradient_errors,
        tolerance=Tolerance(1e-8, "MATH.md §9 row 4; Ω is trilinear so central differences are exact up to rounding", "at_most"),
        hypotheses=(HAS_NONTRIVIAL_IRREP,),
        layer="numerics",
    ),
    Check(
        id="omega.reversed-order-differs",
        claim="The reversed order θ̂¹θ̂² gives a different Ω on a non-Abelian group.",
        source="MATH.md §2.2, §9 row 3, §10 item 1",
        predict=lambda ctx: 0.0,
        measure=_omega_reversed_gap,
        tolerance=Tolerance(1e-6, "a genuine difference is O(Ω) ≈ |G|^{-3/2}/10, far above rounding", "at_least"),
        hypotheses=(NON_ABELIAN,),
        layer="numerics",
    ),
    Check(
        id="precursor.ode",
        claim="The derived per-neuron ODE (§2.4) is the simulator's flow restricted to one frequency, and α² − 2β² is conserved.",
        source="He et al. precursor (arXiv 2602.16849) simulator; MATH.md §2.4 (derived form), §9 row 9",
        predict=lambda ctx: 0.0,
        measure=_ode_vs_vectors,
        tolerance=Tolerance(1e-8, "both integrated with DOP853 at rtol 1e-12 (§9 row 9)", "at_most"),
        hypotheses=(_ODD_CYCLIC,),
        layer="numerics",
    ),
    Check(
        id="trained.quadratic-alignment",
        claim="T-a1 on a trained quadratic network: the blocks of (ξ̂, θ̂²θ̂¹) align with positive sign (median Re-cosine ≥ 0.99).",
        source="He et al. T-a1; MATH.md §2.5 (rotational alignment)",
        predict=lambda ctx: 0.99,
        measure=_quadratic_alignment,
        tolerance=Tolerance(0.0, "600–2000 Adam steps leave alignment at 0.99–0.9999; the flow's 0.999 needs longer", "at_least"),
        hypotheses=_TRAIN_HYPS,
        layer="training",
    ),
    Check(
        id="trained.quadratic-majority-vote",
        claim="The population logits of the trained quadratic net put the correct product first on every pair (positive margin).",
        source="He et al. (majority vote, flawed indicator); MATH.md §2.4, §8.2",
        predict=lambda ctx: 1.0,
        measure=_quadratic_majority,
        tolerance=Tolerance(0.0, "fraction of the |G|² pairs with correct-minus-best-wrong > 0", "at_least"),
        hypotheses=_TRAIN_HYPS,
        layer="training",
    ),
    Check(
        id="trained.quadratic-single-irrep",
        claim="T-a1 on a real trained quadratic network: ≥ 95% of neurons are single-irrep (purity ≥ 0.95).",
        source="He et al. T-a1; MATH.md §2.5, §8.1; issue 5 acceptance",
        predict=lambda ctx: 0.95,
        measure=_quadratic_purity,
        tolerance=Tolerance(0.0, "a fraction of neurons against the issue's 95% bar (finite training, finite width)", "at_least"),
        hypotheses=_TRAIN_HYPS,
        layer="training",
    ),
    Check(
        id="trained.quadratic-stage1-accuracy",
        claim="He et al. §2.6: Stage I training of the quadratic model reaches 100% accuracy on the full multiplication table.",
        source="He et al. (blog, Frobenius-21 headline); MATH.md §2.6",
        predict=lambda ctx: 1.0,
        measure=_quadratic_accuracy,
        tolerance=Tolerance(0.0, "an accuracy over all |G|² pairs; the claim is exactly 100%", "at_least"),
        hypotheses=_TRAIN_HYPS,
        layer="training",
    ),
)
