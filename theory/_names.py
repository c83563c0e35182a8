"""Named finite groups: a small grammar that round-trips, ``group(str(G)) == G``.

Grammar
-------
Whitespace is ignored everywhere; letters are case-sensitive exactly as written::

    name    := factor ( "x" factor )*          direct product, left to right
    factor  := "C" n | "Z" n                   cyclic group of order n          (Zn is an alias of Cn)
             | "D" n                           dihedral group of ORDER 2n       (D1 ≅ C2, D2 ≅ C2xC2)
             | "S" n | "A" n                   symmetric / alternating group on n points
             | "Q8"                            quaternion group (same table as Dic2)
             | "Dic" n                         dicyclic group of order 4n       (Dic1 ≅ C4, Dic2 ≅ Q8)
             | "F21" | "F20"                   Frobenius groups C7⋊C3 and AGL(1,5) = C5⋊C4
             | "SL(2," p ")" | "GL(2," p ")" | "PSL(2," p ")"    2×2 matrices over Z/p
             | "C" n ":C" m                    semidirect product Cn⋊Cm, Cm acting faithfully
                                               (C7:C3 ≅ F21, C5:C4 ≅ F20; refused if ambiguous)
             | "C" n ":C" m "[" r "]"          Cn⋊Cm with the generator of Cm acting by x ↦ x^r
                                               (r a unit mod n with r^m ≡ 1 mod n; C8:C2[7] ≅ D8,
                                               C8:C2[3] the semidihedral and C8:C2[5] the modular
                                               group of order 16)
    n       := positive decimal integer
    r       := decimal integer, optionally negative (read mod n: C8:C2[-1] is C8:C2[7])
    p       := prime

``×`` is accepted in place of ``x``. The dihedral convention matters: the
literature writes the dihedral group of order 2n both as ``D_n`` and as
``D_{2n}``; here ``D4`` is the symmetry group of the square, of order 8.
:func:`group` refuses every name with :class:`~grokcheck.errors.GroupInputError` before
anything is built if its order exceeds
:data:`~grokcheck.theory._finite_group.MAX_ORDER`; up to
:data:`~grokcheck.theory.MAX_LARGE_ORDER` the same name builds a permutation group
with :func:`~grokcheck.theory.large_group` (each factor on its own points).

Conventions
-----------
Element labels are fixed and documented, so that a name always gives the same
table (the identity is element 0 in every named group):

* ``Cn``: the residue ``a`` in ``0..n-1``; ``a·b = a + b mod n``.
* ``Dn``: ``r^k s^e`` has index ``e·n + k`` (``r`` a rotation of order n,
  ``s`` a reflection, ``s r s = r⁻¹``).
* ``Dicn``: ``a^k x^e`` has index ``e·2n + k`` with ``a^{2n} = 1``,
  ``x² = a^n``, ``x a x⁻¹ = a⁻¹``.
* ``Sn``, ``An``: permutations of ``0..n-1`` as image arrays, in lexicographic
  order; the product ``p·q`` applies ``p`` first (GAP / sympy, the same as
  :meth:`FiniteGroup.from_permutations`).
* ``F21``: affine maps ``x ↦ ax + b`` of Z/7 with ``a ∈ {1, 2, 4}``; ``(a, b)``
  has index ``i·7 + b`` where ``a`` is the ``i``-th of ``(1, 2, 4)``, and
  ``(a, b)(a', b') = (aa' mod 7, b + ab' mod 7)`` (docs/conventions.md).
  ``F20``: the same with ``a ∈ (1, 2, 3, 4)`` over Z/5.
* ``Cn:Cm``: affine maps ``x ↦ a^j x + b`` of Z/n, index ``j·n + b``, where ``a``
  is the smallest unit mod n of multiplicative order m. The name is accepted only
  when the units mod n have exactly one cyclic subgroup of order m (then every
  faithful action gives the same group up to isomorphism); ``C7:C3`` has the same
  table as ``F21``.
* ``Cn:Cm[r]``: pairs ``(j, b)`` (``j`` mod m, ``b`` mod n) with index ``j·n + b`` and
  ``(j, b)(j', b') = (j + j', b + r^j b')``, i.e. ``a^b t^j`` with ``a = (0, 1)`` of
  order n, ``t = (1, 0)`` of order m and ``t a t⁻¹ = a^r``. When ``r`` has order m mod n
  (a faithful action) ``(j, b)`` is the affine map ``x ↦ r^j x + b``, labelled
  ``[r^j mod n, b]`` as for ``Cn:Cm``, and ``Cn:Cm[a]`` is the same table as ``Cn:Cm``;
  otherwise the labels are the words ``a^b*t^j``.
* ``SL(2,p)``, ``GL(2,p)``: matrices ``[[a, b], [c, d]]`` mod p with the matrix
  product, ordered by the code ``((a·p + b)·p + c)·p + d`` with the identity
  moved to the front. ``PSL(2,p)`` = ``SL(2,p)/{±I}``: each coset is
  represented by its member of smaller code, in the same order.
* ``AxB``: :meth:`FiniteGroup.direct_product`, ``(a, b)`` has index
  ``a·|B| + b``; the product is associative on labels too, so ``AxBxC`` is
  the same table however it is bracketed.

Class numbers (tested): ``Cn``: n; ``Dn``: (n+6)/2 (n even), (n+3)/2 (n odd);
``Sn``: partitions of n; ``Dicn``: n+3; ``SL(2,p)``: p+4 and ``PSL(2,p)``:
(p+5)/2 for odd p ≥ 5; ``GL(2,p)``: p²−1.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

from grokcheck.errors import GroupInputError
from grokcheck.theory._finite_group import MAX_ORDER, FiniteGroup
from grokcheck.theory._integers import factorize, is_prime

__all__ = ["group", "GRAMMAR", "FAMILIES", "named_factors"]

#: The families of the grammar, in the order hypothesis shrinks through them
#: (roughly by the order of their smallest non-trivial member).
FAMILIES = ("C", "D", "S", "A", "Dic", "SL", "GL", "PSL", "Q8", "F20", "F21")

#: The grammar, quoted in every error message about a malformed name.
GRAMMAR = (
    "a group name is one or more factors joined by 'x' (direct product), each factor one of: "
    "Cn or Zn (cyclic, order n), Dn (dihedral of order 2n), Sn, An (symmetric/alternating on n points), "
    "Q8, Dicn (dicyclic, order 4n), F21, F20, SL(2,p), GL(2,p), PSL(2,p) with p prime, "
    "Cn:Cm (semidirect, Cm acting faithfully, e.g. C7:C3), Cn:Cm[r] (the generator of Cm acting by x -> x^r, "
    "r^m = 1 mod n, e.g. C8:C2[3]); "
    "n is a positive integer; examples: 'C12', 'D4', 'S4', 'SL(2,5)', 'C3xC5', 'S3xC4'"
)

# Tables of at most this order are memoised (≤ 2 MB each), so their cached
# properties (classes, character table, irreps) are shared between callers.
_MEMO_ORDER = 512
# An integer with more digits than this is certainly above MAX_ORDER.
_MAX_DIGITS = 9

_FAMILY_RE = re.compile(r"(Dic|C|Z|D|S|A)(\d+)|(Q8|F21|F20)|(PSL|SL|GL)\(2,(\d+)\)")
_SEMIDIRECT_RE = re.compile(r"[CZ](\d+):[CZ](\d+)(?:\[(-?\d+)\])?")


@dataclass(frozen=True)
class _Factor:
    """One parsed factor: ``family`` in {C, D, S, A, Dic, Q8, F21, F20, SL, GL, PSL}."""

    family: str
    param: int  # n, or the prime p; 0 for Q8/F21/F20
    param2: int = 0  # m for the semidirect product Cn:Cm
    action: int | None = None  # r of Cn:Cm[r] (reduced mod n); None: the unique faithful action

    @property
    def name(self) -> str:
        if self.family == "SD":
            return f"C{self.param}:C{self.param2}" + ("" if self.action is None else f"[{self.action}]")
        if self.family in ("Q8", "F21", "F20"):
            return self.family
        if self.family in ("SL", "GL", "PSL"):
            return f"{self.family}(2,{self.param})"
        return f"{self.family}{self.param}"


# ----------------------------------------------------------------- orders
def _factor_order(f: _Factor) -> int:
    """|factor|, computed without building anything (capped for huge n: > MAX_ORDER suffices)."""
    n = f.param
    if f.family == "SD":
        return n * f.param2
    if f.family == "C":
        return n
    if f.family == "D":
        return 2 * n
    if f.family == "Dic":
        return 4 * n
    if f.family == "S":
        return math.factorial(n) if n <= 20 else math.factorial(20)
    if f.family == "A":
        return 1 if n <= 2 else (math.factorial(n) if n <= 20 else math.factorial(20)) // 2
    if f.family == "Q8":
        return 8
    if f.family == "F21":
        return 21
    if f.family == "F20":
        return 20
    p = n
    if f.family == "SL":
        return p * (p * p - 1)
    if f.family == "GL":
        return (p * p - 1) * (p * p - p)
    if f.family == "PSL":
        return p * (p * p - 1) // (1 if p == 2 else 2)
    raise AssertionError(f.family)  # pragma: no cover - the parser only makes the families above


def _is_abelian_factor(f: _Factor) -> bool:
    """Whether the factor is Abelian (from the family, without building it)."""
    if f.family == "C":
        return True
    if f.family == "SD":
        return f.param2 == 1 or (f.action is not None and f.action % f.param == 1 % f.param)
    if f.family in ("D", "S"):
        return f.param <= 2
    if f.family == "A":
        return f.param <= 3
    if f.family == "Dic":
        return f.param == 1
    return False  # Q8, F21, F20 and the matrix groups (SL(2,2) ≅ GL(2,2) ≅ S3) are not


# ------------------------------------------------------------------ parse
def _bad(text, message: str) -> GroupInputError:
    return GroupInputError(f"cannot read the group name {text!r}: {message}. Expected: {GRAMMAR}", text=text)


def _parse(text) -> tuple[_Factor, ...]:
    """Split a name into factors, or raise :class:`GroupInputError` saying what was expected."""
    if not isinstance(text, str):
        raise GroupInputError(f"a group name must be a string, got {text!r}. Expected: {GRAMMAR}", text=text)
    s = "".join(text.split()).replace("×", "x")
    if s == "":
        raise _bad(text, "the name is empty")
    pieces = s.split("x")
    factors = []
    for i, piece in enumerate(pieces):
        if piece == "":
            where = "at the start" if i == 0 else ("at the end" if i == len(pieces) - 1 else "in the middle")
            raise _bad(text, f"a factor is missing {where} of the product")
        sd = _SEMIDIRECT_RE.fullmatch(piece)
        if sd is not None:
            factors.append(_parse_semidirect(sd, piece, text))
            continue
        m = _FAMILY_RE.fullmatch(piece)
        if m is None:
            raise _bad(text, f"{piece!r} is not a group name")
        fam, digits, fixed, mat, pdigits = m.groups()
        if fixed is not None:
            factors.append(_Factor(fixed, 0))
            continue
        digits = digits if digits is not None else pdigits
        stripped = digits.lstrip("0")
        if len(stripped) > _MAX_DIGITS:
            raise GroupInputError(
                f"the group {piece[:24]!r}{'…' if len(piece) > 24 else ''} in {text[:40]!r}{'…' if len(text) > 40 else ''} "
                "has order above grokcheck's dense-table limit "
                f"MAX_ORDER = {MAX_ORDER}",
                text=text,
            )
        value = int(digits)
        if mat is not None:
            if not is_prime(value):
                raise _bad(text, f"{mat}(2,{value}) needs a prime p, and {value} is not prime")
            factors.append(_Factor(mat, value))
        else:
            if value < 1:
                raise _bad(text, f"{piece!r}: n must be a positive integer, got {value}")
            factors.append(_Factor("C" if fam == "Z" else fam, value))
    return tuple(factors)


# ----------------------------------------------------------------- tables
def _table_from_generators(
    elems: np.ndarray,
    gens: np.ndarray,
    mul: Callable[[np.ndarray, np.ndarray], np.ndarray],
    index_of: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """``(N, N)`` Cayley table of the group whose elements are the rows of ``elems`` ``(N, k)``.

    ``elems[0]`` must be the identity and ``gens`` ``(s, k)`` must generate the
    group; ``mul`` multiplies broadcast stacks of rows, ``index_of`` maps rows to
    element indices. Only the ``s`` left-multiplication maps ``L_s[a] = g_s·a``
    are computed by ``mul``; every row then follows from a breadth-first
    spanning tree of the Cayley graph: if ``j = g_s·i`` then ``j·x = L_s[i·x]``.
    This is N vectorised gathers of length N (no N² Python loop, no N²·k tensor).
    """
    n = elems.shape[0]
    if len(gens) == 0:  # the trivial group
        gens = elems[:1]
    left = np.stack([index_of(mul(g[None, :], elems)) for g in gens])  # (s, N)
    parent = np.full(n, -1, dtype=np.int64)
    via = np.full(n, -1, dtype=np.int64)
    seen = np.zeros(n, dtype=bool)
    seen[0] = True
    bfs = [np.array([0])]
    frontier = bfs[0]
    while frontier.size:
        found = []
        for s in range(len(gens)):
            img = left[s, frontier]
            fresh = ~seen[img]
            new, first = np.unique(img[fresh], return_index=True)
            parent[new] = frontier[fresh][first]
            via[new] = s
            seen[new] = True
            found.append(new)
        frontier = np.concatenate(found)
        bfs.append(frontier)
    assert seen.all(), "internal error: the generators do not generate the group"
    table = np.empty((n, n), dtype=np.int64)
    table[0] = np.arange(n)
    for j in np.concatenate(bfs[1:]).tolist():
        table[j] = left[via[j], table[parent[j]]]
    return table


def _cyclic(n: int) -> np.ndarray:
    """``a·b = a + b mod n``: row ``a`` is ``0..n-1`` rotated left by ``a``."""
    doubled = np.concatenate([np.arange(n), np.arange(n)])
    return np.lib.stride_tricks.sliding_window_view(doubled, n)[:n].copy()


def _dihedral(n: int) -> np.ndarray:
    """``r^k s^e`` (row ``(k, e)``, index ``e·n + k``); ``r^k s^e · r^l s^f = r^{k + (-1)^e l} s^{e+f}``."""
    idx = np.arange(2 * n)
    elems = np.stack([idx % n, idx // n], axis=-1)

    def mul(x, y):
        k, e, l, f = x[..., 0], x[..., 1], y[..., 0], y[..., 1]
        return np.stack([(k + (1 - 2 * e) * l) % n, (e + f) % 2], axis=-1)

    gens = np.array([[1, 0], [0, 1]]) if n > 1 else np.array([[0, 1]])
    return _table_from_generators(elems, gens, mul, lambda r: r[..., 1] * n + r[..., 0])


def _dicyclic(n: int) -> np.ndarray:
    """``a^k x^e`` (index ``e·2n + k``), ``a^{2n} = 1``, ``x² = a^n``, ``x a^l = a^{-l} x``."""
    m = 2 * n
    idx = np.arange(2 * m)
    elems = np.stack([idx % m, idx // m], axis=-1)

    def mul(x, y):  # a^k x^e · a^l x^f = a^{k + (-1)^e l + n·e·f} x^{e+f}
        k, e, l, f = x[..., 0], x[..., 1], y[..., 0], y[..., 1]
        return np.stack([(k + (1 - 2 * e) * l + n * e * f) % m, (e + f) % 2], axis=-1)

    return _table_from_generators(elems, np.array([[1, 0], [0, 1]]), mul, lambda r: r[..., 1] * m + r[..., 0])


def _affine(p: int, mults: tuple[int, ...]) -> np.ndarray:
    """Affine maps ``x ↦ ax + b`` of Z/p, ``a`` in ``mults``; ``(a, b)(a', b') = (aa', b + ab')``.

    ``(a, b)`` has index ``i·p + b`` with ``a = mults[i]``; ``mults[0]`` must be 1.
    """
    mults_arr = np.array(mults)
    pos = np.full(p, -1)
    pos[mults_arr] = np.arange(len(mults))
    idx = np.arange(len(mults) * p)
    a, b = mults_arr[idx // p], idx % p
    a1, b1, a2, b2 = a[:, None], b[:, None], a[None, :], b[None, :]
    return pos[(a1 * a2) % p] * p + (b1 + a1 * b2) % p


def _permutation_list(n: int, even_only: bool) -> np.ndarray:
    """The elements of S_n or A_n as image arrays ``(N, n)`` in lexicographic order."""
    perms = np.array(list(itertools.permutations(range(n))), dtype=np.int64).reshape(-1, n)
    if even_only:
        inversions = (perms[:, :, None] > perms[:, None, :]) & np.triu(np.ones((n, n), dtype=bool), 1)
        perms = perms[inversions.sum(axis=(1, 2)) % 2 == 0]
    return perms


def _permutations(n: int, even_only: bool) -> np.ndarray:
    """S_n or A_n on points ``0..n-1``, permutations as image arrays in lexicographic order."""
    perms = _permutation_list(n, even_only)
    weights = n ** np.arange(n, dtype=np.int64)
    lookup = np.full(n**n, -1, dtype=np.int64)
    lookup[perms @ weights] = np.arange(len(perms))

    def cycle(*pts):
        img = np.arange(n)
        img[list(pts)] = np.roll(pts, -1)
        return img

    if even_only:  # the 3-cycles (0,1,k) generate A_n
        gens = [cycle(0, 1, k) for k in range(2, n)]
    else:  # a transposition and an n-cycle generate S_n
        gens = [cycle(0, 1), cycle(*range(n))] if n >= 2 else []
    gens = np.array(gens, dtype=np.int64).reshape(-1, n)

    def mul(p, q):  # p·q applies p first: (p·q)[x] = q[p[x]]
        p, q = np.broadcast_arrays(p, q)
        return np.take_along_axis(q, p, axis=-1)

    return _table_from_generators(perms, gens, mul, lambda r: lookup[r @ weights])


def _primitive_root(p: int) -> int:
    return next(g for g in range(1, p) if len({pow(g, k, p) for k in range(1, p)}) == p - 1)


def _matrix_elements(p: int, kind: str):
    """``(elems (N, 4), code, partner)`` of SL/GL/PSL(2,p) in the module's element order."""
    all_m = np.stack(np.meshgrid(*[np.arange(p)] * 4, indexing="ij"), axis=-1).reshape(-1, 4)
    det = (all_m[:, 0] * all_m[:, 3] - all_m[:, 1] * all_m[:, 2]) % p
    elems = all_m[det != 0] if kind == "GL" else all_m[det == 1]  # already sorted by code
    weights = p ** np.arange(3, -1, -1, dtype=np.int64)
    code = elems @ weights
    partner = code
    if kind == "PSL":
        neg_code = ((-elems) % p) @ weights
        keep = code <= neg_code
        elems, partner, code = elems[keep], neg_code[keep], code[keep]
    ident = int(np.array([1, 0, 0, 1]) @ weights)
    order = np.argsort(code != ident, kind="stable")  # identity first, the others by code
    return elems[order], code[order], partner[order]


