"""Checks of He et al.'s Stage I theorem (T-a1) on the integrated flow, and the Abelian laws (T-a3).

The flow is integrated once per verify run (artifact ``"flow"``, a
:class:`grokcheck.numerics.StageOneRun`; pre-seed it through
``VerifyContext(artifacts={"flow": run})`` to check your own integration).

T-a1's rank-one alignment is registered as published ("for every neuron,
rank one"): on groups with a quaternionic irrep it FAILs, because a real weight
vector has equal singular-value pairs there. grokcheck's
statement, rank one for ι ≠ −1 and rank two for ι = −1, is a separate check.
"""

from __future__ import annotations

import numpy as np

from grokcheck.checks._hypotheses import HAS_NONTRIVIAL_IRREP, max_order
from grokcheck.checks._names import group_display_name, orbit_label
from grokcheck.checks._registry import Hypothesis, Measured

_FLOW_MAX_ORDER = 128  # Fourier-domain flow of 128 neurons stays within CPU minutes below this


def _neurons(ctx) -> int:
    """Population size: 256 on the full budget; on the small one 16 per orbit, within [32, 128]
    (enough for the χ² and phase tests of T-a3 to have ≥ 16 neurons per conjugate pair)."""
    if ctx.budget == "full":
        return 256
    return int(np.clip(16 * len(ctx.group.character_table.orbits), 32, 128))


def flow_run(ctx):
    """The shared Stage I run (uniform spherical init, Fourier domain)."""

    def build():
        from grokcheck.numerics._flow import run_stage_one

        run = run_stage_one(ctx.group, neurons=_neurons(ctx), seed=ctx.seed, domain="fourier", progress=ctx.progress, throw=False)

        def draw(path):
            from grokcheck.numerics._plots_flow import plot_stage_one

            return plot_stage_one(run, path.parent, group_name=group_display_name(ctx.group))

        # plot_stage_one writes omega.png (Ω(t) with the Ω* levels), winners.png, heatmap.png
        ctx.figures["omega.png"] = draw
        return run

    return ctx.artifact("flow", build)


_FLOW_HYPS = (
    HAS_NONTRIVIAL_IRREP,
    max_order(_FLOW_MAX_ORDER, "the flow of every neuron is integrated on CPU"),
)


def _by_orbit(ctx, values, skip_trivial: bool = True) -> dict:
    """``{"X.3+X.4": value}`` for the orbits of ``ctx.group`` (irreps numbered 1..k as in GAP)."""
    return {orbit_label(ctx.group, k): v for k, v in enumerate(values) if k or not skip_trivial}


def _purity(ctx):
    m = flow_run(ctx).measurements
    occ = [int(v) for v in m.occupancy()]
    return Measured(float(np.min(m.purity)), {"neurons_by_winning_orbit": _by_orbit(ctx, occ), "neurons": m.neurons})


def _omega_error(ctx):
    m = flow_run(ctx).measurements
    return Measured(float(np.max(m.omega_error)),
                    {"omega_star_by_orbit": _by_orbit(ctx, [float(v) for v in m.omega_star_by_orbit])})


def _align(ctx):
    m = flow_run(ctx).measurements
    return Measured(float(np.min(m.align_re)), {"align_abs_min": float(np.min(m.align_abs))})


def _rank_published(ctx):
    m = flow_run(ctx).measurements
    worst = int(np.argmax(m.rank_ratio))
    details = {
        "rank_ratio_by_winner_fs": {
            str(fs): float(np.max(m.rank_ratio[m.orbit_fs[m.winner_orbit] == fs]))
            for fs in np.unique(m.orbit_fs[m.winner_orbit])
        }
    }
    if m.rank_ratio[worst] > 1e-3:
        details["counterexample"] = (
            f"neuron {worst + 1} converged to the irreps {orbit_label(ctx.group, int(m.winner_orbit[worst]))} "
            f"(FS indicator {int(m.orbit_fs[m.winner_orbit[worst]])}, dimension {int(m.orbit_dims[m.winner_orbit[worst]])}) "
            f"with σ₂/σ₁ = {m.rank_ratio[worst]:.6f} and Ω = Ω* to {m.omega_error[worst]:.1e}: "
            "a stable point of rank two, as real weights force on a quaternionic irrep"
        )
    return Measured(float(np.max(m.rank_ratio)), details)


