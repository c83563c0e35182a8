"""Measurements for Tan & Huang's robustness bounds (arXiv 2311.06597, Lemmas 5.7/5.8/5.11, Theorems 5.9/5.12).

They do not depend on the group (they are statements about matrix information and
perturbation bounds), so they apply on every group and cost well under a second each.
Theorems 5.9 and 5.12 are registered as printed and FAIL by output rescaling.
"""

from __future__ import annotations


from grokcheck.checks._registry import Measured, Tolerance


def _claim(ctx, name: str, fn, **kwargs):
    """Evaluate a claim function of ``_tan_huang_verdicts`` once per context."""
    return ctx.artifact(f"tanhuang.{name}", lambda: fn(seed=ctx.seed, **kwargs) if "seed" in fn.__code__.co_varnames else fn(**kwargs))


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


def _as_measured(r) -> Measured:
    return Measured(r.measurement, dict(r.details), inconclusive=r.reason if r.verdict == "INCONCLUSIVE" else None,
                    decide=r.decide or None)


def _setting(ctx):
    """§3's non-vacuous setting (:func:`~._tan_huang_verdicts.robustness_setting`), built once per context."""
    return ctx.artifact("tanhuang.robustness", lambda: _fn("robustness_setting")(seed=ctx.seed))


def _lemma31(ctx):
    st = _setting(ctx)
    return _as_measured(_fn("check_lemma31")(st["params"], st["X"]))


def _theorem32(ctx, **kwargs):
    return _as_measured(_fn("check_theorem32")(_setting(ctx), **kwargs))


def _props(ctx):
    return _as_measured(_fn("check_propositions_55_56")(seed=ctx.seed))
