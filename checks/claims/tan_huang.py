"""Registered checks: Tan & Huang, grokking from the robustness viewpoint (arXiv 2311.06597):
Lemmas 5.7, 5.8, 5.11 and Theorems 5.9, 5.12 as printed.

These statements do not involve the group, so they are ``group_independent``: the report lists
them once, in a section of their own, outside the group's tally.

Not registered, and why:

* Theorem 3.2 and Corollary 3.4 on group tasks: vacuous there (below); they are registered on
  a continuous-input setting where they are not (``robustness_setting``: Gaussian blobs, an
  exactly interpolating tanh network, test points near the training points).
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
from grokcheck.checks._registry import Tolerance
from grokcheck.checks.claims._tan_huang_bounds import _fn
from grokcheck.checks.claims._tan_huang_bounds import _lemma31
from grokcheck.checks.claims._tan_huang_bounds import _props
from grokcheck.checks.claims._tan_huang_bounds import _ratio
from grokcheck.checks.claims._tan_huang_bounds import _theorem32

TH = "Tan & Huang, arXiv 2311.06597"

_ACC_BOUND = Tolerance(0.0, "a lower bound on an accuracy measured on the same finite test set: no slack", "at_least")

_RESCALING = ("the left side is invariant under f → c·f while the right side scales with c, so rescaling the "
              "output of any network with a non-zero left side breaks the bound")

CHECKS = (
    Check(
        id="tanhuang.lemma3.1",
        claim="Lemma 3.1: at an interpolation solution (1/n)Σ‖∇ₓf(xᵢ)‖²_F ≤ ‖W*‖²_F S(W*)/minᵢ‖xᵢ‖² (S the "
              "Hessian trace of the squared loss); on an exactly interpolating tanh network on Gaussian blobs.",
        source=f"{TH}, Lemma 3.1",
        predict=lambda ctx: 1.0,
        measure=_lemma31,
        tolerance=Tolerance(1e-12, "an inequality: lhs/rhs ≤ 1, 1e-12 is float64 slack", "at_most"),
        layer="numerics",
        group_independent=True,
    ),
    Check(
        id="tanhuang.theorem3.2",
        claim="Theorem 3.2 with same-label neighbours: test accuracy ≥ δ, the fraction of test points with a training "
              "point of their label within ε(W*) = min{1, 1/(2(√(n‖W*‖²_F S/min‖x‖²) + L))}; L bounds the Lipschitz "
              "constant of ∇ₓf. Non-vacuous setting: test points near the training points (δ > 0).",
        source=f"{TH}, Theorem 3.2",
        predict=lambda ctx: 0.0,
        measure=lambda ctx: _theorem32(ctx, test="near", same_label=True),
        tolerance=_ACC_BOUND,
        layer="numerics",
        group_independent=True,
    ),
    Check(
        id="tanhuang.theorem3.2-printed",
        claim="Theorem 3.2 as printed: test accuracy ≥ δ, the fraction of test points with *a* training neighbour within "
              "ε(W*), whatever its label.",
        source=f"{TH}, Theorem 3.2",
        predict=lambda ctx: 0.0,
        measure=lambda ctx: _theorem32(ctx, test="flipped", same_label=False),
        tolerance=_ACC_BOUND,
        published_false=True,
        why_false="the proof shows f(x) ≈ onehot(y_i) for the neighbour x_i, which classifies x correctly only when x "
                  "has x_i's label: test points within ε of a training point of another class are all misclassified "
                  "(accuracy 0 < δ)",
        layer="numerics",
        group_independent=True,
    ),
    Check(
        id="tanhuang.corollary3.4",
        claim="Corollary 3.4 (same-label neighbours): test accuracy ≥ the fraction of test points within ε̂(W*) of a "
              "training point of their label, ε̂ using ‖W*‖₁² (≥ ‖W*‖²_F, so ε̂ ≤ ε).",
        source=f"{TH}, Corollary 3.4",
        predict=lambda ctx: 0.0,
        measure=lambda ctx: _theorem32(ctx, test="near", same_label=True, norm="l1"),
        tolerance=_ACC_BOUND,
        layer="numerics",
        group_independent=True,
    ),
    Check(
        id="tanhuang.propositions5.5-5.6",
        claim="Propositions 5.5–5.6: at α = 2, H₂(K) = 2 log n − log‖K‖²_F and I₂(R₁;R₂) = 2 log n − "
              "log(‖R₁‖²_F‖R₂‖²_F/‖R₁⊙R₂‖²_F), against the spectral definition on normalised Gram matrices.",
        source=f"{TH}, Propositions 5.5–5.6",
        predict=lambda ctx: 0.0,
        measure=_props,
        tolerance=Tolerance(1e-9, "float64 eigendecomposition of n ≤ 40 matrices; 1e-9 absolute on values of order "
                                  "log n", "at_most"),
        layer="numerics",
        group_independent=True,
    ),
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

from grokcheck.checks.experiments._tan_huang_figures import TANHUANG_ABELIAN_LOGITS  # noqa: E402
from grokcheck.checks.experiments._tan_huang_figures import TANHUANG_MID_ED_PREDICT  # noqa: E402
from grokcheck.checks.experiments._tan_huang_figures import TANHUANG_PERTURBATION_ERROR  # noqa: E402

EXPERIMENTS = (TANHUANG_COMMUTATIVE, TANHUANG_PERTURBED_EARLIER, TANHUANG_ABELIAN_EARLIER, TANHUANG_METRICS_CHANGE,
               TANHUANG_MID_ED_PREDICT, TANHUANG_ABELIAN_LOGITS, TANHUANG_PERTURBATION_ERROR)