def _rank_by_indicator(ctx):
    m = flow_run(ctx).measurements
    fs = m.orbit_fs[m.winner_orbit]
    predicted = np.where(fs == -1, 1.0, 0.0)
    return Measured(float(np.max(np.abs(m.rank_ratio - predicted))), {"quaternionic_winners": int((fs == -1).sum())})


def _monotone(ctx):
    """The larger of the off-sphere drift *before* each renormalisation and Ω's largest drop
    between saves relative to max |Ω| (after renormalisation the norms are 1 by construction,
    so they prove nothing; the drift before it is what a non-tangent field would show)."""
    sol = flow_run(ctx).solution
    mon = sol.monitors
    if sol.status not in ("t1_reached", "converged"):
        # a field that leaves the spheres makes the trilinear Ω blow up: the integration fails
        return Measured(float("inf"), {"status": sol.status, "t_final": float(sol.ts[-1])})
    scale = max(float(np.max(np.abs(sol.omega))), 1e-300)
    drop = mon.omega_max_decrease / scale
    return Measured(
        float(max(drop, mon.norm_max_error)),
        {"omega_max_decrease_relative": drop, "norm_error_before_renormalisation": mon.norm_max_error,
         "status": sol.status},
    )


def _abelian_stats(ctx):
    from grokcheck.numerics._abelian_stats import abelian_statistics

    def build():
        sol = flow_run(ctx).solution
        return abelian_statistics(ctx.group, sol.theta1, sol.theta2, sol.xi)

    return ctx.artifact("abelian_stats", build)


def _chi2_p(ctx):
    st = _abelian_stats(ctx)
    n = flow_run(ctx).neurons
    stat = {"test": "χ² goodness of fit of the winning-orbit counts to the uniform law", "p_value": float(st.chi2_p),
            "n_neurons": n, "n_seeds": 1, "rule": "PASS iff p > 0.01"}
    return Measured(float(st.chi2_p), {"counts": st.counts, "chi2": st.chi2}, statistic=stat)


def _phase_p(ctx):
    st = _abelian_stats(ctx)
    k = len(ctx.group.character_table.orbits) - 1
    stat = {"test": "Rayleigh and Kuiper tests of uniform phases within each frequency group, Bonferroni-corrected",
            "p_value": float(st.min_phase_p), "n_neurons": flow_run(ctx).neurons, "n_seeds": 1,
            "rule": f"PASS iff the smallest of the {2 * k} p-values exceeds 0.01/{2 * k}"}
    return Measured(float(st.min_phase_p), {"per_orbit": st.per_orbit}, statistic=stat)


def _phase_threshold(ctx):
    # Bonferroni over the Rayleigh and Kuiper tests of every non-trivial orbit.
    k = len(ctx.group.character_table.orbits) - 1
    return Measured(0.01 / (2 * max(k, 1)), {"tests": 2 * k, "family_level": 0.01})


def _majority(ctx, shared: bool):
    from grokcheck.numerics._abelian_stats import ideal_abelian_population, majority_vote_regression, population_logits

    G = ctx.group
    t1, t2, xi = ideal_abelian_population(G, per_orbit=6, shared=shared)
    mv = majority_vote_regression(G, population_logits(G, t1, t2, xi))
    return Measured(np.asarray(mv.normalized, dtype=float)[:3], {"coef": mv.coef, "residual": mv.residual, "margin": mv.margin})


_ABELIAN_SMALL = Hypothesis(
    "G is Abelian with |G| ≤ 64 (population of 6 or 36 neurons per orbit)",
    lambda ctx: ctx.group.is_abelian and ctx.group.order <= 64,
    lambda ctx: f"{ctx.group} is not Abelian" if not ctx.group.is_abelian else f"|G| = {ctx.group.order} > 64",
)
