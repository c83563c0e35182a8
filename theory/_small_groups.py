"""Every group of order at most 32, with its GAP SmallGroup id, and a proved identification.

:func:`small_group` builds ``SmallGroup(n, k)`` and :func:`small_group_id` recognises a
group among them, returning ``(n, k)`` only after an explicit isomorphism to the
catalogue's group has been found.

The catalogue
-------------
Each entry carries a *construction* written out here (grokcheck never calls GAP):
cyclic groups, metacyclic groups ``⟨a, b | a^m, b^s = a^t, a^b = a^r⟩`` (dihedral,
dicyclic, semidihedral, modular and the split ``Cm:Cs``), direct products,
permutation generators, matrices over a prime field, and power–conjugate
presentations for the rest (24 groups of order 32 are given by presentations on five
generators of relative order 2, of the central-series shape ``x^2 ∈ ⟨later⟩``,
``y^x ∈ y⟨later⟩``: the shortest ones that a seeded random search over such
presentations, run with this module's builder, found for each group). Only two things
come from GAP's SmallGroups library:
the numbering ``k`` and GAP's ``StructureDescription`` text (``"(C4 x C2) : C2"``),
recorded beside each construction. Both were read off by running ``IdGroup`` and
``StructureDescription`` on the constructions, and the test suite re-checks them
whenever ``gap`` is installed. The numbers of groups of each order (1, 1, 1, 2, 1,
2, 1, 5, 2, 2, 1, 5, 1, 2, 1, 14, …, 51 for order 32) are classical; that the
constructions of one order are pairwise non-isomorphic is tested, so together they
are all the groups of that order.

Power–conjugate presentations
-----------------------------
``Presentation("b a", (2, 8), ("b^2 = a^4", "a^b = a^3"))`` lists generators from the
top down with their relative orders ``m_i``; every element is ``g_1^{e_1} ⋯ g_r^{e_r}``
with ``0 ≤ e_i < m_i`` (its index is the mixed-radix number ``e_1 … e_r``, so the
identity is element 0). ``x^m = w`` gives the power of ``x`` (a word in later
generators; ``1`` when absent) and ``y^x = w`` the conjugate ``x⁻¹ y x`` of a later
generator ``y`` (``y`` when absent, i.e. they commute). The group is built from the
bottom as a chain of cyclic extensions: ``G_i = ⟨g_i, G_{i+1}⟩`` with
``(g^a h)(g^b k) = g^{a+b} α^b(h) k`` and ``g^m = z``, where ``α = (h ↦ g⁻¹ h g)``.
Each step checks the conditions that make this a group (``α`` an automorphism of
``G_{i+1}``, ``α(z) = z``, ``α^m`` conjugation by ``z``), so an inconsistent
presentation is refused rather than silently collapsed.

Identification
--------------
:func:`small_group_id` compares cheap invariants first — the order; the multiset of
(element order, class size, number of ``p``-th roots for each prime ``p``) over the
elements; the orders of the centre and the derived subgroup; the abelian invariants of
``G/G'`` — and then asks :func:`~grokcheck.theory.isomorphism` for an explicit map
to each surviving candidate. A returned id is therefore proved; ``None`` means the
order is outside the catalogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from grokcheck.errors import GroupInputError
from grokcheck.theory._finite_group import FiniteGroup, _closure, check_cayley_table
from grokcheck.theory._identify import _invariants_from_counts
from grokcheck.theory._integers import factorize

__all__ = [
    "SMALL_GROUP_MAX_ORDER",
    "SmallGroupEntry",
    "number_small_groups",
    "small_group",
    "small_group_entry",
    "small_group_from_name",
    "small_group_id",
]


# ------------------------------------------------------------------ constructions
@dataclass(frozen=True)
class Cyclic:
    """The cyclic group ``C_n``; element ``a^i`` has index ``i``."""

    n: int

    def build(self) -> FiniteGroup:
        return Presentation("a", (self.n,), ()).build() if self.n > 1 else FiniteGroup(np.zeros((1, 1)), elements=("1",))

    def __str__(self) -> str:
        return f"C{self.n}"


@dataclass(frozen=True)
class Metacyclic:
    """``⟨a, b | a^m = 1, b^s = a^t, b⁻¹ a b = a^r⟩``; element ``b^j a^i`` has index ``j·m + i``.

    A group of order ``m·s`` when ``r^s ≡ 1`` and ``t(r − 1) ≡ 0 (mod m)`` (checked when built).
    Dihedral of order ``2m``: ``(m, 2, −1, 0)``; dicyclic of order ``2m``: ``(m, 2, −1, m/2)``.
    """

    m: int
    s: int
    r: int
    t: int = 0

    def build(self) -> FiniteGroup:
        rels = [f"a^b = a^{self.r % self.m}"]
        if self.t % self.m:
            rels.append(f"b^{self.s} = a^{self.t % self.m}")
        return Presentation("b a", (self.s, self.m), tuple(rels)).build()

    def __str__(self) -> str:
        power = f"b^{self.s} = a^{self.t % self.m}" if self.t % self.m else f"b^{self.s}"
        return f"<a, b | a^{self.m}, {power}, a^b = a^{self.r % self.m}>"


@dataclass(frozen=True)
class Presentation:
    """A power–conjugate presentation (see the module docstring).

    Parameters
    ----------
    gens : generator names, top first, separated by spaces (single letters).
    orders : the relative order ``m_i ≥ 2`` of each generator.
    relations : ``"x^m = w"`` (power) and ``"y^x = w"`` (conjugate ``x⁻¹ y x``, ``x`` above ``y``);
        ``w`` is a product of ``g`` / ``g^e`` factors (``e`` may be negative), or ``1``.
    """

    gens: str
    orders: tuple[int, ...]
    relations: tuple[str, ...]

    def build(self) -> FiniteGroup:
        return _build_presentation(self)

    def __str__(self) -> str:
        names = self.gens.split()
        body = [f"{g}^{m}" for g, m in zip(names, self.orders)
                if not any(r.replace(" ", "").startswith(f"{g}^{m}=") for r in self.relations)]
        return f"<{', '.join(names)} | {', '.join(body + list(self.relations))}>"


@dataclass(frozen=True)
class Permutations:
    """The group generated by permutations in GAP's cycle notation."""

    gens: tuple[str, ...]

    def build(self) -> FiniteGroup:
        # Closed here, breadth-first, rather than through FiniteGroup.from_permutations: that path sizes the
        # group by Schreier–Sims (sympy), which `identify` on a small group should not import; these are tiny.
        from grokcheck.theory._permutations import cycle_string, moved_point_generators

        gens, point_of = moved_point_generators(list(self.gens))
        identity = tuple(range(gens[0].size))
        found, queue = {identity: 0}, [identity]
        for p in queue:
            for g in gens:
                q = tuple(int(g[i]) for i in p)  # p then g, as the table's product p·g
                if q not in found:
                    found[q] = len(queue)
                    queue.append(q)
        table = np.array([[found[tuple(b[i] for i in a)] for b in queue] for a in queue], dtype=np.int64)
        return FiniteGroup(table, elements=tuple(cycle_string(np.array(p), points=point_of) for p in queue))

    def __str__(self) -> str:
        return f"<{', '.join(self.gens)}>"


