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
    from grokcheck.checks.claims._tan_huang_verdicts import check_corollary33

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
    import grokcheck.checks.claims._tan_huang_verdicts as m

    return getattr(m, name)


_BOUND = Tolerance(1e-12, "a bound holds iff max lhs/rhs ≤ 1 over the samples; 1e-12 is float64 slack", "at_most")
