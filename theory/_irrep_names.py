"""Names for the irreducible characters of a finite group.

Every irrep gets one :class:`IrrepName`, used by every grokcheck output:

* for the symmetric group ``S_n`` the **partition** ``λ`` of its Specht module, computed exactly:
  the cycle type of every conjugacy class is read from the permutations of its elements, the
  Murnaghan–Nakayama rule gives the integer ``χ^λ`` on every cycle type, and each row of the
  character table is matched to the unique ``λ`` with the same values (never by dimension alone);
  ``[n]`` is "trivial", ``[1^n]`` "sign", ``[n-1,1]`` "standard" and ``[2,1^{n-2}]``
  "sign⊗standard";
* for the alternating group ``A_n`` the partition ``λ`` (the larger of ``λ`` and its conjugate
  ``λ'``; the restrictions of ``χ^λ`` and ``χ^{λ'}`` agree), with ``+``/``-`` for the two halves
  of a self-conjugate ``λ``;
* for every other group a GAP-like label: the degree and a letter in table order (``"1a"``,
  ``"3b"``), with the Frobenius–Schur type and the character field ``Q(χ)``; when the labels
  ``0..m-1`` are the powers of label 1 and ``m ≥ |G|/2`` (``C_m`` as addition mod m, the usual
  labellings of ``D_n`` and ``Dic_n``) the alias ``"freq k"``: the irrep restricted to those
  rotations holds only ``exp(±2πik/m)``.

The group is known as ``S_n``/``A_n`` when its ``name`` says so (grokcheck builds ``Sn``/``An`` on
the permutations of ``0..n-1`` in lexicographic order, so the cycle types are exact), or when
:func:`recognise_symmetric` finds a presentation: Coxeter generators ``s_1..s_{n-1}``
(``s_i² = (s_i s_{i+1})³ = (s_i s_j)² = 1``) for ``S_n`` and Carmichael's ``x_1..x_{n-2}``
(``x_i³ = (x_i x_j)² = 1``) for ``A_n``, generating a group of the right order. A recognised
group is identified up to automorphism; for every ``n ≠ 6`` all automorphisms of ``S_n`` and
``A_n`` preserve cycle types, so the partitions are exact. ``S_6`` and ``A_6`` have an outer
automorphism exchanging classes (``(12)`` ↔ ``(12)(34)(56)``), so a table alone fixes the
partitions only up to it; the names then say so (:attr:`IrrepName.note`).

References
----------
G. James, A. Kerber, *The Representation Theory of the Symmetric Group* (1981), 2.4 (the
Murnaghan–Nakayama rule) and 2.5 (characters of ``A_n``); R. D. Carmichael, *Introduction to
the Theory of Groups of Finite Order* (1937) for the presentation of ``A_n``.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from grokcheck.theory._young import partitions

__all__ = ["IrrepName", "SymmetricRecognition", "irrep_names", "recognise_symmetric", "murnaghan_nakayama", "partitions",
           "group_of_permutations"]

_KINDS = {1: "real", 0: "complex", -1: "quaternionic"}


@dataclass(frozen=True)
class IrrepName:
    """The name of irrep ``index`` (0-based row of ``G.character_table``; users read ``index + 1``).

    Attributes
    ----------
    index : row of the character table (0-based).
    name : the name every output prints: the partition and alias for ``S_n``/``A_n``
        (``"[4,1] standard"``), otherwise the label and alias (``"1a trivial"``, ``"3b"``).
    label : GAP-like label, degree plus a letter in table order (``"4a"``).
    dim : the degree.
    fs_indicator : Frobenius–Schur indicator (1 real, 0 complex, -1 quaternionic).
    kind : ``"real"``, ``"complex"`` or ``"quaternionic"``.
    field : the character field ``Q(χ)``: ``"Q"``, ``"Q(√5)"``, ``"Q(√-3)"``, ``"Q(ζ7)"``, or
        ``"degree m subfield of Q(ζN)"``.
    partition : ``λ`` for ``S_n``/``A_n`` (a tuple), else ``None``.
    alias : ``"trivial"``, ``"sign"``, ``"standard"``, ``"sign⊗standard"``, ``"freq k"`` or ``None``.
    family : ``"S5"``, ``"A5"`` when the group is known as such, else ``None``.
    note : a caveat on the name (the ``S_6``/``A_6`` outer automorphism), or ``None``.
    """

    index: int
    name: str
    label: str
    dim: int
    fs_indicator: int
    kind: str
    field: str
    partition: tuple[int, ...] | None = None
    alias: str | None = None
    family: str | None = None
    note: str | None = None

    def to_json(self) -> dict:
        """JSON-ready fields; ``index`` is 1-based (GAP's ``X.1 … X.k``)."""
        return {
            "index": self.index + 1,
            "name": self.name,
            "label": self.label,
            "dim": self.dim,
            "fs_indicator": self.fs_indicator,
            "kind": self.kind,
            "field": self.field,
            "partition": None if self.partition is None else list(self.partition),
            "alias": self.alias,
            "family": self.family,
            "note": self.note,
        }


# --------------------------------------------------------------------- partitions


def _conjugate(lam: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(sum(1 for p in lam if p > i) for i in range(lam[0])) if lam else ()


@lru_cache(maxsize=None)
def _mn_beta(beta: tuple[int, ...], mu: tuple[int, ...]) -> int:
    if not mu:
        return 1
    r, rest = mu[0], mu[1:]
    bset = set(beta)
    total = 0
    for b in beta:
        c = b - r
        if c < 0 or c in bset:
            continue
        # removing a rim hook of length r = moving bead b to the free position b - r; the
        # sign is (-1)^(leg length) = (-1)^(beads strictly between)
        sign = -1 if sum(1 for x in beta if c < x < b) % 2 else 1
        total += sign * _mn_beta(tuple(sorted((bset - {b}) | {c})), rest)
    return total


def murnaghan_nakayama(lam, mu) -> int:
    """``χ^λ(μ)``: the irreducible character of ``S_n`` for partition ``λ`` on cycle type ``μ``.

    Exact integer arithmetic (beta-sets: removing a rim hook of length ``r`` moves one bead
    down by ``r``, with sign ``(-1)^{leg length}``).

    Examples
    --------
    >>> murnaghan_nakayama((4, 1), (1, 1, 1, 1, 1)), murnaghan_nakayama((4, 1), (2, 1, 1, 1))
    (4, 2)
    """
    lam = tuple(int(p) for p in lam if p)
    mu = tuple(sorted((int(p) for p in mu if p), reverse=True))
    if sum(lam) != sum(mu):
        raise ValueError(f"λ={lam} and μ={mu} are partitions of different numbers")
    k = len(lam)
    beta = tuple(sorted(lam[i] + (k - 1 - i) for i in range(k)))
    return _mn_beta(beta, mu)


def _cycle_type(perm: np.ndarray) -> tuple[int, ...]:
    seen = np.zeros(len(perm), dtype=bool)
    out = []
    for s in range(len(perm)):
        if not seen[s]:
            length, x = 0, s
            while not seen[x]:
                seen[x] = True
                x = int(perm[x])
                length += 1
            out.append(length)
    return tuple(sorted(out, reverse=True))


def _fmt_partition(lam: tuple[int, ...]) -> str:
    return "[" + ",".join(str(p) for p in lam) + "]"


# --------------------------------------------------------------------- recognition


@dataclass(frozen=True, eq=False)
class SymmetricRecognition:
    """``G ≅ S_n`` or ``A_n`` with a permutation for every element.

    Attributes
    ----------
    family : ``"S"`` or ``"A"``.
    n : the degree.
    perms : ``(|G|, n)`` int array, ``perms[g]`` the image array of element ``g`` (products
        left to right: ``perms[g·h] = perms[h][perms[g]]``).
    exact : ``True`` when the permutations are the group's own (by name), or when every
        automorphism preserves cycle types (``n ≠ 6``); ``False`` for a recognised ``S_6``/``A_6``.
    how : ``"name"``, ``"presentation"`` or ``"elements"`` (:func:`group_of_permutations`).
    """

    family: str
    n: int
    perms: np.ndarray
    exact: bool
    how: str

    @property
    def name(self) -> str:
        return f"{self.family}{self.n}"


def _order_of_product(G, a, b) -> int:
    return int(G.element_orders[G.table[a, b]])


def _closure_size(G, gens) -> int:
    seen = np.zeros(G.order, dtype=bool)
    seen[G.identity] = True
    frontier = np.array([G.identity])
    gens = np.asarray(gens, dtype=np.int64)
    while frontier.size:
        nxt = G.table[np.ix_(frontier, gens)].ravel()
        nxt = np.unique(nxt[~seen[nxt]])
        seen[nxt] = True
        frontier = nxt
    return int(seen.sum())


def _images_along(G, gens, images) -> np.ndarray | None:
    """Breadth-first images ``perm(x·g_i) = perm(x)·images[i]``; None if the map is not a homomorphism."""
    n_pts = images.shape[1]
    perms = np.full((G.order, n_pts), -1, dtype=np.int64)
    perms[G.identity] = np.arange(n_pts)
    done = np.zeros(G.order, dtype=bool)
    done[G.identity] = True
    frontier = [G.identity]
    while frontier:
        nxt = []
        for x in frontier:
            for g, im in zip(gens, images):
                y = int(G.table[x, g])
                if not done[y]:
                    perms[y] = im[perms[x]]  # (p·q)[i] = q[p[i]]
                    done[y] = True
                    nxt.append(y)
        frontier = nxt
    if not done.all():
        return None
    for g, im in zip(gens, images):  # the homomorphism property on every element and generator
        if not np.array_equal(perms[G.table[:, g]], im[perms]):
            return None
    return perms


def _search(G, cands, first, ok_pair, depth):
    chosen = [first]

    def rec():
        if len(chosen) == depth:
            return True
        for c in cands:
            if c in chosen:
                continue
            if all(ok_pair(i, len(chosen), chosen[i], c) for i in range(len(chosen))):
                chosen.append(int(c))
                if rec():
                    return True
                chosen.pop()
        return False

    return list(chosen) if rec() else None


def _try_symmetric(G, n):
    if n < 3:
        return None
    m = n * (n - 1) // 2
    inv_classes = [c for c, s in zip(G.conjugacy_classes, G.class_sizes) if s == m and G.element_orders[c[0]] == 2]
    for cls in inv_classes:
        cands = [int(x) for x in cls]

        def ok(i, j, a, b):  # s_i, s_j with j > i: braid relation for neighbours, commuting otherwise
            return _order_of_product(G, a, b) == (3 if j == i + 1 else 2)

        gens = _search(G, cands, cands[0], ok, n - 1)
        if gens is None or _closure_size(G, gens) != G.order:
            continue
        images = np.tile(np.arange(n), (n - 1, 1))
        for i in range(n - 1):
            images[i, [i, i + 1]] = [i + 1, i]
        perms = _images_along(G, gens, images)
        if perms is not None:
            return perms
    return None


def _try_alternating(G, n):
    if n < 4:
        return None
    order3 = np.nonzero(G.element_orders == 3)[0]
    reps = [int(c[0]) for c in G.conjugacy_classes if G.element_orders[c[0]] == 3]
    for first in reps:
        def ok(i, j, a, b):
            return _order_of_product(G, a, b) == 2

        gens = _search(G, [int(x) for x in order3], first, ok, n - 2)
        if gens is None or _closure_size(G, gens) != G.order:
            continue
        images = np.tile(np.arange(n), (n - 2, 1))
        for i in range(n - 2):  # x_i = (0, 1, i+2)
            images[i, [0, 1, i + 2]] = [1, i + 2, 0]
        perms = _images_along(G, gens, images)
        if perms is not None:
            return perms
    return None


def _lexicographic_perms(n: int, even: bool) -> np.ndarray:
    perms = np.array(list(itertools.permutations(range(n))), dtype=np.int64).reshape(-1, n)
    if even:
        inv = (perms[:, :, None] > perms[:, None, :]) & np.triu(np.ones((n, n), dtype=bool), 1)
        perms = perms[inv.sum(axis=(1, 2)) % 2 == 0]
    return perms


def _consistent(G, perms) -> bool:
    if perms.shape[0] != G.order:
        return False
    t = G.table
    a = np.arange(G.order)
    for b in range(G.order):  # perms[a·b] = perms[b][perms[a]]
        if not np.array_equal(perms[t[a, b]], perms[b][perms[a]]):
            return False
    return True


def _from_cycle_strings(G, els) -> SymmetricRecognition | None:
    """Exact recognition from the group's own permutations (``G.elements`` as cycle strings)."""
    from grokcheck.errors import GroupInputError
    from grokcheck.theory._permutations import parse_cycles

    try:
        raw = [parse_cycles(e) for e in els]
        deg = max(r.size for r in raw)
        P = np.stack([parse_cycles(e, deg) if r.size < deg else r for e, r in zip(els, raw)])
    except GroupInputError:
        return None
    moved = np.nonzero((P != np.arange(deg)).any(axis=0))[0]  # cycle strings count points from 1
    new = np.full(deg, -1, dtype=np.int64)
    new[moved] = np.arange(moved.size)
    P = new[P[:, moved]]
    deg = int(moved.size)
    if not _consistent(G, P):
        return None
    if G.order == math.factorial(deg) and deg >= 3:
        return SymmetricRecognition("S", deg, P, True, "elements")
    if 2 * G.order == math.factorial(deg) and deg >= 4:
        return SymmetricRecognition("A", deg, P, True, "elements")
    return None


def recognise_symmetric(G) -> SymmetricRecognition | None:
    """``G`` as ``S_n`` (``n ≥ 3``) or ``A_n`` (``n ≥ 4``) with a permutation per element, or ``None``.

    From the group's own permutations when it carries them (``G.elements`` as cycle strings:
    permutation groups, ``Sn``/``An`` by name; exact), by name (``"S5"``, ``"A5"``: grokcheck's
    lexicographic construction, exact), else by presentation
    (see the module docstring). Cost: a backtracking search over one class of involutions
    (``S_n``) or the elements of order 3 (``A_n``), then one breadth-first pass.
    """
    els = getattr(G, "elements", None)
    if els is not None and all(isinstance(e, str) and e.startswith("(") for e in els):
        rec = _from_cycle_strings(G, els)
        if rec is not None:
            return rec
    name = getattr(G, "name", None) or ""
    m = re.fullmatch(r"([SA])(\d+)", name)
    if m:
        fam, n = m.group(1), int(m.group(2))
        if (fam == "S" and n >= 3) or (fam == "A" and n >= 4):
            perms = _lexicographic_perms(n, fam == "A")
            if _consistent(G, perms):
                return SymmetricRecognition(fam, n, perms, True, "name")
    order = G.order
    for n in range(3, 8):
        if math.factorial(n) == order:
            perms = _try_symmetric(G, n)
            if perms is not None:
                return SymmetricRecognition("S", n, perms, n != 6, "presentation")
        if n >= 4 and math.factorial(n) // 2 == order:
            perms = _try_alternating(G, n)
            if perms is not None:
                return SymmetricRecognition("A", n, perms, n != 6, "presentation")
    return None


def group_of_permutations(elements, *, name: str | None = None):
    """The group whose element ``g`` is the permutation ``elements[g]``, and its recognition.

    Parameters
    ----------
    elements : a sequence of cycle strings or 0-based image arrays, one per label; it must be
        closed under products (left to right: ``(p·q)[x] = q[p[x]]``, as GAP and sympy multiply).
        Cycle strings count points from 1 as GAP does (``"(1,2)(3,4)"``); only when some string
        names the point 0 are they read as counting from 0 (sympy's ``cyclic_form`` printed with
        parentheses). ``G.source`` says which convention was used.

    Returns
    -------
    ``(G, recognition)``: the :class:`~grokcheck.theory.FiniteGroup` with ``G.table[a, b]`` the
    label of ``elements[a]·elements[b]`` and ``G.elements`` the permutations as GAP cycle strings
    (points from 1), and an exact :class:`SymmetricRecognition` when the permutations are all of
    ``S_d`` or ``A_d`` on their ``d`` points (else ``None``). Names from it are exact for every
    ``d``, ``6`` included.
    """
    from grokcheck.errors import GroupInputError
    from grokcheck.theory._finite_group import FiniteGroup
    from grokcheck.theory._permutations import _as_images

    raw = [_as_images(e, None) for e in elements]
    if not raw:
        raise GroupInputError("no permutations given", text=elements)
    deg = max(r.size for r in raw)
    P = np.stack([np.concatenate([r, np.arange(r.size, deg)]) for r in raw])
    convention = "0-based image arrays"
    if all(isinstance(e, str) for e in elements):
        if deg > 1 and np.all(P[:, 0] == 0):  # no string names the point 0: GAP's points 1..d
            P = P[:, 1:] - 1
            deg -= 1
            convention = "cycle strings, points from 1 (GAP)"
        else:
            convention = "cycle strings, points from 0"
    elif any(isinstance(e, str) for e in elements):
        raise GroupInputError("give every element the same way: all cycle strings or all image arrays", text=elements)
    n = P.shape[0]
    w = deg ** np.arange(deg, dtype=np.int64) if deg ** deg < 2**62 else None
    if w is None:
        raise GroupInputError(f"permutations of degree {deg} are too large to label", text=deg)
    codes = P @ w
    order = np.argsort(codes)
    if np.unique(codes).size != n:
        dup = [int(i) for i in np.nonzero(np.bincount(np.unique(codes, return_inverse=True)[1]) > 1)[0][:1]]
        raise GroupInputError(f"the permutations are not distinct (a label is repeated) {dup}", text=dup)
    table = np.empty((n, n), dtype=np.int64)
    for a in range(n):
        prod = np.take_along_axis(P, np.broadcast_to(P[a], P.shape), axis=1)  # row b: (p_a·p_b)[x] = p_b[p_a[x]]
        c = prod @ w
        pos = np.searchsorted(codes[order], c)
        pos = np.minimum(pos, n - 1)
        hit = codes[order][pos] == c
        if not hit.all():
            b = int(np.nonzero(~hit)[0][0])
            raise GroupInputError(f"the permutations are not closed under products: element {a} times element {b} "
                                  "is not in the list", text=(a, b))
        table[a] = order[pos]
    from grokcheck.theory._finite_group import check_cayley_table
    from grokcheck.theory._permutations import cycle_string

    G = FiniteGroup(check_cayley_table(table), name=name, source=f"permutations ({convention})",
                    elements=tuple(cycle_string(p, offset=1) for p in P))
    rec = None
    even = all(_cycle_type_parity(p) == 0 for p in P)
    if n == math.factorial(deg) and deg >= 3:
        rec = SymmetricRecognition("S", deg, P, True, "elements")
    elif 2 * n == math.factorial(deg) and deg >= 4 and even:
        rec = SymmetricRecognition("A", deg, P, True, "elements")
    return G, rec


def _cycle_type_parity(perm) -> int:
    return (len(perm) - len(_cycle_type(perm))) % 2


# --------------------------------------------------------------------- fields


def _squarefree(m: int) -> int:
    sign = -1 if m < 0 else 1
    m = abs(m)
    out, p = 1, 2
    while p * p <= m:
        while m % (p * p) == 0:
            m //= p * p
        if m % p == 0:
            out *= p
            m //= p
        p += 1
    return sign * out * m


@lru_cache(maxsize=64)
def _unit_generators(N: int) -> tuple[int, tuple[int, ...]]:
    """``(φ(N), gens)``: a generating set of ``(Z/N)^*``, greedy in increasing order.

    A unit is added when it is not yet in the subgroup generated so far; that subgroup is kept
    as a set of residues mod ``N`` (at most ``φ(N)`` of them), and each added unit at least
    doubles it, so there are at most ``log2 φ(N)`` generators.
    """
    units = [k for k in range(1, N + 1) if math.gcd(k, N) == 1] if N > 1 else [1]
    phi = len(units)
    H = {1 % N} if N > 1 else {0}
    gens: list[int] = []
    for k in units:
        if len(H) == phi:
            break
        if k % N in H:
            continue
        gens.append(k)
        new = set(H)
        power = k % N
        while power not in H:  # <H, k> = ⋃_i H·k^i, one coset per step until k^i falls in H
            new.update(h * power % N for h in H)
            power = power * k % N
        H = new
    return phi, tuple(gens)


def _fields(G) -> list[str]:
    """``Q(χ)`` of every irreducible character, from the Galois action ``χ^{σ_k}(g) = χ(g^k)``.

    ``χ ∘ (g ↦ g^k)`` is again an irreducible character; its row is found by the orthogonality
    relations (inner products round to 0 or 1), so each unit ``k`` of ``(Z/N)^*`` (``N`` the
    exponent) permutes the rows exactly. ``k ↦`` that permutation is an action of ``(Z/N)^*``
    (``σ_{jk} = σ_j σ_k``), so the orbit of ``χ`` under the whole group is its closure under the
    permutations of a generating set alone (:func:`_unit_generators`, at most ``log2 φ(N)`` Gram
    products instead of ``φ(N)``), and by orbit–stabiliser
    ``[Q(χ):Q] = φ(N)/|H_χ| = |orbit(χ)|`` (``H_χ ⊂ (Z/N)^*`` the stabiliser). For a quadratic
    ``Q(χ)`` any generator moving ``χ`` (one exists, the orbit has two rows) acts on ``Q(χ)`` as
    its unique nontrivial automorphism, so ``D`` in ``Q(√D)`` does not depend on which one.
    """
    ct = G.character_table
    vals = ct.values
    w = G.class_sizes / G.order
    N = int(G.exponent)
    phi, gens = _unit_generators(N)
    r = ct.num_irreps
    rows = np.arange(r)
    perms = []
    for k in gens:
        conj = vals[:, G.power_map(k)]
        gram = (conj * w) @ np.conj(vals).T  # ⟨χ^σ, ψ⟩
        target = np.argmax(np.abs(gram), axis=1)
        if not np.array_equal(np.sort(target), rows):
            raise ArithmeticError(f"the Galois conjugation k = {k} mod {N} does not permute the irreducible characters")
        perms.append(target)
    orbit_size = np.zeros(r, dtype=int)
    for x in range(r):
        if orbit_size[x]:
            continue
        orbit, todo = {x}, [x]
        while todo:
            y = todo.pop()
            for p in perms:
                z = int(p[y])
                if z not in orbit:
                    orbit.add(z)
                    todo.append(z)
        orbit_size[list(orbit)] = len(orbit)
    out = []
    for x in range(r):
        deg = int(orbit_size[x])
        if deg == 1:
            out.append("Q")
            continue
        if deg == 2:
            # the least unit moving χ is a generator (every unit skipped by the greedy scan is a
            # product of smaller generators), so this is the k the loop over all units used
            k = next(k for k, p in zip(gens, perms) if p[x] != x)
            pm = G.power_map(k)
            # a ≠ b in O_{Q(√D)} differ by n√D or 2n√D (n ≠ 0), so |a − b| ≥ √3 and the float
            # values (errors ≪ 0.5) point to such a class; the exact test below still decides
            # (the classes are only reordered, and D is the same at every class where a ≠ b)
            for c in np.argsort(np.abs(vals[x] - vals[x, pm]) <= 0.5, kind="stable"):
                a, b = ct.cyclotomic(x, int(c)), ct.cyclotomic(x, int(pm[c]))
                if a != b:
                    d = (a - b) * (a - b)  # (c√D)², a rational integer
                    out.append(f"Q(√{_squarefree(int(d.coeffs[0]))})")
                    break
            continue
        NN = N // 2 if N % 4 == 2 else N
        out.append(f"Q(ζ{NN})" if deg == phi else f"degree {deg} subfield of Q(ζ{NN})")
    return out


# --------------------------------------------------------------------- frequencies


def _frequencies(G) -> list[int | None] | None:
    """Frequencies when labels ``0..m-1`` are the powers ``r^i`` of label ``r = 1`` (``m = ord(r)``,
    ``m ≥ |G|/2``: ``C_m`` and the standard labellings of ``D_n``, ``Dic_n``); else ``None``.

    Irrep ρ has frequency ``k`` when ``ρ`` restricted to ``⟨r⟩`` only contains ``ζ_m^{±k}``; the
    multiplicities come from the characters on the powers of ``r`` (a discrete Fourier transform).
    """
    n = G.order
    if n < 3:
        return None
    m = int(G.element_orders[1])
    if m < 3 or 2 * m < n or not np.array_equal(G.table[1, : m - 1], np.arange(1, m)) or G.table[1, m - 1] != 0:
        return None
    if G.identity != 0:
        return None
    chi = G.character_table.on_elements()[:, :m]  # χ(r^i), i < m
    j = np.arange(m)
    mult = (chi @ np.exp(-2j * np.pi * np.outer(j, j) / m)) / m  # (k, m): multiplicity of ζ^j
    out: list[int | None] = []
    for row in mult:
        present = {min(int(x), m - int(x)) for x in np.nonzero(np.abs(row) > 0.5)[0]}  # integers ≥ 1 or 0
        out.append(present.pop() if len(present) == 1 else None)
    return out


# --------------------------------------------------------------------- names


def _labels(degrees) -> list[str]:
    count: dict[int, int] = {}
    out = []
    for d in degrees:
        i = count.get(int(d), 0)
        count[int(d)] = i + 1
        letters = ""
        i2 = i
        while True:
            letters = chr(ord("a") + i2 % 26) + letters
            i2 = i2 // 26 - 1
            if i2 < 0:
                break
        out.append(f"{int(d)}{letters}")
    return out


def _integer_rows(G) -> np.ndarray:
    vals = G.character_table.values
    ints = np.rint(vals.real).astype(np.int64)
    # S_n characters are rational integers; the float image of the exact table is within 1e-9
    if np.max(np.abs(vals - ints)) > 1e-9:
        raise ArithmeticError("a character of S_n is not an integer")
    return ints


def _symmetric_partitions(G, rec: SymmetricRecognition):
    n = rec.n
    types = [_cycle_type(rec.perms[int(c[0])]) for c in G.conjugacy_classes]
    parts = partitions(n)
    out: list = [None] * G.character_table.num_irreps
    if rec.family == "S":
        rows = _integer_rows(G)
        table = {lam: tuple(murnaghan_nakayama(lam, mu) for mu in types) for lam in parts}
        for x, row in enumerate(rows):
            hits = [lam for lam, v in table.items() if v == tuple(int(t) for t in row)]
            if len(hits) != 1:
                raise ArithmeticError(f"irrep {x + 1} of S{n} matches {len(hits)} partitions")
            out[x] = (hits[0], None)
        return out
    # A_n: χ^λ restricted is irreducible unless λ = λ'; then it is the sum of two conjugates
    # with values χ^λ(μ)/2 off the split classes.
    split_types = set()
    seen_types: dict[tuple[int, ...], int] = {}
    for c, t in enumerate(types):
        if t in seen_types:
            split_types.add(t)
        seen_types[t] = c
    assigned: dict[tuple[int, ...], list[int]] = {}
    for x in range(len(out)):
        row_c = G.character_table.values[x]
        hit = None
        for lam in parts:
            lc = _conjugate(lam)
            if lc > lam:
                continue
            v = np.array([murnaghan_nakayama(lam, mu) for mu in types], dtype=float)
            if lc != lam:
                if np.max(np.abs(row_c - v)) < 1e-9:  # float images of exact values; distinct rows differ by ≥ 1
                    hit = lam
                    break
            else:
                off = [c for c, t in enumerate(types) if t not in split_types]
                if np.max(np.abs(row_c[off] - v[off] / 2)) < 1e-9:
                    hit = lam
                    break
        if hit is None:
            raise ArithmeticError(f"irrep {x + 1} of A{n} matches no partition")
        assigned.setdefault(hit, []).append(x)
        out[x] = (hit, None)
    for lam, xs in assigned.items():
        if len(xs) == 2:
            out[xs[0]] = (lam, "+")
            out[xs[1]] = (lam, "-")
    return out


def irrep_names(G, *, recognition: SymmetricRecognition | None | bool = True) -> tuple[IrrepName, ...]:
    """One :class:`IrrepName` per row of ``G.character_table``.

    Parameters
    ----------
    G : FiniteGroup.
    recognition : ``True`` (default) to call :func:`recognise_symmetric`, ``False``/``None``
        to skip it (GAP-like labels only), or a :class:`SymmetricRecognition` already found.

    Examples
    --------
    >>> from grokcheck.theory import group
    >>> [n.name for n in irrep_names(group("S4"))]
    ['[4] trivial', '[1,1,1,1] sign', '[2,2]', '[3,1] standard', '[2,1,1] sign⊗standard']
    """
    ct = G.character_table
    degrees = [int(d) for d in ct.degrees]
    fs = [int(v) for v in ct.fs_indicators]
    labels = _labels(degrees)
    fields = _fields(G)
    rec = recognise_symmetric(G) if recognition is True else (recognition or None)
    vals = ct.values
    trivial = [bool(np.all(np.abs(vals[x] - 1) < 1e-9)) for x in range(len(degrees))]
    parts = _symmetric_partitions(G, rec) if rec is not None else None
    freqs = _frequencies(G) if rec is None else None
    note = None
    if rec is not None and not rec.exact:
        note = f"partitions up to the outer automorphism of {rec.name} (the table alone cannot tell them apart)"
    out = []
    for x, d in enumerate(degrees):
        split_note = None
        alias = "trivial" if trivial[x] else None
        partition = None
        if parts is not None:
            lam, pm = parts[x]
            n = rec.n
            partition = lam
            if lam == (n,):
                alias = "trivial"
            elif rec.family == "S" and lam == (1,) * n:
                alias = "sign"
            elif lam == (n - 1, 1):
                alias = "standard"
            elif rec.family == "S" and n >= 4 and lam == (2,) + (1,) * (n - 2):
                alias = "sign⊗standard"
            base = _fmt_partition(lam) + (pm or "")
            if pm:
                split_note = ("λ+ and λ- follow table order; they differ only on the split classes, which "
                              "conjugation by an odd permutation exchanges")
        else:
            base = labels[x]
            if freqs is not None and freqs[x] and alias is None:
                alias = f"freq {freqs[x]}"
        name = base if alias is None else f"{base} {alias}"
        out.append(IrrepName(x, name, labels[x], d, fs[x], _KINDS[fs[x]], fields[x], partition, alias,
                             rec.name if rec is not None else None,
                             "; ".join(t for t in (note, split_note) if t) or None))
    return tuple(out)