@dataclass(frozen=True)
class Matrices:
    """The group generated by invertible integer matrices reduced mod a prime ``p``."""

    p: int
    gens: tuple[tuple[tuple[int, ...], ...], ...]

    def build(self) -> FiniteGroup:
        p = self.p
        gens = [np.array(g, dtype=np.int64) % p for g in self.gens]
        key = lambda a: tuple(int(x) for x in a.ravel())  # noqa: E731 - a local hash key
        one = np.eye(gens[0].shape[0], dtype=np.int64)
        elements, index = [one], {key(one): 0}
        i = 0
        while i < len(elements):  # breadth-first closure under right multiplication by generators
            for g in gens:
                y = elements[i] @ g % p
                if key(y) not in index:
                    index[key(y)] = len(elements)
                    elements.append(y)
            i += 1
        table = np.array([[index[key(x @ y % p)] for y in elements] for x in elements], dtype=np.int64)
        return FiniteGroup(table, elements=tuple(x.tolist() for x in elements))

    def __str__(self) -> str:
        mats = ", ".join(str([list(r) for r in g]).replace(" ", "") for g in self.gens)
        return f"<{mats}> over GF({self.p})"


@dataclass(frozen=True)
class Product:
    """The direct product of its factors, left to right (:meth:`FiniteGroup.direct_product`)."""

    factors: tuple

    def build(self) -> FiniteGroup:
        G = self.factors[0].build()
        for f in self.factors[1:]:
            G = G.direct_product(f.build())
        return FiniteGroup(G.table, elements=G.elements)

    def __str__(self) -> str:
        return " x ".join(str(f) if isinstance(f, (Cyclic, _Named)) else f"({f})" for f in self.factors)