def _matrices(p: int, kind: str) -> np.ndarray:
    """SL(2,p), GL(2,p) or PSL(2,p) as matrices ``(a, b, c, d)`` mod p."""
    elems, code, partner = _matrix_elements(p, kind)
    weights = p ** np.arange(3, -1, -1, dtype=np.int64)
    lookup = np.full(p**4, -1, dtype=np.int64)
    lookup[partner] = np.arange(len(elems))
    lookup[code] = np.arange(len(elems))
    # The elementary matrices generate SL(2,p); with diag(g, 1), g a primitive root, GL(2,p).
    gens = [[1, 1, 0, 1], [1, 0, 1, 1]] + ([[_primitive_root(p), 0, 0, 1]] if kind == "GL" and p > 2 else [])
    gens = np.array(gens, dtype=np.int64)

    def mul(x, y):
        a, b, c, d = (x[..., i] for i in range(4))
        e, f, g, h = (y[..., i] for i in range(4))
        return np.stack([a * e + b * g, a * f + b * h, c * e + d * g, c * f + d * h], axis=-1) % p

    def index_of(r):
        idx = lookup[r @ weights]
        assert (idx >= 0).all(), "internal error: a product left the matrix group"
        return idx

    return _table_from_generators(elems, gens, mul, index_of)


