"""What the theory predicts for a group: stable values of Ω and 𝓔, and block ranks.

Per irrep orbit ``O = {ρ, ρ̄}`` (He et al., arXiv 2606.02993, the Stage I flow; Tian, arXiv 2509.21519, Theorem 2, corrected constants (docs/errata.md)):

* ``Ω*(ρ) = |G|^{-3/2} / sqrt(d_ρ m_ρ)`` with ``m_ρ = 1`` for real (ι=+1) and ``2`` for
  complex (ι=0) or quaternionic (ι=−1) irreps (each vector on its own unit sphere);
* predicted rank of the winning Fourier block: 1, except 2 for quaternionic irreps
  (real vectors have paired singular values there; He et al. do not cover this case —
  grokcheck measures ``σ₂/σ₁`` and predicts 0 for ι ≠ −1 and 1 for ι = −1);
* Li₂'s ``𝓔*(ρ) = |G| / (2 d_ρ m_ρ)`` on the unit sphere ``‖[θ¹;θ²]‖ = 1``, i.e.
  ``M/(2d_k)`` real and ``M/(4d_k)`` complex — 4× the printed constants of Tian's
  Theorem 2 (Tian, arXiv 2509.21519, Theorem 2, corrected constants (docs/errata.md)). For quaternionic irreps the same formula with ``m = 2``
  follows from the identity ``𝓔 = 2|G|⁴(max_ξ Ω)²`` but Li₂ does not state it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["OrbitPrediction", "Predictions", "predictions", "fs_multiplicity", "stable_point"]


def fs_multiplicity(fs_indicator: int) -> int:
    """``m_ρ`` of He et al., arXiv 2606.02993, the Stage I flow: 1 for real irreps, 2 for complex and quaternionic ones."""
    return 1 if int(fs_indicator) == 1 else 2


@dataclass(frozen=True)
class OrbitPrediction:
    """Prediction for one irrep orbit (index ``index`` into ``ct.orbits``)."""

    index: int
    orbit: tuple[int, ...]
    dim: int
    fs_indicator: int
    m: int
    omega_star: float
    omega_star_exact: str
    rank: int
    rank_ratio: float
    li2_energy_star: float
    li2_energy_star_exact: str

    @property
    def kind(self) -> str:
        return {1: "real", 0: "complex", -1: "quaternionic"}[self.fs_indicator]

    def to_json(self) -> dict:
        d = dict(self.__dict__)
        d["orbit"] = list(self.orbit)
        d["kind"] = self.kind
        return d


@dataclass(frozen=True)
class Predictions:
    """The per-orbit table for a group; orbit 0 (trivial) carries no prediction (NaN)."""

    order: int
    orbits: tuple[OrbitPrediction, ...]

    @property
    def omega_star(self) -> np.ndarray:
        """``(num_orbits,)`` Ω* per orbit (NaN for the trivial orbit)."""
        return np.array([o.omega_star for o in self.orbits])

    @property
    def li2_energy_star(self) -> np.ndarray:
        return np.array([o.li2_energy_star for o in self.orbits])

    @property
    def rank_ratio(self) -> np.ndarray:
        return np.array([o.rank_ratio for o in self.orbits])

    def to_json(self) -> dict:
        return {"order": self.order, "orbits": [o.to_json() for o in self.orbits]}


def predictions(G) -> Predictions:
    """The prediction table for ``G`` (uses only the exact character table)."""
    import sympy

    ct = G.character_table
    g = G.order
    out = []
    for k, orb in enumerate(ct.orbits):
        rho = orb[0]
        d = int(ct.degrees[rho])
        fs = int(ct.fs_indicators[rho])
        if k == 0 and orb == (0,):
            out.append(OrbitPrediction(0, orb, 1, 1, 1, float("nan"), "nan", 0, float("nan"), float("nan"), "nan"))
            continue
        m = fs_multiplicity(fs)
        om = sympy.nsimplify(sympy.Integer(g) ** sympy.Rational(-3, 2) / sympy.sqrt(d * m))
        om = sympy.radsimp(om)
        e = sympy.Rational(g, 2 * d * m)
        out.append(
            OrbitPrediction(
                index=k,
                orbit=tuple(int(i) for i in orb),
                dim=d,
                fs_indicator=fs,
                m=m,
                omega_star=float(g**-1.5 / np.sqrt(d * m)),
                omega_star_exact=str(om),
                rank=2 if fs == -1 else 1,
                rank_ratio=1.0 if fs == -1 else 0.0,
                li2_energy_star=float(e),
                li2_energy_star_exact=str(e),
            )
        )
    return Predictions(order=g, orbits=tuple(out))


def stable_point(G, orbit_index: int) -> np.ndarray:
    """A unit vector ``f`` (``(g,)`` float64) such that ``θ¹ = θ² = ξ = f`` is a stable
    point of the Stage I flow on ``orbit_index`` with ``Ω = Ω*``.

    Construction: ``f ∝ P_O 1_H``, the isotypic projection of the indicator of a subgroup
    ``H`` (:func:`stable_point_subgroup`); every block ``f̂[ρ]`` is then a positive
    multiple of the orthogonal projector onto ``Fix_H(ρ)``, of rank 1 (rank 2 for
    quaternionic ρ; ``H`` from :func:`grokcheck.theory._energy.stable_point_subgroup`), so the three blocks are equal, aligned and of the predicted rank.
    """
    from grokcheck.theory._energy import stable_point_subgroup

    ct = G.character_table
    H = stable_point_subgroup(G, orbit_index)
    chis = ct.on_elements()[list(ct.orbits[orbit_index])]  # (|O|, g)
    inv = G.inverses
    # f(x) = Σ_{ρ∈O} Σ_{h∈H} conj χ_ρ(x h⁻¹)
    f = np.zeros(G.order, dtype=complex)
    for h in H:
        f += np.conj(chis[:, G.table[:, inv[h]]]).sum(axis=0)
    f = f.real
    return f / np.linalg.norm(f)
