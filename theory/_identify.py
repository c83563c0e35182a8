"""Recognise a finite group among the named families and their direct products.

:func:`identify` returns a name in grokcheck's grammar (``"S4"``, ``"C2xC6"``,
``"S3xC4"``, ``"C7:C3"``) that :func:`~grokcheck.theory.group` parses back to an
isomorphic group, or ``None``. It works in two stages:

1. **Invariants** prune the candidates: the order, the number of classes, the
   multiset of (element order, class size) pairs, and for Abelian groups the
   invariant factors (read off the number of elements of each order). A direct
   product's class signature is the product of its factors' signatures, so the
   candidates are screened without building their tables.
2. **An explicit isomorphism** confirms the survivor: generators ``g_1..g_r`` of
   ``G`` are sent to elements ``h_i`` of the candidate ``H`` with the same order and
   class size (``h_1`` up to conjugacy in ``H``), the map is extended along a
   spanning tree of ``G``'s Cayley graph, ``φ(x g_i) = φ(x) h_i``, and accepted
   only if it is a bijective homomorphism (checked on every element and
   generator: then it holds for all products). :func:`isomorphism` returns that map.

Canonical names prefer one factor over several, and within one order the family
order ``C, S, A, D, Q8, Dic, F21, F20, PSL, SL, GL, Cn:Cm`` (so ``S3`` rather than
``D3``, ``A5`` rather than ``PSL(2,5)``); Abelian groups are named by their
invariant factors, smallest first (``C2xC6``), and an Abelian direct factor of a
non-Abelian group likewise (``S3xC2xC2``).
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np

from grokcheck.theory._character_table import _prime_divisors
from grokcheck.theory._finite_group import MAX_ORDER, FiniteGroup, cayley_levels

__all__ = ["identify", "isomorphism", "abelian_invariants"]

# Candidate searches stop after this many generator-image tuples per candidate: a
# safety valve for groups with huge automorphism-free search spaces; the named
# families up to order 5040 need far fewer (two or three generators, images up to
# conjugacy for the first).
_MAX_ATTEMPTS = 200_000
_MAX_FACTORS = 4

_PREFERENCE = ("C", "S", "A", "D", "Q8", "Dic", "F21", "F20", "PSL", "SL", "GL", "SD")


def abelian_invariants(G: FiniteGroup) -> tuple[int, ...]:
    """Invariant factors ``d_1 | d_2 | …`` of an Abelian group (``()`` for the trivial group).

    From the counts ``#{g : g^{p^k} = 1} = p^{Σ_i min(k, e_i)}`` of each primary part.
    """
    n = G.order
    orders = G.element_orders
    primary: list[list[int]] = []
    for p in _prime_divisors(n):
        e = 0
        while n % p ** (e + 1) == 0:
            e += 1
        # r_k = number of cyclic p-factors of order ≥ p^k = log_p(#order | p^k) − log_p(#order | p^{k-1})
        logs = [0]
        for k in range(1, e + 1):
            cnt = int(np.sum(p**k % orders == 0))
            logs.append(round(math.log(cnt, p)))
        ranks = [logs[k] - logs[k - 1] for k in range(1, e + 1)]
        exps = []
        for k in range(1, e + 1):
            more = ranks[k] if k < e else 0
            exps += [k] * (ranks[k - 1] - more)
        primary.append(sorted(p**x for x in exps))
    width = max((len(x) for x in primary), default=0)
    inv = [1] * width
    for ps in primary:
        ps = [1] * (width - len(ps)) + ps
        inv = [a * b for a, b in zip(inv, ps)]
    return tuple(d for d in inv if d > 1)


def _signature(G: FiniteGroup) -> tuple:
    """Sorted ``(element order, class size)`` over the classes."""
    orders = G.element_orders[G.class_representatives]
    return tuple(sorted(zip(orders.tolist(), G.class_sizes.tolist())))


def _product_signature(a: tuple, b: tuple) -> tuple:
    return tuple(sorted((math.lcm(o1, o2), s1 * s2) for o1, s1 in a for o2, s2 in b))


def _abelian_name(inv: tuple[int, ...]) -> str:
    return "x".join(f"C{d}" for d in inv) if inv else "C1"


@lru_cache(maxsize=None)
def _nonabelian_factors(n: int) -> tuple[tuple[str, int], ...]:
    """Non-Abelian single names whose order divides n, in preference order (isomorphic ones kept)."""
    from grokcheck.errors import GroupInputError
    from grokcheck.theory._names import _semidirect_multiplier, named_factors

    rank = {f: i for i, f in enumerate(_PREFERENCE)}
    out = [(name, order, fam) for name, order, ab, fam in named_factors(n) if not ab and n % order == 0]
    for a in range(3, n // 2 + 1):
        for m in range(2, n // a + 1):
            if n % (a * m):
                continue
            try:
                _semidirect_multiplier(a, m)
            except GroupInputError:  # no faithful action, or not unique up to isomorphism
                continue
            out.append((f"C{a}:C{m}", a * m, "SD"))
    out.sort(key=lambda t: (t[1], rank[t[2]]))
    return tuple((name, order) for name, order, _ in out)


@lru_cache(maxsize=512)
def _named(name: str) -> FiniteGroup:
    from grokcheck.theory._names import group

    return group(name)


@lru_cache(maxsize=512)
def _named_signature(name: str) -> tuple:
    return _signature(_named(name))


def _abelian_groups(n: int) -> list[tuple[int, ...]]:
    """Invariant factors of every Abelian group of order n."""
    from sympy.utilities.iterables import partitions

    per_prime = []
    for p in _prime_divisors(n):
        e = 0
        while n % p ** (e + 1) == 0:
            e += 1
        opts = []
        for part in partitions(e):
            exps = sorted(k for k, mult in part.items() for _ in range(mult))
            opts.append([p**x for x in exps])
        per_prime.append(opts)
    out = []
    for combo in itertools.product(*per_prime):
        width = max((len(c) for c in combo), default=0)
        inv = [1] * width
        for c in combo:
            c = [1] * (width - len(c)) + c
            inv = [a * b for a, b in zip(inv, c)]
        out.append(tuple(d for d in inv if d > 1))
    return out


def _candidates(n: int) -> list[list[str]]:
    """Candidate factor lists of order n: 1..3 non-Abelian names and an Abelian rest.

    Sorted by the number of factors, then by the preference order of the
    non-Abelian names (so ``D6`` comes before ``S3xC2``).
    """
    singles = _nonabelian_factors(n)
    found: list[tuple] = []

    def rec(start: int, chosen: list[int], prod: int):
        if chosen:
            for inv in _abelian_groups(n // prod):
                names = [singles[i][0] for i in chosen] + [f"C{d}" for d in inv]
                found.append((len(names), tuple(chosen), names))
        if len(chosen) == _MAX_FACTORS - 1:
            return
        for i in range(start, len(singles)):
            o = singles[i][1]
            if (n // prod) % o == 0:
                rec(i, chosen + [i], prod * o)

    rec(0, [], 1)
    found.sort(key=lambda t: (t[0], t[1]))
    return [names for _, _, names in found]


def identify(G: FiniteGroup) -> str | None:
    """A canonical grokcheck name of a group isomorphic to ``G``, or ``None``.

    Parameters
    ----------
    G : a finite group (any labelling).

    Returns
    -------
    str or None : ``group(identify(G))`` is isomorphic to ``G`` (proved by an explicit
        isomorphism, see :func:`isomorphism`; for a
        :class:`~grokcheck.theory.PermutationGroup` beyond the dense table only ``Sm``
        and ``Am`` are recognised, by order on its ``m`` points); ``None`` if ``G`` is none of the named
        families (``Cn``, ``Dn``, ``Sn``, ``An``, ``Q8``, ``Dicn``, ``F21``, ``F20``,
        ``SL/GL/PSL(2,p)``, ``Cn:Cm``) or a direct product of them.

    Examples
    --------
    >>> from grokcheck.theory import FiniteGroup, group
    >>> identify(FiniteGroup.from_permutations(["(1,2,3)", "(1,2)"]))
    'S3'
    >>> identify(group("C2xC3xC2"))
    'C2xC6'
    """
    n = G.order
    if not isinstance(G, FiniteGroup):  # a permutation group without a dense table
        m = getattr(G, "degree", 0)
        if m >= 2 and n == math.factorial(m):
            return f"S{m}"  # the full symmetric group on its m points
        if m >= 3 and 2 * n == math.factorial(m):
            return f"A{m}"  # index 2 in S_m: the alternating group
        return None
    if n > MAX_ORDER:
        return None
    if G.is_abelian:
        name = _abelian_name(abelian_invariants(G))
        return name if isomorphism(G, _named(name)) is not None else None  # always found: a check
    sig = _signature(G)
    k = G.num_classes
    for parts in _candidates(n):
        if math.prod(len(_named_signature(p)) for p in parts) != k:
            continue  # class numbers multiply: the cheapest screen
        s = _named_signature(parts[0])
        for p in parts[1:]:
            s = _product_signature(s, _named_signature(p))
        if s != sig:
            continue
        name = "x".join(parts)
        if isomorphism(G, _named(name)) is not None:
            return name
    return None


def isomorphism(G: FiniteGroup, H: FiniteGroup) -> np.ndarray | None:
    """An isomorphism ``φ: G → H`` as an ``(n,)`` array (``φ[g]`` is an element of H), or ``None``.

    Exhaustive over generator images (orders and class sizes matched, the first
    generator's image up to conjugacy in ``H``), so ``None`` means no isomorphism
    exists, unless more than 200 000 image tuples would be needed (then ``None``
    too; the named families up to order 5040 stay far below).
    """
    n = G.order
    if H.order != n or _signature(G) != _signature(H):
        return None
    gens = G.generators
    if not gens:
        return np.array([H.identity])
    parent, via, levels = cayley_levels(G, gens)
    horders, hsizes = H.element_orders, H.class_sizes[H.class_of]
    gorders, gsizes = G.element_orders, G.class_sizes[G.class_of]
    pools = []
    for i, g in enumerate(gens):
        pool = np.nonzero((horders == gorders[g]) & (hsizes == gsizes[g]))[0]
        if i == 0:  # up to an inner automorphism of H: one per class
            pool = np.unique(H.class_representatives[H.class_of[pool]])
        pools.append(pool)
    # cheap relations to prune: orders of g_i g_j
    pairs = [(i, j, int(gorders[G.table[gens[i], gens[j]]])) for i in range(len(gens)) for j in range(i + 1, len(gens))]
    attempts = 0

    def extend(images):
        phi = np.full(n, -1, dtype=np.int64)
        phi[G.identity] = H.identity
        himg = np.array(images)
        for lev in levels:
            phi[lev] = H.table[phi[parent[lev]], himg[via[lev]]]
        if np.unique(phi).size != n:
            return None
        for i, g in enumerate(gens):
            if not np.array_equal(phi[G.table[:, g]], H.table[phi, himg[i]]):
                return None
        return phi

    def search(i, images):
        nonlocal attempts
        if i == len(gens):
            attempts += 1
            return extend(images)
        for h in pools[i]:
            h = int(h)
            if any(j == i and int(horders[H.table[images[a], h]]) != o for a, j, o in pairs):
                continue
            found = search(i + 1, images + [h])
            if found is not None or attempts > _MAX_ATTEMPTS:
                return found
        return None

    phi = search(0, [])
    if phi is not None:
        phi.flags.writeable = False
    return phi
