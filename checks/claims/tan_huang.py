"""Registered checks: Tan & Huang, grokking from the robustness viewpoint (arXiv 2311.06597): Corollary 3.3, Lemmas 5.7/5.8/5.11, Theorems 5.9/5.12."""

from __future__ import annotations

from grokcheck.checks._registry import Check
from grokcheck.checks._registry import Tolerance
from grokcheck.checks.claims._tan_huang_bounds import _BOUND
from grokcheck.checks.claims._tan_huang_bounds import _cor33
from grokcheck.checks.claims._tan_huang_bounds import _fn
from grokcheck.checks.claims._tan_huang_bounds import _ratio

CHECKS = (
    Check(
        id="tanhuang.corollary3.3",
        claim="Tan & Huang Corollary 3.3: the accuracy bound curve takes the tabulated values of MATH.md §4.4.",
        source="Tan & Huang, arXiv 2311.06597, Corollary 3.3; MATH.md §4.4, §9 row 15",
        predict=lambda ctx: _cor33(ctx)[0],
        measure=lambda ctx: _cor33(ctx)[1],
        tolerance=Tolerance(1e-3, "the §4.4 table is printed to 3 significant digits", "close"),
        layer="numerics",
    ),
    Check(
        id="tanhuang.lemma5.11",
        claim="Lemma 5.11: the matrix mutual-information difference of normalised features is bounded by 16 Σ‖Δ‖.",
        source="Tan & Huang, Lemma 5.11; MATH.md §9 row 14",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _ratio(ctx, "lemma511", _fn("check_lemma511"), "max_ratio"),
        tolerance=_BOUND,
        layer="numerics",
    ),
    Check(
        id="tanhuang.lemma5.7",
        claim="Lemma 5.7: |⟨a_i,a_j⟩ − ⟨b_i,b_j⟩| ≤ 4(‖a_i−b_i‖ + ‖a_j−b_j‖) for unit vectors.",
        source="Tan & Huang, Lemma 5.7; MATH.md §9 row 14",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _ratio(ctx, "lemma57", _fn("check_lemma57"), "max_ratio"),
        tolerance=_BOUND,
        layer="numerics",
    ),
    Check(
        id="tanhuang.lemma5.8",
        claim="Lemma 5.8: the matrix-entropy difference of normalised features is bounded by 8 Σ‖Δ‖.",
        source="Tan & Huang, Lemma 5.8; MATH.md §9 row 14",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _ratio(ctx, "lemma58", _fn("check_lemma58"), "max_ratio"),
        tolerance=_BOUND,
        layer="numerics",
    ),
    Check(
        id="tanhuang.theorem5.12-normalized",
        claim="Theorem 5.12 with normalised outputs holds.",
        source="MATH.md §11 item 4",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _ratio(ctx, "thm512n", _fn("check_theorem512"), "ratio", statement="normalized"),
        tolerance=_BOUND,
        layer="numerics",
    ),
    Check(
        id="tanhuang.theorem5.12-printed",
        claim="Theorem 5.12 as printed: MID(f, σ, 2) ≤ 16 E Σ(‖Δf‖ + ‖Δf₁‖) for every network f.",
        source="Tan & Huang, Theorem 5.12; MATH.md §4.4, §11 item 4",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _ratio(ctx, "thm512", _fn("check_theorem512"), "ratio", statement="published"),
        tolerance=_BOUND,
        published_false=True,
        layer="numerics",
    ),
    Check(
        id="tanhuang.theorem5.9-normalized",
        claim="Theorem 5.9 with normalised outputs (the form Lemma 5.8 supports) holds.",
        source="MATH.md §11 item 4 (Theorems 5.9/5.12 need normalised outputs)",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _ratio(ctx, "thm59n", _fn("check_theorem59"), "ratio", statement="normalized"),
        tolerance=_BOUND,
        layer="numerics",
    ),
    Check(
        id="tanhuang.theorem5.9-printed",
        claim="Theorem 5.9 as printed: ED(f, σ, 2) ≤ 8 E Σ‖f(x+Δ) − f(x)‖ for every network f.",
        source="Tan & Huang, Theorem 5.9; MATH.md §4.4, §10 item 9, §11 item 4",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _ratio(ctx, "thm59", _fn("check_theorem59"), "ratio", statement="published"),
        tolerance=_BOUND,
        published_false=True,
        layer="numerics",
    ),
)