@dataclass(frozen=True)
class _Named:
    """A construction shown by a short name (``D8``, ``Q8``, ``S3``) in products."""

    label: str
    construction: object

    def build(self) -> FiniteGroup:
        return self.construction.build()

    def __str__(self) -> str:
        return self.label


_TOKEN = re.compile(r"^([A-Za-z])(?:\^(-?\d+))?$")


def _parse_word(word: str, names: dict[str, int], what: str) -> list[tuple[int, int]]:
    """``"a^2 b c^-1"`` → ``[(index of a, 2), (index of b, 1), (index of c, -1)]``."""
    word = word.replace("*", " ").strip()
    if word in ("", "1"):
        return []
    out = []
    for tok in word.split():
        m = _TOKEN.match(tok)
        if m is None or m.group(1) not in names:
            raise GroupInputError(f"{what}: cannot read {tok!r} as a generator power such as a^2 "
                                  f"(generators: {' '.join(names)})", text=word)
        out.append((names[m.group(1)], int(m.group(2) or 1)))
    return out


def _build_presentation(P: Presentation) -> FiniteGroup:
    names = P.gens.split()
    r = len(names)
    if r == 0 or len(P.orders) != r or any(int(m) < 2 for m in P.orders) or len(set(names)) != r:
        raise GroupInputError(f"presentation {P}: give distinct generator names, each with a relative order ≥ 2",
                              text=P.gens)
    idx = {g: i for i, g in enumerate(names)}
    powers: dict[int, list] = {}
    conj: dict[tuple[int, int], list] = {}  # (y, x) -> word for x⁻¹ y x
    for rel in P.relations:
        lhs, sep, rhs = rel.partition("=")
        m = re.fullmatch(r"\s*([A-Za-z])\^(\w+)\s*", lhs)
        if not sep or m is None or m.group(1) not in idx:
            raise GroupInputError(f"presentation {P}: cannot read the relation {rel!r} (x^m = w or y^x = w)", text=rel)
        y = idx[m.group(1)]
        word = _parse_word(rhs, idx, f"relation {rel!r}")
        if m.group(2).isdigit():
            if int(m.group(2)) != P.orders[y]:
                raise GroupInputError(f"presentation {P}: {rel!r} must give {names[y]}^{P.orders[y]} (its relative "
                                      "order)", text=rel)
            lowest = y
            powers[y] = word
        elif m.group(2) in idx and idx[m.group(2)] < y:
            lowest = idx[m.group(2)]
            conj[(y, lowest)] = word
        else:
            raise GroupInputError(f"presentation {P}: in {rel!r} the conjugating generator must come before "
                                  f"{names[y]}", text=rel)
        if any(g <= lowest for g, _ in word):
            raise GroupInputError(f"presentation {P}: the right side of {rel!r} may use only generators after "
                                  f"{names[lowest]}", text=rel)

    # H = ⟨g_{i+1}, …, g_r⟩ as a table; gen_index[j] = index of g_j in H (mixed radix, g_r fastest).
    H = np.zeros((1, 1), dtype=np.int64)
    for i in range(r - 1, -1, -1):
        m, h = int(P.orders[i]), H.shape[0]
        inv = np.argmax(H == 0, axis=1)
        stride = {j: int(np.prod(P.orders[j + 1:], dtype=np.int64)) for j in range(i + 1, r)}

        def evaluate(word):
            x = 0
            for j, e in word:
                g = stride[j] if e >= 0 else int(inv[stride[j]])
                for _ in range(abs(e)):
                    x = int(H[x, g])
            return x

        # α(h) = g_i⁻¹ h g_i, from the images of the generators, element by element in normal form.
        alpha = np.zeros(h, dtype=np.int64)
        for x in range(1, h):
            digits, rest = [], x
            for j in range(r - 1, i, -1):
                digits.append((j, rest % P.orders[j]))
                rest //= P.orders[j]
            y = 0
            for j, e in reversed(digits):
                img = evaluate(conj.get((j, i), [(j, 1)]))
                for _ in range(e):
                    y = int(H[y, img])
            alpha[x] = y
        z = evaluate(powers.get(i, []))
        bad = None
        if np.unique(alpha).size != h or not np.array_equal(alpha[H], H[alpha[:, None], alpha[None, :]]):
            bad = f"conjugation by {names[i]} is not an automorphism of the subgroup generated by the later generators"
        elif alpha[z] != z:
            bad = f"{names[i]} does not commute with its power {names[i]}^{m}"
        else:
            a_m = np.arange(h)
            for _ in range(m):
                a_m = alpha[a_m]
            if not np.array_equal(a_m, H[H[inv[z]], z]):
                bad = f"conjugating {m} times by {names[i]} is not conjugation by {names[i]}^{m}"
        if bad is not None:
            raise GroupInputError(f"presentation {P} is inconsistent: {bad}", text=str(P))
        alpha_pows = [np.arange(h)]
        for _ in range(m - 1):
            alpha_pows.append(alpha[alpha_pows[-1]])
        A = np.stack(alpha_pows)  # (m, h): A[b, x] = α^b(x)
        a = np.arange(m)[:, None, None, None]
        x = np.arange(h)[None, :, None, None]
        b = np.arange(m)[None, None, :, None]
        k = np.arange(h)[None, None, None, :]
        prod = H[A[b, x], k]  # α^b(h) k
        wrap = (a + b) >= m
        prod = np.where(wrap, H[z, prod], prod)
        table = ((a + b) % m) * h + prod
        H = table.reshape(m * h, m * h)

    def label(x: int) -> str:
        parts = []
        for j in range(r - 1, -1, -1):
            e = x % P.orders[j]
            x //= P.orders[j]
            if e:
                parts.append(names[j] if e == 1 else f"{names[j]}^{e}")
        return " ".join(reversed(parts)) or "1"

    return FiniteGroup(H, elements=tuple(label(x) for x in range(H.shape[0])))


