"""Measurements of the precursor paper's per-neuron ODE (Z_p, shared input; arXiv 2602.16849)
and of Li₂'s Stage I backpropagated gradient G_F (arXiv 2509.21519, Proposition 1)."""

from __future__ import annotations

import numpy as np

from grokcheck.checks._hypotheses import CYCLIC
from grokcheck.checks._registry import Hypothesis, Measured

_ODD_CYCLIC = Hypothesis(
    "G is cyclic of odd order ≥ 3 (the precursor's Z_p with a complex frequency)",
    lambda ctx: CYCLIC.holds(ctx) and ctx.group.order % 2 == 1 and ctx.group.order >= 3,
    lambda ctx: CYCLIC.why_not(ctx) if not CYCLIC.holds(ctx) else f"|G| = {ctx.group.order} is not odd ≥ 3",
)


def _ode_vs_vectors(ctx):
    from grokcheck.numerics._precursor import frequency_coordinates, precursor_ode, precursor_vector_flow, single_frequency

    p = ctx.group.order
    rng = ctx.rng("precursor")
    phi0, psi0 = rng.uniform(-3, 3, size=2)
    ts = np.linspace(0, 10 * p, 5)  # well before the finite-time blow-up (≈ 25p at amplitude 0.02)
    th, xi = precursor_vector_flow(p, single_frequency(p, 1, 0.02, phi0), single_frequency(p, 1, 0.02, psi0), t_eval=ts)
    sol = precursor_ode(p, 0.02, 0.02, phi0, psi0, t1=ts[-1], t_eval=ts)
    a, _ = frequency_coordinates(th, 1)
    b, _ = frequency_coordinates(xi, 1)
    err = float(max(np.max(np.abs(a - sol.alpha)), np.max(np.abs(b - sol.beta))))
    inv = float(np.max(np.abs(sol.invariant - sol.invariant[0])))
    return Measured(max(err, inv), {"magnitude_error": err, "invariant_drift": inv, "phi0": phi0, "psi0": psi0})


def _gf(ctx):
    from grokcheck.numerics._li2 import gf_closed_form, gf_limit, simulate_gf, table_inputs

    G = ctx.group
    X, Y = table_inputs(G)
    rng = ctx.rng("gf")
    K = 2 * G.order + 4  # full column rank of F̃ is generic for K < |G|²
    W = rng.standard_normal((X.shape[1], K)) / np.sqrt(2)
    F = (X @ W) ** 2
    # Scale F so that λ(F̃ᵀF̃) ≤ 1: the flow's rates then lie in [η, 1 + η] and the ODE is not stiff.
    F = F / np.linalg.norm(F - F.mean(axis=0), 2)
    eta = 0.3
    V0 = 1e-3 * rng.standard_normal((K, Y.shape[1]))
    ts = np.array([0.0, 0.1, 1.0, 10.0, 90.0])  # e^{-η·90} ≈ 2e-12: the limit is reached
    sim = simulate_gf(F, Y, V0, eta, ts)
    exact = gf_closed_form(F, Y, V0, eta, ts)
    lim = gf_limit(F, Y, eta)
    scale = float(np.max(np.abs(exact)))
    e1 = float(np.max(np.abs(sim.gf - exact))) / scale
    e2 = float(np.max(np.abs(sim.gf[-1] - lim))) / scale
    return Measured(max(e1, e2), {"simulation_vs_exact": e1, "late_time_vs_prop1_limit": e2, "K": K, "eta": eta})