def _unit_order(a: int, n: int) -> int:
    k, x = 1, a % n
    while x != 1 % n:
        x = (x * a) % n
        k += 1
    return k


def _totient(n: int) -> int:
    """Euler's ``φ(n)``, the number of units mod n (``1`` for ``n = 1``)."""
    return sum(1 for j in range(1, n + 1) if math.gcd(j, n) == 1)


def _cyclic_subgroups(units, n: int):
    """``(r, ord r)`` for the least generator ``r`` of each cyclic subgroup ``⟨r⟩`` of the units (ascending) mod n.

    ``r^j`` with ``j`` prime to ``ord r`` generates the same subgroup, so it is passed over.
    """
    seen: set[int] = set()
    for r in units:
        if r not in seen:
            d = _unit_order(r, n)
            seen.update(pow(r, j, n) for j in range(1, d) if math.gcd(j, d) == 1)
            yield r, d


def _powers_mod(base: np.ndarray, e: int, n: int) -> np.ndarray:
    """``base**e mod n`` elementwise (int64; ``n ≤ 3·10⁹`` keeps every product below 2⁶³)."""
    out = np.full(base.shape, 1 % n, dtype=np.int64)
    b = base.astype(np.int64) % n
    while e:
        if e & 1:
            out = out * b % n
        b, e = b * b % n, e >> 1
    return out