# --------------------------------------------------------------------- catalogue
def _C(n):
    return Cyclic(n)


def _D(n):  # dihedral of order n (GAP's D_n)
    return _Named(f"D{n}", Metacyclic(n // 2, 2, -1, 0)) if n > 6 else _Named("S3", Metacyclic(3, 2, -1, 0))


def _Q(n):  # dicyclic / generalised quaternion of order n
    return _Named(f"Q{n}", Metacyclic(n // 2, 2, -1, n // 4))


def _x(*factors):
    return Product(tuple(factors))


def _P2(*relations):  # a group of order 32 by a power–conjugate presentation on five generators of order 2
    return Presentation("a b c d e", (2, 2, 2, 2, 2), relations)


_A4 = _Named("A4", Permutations(("(1,2)(3,4)", "(1,2,3)")))
_DIC3 = _Named("C3 : C4", Metacyclic(3, 4, 2))
_G16_3 = _Named("SmallGroup(16,3)", Presentation("c a b", (2, 4, 2), ("a^c = a b",)))
_C4C4 = _Named("C4 : C4", Metacyclic(4, 4, 3))
_M16 = _Named("SmallGroup(16,6)", Metacyclic(8, 2, 5))
_QD16 = _Named("QD16", Metacyclic(8, 2, 3))
# the Pauli group ⟨X, Y, Z⟩, with i = 2 in GF(5)
_PAULI = _Named("SmallGroup(16,13)", Matrices(5, (((0, 1), (1, 0)), ((0, -2), (2, 0)), ((1, 0), (0, -1)))))

#: ``(n, k, StructureDescription, construction)`` for every group of order n ≤ SMALL_GROUP_MAX_ORDER.
_CATALOGUE = (
    (1, 1, "1", _C(1)),
    (2, 1, "C2", _C(2)),
    (3, 1, "C3", _C(3)),
    (4, 1, "C4", _C(4)),
    (4, 2, "C2 x C2", _x(_C(2), _C(2))),
    (5, 1, "C5", _C(5)),
    (6, 1, "S3", _D(6)),
    (6, 2, "C6", _C(6)),
    (7, 1, "C7", _C(7)),
    (8, 1, "C8", _C(8)),
    (8, 2, "C4 x C2", _x(_C(4), _C(2))),
    (8, 3, "D8", _D(8)),
    (8, 4, "Q8", _Q(8)),
    (8, 5, "C2 x C2 x C2", _x(_C(2), _C(2), _C(2))),
    (9, 1, "C9", _C(9)),
    (9, 2, "C3 x C3", _x(_C(3), _C(3))),
    (10, 1, "D10", _D(10)),
    (10, 2, "C10", _C(10)),
    (11, 1, "C11", _C(11)),
    (12, 1, "C3 : C4", _DIC3),
    (12, 2, "C12", _C(12)),
    (12, 3, "A4", _A4),
    (12, 4, "D12", _D(12)),
    (12, 5, "C6 x C2", _x(_C(6), _C(2))),
    (13, 1, "C13", _C(13)),
    (14, 1, "D14", _D(14)),
    (14, 2, "C14", _C(14)),
    (15, 1, "C15", _C(15)),
    (16, 1, "C16", _C(16)),
    (16, 2, "C4 x C4", _x(_C(4), _C(4))),
    (16, 3, "(C4 x C2) : C2", _G16_3),
    (16, 4, "C4 : C4", _C4C4),
    (16, 5, "C8 x C2", _x(_C(8), _C(2))),
    (16, 6, "C8 : C2", _M16),
    (16, 7, "D16", _D(16)),
    (16, 8, "QD16", _QD16),
    (16, 9, "Q16", _Q(16)),
    (16, 10, "C4 x C2 x C2", _x(_C(4), _C(2), _C(2))),
    (16, 11, "C2 x D8", _x(_C(2), _D(8))),
    (16, 12, "C2 x Q8", _x(_C(2), _Q(8))),
    (16, 13, "(C4 x C2) : C2", _PAULI),  # the Pauli group
    (16, 14, "C2 x C2 x C2 x C2", _x(_C(2), _C(2), _C(2), _C(2))),
    (17, 1, "C17", _C(17)),
    (18, 1, "D18", _D(18)),
    (18, 2, "C18", _C(18)),
    (18, 3, "C3 x S3", _x(_C(3), _D(6))),
    (18, 4, "(C3 x C3) : C2", Presentation("c a b", (2, 3, 3), ("a^c = a^2", "b^c = b^2"))),
    (18, 5, "C6 x C3", _x(_C(6), _C(3))),
    (19, 1, "C19", _C(19)),
    (20, 1, "C5 : C4", Metacyclic(5, 4, 4)),
    (20, 2, "C20", _C(20)),
    (20, 3, "C5 : C4", Metacyclic(5, 4, 2)),
    (20, 4, "D20", _D(20)),
    (20, 5, "C10 x C2", _x(_C(10), _C(2))),
    (21, 1, "C7 : C3", Metacyclic(7, 3, 2)),
    (21, 2, "C21", _C(21)),
    (22, 1, "D22", _D(22)),
    (22, 2, "C22", _C(22)),
    (23, 1, "C23", _C(23)),
    (24, 1, "C3 : C8", Metacyclic(3, 8, 2)),
    (24, 2, "C24", _C(24)),
    (24, 3, "SL(2,3)", Matrices(3, (((1, 1), (0, 1)), ((0, 1), (-1, 0))))),
    (24, 4, "C3 : Q8", _Q(24)),
    (24, 5, "C4 x S3", _x(_C(4), _D(6))),
    (24, 6, "D24", _D(24)),
    (24, 7, "C2 x (C3 : C4)", _x(_C(2), _DIC3)),
    # D8 = ⟨b, a⟩ acting on C3 = ⟨c⟩ through D8 / ⟨a², b⟩
    (24, 8, "(C6 x C2) : C2", Presentation("b a c", (2, 4, 3), ("a^b = a^3", "c^a = c^2"))),
    (24, 9, "C12 x C2", _x(_C(12), _C(2))),
    (24, 10, "C3 x D8", _x(_C(3), _D(8))),
    (24, 11, "C3 x Q8", _x(_C(3), _Q(8))),
    (24, 12, "S4", Permutations(("(1,2,3,4)", "(1,2)"))),
    (24, 13, "C2 x A4", _x(_C(2), _A4)),
    (24, 14, "C2 x C2 x S3", _x(_C(2), _C(2), _D(6))),
    (24, 15, "C6 x C2 x C2", _x(_C(6), _C(2), _C(2))),
    (25, 1, "C25", _C(25)),
    (25, 2, "C5 x C5", _x(_C(5), _C(5))),
    (26, 1, "D26", _D(26)),
    (26, 2, "C26", _C(26)),
    (27, 1, "C27", _C(27)),
    (27, 2, "C9 x C3", _x(_C(9), _C(3))),
    # the Heisenberg group mod 3 (unitriangular 3×3 matrices over GF(3))
    (27, 3, "(C3 x C3) : C3", Presentation("a b c", (3, 3, 3), ("b^a = b c",))),
    (27, 4, "C9 : C3", Metacyclic(9, 3, 4)),
    (27, 5, "C3 x C3 x C3", _x(_C(3), _C(3), _C(3))),
    (28, 1, "C7 : C4", Metacyclic(7, 4, 6)),
    (28, 2, "C28", _C(28)),
    (28, 3, "D28", _D(28)),
    (28, 4, "C14 x C2", _x(_C(14), _C(2))),
    (29, 1, "C29", _C(29)),
    (30, 1, "C5 x S3", _x(_C(5), _D(6))),
    (30, 2, "C3 x D10", _x(_C(3), _D(10))),
    (30, 3, "D30", _D(30)),
    (30, 4, "C30", _C(30)),
    (31, 1, "C31", _C(31)),
    (32, 1, "C32", _C(32)),
    (32, 2, "(C4 x C2) : C4", _P2("a^2 = b", "c^2 = d", "c^a = c e")),
    (32, 3, "C8 x C4", _x(_C(8), _C(4))),
    (32, 4, "C8 : C4", Metacyclic(8, 4, 5)),
    (32, 5, "(C8 x C2) : C2", _P2("a^2 = b", "b^2 = c", "d^a = d e")),
    (32, 6, "(C2 x C2 x C2) : C4", _P2("a^2 = b", "c^a = c d", "d^a = d e", "c^b = c e")),
    (32, 7, "(C8 : C2) : C2", _P2("a^2 = b", "b^2 = e", "c^a = c d", "d^a = d e", "c^b = c e")),
    (32, 8, "C2 . ((C4 x C2) : C2) = (C2 x C2) . (C4 x C2)",
     _P2("a^2 = b", "b^2 = e", "c^2 = e", "c^a = c d", "d^a = d e", "c^b = c e")),
    (32, 9, "(C8 x C2) : C2", _P2("a^2 = c", "c^2 = d", "b^a = b c e", "c^b = c d")),
    (32, 10, "Q8 : C4", _P2("a^2 = b d", "c^2 = e", "d^2 = e", "c^a = c d", "d^c = d e")),
    (32, 11, "(C4 x C4) : C2", _P2("a^2 = c", "d^2 = e", "b^a = b c d", "c^b = c e")),
    (32, 12, "C4 : C8", Metacyclic(4, 8, 3)),
    (32, 13, "C8 : C4", Metacyclic(8, 4, 3)),
    (32, 14, "C8 : C4", Metacyclic(8, 4, 7)),
    (32, 15, "C4 . D8 = C4 . (C4 x C2)", Metacyclic(8, 4, 3, 4)),
    (32, 16, "C16 x C2", _x(_C(16), _C(2))),
    (32, 17, "C16 : C2", Metacyclic(16, 2, 9)),
    (32, 18, "D32", _D(32)),
    (32, 19, "QD32", Metacyclic(16, 2, 7)),
    (32, 20, "Q32", _Q(32)),
    (32, 21, "C4 x C4 x C2", _x(_C(4), _C(4), _C(2))),
    (32, 22, "C2 x ((C4 x C2) : C2)", _x(_C(2), _G16_3)),
    (32, 23, "C2 x (C4 : C4)", _x(_C(2), _C4C4)),
    (32, 24, "(C4 x C4) : C2", _P2("a^2 = b", "c^2 = e", "d^a = d e")),
    (32, 25, "C4 x D8", _x(_C(4), _D(8))),
    (32, 26, "C4 x Q8", _x(_C(4), _Q(8))),
    (32, 27, "(C2 x C2 x C2 x C2) : C2", _P2("b^a = b c", "d^a = d e")),
    (32, 28, "(C4 x C2 x C2) : C2", _P2("a^2 = c", "b^a = b c", "d^b = d e")),
    (32, 29, "(C2 x Q8) : C2", _P2("a^2 = c", "b^2 = c", "b^a = b c", "d^a = d e")),
    (32, 30, "(C4 x C2 x C2) : C2", _P2("a^2 = d", "b^a = b e", "c^b = c d")),
    (32, 31, "(C4 x C4) : C2", _P2("a^2 = d", "b^2 = e", "c^a = c e", "c^b = c d")),
    (32, 32, "(C2 x C2) . (C2 x C2 x C2)", _P2("a^2 = d", "b^2 = d", "c^2 = e", "b^a = b e", "c^a = c d")),
    (32, 33, "(C4 x C4) : C2", _P2("a^2 = d", "b^2 = e", "c^a = c d e", "c^b = c d")),
    (32, 34, "(C4 x C4) : C2", _P2("b^a = b d", "c^a = c d e", "c^b = c e")),
    (32, 35, "C4 : Q8", _P2("a^2 = c", "b^2 = c", "d^2 = e", "b^a = b c", "d^a = d e")),
    (32, 36, "C8 x C2 x C2", _x(_C(8), _C(2), _C(2))),
    (32, 37, "C2 x (C8 : C2)", _x(_C(2), _M16)),
    (32, 38, "(C8 x C2) : C2", _P2("a^2 = b", "b^2 = e", "d^c = d e")),
    (32, 39, "C2 x D16", _x(_C(2), _D(16))),
    (32, 40, "C2 x QD16", _x(_C(2), _QD16)),
    (32, 41, "C2 x Q16", _x(_C(2), _Q(16))),
    (32, 42, "(C8 x C2) : C2", _P2("b^2 = c d", "c^2 = e", "b^a = b c d", "d^a = d e")),
    (32, 43, "C8 : (C2 x C2)", _P2("c^2 = e", "b^a = b c d", "c^a = c e", "d^b = d e")),
    (32, 44, "(C2 x Q8) : C2", _P2("b^2 = e", "d^2 = e", "b^a = b c d", "c^a = c e", "d^b = d e")),
    (32, 45, "C4 x C2 x C2 x C2", _x(_C(4), _C(2), _C(2), _C(2))),
    (32, 46, "C2 x C2 x D8", _x(_C(2), _C(2), _D(8))),
    (32, 47, "C2 x C2 x Q8", _x(_C(2), _C(2), _Q(8))),
    (32, 48, "C2 x ((C4 x C2) : C2)", _x(_C(2), _PAULI)),
    (32, 49, "(C2 x C2 x C2) : (C2 x C2)", _P2("b^a = b e", "d^c = d e")),
    (32, 50, "(C2 x Q8) : C2", _P2("a^2 = e", "b^2 = e", "b^a = b e", "d^c = d e")),
    (32, 51, "C2 x C2 x C2 x C2 x C2", _x(_C(2), _C(2), _C(2), _C(2), _C(2))),
)

#: Largest order in the catalogue: every group of order 1..SMALL_GROUP_MAX_ORDER is there.
SMALL_GROUP_MAX_ORDER = max(n for n, *_ in _CATALOGUE)


@dataclass(frozen=True)
class SmallGroupEntry:
    """One catalogue entry: GAP's id ``(order, index)``, its description, and grokcheck's construction.

    ``description`` is GAP's ``StructureDescription`` (``"C4 : C4"``, ``"(C4 x C2) : C2"``), which
    is not unique (several groups share ``"(C4 x C2) : C2"``); the id is. ``construction`` is
    how :func:`small_group` builds the group, in words.
    """

    order: int
    index: int
    description: str
    construction: str


def number_small_groups(n: int) -> int:
    """The number of groups of order ``n`` up to isomorphism, for ``1 ≤ n ≤ SMALL_GROUP_MAX_ORDER``."""
    _check_order(n)
    return sum(1 for m, *_ in _CATALOGUE if m == n)


def _check_order(n) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= SMALL_GROUP_MAX_ORDER:
        raise GroupInputError(f"SmallGroup order {n!r} is outside grokcheck's catalogue: give an integer order "
                              f"1..{SMALL_GROUP_MAX_ORDER} (the catalogue holds every group of those orders)",
                              text=str(n))


def _row(n, k):
    _check_order(n)
    count = number_small_groups(int(n))
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= count:
        raise GroupInputError(f"SmallGroup({n},{k!r}) does not exist: there {'is' if count == 1 else 'are'} {count} "
                              f"group{'s' if count != 1 else ''} of order {n}, numbered 1..{count}", text=str(k))
    return next(row for row in _CATALOGUE if row[0] == n and row[1] == k)


def small_group_entry(n: int, k: int) -> SmallGroupEntry:
    """The catalogue entry of ``SmallGroup(n, k)`` (see :class:`SmallGroupEntry`)."""
    _, _, desc, con = _row(n, k)
    return SmallGroupEntry(int(n), int(k), desc, str(con.construction if isinstance(con, _Named) else con))


def small_group(n: int, k: int) -> FiniteGroup:
    """``SmallGroup(n, k)`` in GAP's numbering, built from grokcheck's own construction.

    Parameters
    ----------
    n : the order, ``1 ≤ n ≤ SMALL_GROUP_MAX_ORDER``.
    k : GAP's index among the groups of order ``n``, ``1 ≤ k ≤ number_small_groups(n)``.

    Returns
    -------
    FiniteGroup of order ``n`` (identity element 0, ``elements`` naming each element in its
    construction), with ``source`` ``"SmallGroup(n,k)"``. Raises
    :class:`~grokcheck.errors.GroupInputError` for an ``n`` or ``k`` out of range.

    Examples
    --------
    >>> small_group(16, 13).order
    16
    >>> small_group_id(small_group(8, 4))
    (8, 4)
    """
    _row(n, k)
    return _built(int(n), int(k))


_SMALL_GROUP_NAME = re.compile(r"\s*SmallGroup\(\s*(\d{1,6})\s*,\s*(\d{1,6})\s*\)\s*")


def small_group_from_name(name: str) -> FiniteGroup | None:
    """``small_group(n, k)`` for the name ``"SmallGroup(n,k)"`` (GAP's spelling, spaces allowed), else ``None``.

    A name that starts with ``SmallGroup`` but is not of that form, or names an id outside the
    catalogue, is refused with :class:`~grokcheck.errors.GroupInputError`.

    Examples
    --------
    >>> small_group_from_name("SmallGroup(16, 13)").order
    16
    >>> small_group_from_name("Q8") is None
    True
    """
    if not isinstance(name, str) or not name.strip().startswith("SmallGroup"):
        return None
    m = _SMALL_GROUP_NAME.fullmatch(name)
    if m is None:
        raise GroupInputError(f"cannot read {name[:60]!r}: write SmallGroup(n,k) with GAP's id, e.g. SmallGroup(16,3), "
                              f"for an order n ≤ {SMALL_GROUP_MAX_ORDER}", text=name)
    return small_group(int(m.group(1)), int(m.group(2)))


@lru_cache(maxsize=None)
def _built(n: int, k: int) -> FiniteGroup:
    _, _, _, con = _row(n, k)
    G = con.build()
    if G.order != n:  # a wrong construction is our bug, not the user's
        raise AssertionError(f"SmallGroup({n},{k}): the construction {con} has order {G.order}")
    check_cayley_table(G.table)  # the group axioms in full: n³ ≤ 32768 look-ups
    return FiniteGroup(G.table, name=f"SmallGroup({n},{k})", source=f"SmallGroup({n},{k})", elements=G.elements)


# -------------------------------------------------------------------- invariants
def _quotient_invariants(G: FiniteGroup, K: np.ndarray) -> tuple[int, ...]:
    """Invariant factors of the Abelian quotient ``G/K`` (``K`` a normal subgroup with Abelian quotient, as a mask).

    From ``#{gK : (gK)^{p^e} = K} = p^{Σ_i min(e, e_i)}`` for each prime ``p`` of ``|G/K|``.
    """
    size = int(K.sum())
    ar = np.arange(G.order)
    return _invariants_from_counts(G.order // size, lambda q: int(K[G.power(ar, q)].sum()) // size)


def _invariants(G: FiniteGroup) -> tuple:
    """Isomorphism invariants of ``G`` (equal for isomorphic groups, whatever the labelling)."""
    n = G.order
    ar = np.arange(n)
    t, inv = G.table, G.inverses
    primes = list(factorize(n))
    roots = [np.bincount(G.power(ar, p), minlength=n) for p in primes]  # roots[i][g] = #{x : x^p = g}
    sizes = G.class_sizes[G.class_of]
    per_element = sorted(zip(G.element_orders.tolist(), sizes.tolist(), *(r.tolist() for r in roots)))
    commutators = np.unique(t[t[inv[:, None], inv[None, :]], t])  # a⁻¹ b⁻¹ a b
    derived = _closure(t, commutators.tolist(), G.identity)
    return (n, int((sizes == 1).sum()), int(derived.sum()), _quotient_invariants(G, derived), tuple(per_element))


@lru_cache(maxsize=None)
def _catalogue_invariants(n: int) -> tuple[tuple[int, tuple], ...]:
    return tuple((k, _invariants(_built(n, k))) for m, k, *_ in _CATALOGUE if m == n)


def small_group_id(G) -> tuple[int, int] | None:
    """GAP's SmallGroup id ``(n, k)`` of a group of order ``n ≤ SMALL_GROUP_MAX_ORDER``, proved.

    Parameters
    ----------
    G : a :class:`~grokcheck.theory.FiniteGroup`, in any labelling.

    Returns
    -------
    ``(n, k)`` such that ``G ≅ small_group(n, k)`` — an explicit isomorphism was found — or
    ``None`` when the order is above ``SMALL_GROUP_MAX_ORDER`` (or ``G`` has no dense table).

    Examples
    --------
    >>> from grokcheck.theory import group
    >>> small_group_id(group("Q8xC2"))
    (16, 12)
    """
    from grokcheck.theory._identify import isomorphism

    n = G.order
    if not isinstance(G, FiniteGroup) or n > SMALL_GROUP_MAX_ORDER:
        return None
    mine = _invariants(G)
    for k, theirs in _catalogue_invariants(n):
        if theirs == mine and isomorphism(G, _built(n, k)) is not None:
            return (n, k)
    return None
