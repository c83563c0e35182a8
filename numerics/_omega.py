"""The energy functional Ω of He et al. for populations of neurons (He et al., arXiv 2606.02993: the energy Ω; the Stage I flow).

Two forms, which must agree:

* parameter form ``Ω = E_{g1,g2}[ξ̃(g1 g2) θ¹(g1) θ²(g2)]`` with ``ξ̃ = ξ - mean(ξ)``;
* Fourier form ``Ω = Σ_{ρ≠1} d_ρ tr(ξ̂[ρ]^* θ̂²[ρ] θ̂¹[ρ])`` (the order θ̂²θ̂¹ matters).

Conventions
-----------
``ν̂[ρ] = |G|⁻¹ Σ_g ν(g) ρ(g⁻¹)`` (docs/conventions.md), irreps in ``G.irreps`` order with
index 0 the trivial irrep. Shapes: ``g`` is the group order, ``n`` the number of
neurons; population arrays are ``(n, g)`` real, Fourier blocks are a list with one
``(n, d, d)`` complex array per irrep.

References
----------
He et al., arXiv 2606.02993 (the energy functional Ω and the Stage I flow).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "omega",
    "omega_gradients",
    "fourier_blocks",
    "inverse_fourier_blocks",
    "omega_fourier",
    "omega_gradients_fourier",
    "product_table_inverse",
]

# Neurons per chunk of the (chunk, g, g) gathers of the parameter form: keeps the
# temporary below ~64 MiB for g = 336.
_CHUNK_ELEMENTS = 8_000_000


def _chunks(n_neurons: int, g: int):
    step = max(1, _CHUNK_ELEMENTS // (g * g))
    for s in range(0, n_neurons, step):
        yield slice(s, min(n_neurons, s + step))


def product_table_inverse(G) -> np.ndarray:
    """``(g, g)`` int array ``L[a, h] = a⁻¹·h`` (the ``g2`` with ``a·g2 = h``)."""
    return G.table[G.inverses[:, None], np.arange(G.order)[None, :]]


def _flat(x, g):
    x = np.asarray(x, dtype=np.float64)
    if x.shape[-1] != g:
        raise ValueError(f"last axis must be the group order {g}, got shape {x.shape}")
    return x.reshape(-1, g), x.shape[:-1]


def omega(G, theta1, theta2, xi) -> np.ndarray:
    """Ω in parameter form, one value per neuron.

    Parameters
    ----------
    G : FiniteGroup.
    theta1, theta2, xi : ``(..., g)`` real arrays (not normalised here).

    Returns
    -------
    ``(...,)`` float64: ``|G|⁻² Σ_{g1,g2} ξ̃(g1 g2) θ¹(g1) θ²(g2)``.
    """
    g = G.order
    a, shape = _flat(theta1, g)
    b, _ = _flat(theta2, g)
    c, _ = _flat(xi, g)
    c = c - c.mean(axis=1, keepdims=True)
    out = np.empty(a.shape[0])
    T = G.table
    for sl in _chunks(a.shape[0], g):
        X = c[sl][:, T]  # (chunk, g1, g2) = ξ̃(g1 g2)
        out[sl] = np.einsum("mab,ma,mb->m", X, a[sl], b[sl], optimize=True)
    return (out / g**2).reshape(shape)


def omega_gradients(G, theta1, theta2, xi) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Euclidean gradients of Ω (parameter form), He et al., arXiv 2606.02993, the Stage I flow.

    ``∇_{θ¹}Ω(g1) = |G|⁻² Σ_{g2} ξ̃(g1g2) θ²(g2)``, ``∇_{θ²}Ω(g2) = |G|⁻² Σ_{g1} ξ̃(g1g2) θ¹(g1)``,
    ``∇_ξΩ(h) = |G|⁻² P^⊥ Σ_{g1g2=h} θ¹(g1)θ²(g2)``.

    Returns three ``(..., g)`` arrays. Euler's identity ``⟨ν, ∇_νΩ⟩ = Ω`` holds for each.
    """
    g = G.order
    a, shape = _flat(theta1, g)
    b, _ = _flat(theta2, g)
    c, _ = _flat(xi, g)
    c = c - c.mean(axis=1, keepdims=True)
    ga = np.empty_like(a)
    gb = np.empty_like(b)
    gc = np.empty_like(c)
    T = G.table
    L = product_table_inverse(G)
    for sl in _chunks(a.shape[0], g):
        X = c[sl][:, T]
        ga[sl] = np.einsum("mab,mb->ma", X, b[sl], optimize=True)
        gb[sl] = np.einsum("mab,ma->mb", X, a[sl], optimize=True)
        conv = np.einsum("ma,mah->mh", a[sl], b[sl][:, L], optimize=True)
        gc[sl] = conv - conv.mean(axis=1, keepdims=True)
    s = 1.0 / g**2
    return (ga * s).reshape(shape + (g,)), (gb * s).reshape(shape + (g,)), (gc * s).reshape(shape + (g,))