def _check_semidirect_order(n: int, m: int, text) -> None:
    """Refuse ``Cn:Cm`` above :data:`MAX_LARGE_ORDER` before the units mod n are listed."""
    from grokcheck.theory._perm_group import MAX_LARGE_ORDER

    if n < 1 or m < 1:
        raise _bad(text, f"C{n}:C{m}: n and m must be positive")
    if n * m > MAX_LARGE_ORDER:
        raise GroupInputError(
            f"the group 'C{n}:C{m}' has order {n * m}, above grokcheck's limit MAX_LARGE_ORDER = {MAX_LARGE_ORDER} "
            f"for groups without a dense table (and MAX_ORDER = {MAX_ORDER} for a Cayley table)", text=text)


def semidirect_actions(n: int, m: int) -> tuple[int, ...]:
    """Every ``r`` in ``1..n-1`` (``0`` for ``n = 1``) with ``gcd(r, n) = 1`` and ``r^m ≡ 1 (mod n)``.

    These are the actions of ``Cm`` on ``Cn`` (the generator of ``Cm`` acting by ``x ↦ x^r``),
    so the valid ``r`` of ``Cn:Cm[r]``; ``r = 1`` gives the direct product ``CnxCm``.

    Examples
    --------
    >>> semidirect_actions(8, 2)
    (1, 3, 5, 7)
    """
    if n == 1:
        return (0,)
    r = np.arange(1, n, dtype=np.int64)
    r = r[np.gcd(r, n) == 1]
    return tuple(int(x) for x in r[_powers_mod(r, m, n) == 1])


