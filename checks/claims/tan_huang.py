"""Registered checks: Tan & Huang, grokking from the robustness viewpoint (arXiv 2311.06597):
Lemmas 5.7, 5.8, 5.11 and Theorems 5.9, 5.12 as printed.

These statements do not involve the group, so they are ``group_independent``: the report lists
them once, in a section of their own, outside the group's tally.

Not registered, and why:

* Corollary 3.3's accuracy curve: its constants (a = 1925, b = 500) are fitted to the authors'
  own run, so evaluating the printed formula only re-evaluates the formula; and the theorem it
  specialises (Theorem 3.2) is vacuous on one-hot group tasks, where distinct inputs are √2
  apart and no test point has a training neighbour within ε ≤ 1. ``check_corollary33`` in the
  library still evaluates the curve.
* Theorems 5.9 and 5.12 with normalised outputs: they follow from Lemmas 5.8 and 5.11 by
  Jensen's inequality (the measured ratios were 7e-4 and 1.6e-4, far from any bound), so a
  separate check would pass whatever constant it used; the lemmas are checked on
  near-extremal samples instead.
"""

from __future__ import annotations

from grokcheck.checks._registry import Check
from grokcheck.checks.claims._tan_huang_bounds import _BOUND
from grokcheck.checks.claims._tan_huang_bounds import _fn
from grokcheck.checks.claims._tan_huang_bounds import _ratio

TH = "Tan & Huang, arXiv 2311.06597"

_RESCALING = ("the left side is invariant under f → c·f while the right side scales with c, so rescaling the "
              "output of any network with a non-zero left side breaks the bound")

CHECKS = (
    Check(
        id="tanhuang.lemma5.11",
        claim="Lemma 5.11: the matrix mutual-information difference of normalised features is bounded by 16 Σ‖Δ‖.",
        source=f"{TH}, Lemma 5.11",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _ratio(ctx, "lemma511", _fn("check_lemma511"), "max_ratio"),
        tolerance=_BOUND,
        layer="numerics",
        group_independent=True,
    ),
    Check(
        id="tanhuang.lemma5.7",
        claim="Lemma 5.7: |⟨a_i,a_j⟩ − ⟨b_i,b_j⟩| ≤ 4(‖a_i−b_i‖ + ‖a_j−b_j‖) for unit vectors.",
        source=f"{TH}, Lemma 5.7",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _ratio(ctx, "lemma57", _fn("check_lemma57"), "max_ratio"),
        tolerance=_BOUND,
        layer="numerics",
        group_independent=True,
    ),
    Check(
        id="tanhuang.lemma5.8",
        claim="Lemma 5.8: the matrix-entropy difference of normalised features is bounded by 8 Σ‖Δ‖.",
        source=f"{TH}, Lemma 5.8",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _ratio(ctx, "lemma58", _fn("check_lemma58"), "max_ratio"),
        tolerance=_BOUND,
        layer="numerics",
        group_independent=True,
    ),
    Check(
        id="tanhuang.theorem5.12-printed",
        claim="Theorem 5.12 as printed: MID(f, σ, 2) ≤ 16 E Σ(‖Δf‖ + ‖Δf₁‖) for every network f.",
        source=f"{TH}, Theorem 5.12",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _ratio(ctx, "thm512", _fn("check_theorem512"), "ratio", statement="published"),
        tolerance=_BOUND,
        published_false=True,
        why_false=f"MID is computed from normalised features: {_RESCALING}; only the normalised form (Lemma 5.11) holds",
        layer="numerics",
        group_independent=True,
    ),
    Check(
        id="tanhuang.theorem5.9-printed",
        claim="Theorem 5.9 as printed: ED(f, σ, 2) ≤ 8 E Σ‖f(x+Δ) − f(x)‖ for every network f.",
        source=f"{TH}, Theorem 5.9",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _ratio(ctx, "thm59", _fn("check_theorem59"), "ratio", statement="published"),
        tolerance=_BOUND,
        published_false=True,
        why_false=f"ED is computed from normalised features: {_RESCALING}; only the normalised form (Lemma 5.8) holds",
        layer="numerics",
        group_independent=True,
    ),
)

# Experiments (studies over grids of training runs; `grokcheck experiments`)
from grokcheck.checks.experiments._tan_huang_experiments import TANHUANG_ABELIAN_EARLIER  # noqa: E402
from grokcheck.checks.experiments._tan_huang_experiments import TANHUANG_COMMUTATIVE  # noqa: E402
from grokcheck.checks.experiments._tan_huang_experiments import TANHUANG_METRICS_CHANGE  # noqa: E402
from grokcheck.checks.experiments._tan_huang_experiments import TANHUANG_PERTURBED_EARLIER  # noqa: E402

EXPERIMENTS = (TANHUANG_COMMUTATIVE, TANHUANG_PERTURBED_EARLIER, TANHUANG_ABELIAN_EARLIER, TANHUANG_METRICS_CHANGE)
