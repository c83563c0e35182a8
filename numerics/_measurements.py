"""Per-neuron spectral measurements (He et al., arXiv 2606.02993), for flows and trained networks.

For neuron ``m`` with first-layer blocks ``θ¹_m, θ²_m`` and output weights ``ξ_m`` (each a
real ``(g,)`` vector indexed by group elements):

* **orbit energies** ``E_O(ν) = Σ_{ρ∈O} d_ρ ‖ν̂[ρ]‖_F²`` for every orbit ``O = {ρ, ρ̄}``;
* **winner**: the nontrivial orbit maximising ``Σ_ν E_O(ν)/E_{≠1}(ν)`` (the three
  vectors' nontrivial energy shares added);
* **purity per vector** ``E_winner(ν)/E_{≠1}(ν)`` (He et al., arXiv 2606.02993, the measured quantities evaluated at the common
  winner, so a vector whose own best orbit differs gets purity < 1/2); ``purity`` is the
  minimum over the three vectors;
* **rank ratio** ``σ₂/σ₁`` of the winner block ``ν̂[ρ]`` (``ρ`` the first irrep of the
  orbit; ``ρ̄`` has the same singular values), per vector; ``rank_ratio`` is the maximum
  over the three vectors (0 for 1-dim irreps);
* **alignment** on the orbit's blocks, for the pairs ``(ξ̂, θ̂²θ̂¹)``, ``(θ̂¹, θ̂²^*ξ̂)``,
  ``(θ̂², ξ̂θ̂¹^*)`` with ``⟨A, B⟩ = Σ_{ρ∈O} d_ρ tr(A^* B)``: ``|⟨A,B⟩|/(‖A‖‖B‖)`` and
  ``Re⟨A,B⟩/(‖A‖‖B‖)``;
* **phase residual** ``arg ξ̂ − arg θ̂¹ − arg θ̂²`` wrapped to ``(−π, π]`` on the first
  irrep of the winner, NaN when ``d > 1``;
* ``omega`` (Fourier form, normalised vectors if ``normalize``) and ``omega_star`` of the winner.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from grokcheck.numerics._omega import fourier_blocks
from grokcheck.numerics._predictions import predictions

__all__ = ["NeuronMeasurements", "measure_neurons"]


@dataclass(frozen=True)
class NeuronMeasurements:
    """Per-neuron measurements (``n`` neurons, ``k`` orbits). See module docstring.

    Attributes
    ----------
    orbits : ``ct.orbits`` of the group (``winner_orbit`` indexes it).
    orbit_dims, orbit_fs : ``(k,)`` dimension and FS indicator of each orbit.
    omega_star_by_orbit : ``(k,)`` Ω* (NaN for the trivial orbit).
    winner_orbit : ``(n,)`` int.
    winner_per_vector : ``(n, 3)`` int, each vector's own best nontrivial orbit.
    orbit_energy : ``(n, 3, k)`` orbit energies of θ¹, θ², ξ (after normalisation).
    purity : ``(n,)``; purity_per_vector ``(n, 3)``.
    rank_ratio : ``(n,)``; rank_ratio_per_vector ``(n, 3)``.
    align_abs, align_re : ``(n, 3)``.
    phase_residual : ``(n,)`` radians (NaN for ``d > 1`` winners).
    omega, omega_star : ``(n,)``.
    """

    orbits: tuple
    orbit_dims: np.ndarray
    orbit_fs: np.ndarray
    omega_star_by_orbit: np.ndarray
    winner_orbit: np.ndarray
    winner_per_vector: np.ndarray
    orbit_energy: np.ndarray
    purity: np.ndarray
    purity_per_vector: np.ndarray
    rank_ratio: np.ndarray
    rank_ratio_per_vector: np.ndarray
    align_abs: np.ndarray
    align_re: np.ndarray
    phase_residual: np.ndarray
    omega: np.ndarray
    omega_star: np.ndarray

    @property
    def neurons(self) -> int:
        return int(self.winner_orbit.shape[0])

    @property
    def omega_error(self) -> np.ndarray:
        """``(n,)`` ``|Ω − Ω*(winner)|``."""
        return np.abs(self.omega - self.omega_star)

    def occupancy(self) -> np.ndarray:
        """``(k,)`` number of neurons whose winner is each orbit."""
        return np.bincount(self.winner_orbit, minlength=len(self.orbits))

    def summary(self) -> dict:
        """Per-orbit occupancy and worst-case statistics, plus global worst cases."""
        occ = self.occupancy()
        rows = []
        for k, orb in enumerate(self.orbits):
            if k == 0:
                continue
            sel = self.winner_orbit == k
            c = int(occ[k])

            def agg(a, fn):
                return float(fn(a[sel])) if c else None

            rows.append(
                {
                    "orbit": k,
                    "irreps": [int(i) for i in orb],
                    "dim": int(self.orbit_dims[k]),
                    "fs_indicator": int(self.orbit_fs[k]),
                    "count": c,
                    "fraction": c / max(1, self.neurons),
                    "purity_min": agg(self.purity, np.min),
                    "rank_ratio_max": agg(self.rank_ratio, np.max),
                    "rank_ratio_min": agg(self.rank_ratio, np.min),
                    "align_re_min": agg(self.align_re.min(axis=1), np.min),
                    "omega_mean": agg(self.omega, np.mean),
                    "omega_star": float(self.omega_star_by_orbit[k]),
                    "omega_error_max": agg(self.omega_error, np.max),
                }
            )
        return {
            "neurons": self.neurons,
            "orbits": rows,
            "purity_min": float(np.min(self.purity)) if self.neurons else None,
            "align_re_min": float(np.min(self.align_re)) if self.neurons else None,
            "omega_error_max": float(np.max(self.omega_error)) if self.neurons else None,
        }

    def to_json(self) -> dict:
        """Summary plus per-neuron lists (NaN written as ``null``)."""

        def lst(a):
            a = np.asarray(a, dtype=float)
            return [None if not np.isfinite(v) else float(v) for v in a.ravel()] if a.ndim == 1 else [lst(r) for r in a]

        return {
            "summary": self.summary(),
            "neurons": {
                "winner_orbit": [int(v) for v in self.winner_orbit],
                "purity": lst(self.purity),
                "purity_per_vector": lst(self.purity_per_vector),
                "rank_ratio": lst(self.rank_ratio),
                "rank_ratio_per_vector": lst(self.rank_ratio_per_vector),
                "align_abs": lst(self.align_abs),
                "align_re": lst(self.align_re),
                "phase_residual": lst(self.phase_residual),
                "omega": lst(self.omega),
                "omega_star": lst(self.omega_star),
            },
        }

    def to_json_string(self) -> str:
        return json.dumps(self.to_json())


def _ratio(blk: np.ndarray) -> np.ndarray:
    """σ₂/σ₁ of ``(n, d, d)`` blocks (0 for d = 1 or zero blocks)."""
    if blk.shape[-1] == 1:
        return np.zeros(blk.shape[0])
    s = np.linalg.svd(blk, compute_uv=False)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(s[:, 0] > 0, s[:, 1] / np.where(s[:, 0] > 0, s[:, 0], 1.0), 0.0)
    return r


def measure_neurons(G, theta1, theta2, xi, *, normalize: bool = True, prediction=None) -> NeuronMeasurements:
    """Measure a population of neurons against the irreps of ``G``.

    Parameters
    ----------
    G : FiniteGroup (needs ``G.irreps``).
    theta1, theta2, xi : ``(n, g)`` real arrays (rows are neurons; ``g = |G|``).
        For shared input pass the same array twice.
    normalize : scale each vector to unit norm first (as the authors' code does,
        docs/conventions.md); zero vectors stay zero.
    prediction : ``predictions(G)`` when the caller already has it (it is symbolic and costs
        more than the measurement itself on large groups); computed when ``None``.

    Returns
    -------
    :class:`NeuronMeasurements`.
    """
    g = G.order
    vecs = []
    for v in (theta1, theta2, xi):
        v = np.asarray(v, dtype=np.float64)
        if v.ndim != 2 or v.shape[1] != g:
            raise ValueError(f"expected an (n, {g}) array, got shape {v.shape}")
        if normalize:
            nr = np.linalg.norm(v, axis=1, keepdims=True)
            v = v / np.where(nr > 0, nr, 1.0)
        vecs.append(v)
    n = vecs[0].shape[0]
    if not (vecs[1].shape[0] == n and vecs[2].shape[0] == n):
        raise ValueError("theta1, theta2, xi must have the same number of rows")
    ct = G.character_table
    orbits = ct.orbits
    irreps = G.irreps
    dims = np.array([int(r.dim) for r in irreps])
    blocks = [fourier_blocks(G, v) for v in vecs]  # [vec][irrep] (n, d, d)
    irrep_e = np.stack([np.stack([dims[i] * np.sum(np.abs(b[i]) ** 2, axis=(1, 2)) for i in range(len(irreps))], axis=1) for b in blocks], axis=1)  # (n,3,r)
    k = len(orbits)
    orb_e = np.stack([irrep_e[:, :, list(o)].sum(axis=2) for o in orbits], axis=2)  # (n,3,k)
    nontriv = orb_e[:, :, 1:].sum(axis=2)  # (n,3)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = orb_e / nontriv[:, :, None]
    share_nt = np.nan_to_num(share[:, :, 1:], nan=0.0)
    winner = 1 + np.argmax(share_nt.sum(axis=1), axis=1) if k > 1 else np.zeros(n, dtype=int)
    winner_pv = 1 + np.argmax(share_nt, axis=2) if k > 1 else np.zeros((n, 3), dtype=int)
    pur_pv = share[np.arange(n), :, winner] if k > 1 else np.full((n, 3), np.nan)
    pur_pv = np.asarray(pur_pv).reshape(n, 3)
    purity = pur_pv.min(axis=1)

    pred = predictions(G) if prediction is None else prediction
    om_star_orb = pred.omega_star
    orbit_dims = np.array([int(ct.degrees[o[0]]) for o in orbits])
    orbit_fs = np.array([int(ct.fs_indicators[o[0]]) for o in orbits])

    rank_pv = np.zeros((n, 3))
    align_abs = np.full((n, 3), np.nan)
    align_re = np.full((n, 3), np.nan)
    phase = np.full(n, np.nan)
    for w in np.unique(winner):
        sel = np.nonzero(winner == w)[0]
        orb = orbits[w]
        rho = orb[0]
        for j in range(3):
            rank_pv[sel, j] = _ratio(blocks[j][rho][sel])
        inner = np.zeros((len(sel), 3), dtype=complex)
        n1 = np.zeros((len(sel), 3))
        n2 = np.zeros((len(sel), 3))
        for r in orb:
            A, B, C = blocks[0][r][sel], blocks[1][r][sel], blocks[2][r][sel]
            Ah = np.conj(np.swapaxes(A, 1, 2))
            Bh = np.conj(np.swapaxes(B, 1, 2))
            pairs = [(C, B @ A), (A, Bh @ C), (B, C @ Ah)]
            d = dims[r]
            for j, (X, Y) in enumerate(pairs):
                inner[:, j] += d * np.sum(np.conj(X) * Y, axis=(1, 2))
                n1[:, j] += d * np.sum(np.abs(X) ** 2, axis=(1, 2))
                n2[:, j] += d * np.sum(np.abs(Y) ** 2, axis=(1, 2))
        den = np.sqrt(n1 * n2)
        with np.errstate(invalid="ignore", divide="ignore"):
            align_abs[sel] = np.abs(inner) / den
            align_re[sel] = inner.real / den
        if dims[rho] == 1:
            z = blocks[2][rho][sel, 0, 0] * np.conj(blocks[0][rho][sel, 0, 0]) * np.conj(blocks[1][rho][sel, 0, 0])
            phase[sel] = np.angle(z)
    om = np.zeros(n)
    for i in range(1, len(irreps)):
        A, B, C = blocks[0][i], blocks[1][i], blocks[2][i]
        om += dims[i] * np.sum(np.conj(C) * (B @ A), axis=(1, 2)).real
    return NeuronMeasurements(
        orbits=orbits,
        orbit_dims=orbit_dims,
        orbit_fs=orbit_fs,
        omega_star_by_orbit=om_star_orb,
        winner_orbit=np.asarray(winner, dtype=np.int64),
        winner_per_vector=np.asarray(winner_pv, dtype=np.int64),
        orbit_energy=orb_e,
        purity=purity,
        purity_per_vector=pur_pv,
        rank_ratio=rank_pv.max(axis=1),
        rank_ratio_per_vector=rank_pv,
        align_abs=align_abs,
        align_re=align_re,
        phase_residual=phase,
        omega=om,
        omega_star=om_star_orb[winner],
    )
