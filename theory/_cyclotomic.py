"""Exact cyclotomic integers: sums of roots of unity with integer coefficients.

A character value ``χ(g)`` with ``g`` of order ``o`` is the trace of a matrix whose
eigenvalues are ``o``-th roots of unity, so it is exactly
``Σ_j m_j ζ_o^j`` with ``ζ_o = exp(2πi/o)`` and non-negative integers ``m_j``
(the eigenvalue multiplicities). :class:`Cyclotomic` stores such a sum exactly,
in the canonical basis ``1, ζ_N, …, ζ_N^{φ(N)-1}`` of ``Z[ζ_N]`` (reduction
modulo the cyclotomic polynomial ``Φ_N``), so equality is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from functools import lru_cache
from math import gcd

import numpy as np

from grokcheck.theory._integers import divisors, factorize

__all__ = ["Cyclotomic"]


@lru_cache(maxsize=None)
def _cyclotomic_poly(n: int) -> tuple[int, ...]:
    """Coefficients of Φ_n, highest degree first (monic, integer).

    In Python integers, without sympy (whose import alone costs more than a small group's whole
    character table): for square-free ``r`` the Möbius product ``Φ_r = Π_{d | r} (x^d − 1)^{μ(r/d)}``
    (the factors with ``μ = +1`` multiplied, then those with ``μ = −1`` divided out, each division
    exact and checked), and ``Φ_n(x) = Φ_r(x^{n/r})`` with ``r`` the radical of ``n``.
    """
    if n < 1:
        raise ValueError(f"cyclotomic polynomials are indexed by positive integers, not {n}")
    primes = list(factorize(n))
    r = math.prod(primes)
    c = [1]  # lowest degree first
    dividing = []
    for d in divisors(r):
        if sum(d % p != 0 for p in primes) % 2:  # μ(r/d) = −1: r/d has an odd number of primes
            dividing.append(d)
        else:  # c · (x^d − 1)
            prod = [0] * d + c
            for i, v in enumerate(c):
                prod[i] -= v
            c = prod
    for d in dividing:  # c / (x^d − 1): c_i = q_{i−d} − q_i, solved from the bottom
        q = []
        for i in range(len(c) - d):
            q.append((q[i - d] if i >= d else 0) - c[i])
        top = range(len(c) - d, len(c))  # there q_i = 0, so c_i = q_{i−d} is the remainder's test
        if any(c[i] != (q[i - d] if i >= d else 0) for i in top):  # pragma: no cover - x^d − 1 divides it
            raise ArithmeticError(f"x^{d} − 1 does not divide the product for Φ_{n}")
        c = q
    step = n // r
    out = [0] * ((len(c) - 1) * step + 1)
    out[::step] = c
    return tuple(out[::-1])


# Reduction matrices stay in int64 while their entries are below this (coefficients of
# x^j mod Φ_n are tiny for the orders we meet; the bound only guards the int64 fast path).
_SMALL = 1 << 40
# int64 products and sums are exact below 2^63; keep a factor 2 of margin.
_INT64_SAFE = 1 << 62


@lru_cache(maxsize=64)
def _reduction_matrix(n: int) -> np.ndarray | None:
    """``R[j] =`` coefficients of ``x^j mod Φ_n`` (``j < n``), shape ``(n, φ(n))`` int64, or ``None``.

    Built by ``x^{j+1} = x·x^j`` minus the leading coefficient times the monic ``Φ_n``, all in
    int64 with every entry checked below ``_SMALL`` (``None``, and the caller falls back to
    Python integers, if an entry ever grows past it).
    """
    phi = np.array(_cyclotomic_poly(n)[::-1], dtype=np.int64)  # lowest degree first, phi[deg] = 1
    deg = len(phi) - 1
    if np.abs(phi).max() >= _SMALL:
        return None
    R = np.zeros((n, deg), dtype=np.int64)
    r = np.zeros(deg, dtype=np.int64)
    if deg:
        r[0] = 1
    else:  # pragma: no cover - Φ_n has degree ≥ 1
        return R
    for j in range(n):
        R[j] = r
        lead = r[-1]
        r = np.concatenate(([0], r[:-1])) - lead * phi[:deg]
        if np.abs(r).max() >= _SMALL:
            return None
    return R


@lru_cache(maxsize=64)
def _max_abs(n: int) -> int:
    R = _reduction_matrix(n)
    return max(1, int(np.abs(R).max(initial=0))) if R is not None else 1


def _reduce(coeffs: np.ndarray, n: int) -> tuple[int, ...]:
    """Reduce Σ c_j x^j (j < n, x^n = 1) modulo Φ_n; return the φ(n) low coefficients.

    One product with the cached reduction matrix when that is exact in int64
    (``n · max|c_j| · max|R| < 2^62``), else long division in Python integers.
    """
    R = _reduction_matrix(n)
    if R is not None and len(coeffs) <= n:
        try:
            v = np.asarray(coeffs).astype(np.int64)  # OverflowError for Python ints beyond int64
        except OverflowError:
            v = None
        if v is not None and (not v.size or np.abs(v).max() < _INT64_SAFE // (n * _max_abs(n))):
            # Σ_j |c_j|·|R[j, i]| < n · max|c| · max|R| < 2^62: the product is exact
            full = np.zeros(n, dtype=np.int64)
            full[: len(v)] = v
            return tuple((full @ R).tolist())
    c = [int(v) for v in coeffs]  # python ints: no overflow
    phi = _cyclotomic_poly(n)
    deg = len(phi) - 1
    for top in range(len(c) - 1, deg - 1, -1):
        lead = c[top]
        if lead:
            # subtract lead · x^(top-deg) · Φ_n
            for k, p in enumerate(phi):
                c[top - k] -= lead * p
    out = c[:deg] + [0] * max(0, deg - len(c))
    return tuple(out)


@dataclass(frozen=True)
class Cyclotomic:
    """An exact element of ``Z[ζ_N]``, canonical in the power basis mod ``Φ_N``.

    Build with :meth:`from_exponents` (``Σ m_j ζ_o^j``) or :meth:`integer`.
    Supports ``+``, ``-``, ``*``, complex conjugation, exact ``==`` and conversion
    to a sympy expression (:meth:`to_sympy`) or a complex number.
    """

    N: int
    coeffs: tuple[int, ...]

    @classmethod
    def from_exponents(cls, mult, o: int, N: int | None = None) -> "Cyclotomic":
        """``Σ_j mult[j] ζ_o^j`` as an element of ``Z[ζ_N]`` (``o`` divides ``N``)."""
        N = o if N is None else N
        if N % o:
            raise ValueError(f"order {o} does not divide the conductor {N}")
        full = np.zeros(N, dtype=object)
        step = N // o
        for j, m in enumerate(mult):
            if m:
                full[(j * step) % N] += int(m)
        return cls(N, _reduce(full, N))

    @classmethod
    def integer(cls, v: int, N: int = 1) -> "Cyclotomic":
        full = np.zeros(N, dtype=object)
        full[0] = int(v)
        return cls(N, _reduce(full, N))

    def _full(self) -> np.ndarray:
        full = np.zeros(self.N, dtype=object)
        full[: len(self.coeffs)] = self.coeffs
        return full

    def lift(self, N: int) -> "Cyclotomic":
        """The same number in ``Z[ζ_N]`` for a multiple ``N`` of ``self.N``."""
        if N % self.N:
            raise ValueError(f"{N} is not a multiple of {self.N}")
        full = np.zeros(N, dtype=object)
        step = N // self.N
        for j, c in enumerate(self.coeffs):
            full[j * step] += c
        return Cyclotomic(N, _reduce(full, N))

    def _common(self, other: "Cyclotomic | int") -> tuple["Cyclotomic", "Cyclotomic"]:
        if not isinstance(other, Cyclotomic):
            other = Cyclotomic.integer(int(other), self.N)
        N = self.N * other.N // gcd(self.N, other.N)
        return self.lift(N), other.lift(N)

    def __add__(self, other):
        a, b = self._common(other)
        return Cyclotomic(a.N, tuple(x + y for x, y in zip(a.coeffs, b.coeffs)))

    __radd__ = __add__

    def __neg__(self):
        return Cyclotomic(self.N, tuple(-x for x in self.coeffs))

    def __sub__(self, other):
        return self + (-other if isinstance(other, Cyclotomic) else -int(other))

    def __mul__(self, other):
        a, b = self._common(other)
        N = a.N
        full = np.zeros(N, dtype=object)
        for i, x in enumerate(a.coeffs):
            if x:
                for j, y in enumerate(b.coeffs):
                    if y:
                        full[(i + j) % N] += x * y
        return Cyclotomic(N, _reduce(full, N))

    __rmul__ = __mul__

    def galois(self, k: int) -> "Cyclotomic":
        """The Galois conjugate ``ζ_N ↦ ζ_N^k`` (``k`` coprime to ``N``)."""
        if gcd(k, self.N) != 1:
            raise ValueError(f"{k} is not a unit mod {self.N}")
        full = np.zeros(self.N, dtype=object)
        for j, c in enumerate(self.coeffs):
            full[(j * k) % self.N] += c
        return Cyclotomic(self.N, _reduce(full, self.N))

    def conjugate(self) -> "Cyclotomic":
        """Complex conjugation, ``ζ ↦ ζ⁻¹``."""
        return self.galois(self.N - 1) if self.N > 2 else self

    def __eq__(self, other) -> bool:
        if isinstance(other, (int, np.integer)):
            other = Cyclotomic.integer(int(other), self.N)
        if not isinstance(other, Cyclotomic):
            return NotImplemented
        a, b = self._common(other)
        return a.coeffs == b.coeffs

    def __hash__(self):
        return hash(self.__complex__())

    def __complex__(self) -> complex:
        z = np.exp(2j * np.pi * np.arange(len(self.coeffs)) / self.N)
        return complex(np.dot(np.array(self.coeffs, dtype=float), z))

    @property
    def is_rational(self) -> bool:
        return all(c == 0 for c in self.coeffs[1:])

    def conjugates(self) -> list["Cyclotomic"]:
        """The distinct Galois conjugates, ``self`` first."""
        seen = [self]
        for k in range(2, self.N):
            if gcd(k, self.N) == 1:
                c = self.galois(k)
                if c not in seen:
                    seen.append(c)
        return seen

    def minimal_polynomial(self) -> list[int]:
        """Integer coefficients (highest first) of the minimal polynomial over Q."""
        import sympy

        conj = self.conjugates()
        x = sympy.Symbol("x")
        poly = sympy.Integer(1)
        for c in conj:
            poly = sympy.expand(poly * (x - c.to_sympy_raw()))
        p = sympy.Poly(sympy.nsimplify(poly), x)
        # Coefficients are rational integers (symmetric functions of conjugate algebraic integers).
        return [int(sympy.nsimplify(sympy.re(sympy.N(cf, 50)))) for cf in p.all_coeffs()]

    def to_sympy_raw(self):
        """``Σ c_j exp(2πi j/N)`` as an unevaluated-but-exact sympy sum."""
        import sympy

        terms = [c * sympy.exp(2 * sympy.pi * sympy.I * sympy.Rational(j, self.N)) for j, c in enumerate(self.coeffs) if c]
        return sympy.Add(*terms) if terms else sympy.Integer(0)

    def to_sympy(self):
        """An exact sympy expression, in closed radical form when of degree ≤ 2.

        Rationals come back as ``Integer``; quadratic irrationalities as
        ``(s ± sqrt(D))/2`` with the sign fixed by the numeric value; higher degree
        as a sum of ``exp(2πi j/N)`` terms (exact; ``.rewrite(sympy.cos)`` if wanted).
        """
        import sympy

        if self.is_rational:
            return sympy.Integer(self.coeffs[0])
        conj = self.conjugates()
        if len(conj) == 2:
            s = self + conj[1]
            p = self * conj[1]
            assert s.is_rational and p.is_rational  # symmetric functions of a Galois orbit
            s0, p0 = s.coeffs[0], p.coeffs[0]
            disc = s0 * s0 - 4 * p0
            z = complex(self)
            root = sympy.sqrt(disc)
            cand = (sympy.Integer(s0) + root) / 2
            if abs(complex(cand.evalf(30)) - z) > 1e-9:
                cand = (sympy.Integer(s0) - root) / 2
            return sympy.nsimplify(sympy.expand(cand))
        return self.to_sympy_raw()

    def gap_string(self) -> str:
        """GAP's notation, as GAP prints the number: ``E(N)^j`` terms in GAP's Zumbroich basis of the
        conductor field (``-E(5)-E(5)^4``), the same string as :func:`grokcheck.theory._gap_format.gap_string`."""
        from grokcheck.theory._gap_format import gap_string

        return gap_string(self)
