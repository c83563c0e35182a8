"""He et al.'s Stage I end state (T-a1) from the table-free Fourier-block flow.

These checks integrate the Fourier-domain Stage I flow from the exact character table alone
(:func:`grokcheck.numerics.run_block_flow`: ``|G|`` and the irrep dimensions, no Cayley table,
no irrep matrices), so they also run on permutation groups beyond the dense table (S8,
|G| = 40320). The block flow's Gaussian-block initialisation is the uniform spherical one only
when every irrep is of real type, which is their hypothesis. On groups with a dense table the
``flow.*`` checks integrate the same flow from the table; these are an independent route to the
same end state.

References: He et al., arXiv 2606.02993, Theorem 4.3 (T-a1).
"""

from __future__ import annotations

import numpy as np

from grokcheck.checks._hypotheses import HAS_NONTRIVIAL_IRREP, max_order
from grokcheck.checks._names import irrep_label
from grokcheck.checks._registry import Check, Hypothesis, Measured, Tolerance

__all__ = ["BLOCK_FLOW_CHECKS", "block_flow_run"]

_HE = "He et al., arXiv 2606.02993"

# The block flow costs neurons·Σ_ρ d_ρ³ per field evaluation, and the step size follows the
# stiffest neuron: on S8 (Σd³ ≈ 3·10⁶, one CPU core) 2 neurons took 15 s, 4 neurons 5 min and
# 16 neurons 5 min to reach 400|G|^{3/2}; S9 would take hours.
_BLOCK_MAX_ORDER = 100_000


def _neurons(ctx) -> int:
    """2 neurons on the small budget (seconds to minutes on S8's 22 blocks), 16 on the full one."""
    return 16 if ctx.budget == "full" else 2


def block_flow_run(ctx):
    """The shared table-free run (artifact ``"block_flow"``, a :class:`~grokcheck.numerics.BlockFlowRun`)."""

    def build():
        from grokcheck.numerics._block_flow import run_block_flow

        degrees = [int(d) for d in ctx.group.character_table.degrees]
        return run_block_flow(ctx.group.order, degrees, neurons=_neurons(ctx), seed=ctx.seed)

    return ctx.artifact("block_flow", build)


def _non_real(G) -> list[int]:
    fs = np.asarray(G.character_table.fs_indicators)
    return [i for i in range(len(fs)) if int(fs[i]) != 1]


ALL_REAL = Hypothesis(
    "every irrep of G is of real type (Frobenius–Schur indicator +1)",
    lambda ctx: not _non_real(ctx.group),
    lambda ctx: f"{ctx.group} has irreps of indicator 0 or −1 ({', '.join(irrep_label(i) for i in _non_real(ctx.group)[:6])}); "
                "the table-free flow's Gaussian blocks are the uniform spherical initialisation only for real-type irreps",
)

_HYPS = (HAS_NONTRIVIAL_IRREP, ALL_REAL,
         max_order(_BLOCK_MAX_ORDER, "the table-free flow costs neurons·Σd³ per step, minutes on CPU up to S8"))


def _winners(ctx, run) -> dict:
    dom = [int(i) for i in run.dominant]
    return {irrep_label(i): dom.count(i) for i in sorted(set(dom))}


def _purity(ctx):
    run = block_flow_run(ctx)
    return Measured(float(run.purity.min()), {"neurons_by_dominant_irrep": _winners(ctx, run), "neurons": run.neurons,
                                              "t_final": run.t_final, "status": run.status})


def _omega_rel(ctx):
    run = block_flow_run(ctx)
    rel = np.abs(run.omega - run.omega_star) / run.omega_star
    return Measured(float(rel.max()), {"omega_error_max": float(np.abs(run.omega - run.omega_star).max()),
                                       "omega_star_by_dominant_irrep": {irrep_label(int(i)): float(s) for i, s in
                                                                        zip(run.dominant, run.omega_star)}})


def _rank(ctx):
    run = block_flow_run(ctx)
    return Measured(float(run.rank_ratio.max()), {"neurons_by_dominant_irrep": _winners(ctx, run)})


BLOCK_FLOW_CHECKS = (
    Check(
        id="flow.table-free.single-irrep",
        claim="T-a1 (1), integrated from the character table alone: every neuron converges to a single irrep (purity → 1).",
        source=f"{_HE}, Theorem 4.3 (T-a1), part 1; the flow on Fourier blocks of real-type irreps",
        predict=lambda ctx: 1.0,
        measure=_purity,
        tolerance=Tolerance(1e-3, "the flow is stopped at t1 = 400|G|^{3/2}; the losing irreps decay exponentially, so "
                                  "purity is within 1e-3 of 1", "at_least"),
        hypotheses=_HYPS,
        layer="numerics",
        table_free=True,
    ),
    Check(
        id="flow.table-free.omega-star",
        claim="Integrated from the character table alone, each neuron's Ω converges to Ω*(ρ) = |G|^{-3/2}/√d_ρ "
              "(real-type irreps, m_ρ = 1), relative to Ω*.",
        source=f"{_HE}, Theorem 4.3 (T-a1): the stable values of Ω",
        predict=lambda ctx: 0.0,
        measure=_omega_rel,
        tolerance=Tolerance(1e-6, "relative, as Ω* ∝ |G|^{-3/2} (1e-8 on S8); the RK45 error at rtol 1e-8 of a "
                                  "converged run is orders below 1e-6", "at_most"),
        hypotheses=_HYPS,
        layer="numerics",
        table_free=True,
    ),
    Check(
        id="flow.table-free.rank-one",
        claim="Integrated from the character table alone, each neuron's dominant block is rank one (σ₂/σ₁ → 0; "
              "every irrep of real type).",
        source=f"{_HE}, Theorem 4.3 (T-a1), part 2 (rank one for real-type irreps)",
        predict=lambda ctx: 0.0,
        measure=_rank,
        tolerance=Tolerance(1e-3, "the flow is stopped at a finite time; σ₂/σ₁ decays exponentially towards 0, so "
                                  "1e-3 leaves room for the slowest neuron", "at_most"),
        hypotheses=_HYPS,
        layer="numerics",
        table_free=True,
    ),
)
