"""Population statistics for Abelian groups (He et al., arXiv 2606.02993: the Abelian population law and the majority vote).

* winners per conjugate pair vs uniform (χ² goodness of fit);
* phase uniformity per pair: Rayleigh test, Kuiper test, and the moments
  ``|N⁻¹ Σ e^{iιφ}|`` for ι = 2, 4 (the noise-cancellation conditions of the precursor);
* the population logits ``f(g1, g2)_j = Σ_m ξ_m(j) (θ¹_m(g1) + θ²_m(g2))²`` and their
  majority-vote regression on ``1{j = g1g2}``, ``1{j = g1²}``, ``1{j = g2²}`` and a constant
  (shared input: coefficients ∝ (2, 1, 1, −4/|G|); unshared with independent phases: the
  ghost coefficients vanish).

Phases of a neuron are the arguments of its 1×1 Fourier blocks on the first irrep of its
winning orbit: ``φ¹ = arg θ̂¹[ρ]``, ``φ² = arg θ̂²[ρ]``, ``ψ = arg ξ̂[ρ]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from grokcheck.numerics._measurements import measure_neurons
from grokcheck.numerics._omega import fourier_blocks

__all__ = [
    "rayleigh_test",
    "kuiper_test",
    "phase_moments",
    "neuron_phases",
    "AbelianStatistics",
    "abelian_statistics",
    "population_logits",
    "MajorityVote",
    "majority_vote_regression",
    "ideal_abelian_population",
]


def rayleigh_test(phases) -> tuple[float, float]:
    """Rayleigh test of circular uniformity: ``(R̄, p)`` (Zar's approximation of p)."""
    phi = np.asarray(phases, float)
    n = phi.size
    if n == 0:
        return float("nan"), float("nan")
    R = np.abs(np.sum(np.exp(1j * phi)))
    Rbar = R / n
    p = np.exp(np.sqrt(1 + 4 * n + 4 * (n * n - R * R)) - (1 + 2 * n))
    return float(Rbar), float(min(1.0, max(0.0, p)))


def kuiper_test(phases) -> tuple[float, float]:
    """Kuiper's test of uniformity on the circle: ``(V, p)`` (Stephens' asymptotic series)."""
    phi = np.asarray(phases, float)
    n = phi.size
    if n == 0:
        return float("nan"), float("nan")
    u = np.sort(np.mod(phi, 2 * np.pi) / (2 * np.pi))
    i = np.arange(1, n + 1)
    V = float(np.max(i / n - u) + np.max(u - (i - 1) / n))
    lam = (np.sqrt(n) + 0.155 + 0.24 / np.sqrt(n)) * V
    j = np.arange(1, 101)
    p = float(np.sum(2 * (4 * j**2 * lam**2 - 1) * np.exp(-2 * j**2 * lam**2)))
    return V, float(min(1.0, max(0.0, p)))


def phase_moments(phases, iotas=(2, 4)) -> dict:
    """``{ι: |N⁻¹ Σ e^{iιφ}|}``."""
    phi = np.asarray(phases, float)
    return {int(k): float(np.abs(np.mean(np.exp(1j * k * phi)))) if phi.size else float("nan") for k in iotas}


def neuron_phases(G, theta1, theta2, xi, winner_orbit) -> np.ndarray:
    """``(n, 3)`` phases ``(φ¹, φ², ψ)`` on the first irrep of each neuron's winning orbit
    (NaN where that irrep is not 1-dimensional)."""
    ct = G.character_table
    vecs = [np.asarray(v, float) for v in (theta1, theta2, xi)]
    blocks = [fourier_blocks(G, v) for v in vecs]
    n = vecs[0].shape[0]
    out = np.full((n, 3), np.nan)
    for k in np.unique(winner_orbit):
        rho = ct.orbits[int(k)][0]
        if int(ct.degrees[rho]) != 1:
            continue
        sel = winner_orbit == k
        for j in range(3):
            out[sel, j] = np.angle(blocks[j][rho][sel, 0, 0])
    return out


@dataclass(frozen=True)
class AbelianStatistics:
    """Winner and phase statistics of a population (``k`` orbits).

    Attributes
    ----------
    counts : ``(k,)`` winners per orbit (orbit 0, the trivial one, is excluded from the test).
    chi2, chi2_p : χ² statistic and p-value against uniform over the nontrivial orbits.
    per_orbit : list of dict
        ``{"orbit", "count", "rayleigh": (R̄, p), "kuiper": (V, p), "moments": {2: …, 4: …},
        "phase_law_residual": max |Δ|}`` for the phase ``φ¹``, one per orbit.
    """

    counts: np.ndarray
    chi2: float
    chi2_p: float
    per_orbit: list

    @property
    def min_phase_p(self) -> float:
        ps = [min(r["rayleigh"][1], r["kuiper"][1]) for r in self.per_orbit if r["count"] >= 2]
        return float(min(ps)) if ps else float("nan")

    def to_json(self) -> dict:
        return {"counts": [int(c) for c in self.counts], "chi2": self.chi2, "chi2_p": self.chi2_p, "per_orbit": self.per_orbit}


def abelian_statistics(G, theta1, theta2, xi) -> AbelianStatistics:
    """χ² on winners per conjugate pair and phase-uniformity tests per pair."""
    if not G.is_abelian:
        raise ValueError("abelian_statistics needs an Abelian group (1-dim irreps)")
    m = measure_neurons(G, theta1, theta2, xi)
    counts = m.occupancy()
    obs = counts[1:]
    if obs.sum() > 0 and obs.size > 1:
        chi2, p = stats.chisquare(obs)
    else:
        chi2, p = float("nan"), float("nan")
    ph = neuron_phases(G, theta1, theta2, xi, m.winner_orbit)
    rows = []
    for k in range(1, len(counts)):
        sel = m.winner_orbit == k
        phi = ph[sel, 0]
        delta = np.angle(np.exp(1j * (ph[sel, 2] - ph[sel, 0] - ph[sel, 1])))
        rows.append(
            {
                "orbit": k,
                "count": int(sel.sum()),
                "rayleigh": rayleigh_test(phi),
                "kuiper": kuiper_test(phi),
                "moments": phase_moments(phi),
                "phase_law_residual": float(np.max(np.abs(delta))) if sel.any() else None,
            }
        )
    return AbelianStatistics(counts=counts, chi2=float(chi2), chi2_p=float(p), per_orbit=rows)


def population_logits(G, theta1, theta2, xi, *, scale: float | None = None) -> np.ndarray:
    """``(g, g, g)`` logits ``f(g1, g2)_j = scale · Σ_m ξ_m(j)(θ¹_m(g1) + θ²_m(g2))²``
    (quadratic activation; ``scale`` defaults to ``1/n``)."""
    t1, t2, x = (np.asarray(v, float) for v in (theta1, theta2, xi))
    n = t1.shape[0]
    s = 1.0 / n if scale is None else scale
    pre = t1[:, :, None] + t2[:, None, :]  # (n, g1, g2)
    return s * np.einsum("mab,mj->abj", pre**2, x, optimize=True)


@dataclass(frozen=True)
class MajorityVote:
    """Regression of the logits on ``[1{j=g1g2}, 1{j=g1²}, 1{j=g2²}, 1]``.

    ``coef`` ``(4,)``; ``normalized`` = coef scaled so the first entry is 2 (compare with
    ``(2, 1, 1, −4/|G|)`` shared, ``(2, 0, 0, ·)`` unshared); ``residual`` relative RMS of the
    fit; ``margin`` min over pairs of (correct logit − best wrong logit).
    """

    coef: np.ndarray
    normalized: np.ndarray
    residual: float
    margin: float


def majority_vote_regression(G, logits) -> MajorityVote:
    """Fit ``(|G|, |G|, |G|)`` logits ``L[g1, g2, j]`` by least squares on the majority-vote
    features ``[1{j=g1g2}, 1{j=g1²}, 1{j=g2²}, 1]``; see :class:`MajorityVote` for the fields."""
    g = G.order
    L = np.asarray(logits, float)
    a, b, j = np.meshgrid(np.arange(g), np.arange(g), np.arange(g), indexing="ij")
    T = G.table
    feats = np.stack(
        [
            (j == T[a, b]).ravel(),
            (j == T[a, a]).ravel(),
            (j == T[b, b]).ravel(),
            np.ones(g**3, bool),
        ],
        axis=1,
    ).astype(float)
    y = L.ravel()
    coef, *_ = np.linalg.lstsq(feats, y, rcond=None)
    res = y - feats @ coef
    rel = float(np.sqrt(np.mean(res**2)) / max(np.sqrt(np.mean(y**2)), 1e-300))
    correct = L[np.arange(g)[:, None], np.arange(g)[None, :], T]
    masked = L.copy()
    masked[np.arange(g)[:, None], np.arange(g)[None, :], T] = -np.inf
    margin = float(np.min(correct - masked.max(axis=2)))
    norm = coef * (2.0 / coef[0]) if coef[0] != 0 else coef * np.nan
    return MajorityVote(coef=coef, normalized=norm, residual=rel, margin=margin)


def ideal_abelian_population(G, *, per_orbit: int, shared: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The converged Abelian population of T-a3 with exactly symmetric phases.

    For every nontrivial orbit with character χ: neurons
    ``θ¹(g) = cos(arg χ(g) + φ¹)``, ``θ²(g) = cos(arg χ(g) + φ²)``, ``ξ(g) = cos(arg χ(g) + φ¹ + φ²)``.
    Shared: ``φ¹ = φ² = 2πm/per_orbit`` (``per_orbit ≥ 5`` so that the ι = 2, 4 moments
    vanish). Unshared: ``(φ¹, φ²)`` over the full grid of ``per_orbit²`` independent phase pairs.
    Returns three ``(n, g)`` arrays (unit norm rows).
    """
    ct = G.character_table
    chars = ct.on_elements()
    grid = 2 * np.pi * np.arange(per_orbit) / per_orbit
    pairs = [(p, p) for p in grid] if shared else [(p, q) for p in grid for q in grid]
    rows = ([], [], [])
    for orb in ct.orbits[1:]:
        ang = np.angle(chars[orb[0]])
        for p, q in pairs:
            for v, ph in zip(rows, (p, q, p + q)):
                x = np.cos(ang + ph)
                v.append(x / np.linalg.norm(x))
    return tuple(np.asarray(r) for r in rows)
