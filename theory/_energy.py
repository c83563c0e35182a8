"""Exact energies of He et al. (Ω) and Tian (Li₂ 𝓔) for small groups, and their critical points.

Symbolic layer (sympy, intended for ``|G| ≤ 12``):

* :func:`omega_expression` — ``Ω(θ¹, θ², ξ) = |G|⁻² Σ_{g1,g2} ξ̃(g1g2) θ¹(g1) θ²(g2)``,
  ``ξ̃ = ξ − mean ξ`` (He et al., arXiv 2606.02993, the energy Ω), a cubic polynomial in ``3|G|`` symbols;
* :func:`omega_fourier_expression` — ``Σ_{ρ≠1} d_ρ tr(ξ̂[ρ]^* θ̂²[ρ] θ̂¹[ρ])`` in block
  coordinates (complex symbols, one ``d×d`` matrix per irrep and vector);
* :func:`li2_energy_expression` — ``𝓔(w) = ½ Σ_h (z_h − z̄)²``,
  ``z_h = Σ_{g1g2=h} (w¹(g1) + w²(g2))²`` for ``w = [w¹; w²]`` (Tian, arXiv 2509.21519, Stage II (the energy 𝓔) with the
  concatenated encoding ``x = [e_{g1}; e_{g2}]``, σ = x²);
* :class:`SymbolicEnergy` carries the expression, its variables and exact gradients.

Exact certificates (cyclotomic arithmetic, any size where the character table exists):

* :func:`exact_stable_point` — the vector ``f ∝ P_O 1_H`` (isotypic projection of the
  indicator of a subgroup ``H`` with ``dim Fix_H(ρ) = 1``, or ``2`` for quaternionic ρ);
  ``θ¹ = θ² = ξ = f`` is the predicted stable point of orbit ``O`` (one irrep orbit,
  aligned blocks of rank 1, rank 2 if quaternionic);
* :func:`certify_stable_point` — proves exactly (in ``Z[ζ_N]``) that the point is critical
  for Ω on the product of spheres with ``Ω = |G|^{-3/2}/sqrt(d m)`` and that
  ``w = [f; f]/‖·‖`` is critical for 𝓔 on the unit sphere with
  ``𝓔 = |G|/(2 d m)`` (``M/(2d_k)`` real, ``M/(4d_k)`` complex — Tian, arXiv 2509.21519, Theorem 2, corrected constants (docs/errata.md)), and, when
  ``f`` is rational, the exact inertia of the Riemannian Hessian of 𝓔 there (Li₂
  Corollary 1: a zero eigenvalue when ``M > 2``).

Conventions: docs/conventions.md; ``m = 1`` for ι = +1 and 2 otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy

from grokcheck.errors import CertificationError
from grokcheck.theory._cyclotomic import Cyclotomic

__all__ = [
    "SymbolicEnergy",
    "omega_expression",
    "omega_fourier_expression",
    "li2_energy_expression",
    "stable_point_subgroup",
    "exact_stable_point",
    "StablePointCertificate",
    "certify_stable_point",
    "omega_star_exact",
    "li2_energy_star_exact",
    "hessian_inertia",
]

SYMBOLIC_MAX_ORDER = 12


@dataclass(frozen=True)
class SymbolicEnergy:
    """An exact energy: ``expr`` in the variables ``blocks`` (a tuple of tuples of symbols,
    one inner tuple per vector, e.g. ``(θ¹, θ², ξ)``)."""

    expr: sympy.Expr
    blocks: tuple

    @property
    def variables(self) -> tuple:
        return tuple(s for b in self.blocks for s in b)

    @cached_property
    def gradient(self) -> tuple:
        """Exact Euclidean gradient, one tuple of partial derivatives per block."""
        return tuple(tuple(sympy.expand(sympy.diff(self.expr, s)) for s in b) for b in self.blocks)

    def at(self, *values) -> sympy.Expr:
        """The expression at exact values (one sequence per block)."""
        sub = {s: sympy.sympify(v) for b, vals in zip(self.blocks, values) for s, v in zip(b, vals)}
        return sympy.simplify(self.expr.xreplace(sub))

    def gradient_at(self, *values) -> tuple:
        sub = {s: sympy.sympify(v) for b, vals in zip(self.blocks, values) for s, v in zip(b, vals)}
        return tuple(tuple(sympy.simplify(e.xreplace(sub)) for e in b) for b in self.gradient)


def _check_small(G):
    if G.order > SYMBOLIC_MAX_ORDER:
        raise ValueError(f"symbolic energies are for |G| ≤ {SYMBOLIC_MAX_ORDER}; got |G| = {G.order}")


def omega_expression(G) -> SymbolicEnergy:
    """Ω in parameter coordinates (symbols ``t1_g, t2_g, x_g``), exact rational coefficients."""
    _check_small(G)
    n = G.order
    t1 = sympy.symbols(f"t1_0:{n}", real=True)
    t2 = sympy.symbols(f"t2_0:{n}", real=True)
    xi = sympy.symbols(f"x_0:{n}", real=True)
    mean = sympy.Add(*xi) / n
    T = G.table
    expr = sympy.Add(*[(xi[T[a, b]] - mean) * t1[a] * t2[b] for a in range(n) for b in range(n)]) / n**2
    return SymbolicEnergy(sympy.expand(expr), (t1, t2, xi))


def omega_fourier_expression(G) -> SymbolicEnergy:
    """Ω in Fourier block coordinates: ``Σ_{ρ≠1} d_ρ tr(ξ̂[ρ]^* θ̂²[ρ] θ̂¹[ρ])``.

    Variables are complex symbols ``A{ρ}_{ij}`` (θ̂¹), ``B{ρ}_{ij}`` (θ̂²), ``C{ρ}_{ij}`` (ξ̂),
    grouped per vector. Only the degrees of ``G`` enter.
    """
    dims = [int(d) for d in G.character_table.degrees]
    blocks = ([], [], [])
    mats = ([], [], [])
    for r, d in enumerate(dims):
        for v, name in enumerate("ABC"):
            syms = sympy.symbols(f"{name}{r}_0:{d}_0:{d}", complex=True) if d > 1 else (sympy.Symbol(f"{name}{r}_0_0", complex=True),)
            blocks[v].extend(syms)
            mats[v].append(sympy.Matrix(d, d, list(syms)))
    expr = sympy.Integer(0)
    for r, d in enumerate(dims):
        if r == 0:
            continue
        A, B, C = mats[0][r], mats[1][r], mats[2][r]
        expr += d * (C.H * B * A).trace()
    return SymbolicEnergy(sympy.expand(expr), tuple(tuple(b) for b in blocks))


def li2_energy_expression(G) -> SymbolicEnergy:
    """Li₂'s 𝓔(w) for σ = x², ``w = [w¹; w²]`` (symbols ``u_g``, ``v_g``)."""
    _check_small(G)
    n = G.order
    u = sympy.symbols(f"u_0:{n}", real=True)
    v = sympy.symbols(f"v_0:{n}", real=True)
    T = G.table
    z = [sympy.Integer(0)] * n
    for a in range(n):
        for b in range(n):
            z[T[a, b]] += (u[a] + v[b]) ** 2
    zbar = sympy.Add(*z) / n
    expr = sympy.Rational(1, 2) * sympy.Add(*[(zh - zbar) ** 2 for zh in z])
    return SymbolicEnergy(sympy.expand(expr), (u, v))


