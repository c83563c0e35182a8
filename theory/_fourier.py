"""The Fourier transform on a finite group (He et al.'s normalisation, arXiv 2606.02993; docs/conventions.md).

Conventions
-----------
With the certified unitary irreps ``ρ`` of ``G.irreps`` (in character-table order):

* transform:  ``ν̂[ρ] = |G|⁻¹ Σ_g ν(g) ρ(g⁻¹)``                (d_ρ × d_ρ)
* inversion:  ``ν(g) = Σ_ρ d_ρ tr(ν̂[ρ] ρ(g))``
* Plancherel: ``Σ_g u(g) v̄(g) = |G| Σ_ρ d_ρ tr(û[ρ] v̂[ρ]*)``
* convolution ``(u∗v)(h) = Σ_g u(g) v(g⁻¹h)``:  ``(u∗v)^[ρ] = |G| v̂[ρ] û[ρ]`` (note the order)
* per-irrep energy ``E_ρ(ν) = d_ρ ‖ν̂[ρ]‖_F²``, so ``Σ_ρ E_ρ = ‖ν‖²/|G|``.

Everything is batched: functions have shape ``(..., n)``; blocks ``(..., d, d)``.
"""

from __future__ import annotations

import numpy as np

from grokcheck.errors import GroupInputError
from grokcheck.theory._finite_group import FiniteGroup

__all__ = [
    "fourier_transform",
    "inverse_fourier_transform",
    "convolve",
    "irrep_energy",
    "orbit_energy",
    "inner_product_fourier",
]


def _check(G: FiniteGroup, nu) -> np.ndarray:
    nu = np.asarray(nu)
    if nu.shape[-1:] != (G.order,):
        raise GroupInputError(f"a function on a group of order {G.order} needs last axis {G.order}, got shape {nu.shape}")
    return nu


def fourier_transform(G: FiniteGroup, nu, *, irreps=None) -> list[np.ndarray]:
    """``[ν̂[ρ] for ρ in irreps]``, each of shape ``(..., d, d)`` complex.

    ``irreps`` defaults to ``G.irreps``; pass another complete set of unitary
    irreps (e.g. from an oracle) to use its bases instead.
    """
    nu = _check(G, nu)
    irreps = G.irreps if irreps is None else irreps
    inv = G.inverses
    out = []
    for rho in irreps:
        m = rho.matrices if hasattr(rho, "matrices") else np.asarray(rho)
        out.append(np.tensordot(nu, m[inv], axes=([-1], [0])) / G.order)
    return out


def inverse_fourier_transform(G: FiniteGroup, blocks, *, irreps=None) -> np.ndarray:
    """``ν(g) = Σ_ρ d_ρ tr(ν̂[ρ] ρ(g))``, shape ``(..., n)`` complex."""
    irreps = G.irreps if irreps is None else irreps
    total = None
    for rho, b in zip(irreps, blocks, strict=True):
        m = rho.matrices if hasattr(rho, "matrices") else np.asarray(rho)
        d = m.shape[1]
        term = d * np.einsum("...ij,gji->...g", b, m)
        total = term if total is None else total + term
    return total


def convolve(G: FiniteGroup, u, v) -> np.ndarray:
    """``(u∗v)(h) = Σ_g u(g) v(g⁻¹h)``, batched over leading axes."""
    u, v = _check(G, u), _check(G, v)
    # v(g⁻¹h) as a matrix K[g, h]
    K = G.table[G.inverses][:, :]  # K0[g, x] = g⁻¹·x
    out_shape = np.broadcast_shapes(u.shape[:-1], v.shape[:-1]) + (G.order,)
    res = np.einsum("...g,...gh->...h", u, v[..., K])
    return res.reshape(out_shape)


def irrep_energy(G: FiniteGroup, nu, *, irreps=None) -> np.ndarray:
    """``E_ρ(ν) = d_ρ ‖ν̂[ρ]‖_F²`` for every irrep, shape ``(..., num_irreps)``."""
    blocks = fourier_transform(G, nu, irreps=irreps)
    return np.stack([b.shape[-1] * np.sum(np.abs(b) ** 2, axis=(-2, -1)) for b in blocks], axis=-1)


def orbit_energy(G: FiniteGroup, nu) -> np.ndarray:
    """Energy per orbit ``{ρ, ρ̄}`` of ``G.character_table.orbits``, shape ``(..., num_orbits)``."""
    e = irrep_energy(G, nu)
    return np.stack([e[..., list(o)].sum(axis=-1) for o in G.character_table.orbits], axis=-1)


def inner_product_fourier(G: FiniteGroup, u, v) -> np.ndarray:
    """``|G| Σ_ρ d_ρ tr(û[ρ] v̂[ρ]*)`` — equals ``Σ_g u(g) v̄(g)`` (Plancherel)."""
    ub, vb = fourier_transform(G, u), fourier_transform(G, v)
    total = 0
    for a, b in zip(ub, vb):
        total = total + a.shape[-1] * np.einsum("...ij,...ij->...", a, np.conj(b))
    return G.order * total
