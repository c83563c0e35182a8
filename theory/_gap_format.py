"""GAP's notation for cyclotomic numbers and GAP's ``Display`` of a character table.

GAP writes a cyclotomic number in the *Zumbroich basis* of its conductor field
``Q(ζ_N)`` (``N`` the smallest with the number in ``Q(ζ_N)``): for
``N = ∏ q_i`` (prime powers ``q = p^e``) the basis is the set of products
``∏ ζ_{q_i}^{x_i}`` with ``x ∈ {0, …, 2^{e-1} − 1}`` for ``q = 2^e`` and
``x = a·p^{e−1} + b``, ``1 ≤ a ≤ p − 1``, ``|b| ≤ (p^{e−1} − 1)/2`` for odd ``p``
(GAP's ``ZumbroichBase(N, 1)``). That basis is a Z-basis of ``Z[ζ_N]``, so every
character value has integer coordinates, and the string ``E(N)^j`` terms in
increasing ``j`` (``-E(5)-E(5)^4``) is canonical and the same as GAP's.

:func:`display_table` reproduces GAP's ``CharacterTableDisplayDefault`` (GAP
4.12, ``lib/ctbl.gi``): centraliser orders factored by prime, class names
``1a 2a 2b …``, one ``pP`` row per prime divisor ``p`` of ``|G|`` (GAP prints
every power map it has computed, which after ``Irr`` often includes primes that do not divide
``|G|``: GAP 4.12 shows 2P, 3P, 5P, 7P, 11P, 13P for ``DihedralGroup(28)`` (grokcheck's D14) and
2P, 3P, 5P, 7P for ``DihedralGroup(14)``; which ones depends on GAP's Dixon–Schneider run, so
grokcheck prints the prime divisors only; GAP may also order the classes differently), the characters
``X.1 …`` with ``.`` for 0, irrationalities named ``A, B, …`` in the order GAP
meets them (column by column), with ``-A``, ``/A`` (complex conjugate), ``*A``
(the other Galois conjugate of a quadratic irrationality), and the legend with
GAP's ``Quadratic`` forms (``(1-Sqrt(5))/2 = -b5``, ``r2``, ``i``, ``i3``).
Columns are split into pages of 79 characters as GAP does on an 80-column screen.

References
----------
GAP, ``lib/cyclotom.gi`` (``Quadratic``) and ``lib/ctbl.gi`` (``Display``);
J. H. Conway et al., *ATLAS of finite groups* (the ``b``, ``r``, ``i`` names).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from grokcheck.theory._cyclotomic import Cyclotomic

__all__ = [
    "zumbroich_exponents",
    "gap_coefficients",
    "gap_string",
    "quadratic",
    "class_names",
    "display_table",
    "GapNamer",
]

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _prime_powers(n: int) -> list[tuple[int, int]]:
    out, p = [], 2
    while p * p <= n:
        if n % p == 0:
            e = 0
            while n % p == 0:
                n //= p
                e += 1
            out.append((p, e))
        p += 1
    if n > 1:
        out.append((n, 1))
    return out


@lru_cache(maxsize=None)
def zumbroich_exponents(N: int) -> tuple[int, ...]:
    """GAP's ``ZumbroichBase(N, 1)``: the exponents ``j`` of the basis ``ζ_N^j`` of ``Q(ζ_N)``, sorted."""
    exps = [0]
    for p, e in _prime_powers(N):
        q = p**e
        if p == 2:
            local = list(range(q // 2))
        else:
            half = (p ** (e - 1) - 1) // 2
            local = [(a * p ** (e - 1) + b) % q for a in range(1, p) for b in range(-half, half + 1)]
        exps = [(j + (N // q) * x) % N for j in exps for x in local]
    return tuple(sorted(exps))


@lru_cache(maxsize=None)
def _basis_matrix(M: int, N: int) -> np.ndarray:
    """Power-basis coordinates in ``Z[ζ_N]`` (columns) of the Zumbroich basis of ``Q(ζ_M)``, M | N."""
    cols = []
    for j in zumbroich_exponents(M):
        full = np.zeros(M, dtype=np.int64)
        full[j] = 1
        cols.append(Cyclotomic.from_exponents(full, M, N).coeffs)
    return np.array(cols, dtype=float).T


def _divisors(n: int) -> list[int]:
    return sorted({d for i in range(1, math.isqrt(n) + 1) if n % i == 0 for d in (i, n // i)})


@lru_cache(maxsize=65536)
def _coefficients(N: int, coeffs: tuple[int, ...]) -> tuple[int, tuple[tuple[int, int], ...]]:
    z = Cyclotomic(N, coeffs)
    if z.is_rational:
        return 1, ((0, int(coeffs[0])),) if coeffs[0] else ()
    target = np.array(coeffs, dtype=float)
    for M in _divisors(N):
        if M % 4 == 2 or M == 1:
            continue  # Q(ζ_M) = Q(ζ_{M/2}) for M ≡ 2 mod 4
        B = _basis_matrix(M, N)
        x, *_ = np.linalg.lstsq(B, target, rcond=None)
        r = np.rint(x).astype(np.int64)
        # exact check: the rounded coordinates must rebuild the number (else z ∉ Q(ζ_M))
        full = np.zeros(M, dtype=np.int64)
        for j, c in zip(zumbroich_exponents(M), r):
            full[j] += c
        if Cyclotomic.from_exponents(full, M) == z:
            return M, tuple((int(j), int(c)) for j, c in zip(zumbroich_exponents(M), r) if c)
    raise AssertionError(f"internal error: {z} is not in Q(ζ_{N})")  # pragma: no cover


def gap_coefficients(z: Cyclotomic) -> tuple[int, tuple[tuple[int, int], ...]]:
    """``(conductor N, ((j, c_j), …))``: ``z = Σ c_j ζ_N^j`` in GAP's Zumbroich basis (non-zero terms)."""
    return _coefficients(z.N, z.coeffs)


def gap_string(z: Cyclotomic) -> str:
    """``z`` as GAP prints it: ``E(5)+E(5)^4``, ``-E(3)^2``, ``1+E(4)``, ``2*E(8)-E(8)^3``, ``-1``."""
    N, terms = gap_coefficients(z)
    if N == 1:
        return str(terms[0][1]) if terms else "0"
    parts = []
    for j, c in terms:
        if j == 0:
            parts.append(str(c))
            continue
        base = f"E({N})" if j == 1 else f"E({N})^{j}"
        parts.append(base if c == 1 else "-" + base if c == -1 else f"{c}*{base}")
    return "+".join(parts).replace("+-", "-")


def star(z: Cyclotomic) -> Cyclotomic | None:
    """GAP's ``StarCyc``: the other Galois conjugate of a quadratic irrationality, else ``None``."""
    conj = z.conjugates()
    return conj[1] if len(conj) == 2 else None


def _squarefree_part(n: int) -> tuple[int, int]:
    """``n = f² · D`` with ``D`` squarefree (sign kept on ``D``); returns ``(f, D)``."""
    sign, m = (-1 if n < 0 else 1), abs(n)
    f = 1
    for p, e in _prime_powers(m):
        f *= p ** (e // 2)
    return f, sign * (m // (f * f))


def _linear(c: int, b: int, times: str = "") -> str:
    """``c + b·`` before a surd, as GAP writes it: ``c`` left out when 0, ``b = ±1`` as its sign alone,
    any other ``b`` followed by ``times`` (``"*"`` in the display string, nothing in ATLAS notation)."""
    if c == 0:
        return "" if b == 1 else "-" if b == -1 else f"{b}{times}"
    if b == 1:
        return f"{c}+"
    if b == -1:
        return f"{c}-"
    return f"{c}+{b}{times}" if b > 0 else f"{c}{b}{times}"


def quadratic(z: Cyclotomic) -> dict | None:
    """GAP's ``Quadratic``: ``z = (a + b·√root)/d`` with its ``display`` and ``ATLAS`` strings.

    ``None`` unless ``z`` is rational or a quadratic irrationality. ``√root`` is the
    positive root for ``root > 0`` and ``i·√|root|`` for ``root < 0`` (GAP's ``ER``).
    """
    if z.is_rational:
        s = str(z.coeffs[0])
        return {"a": z.coeffs[0], "b": 0, "root": 1, "d": 1, "ATLAS": s, "display": s}
    other = star(z)
    if other is None:
        return None
    s, p = z + other, z * other
    s0, p0 = int(s.coeffs[0]), int(p.coeffs[0])
    f, root = _squarefree_part(s0 * s0 - 4 * p0)  # z = (s0 ± f√root)/2
    sq = math.sqrt(abs(root)) * (1j if root < 0 else 1)
    sign = 1 if abs((s0 + f * sq) / 2 - complex(z)) < abs((s0 - f * sq) / 2 - complex(z)) else -1
    a, b = s0, sign * f
    if a % 2 == 0 and b % 2 == 0:
        a, b, d = a // 2, b // 2, 1
    else:
        d = 2
    # ATLAS string, following GAP's Quadratic line by line
    if d == 2:
        atlas = _linear((a + b) // 2, b) + f"b{abs(root)}"
    else:
        atlas = _linear(a, b) + (f"r{root}" if root > 0 else ("i" if root == -1 else f"i{-root}"))
        if (root - 1) % 4 == 0:
            alt = str(2 * b) if a == -b else f"{a + b}+{2 * b}"
            alt += f"b{abs(root)}"
            if len(alt) < len(atlas):
                atlas = alt
    disp = _linear(a, b, times="*")
    disp += f"Sqrt({root})"
    if d != 1:
        if a != 0:
            disp = f"({disp})"
        disp += f"/{d}"
    return {"a": a, "b": b, "root": root, "d": d, "ATLAS": atlas, "display": disp}


def _letters(n: int, alphabet: str) -> str:
    name = ""
    while n > 0:
        name = alphabet[(n - 1) % len(alphabet)] + name
        n = (n - 1) // len(alphabet)
    return name


def class_names(orders) -> list[str]:
    """GAP's ``ClassNames``: element order followed by ``a, b, …, z, aa, ab, …`` per order."""
    count: dict[int, int] = {}
    out = []
    for o in orders:
        o = int(o)
        count[o] = count.get(o, 0) + 1
        out.append(f"{o}{_letters(count[o], 'abcdefghijklmnopqrstuvwxyz')}")
    return out


class GapNamer:
    """GAP's ``CharacterTableDisplayStringEntryDefault``: name cells in the order they are met.

    ``namer(z)`` returns ``"."`` for 0, the integer for a rational, else ``A``,
    ``-A``, ``/A``, ``-/A``, ``*A``, ``-*A`` or a new letter; :attr:`legend` lists
    ``(name, value)`` in order of creation.
    """

    def __init__(self):
        self.legend: list[tuple[str, Cyclotomic]] = []
        self._forms: list[tuple[Cyclotomic, Cyclotomic, Cyclotomic | None]] = []
        self._cache: dict = {}

    def __call__(self, z: Cyclotomic) -> str:
        N, terms = gap_coefficients(z)
        key = (N, terms)
        if key in self._cache:
            return self._cache[key]
        self._cache[key] = out = self._name(z)
        return out

    def _name(self, z: Cyclotomic) -> str:
        if z.is_rational:
            v = int(z.coeffs[0])
            return "." if v == 0 else str(v)
        for (label, w), (_, bar, st) in zip(self.legend, self._forms):
            if z == w:
                return label
            if z == -w:
                return "-" + label
            if z == bar:
                return "/" + label
            if z == -bar:
                return "-/" + label
            if st is not None and z == st:
                return "*" + label
            if st is not None and z == -st:
                return "-*" + label
        label = _letters(len(self.legend) + 1, _LETTERS)
        self.legend.append((label, z))
        self._forms.append((z, z.conjugate(), star(z)))
        return label

    def legend_lines(self) -> list[str]:
        """GAP's ``CharacterTableDisplayLegendDefault``, one string per line."""
        lines = []
        for label, z in self.legend:
            lines.append(f"{label} = {gap_string(z)}")
            q = quadratic(z)
            if q is not None:
                lines.append(f"  = {q['display']} = {q['ATLAS']}")
        return lines


def _factor_counts(n: int) -> dict[int, int]:
    return dict(_prime_powers(n))


def display_table(
    identifier: str,
    order: int,
    centralizers,
    orders,
    power_maps: dict,
    values,
    *,
    indicators=None,
    linelen: int = 79,
) -> str:
    """GAP's ``Display(tbl)`` (with ``rec(indicator := true)`` when ``indicators`` is given).

    Parameters
    ----------
    identifier : the first line (GAP's ``Identifier``).
    order : |G|.
    centralizers, orders : ``(k,)`` centraliser orders and element orders per class.
    power_maps : ``{p: (k,) class of g_i^p}`` for the primes to print, in increasing ``p``.
    values : ``k × k`` nested sequence of :class:`Cyclotomic` (character × class).
    indicators : ``(k,)`` Frobenius–Schur indicators in {1, 0, −1}, or ``None``.
    linelen : GAP's ``SizeScreen()[1] − 1``.
    """
    k = len(orders)
    nam = class_names(orders)
    primes = [p for p, _ in _prime_powers(order)]
    cen = [_factor_counts(int(c)) for c in centralizers]
    namer = GapNamer()
    charvals: list[dict[int, str]] = [dict() for _ in range(len(values))]
    charnames = [f"X.{i + 1}" for i in range(len(values))]
    prin = [max((len(c) for c in charnames), default=0) + 3 if values else 3]
    iwsum = 3 if indicators is not None else 0  # iw = [2] for the 2nd indicator, + 1
    pmaps = sorted(power_maps)

    def col_width(c: int) -> int:
        width = len(nam[c])
        for p in pmaps:
            width = max(width, len(nam[int(power_maps[p][c])]))
        for i in range(len(values)):
            width = max(width, len(charvals[i][c]))
        return width + 1

    col = 1
    ncols = k + 1
    show_ind = indicators is not None
    text = identifier + "\n"
    while col < ncols:
        acol = 0
        if show_ind:
            prin[0] += iwsum
        length = prin[0]
        while col + acol < ncols and length < linelen:
            acol += 1
            if len(prin) < col + acol:
                c = col + acol - 2
                for i in range(len(values)):
                    charvals[i][c] = namer(values[i][c])
                prin.append(col_width(c))
            length += prin[col + acol - 1]
        if length >= linelen:
            acol -= 1
        if acol == 0:  # pragma: no cover - a single column wider than the screen
            acol = 1
        cols = range(col - 1, col - 1 + acol)
        text += "\n"
        for p in primes:
            text += str(p).rjust(prin[0])
            for c in cols:
                e = cen[c].get(p, 0)
                text += (str(e) if e else ".").rjust(prin[c + 1])
            text += "\n"
        text += "\n" + "".rjust(prin[0])
        for c in cols:
            text += nam[c].rjust(prin[c + 1])
        for p in pmaps:
            text += "\n" + f"{p}P".rjust(prin[0])
            for c in cols:
                text += nam[int(power_maps[p][c])].rjust(prin[c + 1])
        text += "\n"
        if show_ind:
            prin[0] -= iwsum
            text += "".rjust(prin[0]) + "2".rjust(2)
        for i in range(len(values)):
            text += "\n" + charnames[i].ljust(prin[0])
            if show_ind:
                text += {1: "+", 0: "o", -1: "-"}[int(indicators[i])].rjust(2) + " "
            for c in cols:
                text += charvals[i][c].rjust(prin[c + 1])
        col += acol
        text += "\n"
        show_ind = False
    legend = namer.legend_lines()
    if legend:
        text += "\n" + "\n".join(legend) + "\n"
    return text