# ------------------------------------------------------------------ exact points
def _cyclic_and_two_generated(G):
    n, e = G.order, G.identity
    seen = set()

    def closure(gens):
        H = {e, *gens}
        frontier = list(H)
        while frontier:
            x = frontier.pop()
            for y in gens:
                z = int(G.table[x, y])
                if z not in H:
                    H.add(z)
                    frontier.append(z)
        return frozenset(H)

    yield np.array([e])
    for a in range(n):
        H = closure([a])
        if H not in seen:
            seen.add(H)
            yield np.array(sorted(H))
    for a in range(n):
        for b in range(a + 1, n):
            H = closure([a, b])
            if H not in seen and len(H) < n:
                seen.add(H)
                yield np.array(sorted(H))


def stable_point_subgroup(G, orbit_index: int) -> np.ndarray:
    """A subgroup ``H`` (sorted indices) with ``dim Fix_H(ρ) = r`` for ρ the first irrep of
    the orbit: ``r = 1`` if ι(ρ) ≠ −1, ``r = 2`` if ι(ρ) = −1.

    The multiplicity ``|H|⁻¹ Σ_{h∈H} χ_ρ(h)`` is checked exactly (cyclotomic sum).
    Searches cyclic, then two-generated subgroups.
    """
    ct = G.character_table
    orb = ct.orbits[orbit_index]
    rho = orb[0]
    target = 2 if int(ct.fs_indicators[rho]) == -1 else 1
    chi = ct.on_elements()[rho]
    for H in _cyclic_and_two_generated(G):
        if abs(np.sum(chi[H]) / len(H) - target) < 1e-6:
            total = sum((ct.cyclotomic(rho, int(G.class_of[h])) for h in H), Cyclotomic.integer(0))
            if total == target * len(H):
                return H
    raise CertificationError(f"no subgroup with a {target}-dimensional fixed space for orbit {orbit_index} of {G}")