def _faithful_units(n: int, m: int) -> np.ndarray:
    """The units mod n of multiplicative order exactly m, ascending."""
    r = np.array(semidirect_actions(n, m), dtype=np.int64)
    if n == 1:
        return r if m == 1 else r[:0]
    keep = np.ones(r.size, dtype=bool)
    for p in factorize(m):
        keep &= _powers_mod(r, m // p, n) != 1
    return r[keep]


def _list_actions(n: int, m: int, limit: int = 24) -> str:
    acts = semidirect_actions(n, m)
    shown = ", ".join(map(str, acts[:limit])) + (f", … ({len(acts)} in all)" if len(acts) > limit else "")
    return f"choose the action with C{n}:C{m}[r], the generator of C{m} acting by x -> x^r, r one of {shown}" + (
        f" (r = 1 is the direct product C{n}xC{m})" if n > 1 else "")


def _semidirect_multiplier(n: int, m: int, text="") -> int:
    """The multiplier ``a`` of ``Cn:Cm``: the smallest unit mod n of order m, if ⟨a⟩ is unique.

    ``Cn:Cm = {x ↦ a^j x + b}`` with the generator of ``Cm`` acting by ``x ↦ a·x``
    (a faithful action). Groups from two units of order m generating the same
    subgroup of ``(Z/n)^×`` are isomorphic (change the generator of ``Cm``); when
    ``(Z/n)^×`` has several cyclic subgroups of order m the name is ambiguous and
    refused, naming them and the syntax ``Cn:Cm[r]`` that chooses one.
    """
    _check_semidirect_order(n, m, text)
    of_order = _faithful_units(n, m)
    if not of_order.size:
        raise _bad(
            text,
            f"C{n}:C{m} needs a unit of order {m} mod {n} (a faithful action of C{m} on C{n}); "
            f"the unit group mod {n} has order {_totient(n)} and no element of order {m}"
            + ("" if len(semidirect_actions(n, m)) < 2 else f"; for an action that is not faithful, {_list_actions(n, m)}"),
        )
    # each cyclic subgroup of order m has φ(m) generators
    phi_m = _totient(m)
    if of_order.size > phi_m:
        gens = [a for a, _ in _cyclic_subgroups(of_order.tolist(), n)]
        raise _bad(
            text,
            f"C{n}:C{m} is ambiguous: the units mod {n} have {of_order.size // phi_m} cyclic subgroups of order {m} "
            f"(generated by {', '.join(map(str, gens[:24]))}{', …' if len(gens) > 24 else ''}), which can give "
            f"non-isomorphic groups; {_list_actions(n, m)}",
        )
    return int(of_order[0])


def _parse_semidirect(sd: re.Match, piece: str, text) -> "_Factor":
    """``Cn:Cm`` or ``Cn:Cm[r]`` as a factor, refusing an ambiguous, impossible or too large one now."""
    if any(len(g.lstrip("-0")) > _MAX_DIGITS for g in sd.groups() if g is not None):
        from grokcheck.theory._perm_group import MAX_LARGE_ORDER

        raise GroupInputError(f"the group {piece[:40]!r} in {text[:60]!r} has order above MAX_LARGE_ORDER = "
                              f"{MAX_LARGE_ORDER}", text=text)
    n, m = int(sd.group(1)), int(sd.group(2))
    if sd.group(3) is None:
        _semidirect_multiplier(n, m, text)
        return _Factor("SD", n, m)
    _check_semidirect_order(n, m, text)
    r = int(sd.group(3)) % n
    if math.gcd(r, n) != 1:
        raise _bad(text, f"C{n}:C{m}[{sd.group(3)}]: {sd.group(3)} is not a unit mod {n} (gcd {math.gcd(r, n)}), "
                         f"so x -> x^{sd.group(3)} is no automorphism of C{n}; {_list_actions(n, m)}")
    if pow(r, m, n) != 1 % n:
        raise _bad(text, f"C{n}:C{m}[{sd.group(3)}]: {sd.group(3)}^{m} = {pow(r, m, n)} mod {n}, not 1, so the "
                         f"generator of C{m} cannot act by x -> x^{sd.group(3)}; {_list_actions(n, m)}")
    return _Factor("SD", n, m, r)


def _semidirect_r(f: "_Factor") -> int:
    """The multiplier r of a semidirect factor (the unique faithful one for ``Cn:Cm``)."""
    return _semidirect_multiplier(f.param, f.param2) if f.action is None else f.action


def _semidirect_params(f: "_Factor") -> tuple[int, int, int]:
    """``(n, m, r)`` with the factor ``Cn:Cm[r]``: a semidirect factor, or ``F21`` = ``C7:C3[2]``, ``F20`` = ``C5:C4[2]``."""
    if f.family == "SD":
        return f.param, f.param2, _semidirect_r(f)
    return (7, 3, 2) if f.family == "F21" else (5, 4, 2)


def _semidirect(n: int, m: int, r: int) -> np.ndarray:
    """``Cn:Cm[r]``: ``(j, b)`` at index ``j·n + b``, ``(j, b)(j', b') = (j + j' mod m, b + r^j b' mod n)``."""
    rj = np.array([pow(r, j, n) for j in range(m)], dtype=np.int64)
    idx = np.arange(n * m)
    j, b = idx // n, idx % n
    return ((j[:, None] + j[None, :]) % m) * n + (b[:, None] + rj[j][:, None] * b[None, :]) % n


def _factor_table(f: _Factor) -> np.ndarray:
    fam, n = f.family, f.param
    if fam == "SD":
        return _semidirect(n, f.param2, _semidirect_r(f))
    if fam == "C":
        return _cyclic(n)
    if fam == "D":
        return _dihedral(n)
    if fam == "Dic":
        return _dicyclic(n)
    if fam == "Q8":
        return _dicyclic(2)
    if fam == "F21":
        return _affine(7, (1, 2, 4))
    if fam == "F20":
        return _affine(5, (1, 2, 3, 4))
    if fam in ("S", "A"):
        return _permutations(n, even_only=fam == "A")
    return _matrices(n, fam)


def _power_word(letter: str, k: int) -> str:
    return "" if k == 0 else letter if k == 1 else f"{letter}^{k}"


def _factor_elements(f: _Factor) -> tuple:
    """What element ``i`` of the factor is (the labelling conventions of the module docstring).

    ``Cn``: the residue; ``Dn``: ``r^k*s^e`` words; ``Dicn``: ``a^k*x^e`` words; ``Q8``:
    ``1, i, -1, -i, j, k, -j, -k``; ``Sn``/``An``: GAP cycle strings on the points
    ``1..n`` (point ``i+1`` is image-array entry ``i``); ``F21``/``F20``: ``[a, b]`` for
    ``x ↦ ax + b``; matrix groups: ``[[a, b], [c, d]]`` (for ``PSL`` the representative).
    """
    from grokcheck.theory._permutations import cycle_string

    fam, n = f.family, f.param
    if fam == "C":
        return tuple(range(n))

    def words(a: str, b: str, m: int) -> tuple:
        return tuple("*".join(w for w in (_power_word(a, k), _power_word(b, e)) if w) or "1" for e in (0, 1) for k in range(m))

    if fam == "D":
        return words("r", "s", n)
    if fam == "Dic":
        return words("a", "x", 2 * n)
    if fam == "Q8":
        return ("1", "i", "-1", "-i", "j", "k", "-j", "-k")
    if fam in ("F21", "F20"):
        p, mults = (7, (1, 2, 4)) if fam == "F21" else (5, (1, 2, 3, 4))
        return tuple([a, b] for a in mults for b in range(p))
    if fam == "SD":
        m, r = f.param2, _semidirect_r(f)
        if _unit_order(r, n) == m:  # faithful: the affine map x ↦ r^j x + b
            return tuple([pow(r, j, n), b] for j in range(m) for b in range(n))
        return tuple("*".join(w for w in (_power_word("a", b), _power_word("t", j)) if w) or "1"
                     for j in range(m) for b in range(n))
    if fam in ("S", "A"):
        perms = _permutation_list(n, fam == "A")
        return tuple(cycle_string(p, offset=1) for p in perms)
    elems = _matrix_elements(n, fam)[0]
    return tuple([[int(m[0]), int(m[1])], [int(m[2]), int(m[3])]] for m in elems)


def _factor_permutations(f: _Factor) -> np.ndarray:
    """``(s, m)`` image arrays of a faithful permutation action of the factor on ``m`` points (no table).

    ``Cn``: an n-cycle; ``Dn``: the n-gon's vertices (``D1``, ``D2``: as ``C2``, ``C2xC2``);
    ``Sn``/``An``: ``n`` points; ``F21``, ``F20`` and a faithful ``Cn:Cm[r]``: the affine maps
    of Z/n; an unfaithful ``Cn:Cm[r]``: the affine maps beside the rotation of ``m`` points;
    ``Dicn``, ``Q8``: right multiplication on the ``4n`` elements; ``SL``/``GL(2,p)``: the
    ``p² − 1`` non-zero row vectors; ``PSL(2,p)``: the ``p + 1`` points of the projective line.
    Points are ``0..m-1``; ``p·q`` applies ``p`` first.
    """
    from grokcheck.theory._perm_group import _matrix_action

    fam, n = f.family, f.param

    def cycle(k: int, shift: int = 1) -> np.ndarray:
        return (np.arange(k) + shift) % k

    if fam == "C" or (fam == "D" and n == 1) or (fam == "S" and n == 2):
        k = 2 if fam != "C" else n
        return cycle(k)[None, :]
    if fam == "D" and n == 2:
        return np.array([[1, 0, 2, 3], [0, 1, 3, 2]])
    if fam == "D":
        return np.stack([cycle(n), (-np.arange(n)) % n])
    if fam in ("S", "A"):
        if fam == "S" and n < 3 or fam == "A" and n == 3:  # S1 trivial, S2 ≅ C2 (above), A3 ≅ C3
            return cycle(max(n, 1))[None, :]
        if fam == "A" and n < 3:  # A1, A2: trivial
            return np.zeros((1, 1), dtype=np.int64)
        if fam == "S":
            t = np.arange(n)
            t[[0, 1]] = [1, 0]
            return np.stack([t, cycle(n)])
        three = np.arange(n)
        three[[0, 1, 2]] = [1, 2, 0]
        long = np.concatenate([[0], 1 + cycle(n - 1)]) if n % 2 == 0 else cycle(n)  # an even (n or n−1)-cycle
        return np.stack([three, long])
    if fam in ("Dic", "Q8"):
        d = 2 if fam == "Q8" else n
        m = 2 * d
        k, e = np.arange(2 * m) % m, np.arange(2 * m) // m  # a^k x^e at index e·2d + k, as in the table
        # right multiplication x ↦ x·a and x ↦ x·x with a^k x^e · a^l x^f = a^{k + (-1)^e l + d·e·f} x^{e+f}
        by_a = e * m + (k + (1 - 2 * e)) % m
        by_x = ((e + 1) % 2) * m + (k + d * e) % m
        return np.stack([by_a, by_x])
    if fam in ("F21", "F20", "SD"):
        n, m, r = _semidirect_params(f)
        x = np.arange(n)
        aff = np.stack([(x + 1) % n, (r * x) % n])
        if _unit_order(r, n) == m:
            return aff
        # unfaithful: the affine maps on 0..n-1 and C_m rotating n..n+m-1 (the kernel is trivial)
        return np.stack([np.concatenate([aff[0], n + np.arange(m)]), np.concatenate([aff[1], n + cycle(m)])])
    p = n
    mats = [((1, 1), (0, 1)), ((1, 0), (1, 1))]
    if fam == "GL" and p > 2:
        mats.append(((_primitive_root(p), 0), (0, 1)))
    return _matrix_action(p, mats, projective=fam == "PSL")


def permutation_generators(name: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """``(gens (s, m), factors)``: the named group acting on disjoint points, one block per factor.

    Each factor acts as :func:`_factor_permutations` says, on its own points (the first factor
    on ``0..m_1-1``, the next after it, …), so the product acts faithfully on ``Σ m_i`` points
    without any table. Nothing is enumerated; the order is not checked here.
    """
    factors = _parse(name)
    blocks = [_factor_permutations(f) for f in factors]
    total = sum(b.shape[1] for b in blocks)
    rows, offset = [], 0
    for b in blocks:
        for g in b:
            row = np.arange(total)
            row[offset:offset + b.shape[1]] = g + offset
            rows.append(row)
        offset += b.shape[1]
    return np.array(rows, dtype=np.int64).reshape(-1, total), tuple(f.name for f in factors)


def _factor_group(f: _Factor) -> FiniteGroup:
    if _factor_order(f) <= _MEMO_ORDER:
        return _factor_group_memo(f)
    return FiniteGroup(_factor_table(f), name=f.name, source="name", elements=_factor_elements(f))


@lru_cache(maxsize=256)
def _factor_group_memo(f: _Factor) -> FiniteGroup:
    return FiniteGroup(_factor_table(f), name=f.name, source="name", elements=_factor_elements(f))


def _build(factors: tuple[_Factor, ...]) -> FiniteGroup:
    g = _factor_group(factors[0])
    for f in factors[1:]:
        g = g.direct_product(_factor_group(f))
    return g


@lru_cache(maxsize=256)
def _build_memo(factors: tuple[_Factor, ...]) -> FiniteGroup:
    return _build(factors)


# ----------------------------------------------------------------- public
def group(name: str) -> FiniteGroup:
    """The finite group called ``name`` (grammar in the module docstring).

    Parameters
    ----------
    name : e.g. ``"C12"``, ``"Z5"``, ``"D4"`` (order 8), ``"S4"``, ``"A5"``,
        ``"Q8"``, ``"Dic3"``, ``"F21"``, ``"F20"``, ``"SL(2,5)"``,
        ``"GL(2,3)"``, ``"PSL(2,7)"``, ``"C3xC5"``, ``"S3 x C4"``.

    Returns
    -------
    FiniteGroup whose ``str`` is the canonical name (``"Z5"`` → ``"C5"``,
    whitespace removed), and ``group(str(G)) == G``. Groups of order ≤ 512 are
    memoised, so repeated calls share one immutable object and its cached
    classes and character table.

    Raises
    ------
    GroupInputError : the name is malformed (the message quotes the grammar),
        or its order exceeds ``MAX_ORDER``.

    Examples
    --------
    >>> G = group("S3 x C4")
    >>> str(G), G.order, G.is_abelian
    ('S3xC4', 24, False)
    >>> group("D4").order   # dihedral of order 2n
    8
    >>> group("SmallGroup(16,13)").order   # GAP's SmallGroup id (orders ≤ 32)
    16
    """
    from grokcheck.theory._small_groups import small_group_from_name

    if (sg := small_group_from_name(name)) is not None:  # a whole name only: SmallGroup(n,k)xC2 is refused
        return sg
    factors = _parse(name)
    order = math.prod(_factor_order(f) for f in factors)
    if order > MAX_ORDER:
        canonical = "x".join(f.name for f in factors)
        from grokcheck.theory._perm_group import MAX_LARGE_ORDER

        raise GroupInputError(
            f"the group {canonical!r} has order {order if order < 10**12 else 'above 10^12'}, above grokcheck's "
            f"dense-table limit MAX_ORDER = {MAX_ORDER}; up to MAX_LARGE_ORDER = {MAX_LARGE_ORDER} `table`, `verify`, "
            "`flow` and `identify` take the name itself as a permutation group (each factor on its own points), "
            "and permutation generators too (e.g. S8xC2: --perms \"(1,2,3,4,5,6,7,8)\" \"(1,2)\" \"(9,10)\"); "
            "in Python large_group(name) or PermutationGroup.from_permutations",
            text=name,
        )
    return _build_memo(factors) if order <= _MEMO_ORDER else _build(factors)


def _family_members(fam: str, max_order: int, start: int | None = None):
    """The factors of one family by increasing parameter while their order is ≤ ``max_order``.

    ``Sn``/``An`` step through every ``n`` (from ``start``, default 1), ``SL``/``GL``/``PSL(2,p)``
    through the primes ``p`` (from ``start``, default 2). Orders grow with the parameter, so the
    first one too large ends the list.
    """
    prime = fam in ("SL", "GL", "PSL")
    x = (2 if prime else 1) if start is None else start
    while _factor_order(_Factor(fam, x)) <= max_order:
        yield _Factor(fam, x)
        x += 1
        while prime and not is_prime(x):
            x += 1


def named_factors(max_order: int) -> tuple[tuple[str, int, bool, str], ...]:
    """Every single-factor name of order ≤ ``max_order``, as ``(name, order, is_abelian, family)``.

    ``family`` is one of :data:`FAMILIES`. Sorted by order, then by family (in
    the order of :data:`FAMILIES`), then by parameter. Nothing is built; orders
    and Abelian-ness come from the family formulas. Used by
    :func:`grokcheck.theory.strategies.groups`.
    """
    max_order = min(int(max_order), MAX_ORDER)
    out: list[_Factor] = []
    out += [_Factor("C", n) for n in range(1, max_order + 1)]
    out += [_Factor("D", n) for n in range(1, max_order // 2 + 1)]
    out += [_Factor("Dic", n) for n in range(1, max_order // 4 + 1)]
    out += [_Factor(f, 0) for f in ("Q8", "F20", "F21")]
    for fam in ("S", "A", "SL", "GL", "PSL"):
        out += _family_members(fam, max_order)
    rank = {fam: i for i, fam in enumerate(FAMILIES)}
    out = [f for f in out if _factor_order(f) <= max_order]
    out.sort(key=lambda f: (_factor_order(f), rank[f.family], f.param))
    return tuple((f.name, _factor_order(f), _is_abelian_factor(f), f.family) for f in out)
