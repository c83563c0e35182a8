"""Tan & Huang's robustness claims as registered checks (MATH.md §4.4, §9 rows 14–15).

They do not depend on the group (they are statements about matrix information and
perturbation bounds), so they apply on every group and cost well under a second each.
Theorems 5.9 and 5.12 are registered as printed and FAIL by output rescaling; the
normalised-output versions PASS.
"""

from __future__ import annotations

import numpy as np

from grokcheck.checks._registry import Check, Measured, Tolerance


def _claim(ctx, name: str, fn, **kwargs):
    """Evaluate a claim function of ``_tan_huang_checks`` once per context."""
    return ctx.artifact(f"tanhuang.{name}", lambda: fn(seed=ctx.seed, **kwargs) if "seed" in fn.__code__.co_varnames else fn(**kwargs))


def _cor33(ctx):
    from grokcheck.checks._tan_huang_checks import check_corollary33

    r = _claim(ctx, "cor33", check_corollary33)
    steps = sorted(r.prediction)
    return np.array([r.prediction[s] for s in steps]), Measured(np.array([r.measurement["values"][s] for s in steps]), {"steps": steps})


def _ratio(ctx, name: str, fn, key: str, **kwargs):
    r = _claim(ctx, name, fn, **kwargs)
    details = dict(r.measurement)
    if key == "ratio" and details.get("ratio", 0) > 1:
        details["counterexample"] = (
            f"output rescaled by {details.get('scale')}: lhs {details.get('lhs'):.4g} > rhs {details.get('rhs'):.4g} "
            f"(the left side is scale-invariant, the right side shrinks with the scale)"
        )
    return Measured(float(r.measurement[key]), details)


def _fn(name):
    import grokcheck.checks._tan_huang_checks as m

    return getattr(m, name)


_BOUND = Tolerance(1e-12, "a bound holds iff max lhs/rhs ≤ 1 over the samples; 1e-12 is float64 slack", "at_most")

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
        id="tanhuang.lemma5.11",
        claim="Lemma 5.11: the matrix mutual-information difference of normalised features is bounded by 16 Σ‖Δ‖.",
        source="Tan & Huang, Lemma 5.11; MATH.md §9 row 14",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _ratio(ctx, "lemma511", _fn("check_lemma511"), "max_ratio"),
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
        id="tanhuang.theorem5.12-normalized",
        claim="Theorem 5.12 with normalised outputs holds.",
        source="MATH.md §11 item 4",
        predict=lambda ctx: 1.0,
        measure=lambda ctx: _ratio(ctx, "thm512n", _fn("check_theorem512"), "ratio", statement="normalized"),
        tolerance=_BOUND,
        layer="numerics",
    ),
)