def exact_stable_point(G, orbit_index: int) -> list:
    """``f(x) = Σ_{ρ∈O} Σ_{h∈H} conj χ_ρ(x h⁻¹)`` as a list of :class:`Cyclotomic` (length ``|G|``).

    ``f`` is real, lies in the isotypic component of the orbit, and ``θ¹=θ²=ξ=f/‖f‖`` is
    the predicted stable point (every block a positive multiple of the projector onto
    ``Fix_H(ρ)``).
    """
    if orbit_index == 0:
        raise ValueError("orbit 0 is the trivial irrep; it has no stable point")
    ct = G.character_table
    H = stable_point_subgroup(G, orbit_index)
    inv = G.inverses
    cls = G.class_of
    out = []
    for x in range(G.order):
        acc = Cyclotomic.integer(0)
        for rho in ct.orbits[orbit_index]:
            for h in H:
                acc = acc + ct.cyclotomic(rho, int(cls[G.table[x, inv[h]]])).conjugate()
        out.append(acc)
    return out


def _dot(a, b):
    return sum((x * y for x, y in zip(a, b)), Cyclotomic.integer(0))


def omega_star_exact(G, orbit_index: int) -> sympy.Expr:
    """``|G|^{-3/2}/sqrt(d m)`` as an exact sympy number."""
    ct = G.character_table
    rho = ct.orbits[orbit_index][0]
    d = int(ct.degrees[rho])
    m = 1 if int(ct.fs_indicators[rho]) == 1 else 2
    return sympy.radsimp(sympy.Integer(G.order) ** sympy.Rational(-3, 2) / sympy.sqrt(d * m))


def li2_energy_star_exact(G, orbit_index: int) -> sympy.Expr:
    """``|G|/(2 d m)``: ``M/(2d_k)`` real, ``M/(4d_k)`` complex (Tian, arXiv 2509.21519, Theorem 2, corrected constants (docs/errata.md))."""
    ct = G.character_table
    rho = ct.orbits[orbit_index][0]
    d = int(ct.degrees[rho])
    m = 1 if int(ct.fs_indicators[rho]) == 1 else 2
    return sympy.Rational(G.order, 2 * d * m)


def hessian_inertia(M: sympy.Matrix) -> tuple[int, int, int]:
    """Exact inertia ``(positive, negative, zero)`` of a symmetric rational matrix.

    The characteristic polynomial of a real symmetric matrix has only real roots, so
    Descartes' rule of signs counts its positive (and, on ``p(−x)``, negative) roots exactly.
    """
    x = sympy.Symbol("x")
    p = sympy.Poly(M.charpoly(x).as_expr(), x)
    coeffs = p.all_coeffs()
    zero = 0
    while coeffs and coeffs[-1] == 0:
        coeffs.pop()
        zero += 1

    def changes(cs):
        s = [c for c in cs if c != 0]
        return sum(1 for a, b in zip(s, s[1:]) if (a > 0) != (b > 0))

    pos = changes(coeffs)
    k = len(coeffs) - 1
    neg = changes([c * (-1) ** (k - i) for i, c in enumerate(coeffs)])
    return pos, neg, zero


