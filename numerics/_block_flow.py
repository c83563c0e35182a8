"""He et al.'s Stage I flow in the Fourier domain from the irrep dimensions alone (no table, no |G|-vectors).

The Fourier-domain Stage I flow (:mod:`grokcheck.numerics._flow`, ``domain="fourier"``) is a
closed ODE on the blocks ``θ̂¹[ρ], θ̂²[ρ], ξ̂[ρ]`` (``d_ρ × d_ρ``) with
``Ω = Σ_{ρ ≠ 1} d_ρ Re tr(ξ̂[ρ]^* θ̂²[ρ] θ̂¹[ρ])`` and ``⟨u, v⟩ = |G| Σ_ρ d_ρ Re tr(û v̂^*)``:
its cost is ``O(n Σ_ρ d_ρ³)`` per evaluation and it never needs the group's elements. Only
the initial condition is written in parameter coordinates — uniform on the unit sphere of
``R^{|G|}`` — and by Plancherel the map ``ν ↦ (√(|G| d_ρ) ν̂[ρ]_{ij})`` is an isometry onto
the real Fourier blocks when every irrep is real (Frobenius–Schur indicator +1, real
orthogonal form), so the init is drawn directly as independent Gaussian blocks with
standard deviation ``1/√(|G| d_ρ)``, normalised. This module therefore runs the flow on
groups far beyond the dense table (S8: |G| = 40320, Σ d_ρ³ ≈ 3·10⁶) from
``(|G|, [d_ρ])``; groups with complex or quaternionic irreps are refused (their blocks obey
conjugation constraints this sampler does not impose).

References: He et al., arXiv 2606.02993 (the model, the Stage I flow, Theorem 4.3).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.integrate import RK45

from grokcheck.errors import InvalidInputError
from grokcheck.numerics._flow import _FourierField, _retract, _rhs

__all__ = ["BlockFlowRun", "run_block_flow"]


class _BlockField:
    """The Fourier field of :mod:`_flow` with only the block bookkeeping (``groups`` without matrices)."""

    omega = _FourierField.omega
    _omega_and_products = _FourierField._omega_and_products
    grads = _FourierField.grads
    sq_norms = _FourierField.sq_norms

    def __init__(self, order: int, dims, sphere: str = "separate"):
        self.g, self.sphere = int(order), sphere
        dims = [int(d) for d in dims]
        self.dims = dims
        self.groups = []
        for d in sorted(set(dims)):
            idx = [i for i, e in enumerate(dims) if e == d]
            self.groups.append((d, idx, None, None, np.array([i != 0 for i in idx])))


@dataclass(frozen=True)
class BlockFlowRun:
    """Result of :func:`run_block_flow`.

    Attributes
    ----------
    order, dims : ``|G|`` and the irrep dimensions (index 0 the trivial irrep).
    neurons, seed, seconds : the run.
    omega : ``(n,)`` final Ω per neuron; ``omega_star`` : ``(n,)`` ``|G|^{-3/2}/√d`` of each
        neuron's dominant irrep (real type: ``m = 1``).
    dominant : ``(n,)`` dominant irrep index; ``purity`` : ``(n,)`` the fraction of the neuron's
        squared norm (θ¹, θ², ξ together) in that irrep.
    rank_ratio : ``(n,)`` σ₂/σ₁ of the dominant θ̂¹ block (0 = rank one).
    status : solver message; ``ok`` : whether the solver reached ``t1``;
        ``t_final`` : the flow time reached.
    """

    order: int
    dims: tuple
    neurons: int
    seed: int
    seconds: float
    omega: np.ndarray
    omega_star: np.ndarray
    dominant: np.ndarray
    purity: np.ndarray
    rank_ratio: np.ndarray
    status: str
    ok: bool = True
    t_final: float = float("nan")


def run_block_flow(order: int, dims, *, neurons: int = 16, seed: int = 0, t1: float | None = None) -> BlockFlowRun:
    """Integrate the Stage I flow (separate spheres) on Fourier blocks of the given dimensions.

    Parameters
    ----------
    order : |G|.
    dims : the irrep dimensions ``d_ρ`` (all of real type), the trivial irrep first; ``Σ d² = |G|``.
    neurons, seed : population size and the seed of the Gaussian-block initialisation.
    t1 : flow time (default ``400 |G|^{3/2}``, as :func:`~grokcheck.numerics.run_stage_one`).
    """
    dims = [int(d) for d in dims]
    if sum(d * d for d in dims) != int(order) or dims[0] != 1:
        raise InvalidInputError(f"irrep dimensions must have Σ d² = |G| = {order} with the trivial irrep first")
    if neurons < 1 or seed < 0:
        raise InvalidInputError(f"neurons ≥ 1 and seed ≥ 0 needed, got {neurons}, {seed}")
    f = _BlockField(order, dims)
    g = f.g
    rng = np.random.default_rng(seed)
    s = {
        d: rng.standard_normal((3, neurons, len(idx), d, d)).astype(complex) / np.sqrt(g * d)
        for d, idx, *_ in f.groups
    }
    s, _ = _retract(f, s)
    keys = [d for d, *_ in f.groups]
    shapes = [s[d].shape for d in keys]
    sizes = [int(np.prod(sh)) for sh in shapes]

    def unflat(y):
        out, pos = {}, 0
        for d, sh, sz in zip(keys, shapes, sizes):
            out[d] = y[pos : pos + sz].reshape(sh).astype(complex)
            pos += sz
        return out

    def flat(st):
        return np.concatenate([st[d].real.ravel() for d in keys])

    t1 = 400.0 * g**1.5 if t1 is None else float(t1)
    start = time.perf_counter()
    y, t_final, ok, message = _integrate_rk45(lambda _t, y: flat(_rhs(f, unflat(y))), flat(s), t1)
    seconds = time.perf_counter() - start
    s, _ = _retract(f, unflat(y))
    om = f.omega(s)
    # per-irrep squared norm of each neuron (three vectors together)
    energy = np.zeros((neurons, len(dims)))
    for d, idx, *_ in f.groups:
        energy[:, idx] = g * d * np.einsum("vnkij->nk", np.abs(s[d]) ** 2)
    dom = np.argmax(energy, axis=1)
    purity = energy[np.arange(neurons), dom] / energy.sum(axis=1)
    ratio = np.empty(neurons)
    for nidx in range(neurons):
        d = dims[dom[nidx]]
        blk = s[d][0, nidx, [i for i, e in enumerate(dims) if e == d].index(dom[nidx])]
        sv = np.linalg.svd(blk, compute_uv=False)
        ratio[nidx] = sv[1] / sv[0] if len(sv) > 1 else 0.0
    star = g**-1.5 / np.sqrt(np.array([dims[i] for i in dom], dtype=float))
    return BlockFlowRun(int(order), tuple(dims), neurons, seed, seconds, om, star, dom, purity, ratio, message,
                        ok, t_final)


#: scipy's ``solve_ivp`` message for a run that reached ``t1`` (kept word for word: ``flow.json``'s ``solver_message``)
_REACHED = "The solver successfully reached the end of the integration interval."


def _integrate_rk45(fun, y0: np.ndarray, t1: float):
    """The steps ``solve_ivp(fun, (0, t1), y0, method="RK45", rtol=1e-8, atol=1e-11)`` takes, keeping only the
    last state.

    ``solve_ivp`` without ``t_eval`` keeps the state after every step (``sol.y``): on S8 with 16
    neurons that is 15 MB a step and 3.2 GB over a run, of which only the last column is read.
    Stepping the same :class:`scipy.integrate.RK45` solver here gives bit-identical states.
    Returns ``(y, t, ok, message)``: the last accepted state and its time, whether ``t1`` was
    reached, and the solver's message (``solve_ivp``'s words).
    """
    solver = RK45(fun, 0.0, y0, float(t1), rtol=1e-8, atol=1e-11)
    while solver.status == "running":
        message = solver.step()
    if solver.status == "failed":  # the solver keeps its last accepted step (t, y), as solve_ivp's sol.y[:, -1]
        return solver.y, float(solver.t), False, message
    return solver.y, float(solver.t), True, _REACHED
