"""Measurements of the theory layer itself: irreps, character table, Fourier transform."""

from __future__ import annotations

import numpy as np

from grokcheck.checks._registry import Measured, Tolerance

# Float64 residuals of certified irreps land near 1e-13; the certificate's bar is 1e-10.
_REP_TOL = Tolerance(1e-10, "float64 residuals of an exact construction are ~1e-13; 1e-10 is the certificate's bar", "at_most")
# Sums of |G| O(1) terms in float64: ~|G|·1e-16, so 1e-12 per unit of |G| leaves four digits of room.
_FOURIER_TOL = Tolerance(1e-12, "float64 sums over the group carry ~|G|·1e-16 rounding; the errors are divided by |G|", "at_most")


def _rep_residual(ctx):
    G = ctx.group
    worst = {}
    for rho in G.irreps:
        for k, v in rho.residuals.items():
            worst[k] = max(worst.get(k, 0.0), v)
    for r in getattr(G, "real_irreps", ()):  # beyond the dense table the irreps of real type are already real
        for k, v in r.residuals.items():
            worst[f"real {k}"] = max(worst.get(f"real {k}", 0.0), v)
    return Measured(max(worst.values()), {"residuals": worst, "degrees": G.character_table.degrees.tolist()})


def _orthogonality(ctx):
    from grokcheck.theory._character_table import orthogonality_residual

    G = ctx.group
    ct = G.character_table
    return Measured(orthogonality_residual(G, ct.values), {"num_classes": G.num_classes, "num_irreps": ct.num_irreps})


def _involutions(ctx):
    G = ctx.group
    if not hasattr(G, "table"):  # beyond the dense table: elements of order 1 or 2, counted class by class
        return int(G.class_sizes[np.asarray(G.class_orders) <= 2].sum())
    ar = np.arange(G.order)
    return int((G.table[ar, ar] == G.identity).sum())


def _fs_count(ctx):
    ct = ctx.group.character_table
    return Measured(int((ct.fs_indicators * ct.degrees).sum()), {"indicators": ct.fs_indicators.tolist()})


def _fourier_errors(ctx):
    from grokcheck.theory import convolve, fourier_transform, inner_product_fourier, inverse_fourier_transform

    G = ctx.group
    rng = ctx.rng("fourier")
    u, v = rng.standard_normal((4, G.order)), rng.standard_normal((4, G.order))
    inv = np.max(np.abs(inverse_fourier_transform(G, fourier_transform(G, u)) - u))
    planch = np.max(np.abs(inner_product_fourier(G, u, v) - np.sum(u * v, -1)))
    w = convolve(G, u, v)
    conv = max(
        float(np.max(np.abs(c - G.order * b @ a)))
        for a, b, c in zip(fourier_transform(G, u), fourier_transform(G, v), fourier_transform(G, w))
    )
    errs = {"inversion": float(inv), "plancherel": float(planch), "convolution (order v̂û)": conv}
    return Measured(max(errs.values()) / G.order, {"errors": errs, "scaled_by": G.order})


def _quaternionic_pairs(ctx):
    from grokcheck.theory import fourier_transform

    G = ctx.group
    q = [i for i, f in enumerate(G.character_table.fs_indicators) if f == -1]
    nu = ctx.rng("quaternionic").standard_normal((16, G.order))
    blocks = fourier_transform(G, nu)
    gaps = []
    for i in q:
        s = np.linalg.svd(blocks[i], compute_uv=False)  # (16, d)
        gaps.append(float(np.max(np.abs(s[:, 0::2] - s[:, 1::2]) / s[:, :1])))
    return Measured(max(gaps), {"quaternionic_irreps": [f"X.{i + 1}" for i in q]})