@dataclass(frozen=True)
class StablePointCertificate:
    """Exact facts about the predicted stable point of one orbit.

    Attributes
    ----------
    orbit, dim, fs_indicator, m : the orbit (character indices) and its data.
    point : the (unnormalised) vector ``f`` as exact sympy numbers.
    omega_critical : ``∇_ν Ω ∥ ν`` for all three vectors (exact).
    omega_value : Ω at the normalised point: exactly ``omega_star`` when the identity
        ``d m S² = |G| N³`` is proved, otherwise a ``sympy.Float`` (uncertified).
    omega_star : ``|G|^{-3/2}/sqrt(d m)``.
    li2_critical : ``∇𝓔(w) ∥ w`` at ``w = [f; f]`` (exact).
    li2_value : 𝓔 on the unit sphere at ``w/‖w‖``: exactly ``li2_star`` when proved,
        otherwise a ``sympy.Float``.
    li2_star : ``|G|/(2 d m)``.
    li2_hessian_inertia : ``(positive, negative, zero)`` of the Riemannian Hessian of 𝓔 on
        the tangent space at ``w/‖w‖`` (``None`` when ``f`` is irrational).
    """

    orbit: tuple
    dim: int
    fs_indicator: int
    m: int
    point: tuple
    omega_critical: bool
    omega_value: sympy.Expr
    omega_star: sympy.Expr
    li2_critical: bool
    li2_value: sympy.Expr
    li2_star: sympy.Expr
    li2_hessian_inertia: tuple | None

    @property
    def ok(self) -> bool:
        return self.omega_critical and self.li2_critical and sympy.simplify(self.omega_value - self.omega_star) == 0 and sympy.simplify(self.li2_value - self.li2_star) == 0


def _li2_parts(G, w1, w2):
    """``y_h = |G| z_h − Σ z`` and the Euclidean gradient times ``|G|`` (exact)."""
    n = G.order
    T = G.table
    z = [Cyclotomic.integer(0) for _ in range(n)]
    for a in range(n):
        for b in range(n):
            s = w1[a] + w2[b]
            z[T[a, b]] = z[T[a, b]] + s * s
    Z = sum(z, Cyclotomic.integer(0))
    y = [zh * n - Z for zh in z]
    L = G.table[G.inverses[:, None], np.arange(n)[None, :]]  # a⁻¹h
    R = G.table[np.arange(n)[:, None], G.inverses[None, :]]  # h b⁻¹
    g1 = [sum(((w1[a] + w2[L[a, h]]) * y[h] * 2 for h in range(n)), Cyclotomic.integer(0)) for a in range(n)]
    g2 = [sum(((w1[R[h, b]] + w2[b]) * y[h] * 2 for h in range(n)), Cyclotomic.integer(0)) for b in range(n)]
    return y, g1, g2


def _li2_hessian_rational(G, f):
    """Exact Riemannian Hessian (up to a positive factor) of 𝓔 at ``w = [f; f]`` on the sphere."""
    n = G.order
    T = G.table
    w = sympy.Matrix([sympy.Integer(c.coeffs[0]) for c in f] * 2)
    fr = [sympy.Integer(c.coeffs[0]) for c in f]
    z = [sympy.Integer(0)] * n
    U = [sympy.zeros(2 * n, 1) for _ in range(n)]
    Bsum = sympy.zeros(2 * n, 2 * n)
    for a in range(n):
        for b in range(n):
            h = T[a, b]
            s = fr[a] + fr[b]
            z[h] += s * s
            U[h][a] += 2 * s
            U[h][n + b] += 2 * s
    zbar = sum(z) / n
    Ubar = sum(U, sympy.zeros(2 * n, 1)) / n
    H = sympy.zeros(2 * n, 2 * n)
    for h in range(n):
        du = U[h] - Ubar
        H += du * du.T
    for a in range(n):
        for b in range(n):
            c = 2 * (z[T[a, b]] - zbar)
            Bsum[a, n + b] += c
            Bsum[n + b, a] += c
    H += Bsum
    E = sum((zh - zbar) ** 2 for zh in z) / 2
    ww = (w.T * w)[0, 0]
    K = ww * H - 4 * E * sympy.eye(2 * n)  # ∝ ∇²𝓔(ŵ) − 4𝓔(ŵ) I
    P = ww * sympy.eye(2 * n) - w * w.T  # ∝ projector onto the tangent space
    Kt = P * K * P
    pos, neg, zero = hessian_inertia(Kt)
    return pos, neg, zero - 1  # w itself is in the kernel of P: not a tangent direction


