"""GAP's notation for cyclotomic numbers and GAP's ``Display`` of a character table.

GAP writes a cyclotomic number in the *Zumbroich basis* of its conductor field
``Q(ζ_N)`` (``N`` the smallest with the number in ``Q(ζ_N)``): for
``N = ∏ q_i`` (prime powers ``q = p^e``) the basis is the set of products
``∏ ζ_{q_i}^{x_i}`` with ``x ∈ {0, …, 2^{e-1} − 1}`` for ``q = 2^e`` and
``x = a·p^{e−1} + b``, ``1 ≤ a ≤ p − 1``, ``|b| ≤ (p^{e−1} − 1)/2`` for odd ``p``
(GAP's ``ZumbroichBase(N, 1)``). That basis is a Z-basis of ``Z[ζ_N]``, so every
character value has integer coordinates, and the string ``E(N)^j`` terms in
increasing ``j`` (``-E(5)-E(5)^4``) is canonical and the same as GAP's.

:func:`gap_coefficients` needs no linear algebra: ``ζ_N^j`` splits by the Chinese remainder
theorem into prime-power factors, each of which is a basis element or minus a sum of
``p − 1`` of them (:func:`root_in_basis`), and the number is then moved to its conductor
one prime at a time by reading its coordinates. The result
``(N, ((j, c_j), …))`` is canonical, so it doubles as an exact dictionary key.

:func:`display_table` reproduces GAP's ``CharacterTableDisplayDefault`` (GAP
4.12, ``lib/ctbl.gi``): centraliser orders factored by prime, class names
``1a 2a 2b …``, one ``pP`` row per prime in ``power_maps`` (GAP prints every power map it has
computed; see :meth:`CharacterTable.display` for the rows GAP computes for a group), the
characters ``X.1 …`` with ``.`` for 0, irrationalities named ``A, B, …`` in the order GAP
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
from grokcheck.theory._integers import factorize

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


@lru_cache(maxsize=None)
def zumbroich_exponents(N: int) -> tuple[int, ...]:
    """GAP's ``ZumbroichBase(N, 1)``: the exponents ``j`` of the basis ``ζ_N^j`` of ``Q(ζ_N)``, sorted."""
    exps = [0]
    for p, e in factorize(N).items():
        q = p**e
        if p == 2:
            local = list(range(q // 2))
        else:
            half = (p ** (e - 1) - 1) // 2
            local = [(a * p ** (e - 1) + b) % q for a in range(1, p) for b in range(-half, half + 1)]
        exps = [(j + (N // q) * x) % N for j in exps for x in local]
    return tuple(sorted(exps))


@lru_cache(maxsize=None)
def _crt_parts(N: int) -> tuple[tuple[int, int, int, int], ...]:
    """``(p, e, q = p^e, N/q)`` for each prime power ``q ∥ N``."""
    return tuple((p, e, p**e, N // p**e) for p, e in factorize(N).items())


def _local_expansion(p: int, e: int, q: int, x: int) -> tuple[tuple[int, int], ...]:
    """``ζ_q^x`` in the local Zumbroich basis of ``Q(ζ_q)``: ``((x', c), …)``.

    ``p = 2``: ``ζ_q^x = −ζ_q^{x−q/2}`` for ``x ≥ q/2``. Odd ``p``: write ``x = a·p^{e−1} + b``
    with ``|b| ≤ (p^{e−1} − 1)/2``; for ``a = 0`` use ``Σ_{a=0}^{p−1} ζ_p^a = 0``, i.e.
    ``ζ_q^b = −Σ_{a=1}^{p−1} ζ_q^{a·p^{e−1}+b}``.
    """
    x %= q
    if p == 2:
        return ((x, 1),) if x < q // 2 else ((x - q // 2, -1),)
    s = q // p  # p^{e-1}
    b = x % s
    if b > (s - 1) // 2:
        b -= s
    a = ((x - b) // s) % p
    if a:
        return ((x, 1),)
    return tuple((((a2 * s + b) % q), -1) for a2 in range(1, p))


@lru_cache(maxsize=1 << 16)
def root_in_basis(N: int, j: int) -> tuple[tuple[int, int], ...]:
    """``ζ_N^j`` in GAP's Zumbroich basis of ``Q(ζ_N)``: ``((exponent, coefficient), …)``, sorted.

    By the Chinese remainder theorem ``ζ_N^j = ∏ ζ_q^{x_q}`` over the prime powers ``q ∥ N``
    (``x_q = j·(N/q)⁻¹ mod q``); each factor is expanded in its local basis
    (:func:`_local_expansion`) and the products ``∏ ζ_q^{x'_q} = ζ_N^{Σ (N/q)·x'_q}`` are the
    basis elements. Exact, at most ``∏ (p − 1)`` terms, no linear algebra.
    """
    terms: dict[int, int] = {0: 1}
    for p, e, q, cof in _crt_parts(N):
        x = (j * pow(cof, -1, q)) % q  # q > 1 and N/q is a unit mod q
        loc = _local_expansion(p, e, q, x)
        nxt: dict[int, int] = {}
        for t, c in terms.items():
            for y, d in loc:
                k = (t + cof * y) % N
                nxt[k] = nxt.get(k, 0) + c * d
        terms = nxt
    return tuple(sorted((k, c) for k, c in terms.items() if c))


def _reduce_conductor(N: int, terms: dict[int, int]) -> tuple[int, tuple[tuple[int, int], ...]]:
    """Move ``Σ c_j ζ_N^j`` (Zumbroich basis of ``N``) to its conductor, one prime at a time.

    ``z ∈ Q(ζ_{N/p})`` is read off the coordinates (GAP's reduction): for ``p² | N`` (or
    ``4 | N`` and ``p = 2``) the basis of ``Q(ζ_{N/p})`` is the part of the basis with ``p | j``
    (``q = 4``: ``4 | j``, since ``Q(ζ_{N/2}) = Q(ζ_{N/4})``); for ``p ∥ N`` odd, ``w ∈ Q(ζ_{N/p})``
    is ``w·1 = −Σ_{a=1}^{p−1} w·ζ_p^a``, so the coordinates are constant, equal to ``−c``, on
    each fibre of the ``p``-part; ``N ≡ 2 mod 4`` halves at once (all exponents are even).
    """
    terms = {j: c for j, c in terms.items() if c}
    changed = True
    while changed and N > 1:
        changed = False
        for p, e, q, cof in _crt_parts(N):
            if p == 2 and e == 1:
                N, terms = N // 2, {j // 2: c for j, c in terms.items()}
            elif p == 2 and e == 2:
                if any(j % 4 for j in terms):
                    continue
                N, terms = N // 4, {j // 4: c for j, c in terms.items()}
            elif e >= 2:
                if any(j % p for j in terms):
                    continue
                N, terms = N // p, {j // p: c for j, c in terms.items()}
            else:
                fibres: dict[int, dict[int, int]] = {}
                for j, c in terms.items():
                    x = (j * pow(cof, -1, p)) % p
                    fibres.setdefault((j - cof * x) % N, {})[x] = c
                if any(len(f) != p - 1 or len(set(f.values())) != 1 for f in fibres.values()):
                    continue
                N, terms = N // p, {r // p: -next(iter(f.values())) for r, f in fibres.items()}
            changed = True
            break
    if N == 1:
        return 1, (((0, terms.get(0, 0)),) if terms.get(0, 0) else ())
    return N, tuple(sorted(terms.items()))


def key_from_multiplicities(o: int, mult) -> tuple[int, tuple[tuple[int, int], ...]]:
    """The canonical key ``(conductor, ((j, c_j), …))`` of ``Σ_j mult[j] ζ_o^j`` (GAP's coefficients)."""
    acc: dict[int, int] = {}
    for j in np.nonzero(np.asarray(mult))[0]:
        m = int(mult[j])
        for k, c in root_in_basis(o, int(j)):
            acc[k] = acc.get(k, 0) + m * c
    return _reduce_conductor(o, acc)


def key_galois(key, k: int):
    """The key of the Galois conjugate ``ζ ↦ ζ^k`` (``k`` a unit; the conductor is unchanged)."""
    N, terms = key
    if N == 1:
        return key
    acc: dict[int, int] = {}
    for j, c in terms:
        for t, d in root_in_basis(N, (j * k) % N):
            acc[t] = acc.get(t, 0) + c * d
    return N, tuple(sorted((t, c) for t, c in acc.items() if c))


def root_key(e: int, a: int):
    """The canonical key of ``ζ_e^a``."""
    g = math.gcd(a, e)
    return _reduce_conductor(e // g, dict(root_in_basis(e // g, (a // g) % (e // g))))


def key_floats(key) -> list[float]:
    """``[re, im]`` of a key without rounding noise: a part that is exactly rational is exact.

    ``2·Re z = z + z̄`` and ``z − z̄ = 2i·Im z`` are computed exactly; ``Re z`` is rational
    when ``z + z̄`` has conductor 1, ``Im z`` when ``z − z̄ = c·E(4)``.
    """
    N, terms = key
    if N == 1:
        return [float(terms[0][1]) if terms else 0.0, 0.0]
    bar = dict(key_galois(key, N - 1)[1])
    mine = dict(terms)
    s_key = _reduce_conductor(N, {j: mine.get(j, 0) + bar.get(j, 0) for j in set(mine) | set(bar)})
    d_key = _reduce_conductor(N, {j: mine.get(j, 0) - bar.get(j, 0) for j in set(mine) | set(bar)})
    w = key_complex(key)
    if s_key[0] == 1:
        re = s_key[1][0][1] / 2 if s_key[1] else 0.0
    else:
        re = w.real
    if d_key[0] == 1 and not d_key[1]:
        im = 0.0
    elif d_key[0] == 4 and len(d_key[1]) == 1 and d_key[1][0][0] == 1:
        im = d_key[1][0][1] / 2
    else:
        im = w.imag
    return [float(re) + 0.0, float(im) + 0.0]


def key_neg(key):
    return key[0], tuple((j, -c) for j, c in key[1])


@lru_cache(maxsize=None)
def _unit_generators(N: int) -> tuple[int, ...]:
    """A generating set of ``(Z/N)^×`` (greedy over the units in increasing order)."""
    gens: list[int] = []
    sub = {1 % N}
    for a in range(2, N):
        if math.gcd(a, N) != 1 or a in sub:
            continue
        gens.append(a)
        frontier = list(sub)
        while frontier:  # close the subgroup under multiplication by the generators
            nxt = []
            for x in frontier:
                for g in gens:
                    y = (x * g) % N
                    if y not in sub:
                        sub.add(y)
                        nxt.append(y)
            frontier = nxt
    return tuple(gens)


def key_star(key):
    """GAP's ``StarCyc`` on a key: the other Galois conjugate when there are exactly two, else ``None``.

    The orbit under the generators of ``(Z/N)^×`` is grown only until it has three members.
    """
    N = key[0]
    orbit = [key]
    i = 0
    while i < len(orbit):
        for g in _unit_generators(N):
            w = key_galois(orbit[i], g)
            if w not in orbit:
                orbit.append(w)
                if len(orbit) > 2:
                    return None
        i += 1
    return orbit[1] if len(orbit) == 2 else None


def key_to_cyclotomic(key) -> Cyclotomic:
    N, terms = key
    full = np.zeros(N, dtype=np.int64)
    for j, c in terms:
        full[j] += c
    return Cyclotomic.from_exponents(full, N)


def key_string(key) -> str:
    """A key as GAP prints it (see :func:`gap_string`)."""
    N, terms = key
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


def key_complex(key) -> complex:
    N, terms = key
    return complex(sum(c * complex(math.cos(2 * math.pi * j / N), math.sin(2 * math.pi * j / N)) for j, c in terms))


@lru_cache(maxsize=65536)
def _coefficients(N: int, coeffs: tuple[int, ...]) -> tuple[int, tuple[tuple[int, int], ...]]:
    return key_from_multiplicities(N, coeffs)


def gap_coefficients(z: Cyclotomic) -> tuple[int, tuple[tuple[int, int], ...]]:
    """``(conductor N, ((j, c_j), …))``: ``z = Σ c_j ζ_N^j`` in GAP's Zumbroich basis (non-zero terms).

    Canonical: equal numbers have equal coefficients, so this is also an exact hash key.
    """
    return _coefficients(z.N, z.coeffs)


def gap_string(z: Cyclotomic) -> str:
    """``z`` as GAP prints it: ``E(5)+E(5)^4``, ``-E(3)^2``, ``1+E(4)``, ``2*E(8)-E(8)^3``, ``-1``."""
    return key_string(gap_coefficients(z))


def star(z: Cyclotomic) -> Cyclotomic | None:
    """GAP's ``StarCyc``: the other Galois conjugate of a quadratic irrationality, else ``None``."""
    other = key_star(gap_coefficients(z))
    return None if other is None else key_to_cyclotomic(other)


def _squarefree_part(n: int) -> tuple[int, int]:
    """``n = f² · D`` with ``D`` squarefree (sign kept on ``D``); returns ``(f, D)``."""
    sign, m = (-1 if n < 0 else 1), abs(n)
    f = 1
    for p, e in factorize(m).items():
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

    ``namer(z)`` (``z`` a :class:`Cyclotomic` or a canonical key from :func:`gap_coefficients`)
    returns ``"."`` for 0, the integer for a rational, else ``A``, ``-A``, ``/A``, ``-/A``,
    ``*A``, ``-*A`` or a new letter; :attr:`legend` lists ``(name, value)`` in order of creation.
    GAP scans its legend in order and tries the six forms in that order for each entry; a
    value matches the forms of at most one entry (two entries whose forms met would be one
    orbit of ``±``, complex conjugation and ``*``, and the later would have been named by the
    earlier), so a dictionary filled in GAP's order of forms gives the same names in O(1).
    """

    def __init__(self):
        self.legend: list[tuple[str, Cyclotomic]] = []
        self._keys: list = []
        self._forms: dict = {}

    def __call__(self, z) -> str:
        key = gap_coefficients(z) if isinstance(z, Cyclotomic) else z
        N, terms = key
        if N == 1:
            return str(terms[0][1]) if terms else "."
        name = self._forms.get(key)
        if name is not None:
            return name
        label = _letters(len(self.legend) + 1, _LETTERS)
        self.legend.append((label, key_to_cyclotomic(key)))
        self._keys.append(key)
        bar = key_galois(key, N - 1)
        st = key_star(key)
        forms = [(key, label), (key_neg(key), "-" + label), (bar, "/" + label), (key_neg(bar), "-/" + label)]
        if st is not None:
            forms += [(st, "*" + label), (key_neg(st), "-*" + label)]
        for k, nm in forms:
            self._forms.setdefault(k, nm)
        return label

    def legend_lines(self) -> list[str]:
        """GAP's ``CharacterTableDisplayLegendDefault``, one string per line."""
        lines = []
        for (label, z), key in zip(self.legend, self._keys):
            lines.append(f"{label} = {key_string(key)}")
            q = quadratic(z) if key_star(key) is not None else None
            if q is not None:
                lines.append(f"  = {q['display']} = {q['ATLAS']}")
        return lines


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
    value_ids=None,
) -> str:
    """GAP's ``Display(tbl)`` (with ``rec(indicator := true)`` when ``indicators`` is given).

    Parameters
    ----------
    identifier : the first line (GAP's ``Identifier``).
    order : |G|.
    centralizers, orders : ``(k,)`` centraliser orders and element orders per class.
    power_maps : ``{p: (k,) class of g_i^p}`` for the primes to print (printed in increasing ``p``).
    values : ``k × k`` nested sequence of :class:`Cyclotomic` (character × class); or, with
        ``value_ids``, the list of distinct values (:class:`Cyclotomic` or keys of
        :func:`gap_coefficients`) that ``value_ids`` (``k × k`` ints) indexes.
    indicators : ``(k,)`` Frobenius–Schur indicators in {1, 0, −1}, or ``None``.
    linelen : GAP's ``SizeScreen()[1] − 1``.
    """
    k = len(orders)
    nam = class_names(orders)
    primes = list(factorize(order))
    cen = [factorize(int(c)) for c in centralizers]
    namer = GapNamer()
    if value_ids is None:
        distinct = [z for row in values for z in row]
        ids = np.arange(len(distinct)).reshape(len(values), k) if distinct else np.zeros((0, k), dtype=np.int64)
    else:
        distinct, ids = list(values), np.asarray(value_ids)
    nchars = ids.shape[0]
    names: list[str | None] = [None] * len(distinct)
    charnames = [f"X.{i + 1}" for i in range(nchars)]
    prin = [max((len(c) for c in charnames), default=0) + 3 if nchars else 3]
    iwsum = 3 if indicators is not None else 0  # iw = [2] for the 2nd indicator, + 1
    pmaps = sorted(power_maps)
    pm = {p: [int(v) for v in power_maps[p]] for p in pmaps}

    def name_column(c: int) -> list[str]:
        # GAP names the cells of a column top to bottom when it first lays the column out
        out = []
        for v in ids[:, c].tolist():
            if names[v] is None:
                names[v] = namer(distinct[v])
            out.append(names[v])
        return out

    def col_width(c: int, cells: list[str]) -> int:
        width = len(nam[c])
        for p in pmaps:
            width = max(width, len(nam[pm[p][c]]))
        return max([width, *map(len, cells)]) + 1

    cells: list[list[str]] = []
    col = 1
    ncols = k + 1
    show_ind = indicators is not None
    out = [identifier, "\n"]
    while col < ncols:
        acol = 0
        if show_ind:
            prin[0] += iwsum
        length = prin[0]
        while col + acol < ncols and length < linelen:
            acol += 1
            if len(prin) < col + acol:
                c = col + acol - 2
                cells.append(name_column(c))
                prin.append(col_width(c, cells[c]))
            length += prin[col + acol - 1]
        if length >= linelen:
            acol -= 1
        if acol == 0:  # pragma: no cover - a single column wider than the screen
            acol = 1
        cols = range(col - 1, col - 1 + acol)
        out.append("\n")
        for p in primes:
            out.append(str(p).rjust(prin[0]))
            for c in cols:
                e = cen[c].get(p, 0)
                out.append((str(e) if e else ".").rjust(prin[c + 1]))
            out.append("\n")
        out.append("\n" + "".rjust(prin[0]))
        out.append("".join(nam[c].rjust(prin[c + 1]) for c in cols))
        for p in pmaps:
            out.append("\n" + f"{p}P".rjust(prin[0]))
            out.append("".join(nam[pm[p][c]].rjust(prin[c + 1]) for c in cols))
        out.append("\n")
        if show_ind:
            prin[0] -= iwsum
            out.append("".rjust(prin[0]) + "2".rjust(2))
        page = [cells[c] for c in cols]
        widths = [prin[c + 1] for c in cols]
        for i in range(nchars):  # one joined string per row: memory ~ the text, not one object per cell
            head = "\n" + charnames[i].ljust(prin[0])
            if show_ind:
                head += {1: "+", 0: "o", -1: "-"}[int(indicators[i])].rjust(2) + " "
            out.append(head + "".join(col[i].rjust(w) for col, w in zip(page, widths)))
        col += acol
        out.append("\n")
        show_ind = False
    legend = namer.legend_lines()
    if legend:
        out.append("\n" + "\n".join(legend) + "\n")
    return "".join(out)