# ----------------------------------------------------------------- Fourier form
def _irrep_mats(G):
    return [np.asarray(r.matrices) for r in G.irreps]


def fourier_blocks(G, nu) -> list[np.ndarray]:
    """``ν̂[ρ] = |G|⁻¹ Σ_g ν(g) ρ(g⁻¹)`` for every irrep: list of ``(..., d, d)`` complex."""
    nu = np.asarray(nu)
    g = G.order
    inv = G.inverses
    out = []
    for m in _irrep_mats(G):
        mi = m[inv].reshape(g, -1)
        flat = nu.reshape(-1, g)
        if np.iscomplexobj(flat):
            b = flat @ mi
        else:  # keep BLAS: numpy's real @ complex product is not
            b = flat @ np.ascontiguousarray(mi.real) + 1j * (flat @ np.ascontiguousarray(mi.imag))
        d = m.shape[-1]
        out.append(b.reshape(nu.shape[:-1] + (d, d)) / g)
    return out


def inverse_fourier_blocks(G, blocks) -> np.ndarray:
    """``ν(g) = Σ_ρ d_ρ tr(ν̂[ρ] ρ(g))``: ``(..., g)`` complex."""
    total = None
    for m, B in zip(_irrep_mats(G), blocks):
        d = m.shape[-1]
        term = d * np.einsum("...ij,gji->...g", B, m)
        total = term if total is None else total + term
    return total


def omega_fourier(G, theta1_hat, theta2_hat, xi_hat, *, reverse: bool = False) -> np.ndarray:
    """Ω in Fourier form ``Σ_{ρ≠1} d_ρ Re tr(ξ̂^* θ̂² θ̂¹)``.

    Parameters
    ----------
    theta1_hat, theta2_hat, xi_hat : lists of ``(..., d, d)`` blocks (``G.irreps`` order).
    reverse : use the wrong order ``θ̂¹θ̂²`` (for the negative check that the order matters).

    Returns
    -------
    ``(...,)`` float64 (the real part; the imaginary part vanishes for real vectors).
    """
    total = 0.0
    for i, (A, B, C) in enumerate(zip(theta1_hat, theta2_hat, xi_hat)):
        if i == 0:
            continue
        d = A.shape[-1]
        P = A @ B if reverse else B @ A
        total = total + d * np.sum(np.conj(C) * P, axis=(-2, -1)).real
    return np.asarray(total, dtype=np.float64)


def omega_gradients_fourier(G, theta1_hat, theta2_hat, xi_hat):
    """Fourier blocks of the Euclidean gradients (He et al., arXiv 2606.02993, the Stage I flow), trivial blocks 0.

    ``∇θ¹ = |G|⁻¹ θ̂²^* ξ̂``, ``∇θ² = |G|⁻¹ ξ̂ θ̂¹^*``, ``∇ξ = |G|⁻¹ θ̂² θ̂¹`` per ``ρ ≠ 1``.
    Returns three lists of blocks.
    """
    g = G.order
    ga, gb, gc = [], [], []
    for i, (A, B, C) in enumerate(zip(theta1_hat, theta2_hat, xi_hat)):
        if i == 0:
            ga.append(np.zeros_like(A, dtype=complex))
            gb.append(np.zeros_like(B, dtype=complex))
            gc.append(np.zeros_like(C, dtype=complex))
            continue
        Bh = np.conj(np.swapaxes(B, -1, -2))
        Ah = np.conj(np.swapaxes(A, -1, -2))
        ga.append(Bh @ C / g)
        gb.append(C @ Ah / g)
        gc.append(B @ A / g)
    return ga, gb, gc