def certify_stable_point(G, orbit_index: int, *, hessian: bool = True) -> StablePointCertificate:
    """Prove the predictions (He et al., arXiv 2606.02993, Theorem 4.3; Tian, arXiv 2509.21519, Theorem 2 corrected) at the orbit's stable point, exactly.

    Ω: with ``S = Σ f(g1g2)f(g1)f(g2)``, ``N = Σ f²`` (so Ω = S/(|G|² N^{3/2}) at the
    normalised point), checks ``N ∇_νΩ·|G|² = S ν`` for the three vectors and
    ``d m S² = |G| N³`` with ``S > 0``, i.e. ``Ω = |G|^{-3/2}/sqrt(d m)``.
    𝓔: with ``y_h = |G| z_h − Σz`` at ``w = [f; f]``, checks ``|G| ‖w‖² ∇𝓔 = 2 Σ y² · w``
    and ``d m Σ_h y_h² = 4 |G|³ N²``, i.e. 𝓔(ŵ) = |G|/(2 d m).
    """
    ct = G.character_table
    orb = tuple(int(i) for i in ct.orbits[orbit_index])
    rho = orb[0]
    d = int(ct.degrees[rho])
    fs = int(ct.fs_indicators[rho])
    m = 1 if fs == 1 else 2
    n = G.order
    f = exact_stable_point(G, orbit_index)
    if not all(c == c.conjugate() for c in f):
        raise CertificationError("the constructed stable point is not real")
    T = G.table
    L = G.table[G.inverses[:, None], np.arange(n)[None, :]]
    N = _dot(f, f)
    S = sum((f[T[a, b]] * f[a] * f[b] for a in range(n) for b in range(n)), Cyclotomic.integer(0))
    mean_zero = sum(f, Cyclotomic.integer(0)) == 0
    g1 = [sum((f[T[a, b]] * f[b] for b in range(n)), Cyclotomic.integer(0)) for a in range(n)]
    g2 = [sum((f[T[a, b]] * f[a] for a in range(n)), Cyclotomic.integer(0)) for b in range(n)]
    gx = [sum((f[a] * f[L[a, h]] for a in range(n)), Cyclotomic.integer(0)) for h in range(n)]
    crit = mean_zero and all(N * gv[i] == S * f[i] for gv in (g1, g2, gx) for i in range(n))
    value_ok = (S * S) * (d * m) == (N * N * N) * n and complex(S).real > 0
    om_star = omega_star_exact(G, orbit_index)
    om_val = om_star if value_ok else sympy.Float(complex(S).real / (n**2 * complex(N).real ** 1.5))  # not certified

    y, h1, h2 = _li2_parts(G, f, f)
    ww = N * 2
    Y2 = _dot(y, y)
    li2_crit = all(h[i] * n * ww == Y2 * 2 * f[i] for h in (h1, h2) for i in range(n))
    li2_ok = Y2 * (d * m) == N * N * (4 * n**3)
    li2_star = li2_energy_star_exact(G, orbit_index)
    li2_val = li2_star if li2_ok else sympy.Float(complex(Y2).real / (2 * n**2) / (4 * complex(N).real ** 2))  # not certified
    inertia = None
    if hessian and all(c.is_rational for c in f):
        inertia = _li2_hessian_rational(G, f)
    return StablePointCertificate(
        orbit=orb,
        dim=d,
        fs_indicator=fs,
        m=m,
        point=tuple(c.to_sympy() for c in f),
        omega_critical=bool(crit),
        omega_value=om_val,
        omega_star=om_star,
        li2_critical=bool(li2_crit),
        li2_value=li2_val,
        li2_star=li2_star,
        li2_hessian_inertia=inertia,
    )
