"""Recognise a finite group among the named families and their direct products.

:func:`identify` returns a name in grokcheck's grammar (``"S4"``, ``"C2xC6"``,
``"S3xC4"``, ``"C7:C3"``, ``"C8:C2[3]"``) that :func:`~grokcheck.theory.group` (or, above
the dense-table limit, :func:`~grokcheck.theory.large_group`) parses back to an
isomorphic group, or ``None``. It works in two stages, for a dense
:class:`~grokcheck.theory.FiniteGroup` and for a
:class:`~grokcheck.theory.PermutationGroup` up to
:data:`~grokcheck.theory.MAX_LARGE_ORDER` alike:

1. **Invariants** prune the candidates without any Cayley table: the order, the number
   of classes, the multiset of (element order, class size) pairs (the *signature*), and
   for Abelian groups the invariant factors (read off the number of elements of each
   order). Each family's signature has a formula (cycle types for ``Sn``/``An``, the
   rotations and reflections of ``Dn``, the affine classes of ``Cn:Cm[r]``, …); a direct
   product's signature is the product of its factors', and a factor's signature is a
   sub-multiset of the product's (its classes times the identity), which screens the
   single factors before any product is formed.
2. **An explicit isomorphism** confirms the survivor: generators ``g_1..g_r`` of
   ``G`` are sent to elements ``h_i`` of the candidate ``H`` with the same order and
   class size (``h_1`` up to conjugacy in ``H``). Dense groups: the map is extended along
   a spanning tree of ``G``'s Cayley graph, ``φ(x g_i) = φ(x) h_i``, and accepted only if
   it is a bijective homomorphism (checked on every element and generator: then it holds
   for all products); :func:`isomorphism` returns that map. Permutation groups: the
   pairs ``(g_i, h_i)`` acting on the disjoint union of the two point sets generate the
   graph of a homomorphism exactly when that group has order ``|G|`` (Schreier–Sims), and
   it is onto when the ``h_i`` generate a group of order ``|H|``; random words in the
   generators, whose element orders must agree, reject wrong images first.
   :func:`isomorphism_on_generators` returns the images of ``G``'s generators.

Canonical names prefer one factor over several, except that a name needing an explicit action
``Cn:Cm[r]`` comes after every product of the other names (``D500xC3``, not ``C1500:C2[499]``;
``S3xC3``, not ``C3:C6[2]``), and within one order the family
order ``C, S, A, D, Q8, Dic, F21, F20, PSL, SL, GL, Cn:Cm, Cn:Cm[r]`` (so ``S3`` rather than
``D3``, ``A5`` rather than ``PSL(2,5)``, ``D8`` rather than ``C8:C2[7]``); Abelian groups
are named by their invariant factors, smallest first (``C2xC6``), and an Abelian direct
factor of a non-Abelian group likewise (``S3xC2xC2``).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from functools import lru_cache

import numpy as np

from grokcheck.errors import GroupInputError
from grokcheck.theory._finite_group import MAX_ORDER, FiniteGroup, cayley_levels
from grokcheck.theory._integers import divisors, factorize

__all__ = ["identify", "isomorphism", "isomorphism_on_generators", "abelian_invariants"]

# Candidate searches stop after this many generator-image tuples per candidate: a
# safety valve for groups with huge automorphism-free search spaces; the named
# families up to order 5040 need far fewer (two or three generators, images up to
# conjugacy for the first).
_MAX_ATTEMPTS = 200_000
_MAX_FACTORS = 4
# Permutation groups: image tuples tried (each a few random words, cheap) and Schreier–Sims
# proofs at most; the named products above 5040 need one to a few dozen.
_MAX_PERM_ATTEMPTS = 20_000
_MAX_PERM_PROOFS = 64
# Random words per image tuple, and their length: a wrong tuple fails one almost surely.
_WORDS, _WORD_LENGTH = 16, 12

_PREFERENCE = ("C", "S", "A", "D", "Q8", "Dic", "F21", "F20", "PSL", "SL", "GL", "SD")


def abelian_invariants(G) -> tuple[int, ...]:
    """Invariant factors ``d_1 | d_2 | …`` of an Abelian group (``()`` for the trivial group).

    From the counts ``#{g : g^{p^k} = 1} = p^{Σ_i min(k, e_i)}`` of each primary part, read off
    the classes (element order and size), so a :class:`~grokcheck.theory.PermutationGroup` works too.
    """
    orders, sizes = np.asarray(G.class_orders), np.asarray(G.class_sizes)
    return _invariants_from_counts(G.order, lambda q: int(sizes[q % orders == 0].sum()))


def _invariants_from_counts(n: int, count) -> tuple[int, ...]:
    """Invariant factors of an Abelian group of order ``n`` from ``count(q) = #{x : x^q = 1}`` at prime powers ``q``."""
    primary: list[list[int]] = []
    for p, e in factorize(n).items():
        # r_k = number of cyclic p-factors of order ≥ p^k = log_p(#order | p^k) − log_p(#order | p^{k-1})
        logs = [0] + [round(math.log(count(p**k), p)) for k in range(1, e + 1)]
        ranks = [logs[k] - logs[k - 1] for k in range(1, e + 1)] + [0]
        primary.append(sorted(p**k for k in range(1, e + 1) for _ in range(ranks[k - 1] - ranks[k])))
    return _invariant_factors(primary)


def _invariant_factors(primary) -> tuple[int, ...]:
    """Invariant factors from the primary parts (one ascending list of prime powers per prime)."""
    width = max((len(x) for x in primary), default=0)
    inv = [1] * width
    for ps in primary:
        inv = [a * b for a, b in zip(inv, [1] * (width - len(ps)) + list(ps))]
    return tuple(d for d in inv if d > 1)


def _signature(G) -> tuple:
    """Sorted ``(element order, class size)`` over the classes (either kind of group)."""
    return tuple(sorted(zip(np.asarray(G.class_orders).tolist(), np.asarray(G.class_sizes).tolist())))


def _product_signature(a: tuple, b: tuple) -> tuple:
    return tuple(sorted((math.lcm(o1, o2), s1 * s2) for o1, s1 in a for o2, s2 in b))


def _abelian_name(inv: tuple[int, ...]) -> str:
    return "x".join(f"C{d}" for d in inv) if inv else "C1"


# ------------------------------------------------ signatures without tables
def _cyclic_signature(n: int) -> tuple:
    """``Cn``: ``k`` has order ``n / gcd(n, k)``, every class a single element."""
    return tuple(sorted((int(o), 1) for o in n // np.gcd(np.arange(n), n)))


def _partitions(n: int, largest: int | None = None):
    """Partitions of n as non-increasing tuples."""
    largest = n if largest is None else largest
    if n == 0:
        yield ()
        return
    for k in range(min(n, largest), 0, -1):
        for rest in _partitions(n - k, k):
            yield (k,) + rest


def _symmetric_signature(n: int, alternating: bool) -> tuple:
    """Cycle types: class size ``n!/Π k^{m_k} m_k!``, order ``lcm`` of the parts; in ``A_n`` the even
    types, a type of distinct odd parts splitting into two classes of half the size."""
    out = []
    for lam in _partitions(n):
        if alternating and (n - len(lam)) % 2:
            continue
        mult = Counter(lam)
        size = math.factorial(n) // math.prod(k**m * math.factorial(m) for k, m in mult.items())
        order = math.lcm(*lam) if lam else 1
        if alternating and n > 1 and len(set(lam)) == len(lam) and all(k % 2 for k in lam):
            out += [(order, size // 2)] * 2
        else:
            out.append((order, size))
    return tuple(sorted(out))


def _geometric_sum(x: int, d: int, n: int) -> int:
    """``1 + x + … + x^{d−1} mod n`` in ``O(log d)`` steps (``S_{2e} = S_e (1 + x^e)``)."""
    total, power, length = 0, 1, 0  # total = S_length, power = x^length
    bit = 1 << max(d.bit_length() - 1, 0)
    while bit:
        total, power, length = total * (1 + power) % n, power * power % n, 2 * length  # S_{2L} = S_L (1 + x^L)
        if d & bit:
            total, power, length = (total + power) % n, power * x % n, length + 1  # S_{L+1} = S_L + x^L
        bit >>= 1
    return total % n if n > 1 else 0


def _semidirect_signature(n: int, m: int, r: int) -> tuple:
    """``Cn:Cm[r] = {(j, b)}``: the class of ``(j, b)`` is ``{(j, r^k b + c·g_j)}``, ``g_j = gcd(r^j − 1, n)``
    (conjugation by ``a`` adds ``r^j − 1``, by ``t`` multiplies by ``r⁻¹``); ``(j, b)^d = (0, b·Σ_{i<d} r^{ij})``
    with ``d`` the order of ``j`` in ``Cm``."""
    out = []
    ord_r = 1 if n == 1 else next(k for k in range(1, m + 1) if pow(r, k, n) == 1)
    for j in range(m):
        rj = pow(r, j, n)
        g = math.gcd(rj - 1, n) if n > 1 else 1
        key, cur = np.arange(g, dtype=np.int64), np.arange(g, dtype=np.int64)
        for _ in range(ord_r - 1):  # the orbit of b mod g under multiplication by r: its smallest member
            cur = cur * r % g
            key = np.minimum(key, cur)
        d = m // math.gcd(m, j)
        geo = _geometric_sum(rj, d, n)
        reps, counts = np.unique(key, return_counts=True)  # orbit representatives mod g, orbit sizes
        orders = d * (n // np.gcd(reps * geo % n, n))
        out += list(zip(orders.tolist(), (counts * (n // g)).tolist()))
    return tuple(sorted(out))


@lru_cache(maxsize=1024)
def _factor_signature(f) -> tuple | None:
    """The signature of one named factor from its family's formula (``None``: it cannot be built)."""
    fam, n = f.family, f.param
    if fam == "C":
        return _cyclic_signature(n)
    if fam == "D":
        if n <= 2:
            return _product_signature(_cyclic_signature(2), _cyclic_signature(n))
        rot = [(1, 1)] + [(n // math.gcd(n, k), 2) for k in range(1, (n + 1) // 2)] + ([(2, 1)] if n % 2 == 0 else [])
        refl = [(2, n)] if n % 2 else [(2, n // 2)] * 2
        return tuple(sorted(rot + refl))
    if fam in ("Dic", "Q8"):
        n = 2 if fam == "Q8" else n
        if n == 1:
            return _cyclic_signature(4)
        rot = [(1, 1), (2, 1)] + [(2 * n // math.gcd(2 * n, k), 2) for k in range(1, n)]
        return tuple(sorted(rot + [(4, n)] * 2))
    if fam in ("S", "A"):
        return _symmetric_signature(n, fam == "A")
    if fam in ("SD", "F21", "F20"):
        from grokcheck.theory._names import _semidirect_params

        return _semidirect_signature(*_semidirect_params(f))
    try:  # SL, GL, PSL(2,p): its classes, on the p + 1 or p² − 1 points
        return _signature(_large(f.name))
    except GroupInputError:
        return None


def _sub_multiset(small: Counter, big: Counter) -> bool:
    return all(big[x] >= c for x, c in small.items())


def _semidirect_factors(n: int, sig: Counter):
    """Non-Abelian ``Ca:Cm`` / ``Ca:Cm[r]`` of order dividing n, one per cyclic subgroup ⟨r⟩ of units.

    ``r`` and ``r^j`` (``j`` prime to ``m``) give isomorphic groups (another generator of ``Cm``), so the
    smallest generator of each subgroup stands for it; the translation ``(0, 1)`` of order ``a`` has the
    class ``{(0, r^k)}`` of size ``ord(r)``, and ``t = (1, 0)`` of order ``m`` a class of size
    ``a / gcd(r − 1, a)``, which G must have too (screens before any signature is formed).
    """
    from grokcheck.theory._names import _cyclic_subgroups, _Factor, _faithful_units, _totient, semidirect_actions

    sizes_of = {}
    for o, c in sig:
        sizes_of.setdefault(o, set()).add(c)
    for a in divisors(n):
        if a < 3 or a not in sizes_of:
            continue
        for m in divisors(n // a):
            if m < 2 or not any(c > 1 and m % c == 0 for c in sizes_of[a]):
                continue
            unique = _faithful_units(a, m).size == _totient(m)
            for r, d in _cyclic_subgroups(semidirect_actions(a, m), a):
                if r == 1:
                    continue
                if d not in sizes_of[a] or a // math.gcd(r - 1, a) not in sizes_of.get(m, ()):
                    continue  # the class of t = (1, 0), of order m and size a / gcd(r − 1, a), is missing
                yield _Factor("SD", a, m, None if (d == m and unique) else r)


def _single_factors(n: int, k: int, sig: tuple) -> list:
    """Non-Abelian named factors whose order divides n, whose class number divides k and whose signature
    is a sub-multiset of ``sig`` (the classes of the factor times the identity), in preference order."""
    from grokcheck.theory._names import _Factor, _factor_order, _family_members

    have = Counter(sig)
    out = [_Factor(x, 0) for x in ("Q8", "F21", "F20")]
    divs = divisors(n)
    out += [_Factor("D", d) for d in divs if d >= 3 and n % (2 * d) == 0 and have[(d, 2)]]  # the rotation r
    out += [_Factor("Dic", d) for d in divs if d >= 2 and n % (4 * d) == 0 and have[(2 * d, 2)]]  # the generator a
    sizes = {c for _, c in sig}
    out += _family_members("S", n, 3)
    out += _family_members("A", n, 4)
    for fam in ("SL", "GL", "PSL"):
        for f in _family_members(fam, n):
            # classes: SL p + 4, PSL (p + 5)/2, GL p² − 1 (p odd); for p ≥ 5 a split semisimple class of
            # size p(p + 1): both are checked before the group is built for its signature
            p = f.param
            classes = {"SL": p + 4, "PSL": (p + 5) // 2, "GL": p * p - 1}[fam] if p > 2 else 3
            if k % classes == 0 and (p < 5 or p * (p + 1) in sizes):
                out.append(f)
    out += list(_semidirect_factors(n, have))
    keep = []
    for f in out:
        if n % _factor_order(f):
            continue
        fs = _factor_signature(f)
        if fs is None or k % len(fs) or not _sub_multiset(Counter(fs), have):
            continue
        keep.append(f)
    rank = {fam: i for i, fam in enumerate(_PREFERENCE)}
    keep.sort(key=lambda f: (_factor_order(f), rank[f.family], f.param, f.action is not None, f.action or 0))
    return keep


@lru_cache(maxsize=512)
def _named(name: str) -> FiniteGroup:
    from grokcheck.theory._names import group

    return group(name)


@lru_cache(maxsize=2)  # an enumerated permutation group can take hundreds of MB: keep only the last two
def _large(name: str):
    from grokcheck.theory._perm_group import large_group

    return large_group(name)


def _abelian_groups(n: int) -> list[tuple[int, ...]]:
    """Invariant factors of every Abelian group of order n."""
    per_prime = [[[p**x for x in sorted(part)] for part in _partitions(e)] for p, e in factorize(n).items()]
    return [_invariant_factors(combo) for combo in itertools.product(*per_prime)]


def _candidates(n: int, k: int, sig: tuple) -> list[list]:
    """Candidate factor lists of order n: 1..3 non-Abelian factors (screened) and an Abelian rest.

    Sorted by the number of factors, then by the preference order of the
    non-Abelian names (so ``D6`` comes before ``S3xC2``); lists with a ``Cn:Cm[r]`` come after all
    others (``D500xC3`` rather than ``C1500:C2[499]``), an unfaithful one last (``S3xC3`` rather
    than ``C3:C6[2]``).
    """
    from grokcheck.theory._names import _Factor, _factor_order, _unit_order

    singles = _single_factors(n, k, sig)
    orders = [_factor_order(f) for f in singles]
    # Cn:Cm[r] after every product of the other names (C1500:C2[499] is D500xC3), and an r of order < m
    # (a kernel in the action) after those (C3:C6[2] is S3xC3)
    bracket = [0 if f.family != "SD" or f.action is None else 1 + (_unit_order(f.action, f.param) < f.param2)
               for f in singles]
    found: list[tuple] = []

    def rec(start: int, chosen: list[int], prod: int):
        if chosen:
            for inv in _abelian_groups(n // prod):
                parts = [singles[i] for i in chosen] + [_Factor("C", d) for d in inv]
                found.append((max(bracket[i] for i in chosen), len(parts), tuple(chosen), parts))
        if len(chosen) == _MAX_FACTORS - 1:
            return
        for i in range(start, len(singles)):
            if (n // prod) % orders[i] == 0:
                rec(i, chosen + [i], prod * orders[i])

    rec(0, [], 1)
    found.sort(key=lambda t: t[:3])
    return [t[3] for t in found]


def identify(G) -> str | None:
    """A canonical grokcheck name of a group isomorphic to ``G``, or ``None``.

    Parameters
    ----------
    G : a finite group (any labelling): a :class:`~grokcheck.theory.FiniteGroup`, or a
        :class:`~grokcheck.theory.PermutationGroup` of order up to
        :data:`~grokcheck.theory.MAX_LARGE_ORDER` (no Cayley table is formed).

    Returns
    -------
    str or None : ``group(identify(G))`` (``large_group`` above order 5040) is isomorphic to
        ``G``, proved by an explicit isomorphism (:func:`isomorphism`,
        :func:`isomorphism_on_generators`); ``None`` if ``G`` is none of the named families
        (``Cn``, ``Dn``, ``Sn``, ``An``, ``Q8``, ``Dicn``, ``F21``, ``F20``, ``SL/GL/PSL(2,p)``,
        ``Cn:Cm``, ``Cn:Cm[r]``) or a direct product of them (up to four factors, at most three
        non-Abelian), or when no isomorphism was found within the search limits.

    Examples
    --------
    >>> from grokcheck.theory import FiniteGroup, group, large_group
    >>> identify(FiniteGroup.from_permutations(["(1,2,3)", "(1,2)"]))
    'S3'
    >>> identify(group("C2xC3xC2"))
    'C2xC6'
    >>> identify(group("C8:C2[7]")), identify(large_group("S8xC2"))
    ('D8', 'S8xC2')
    """
    n = G.order
    dense = isinstance(G, FiniteGroup)
    if not dense:
        m = getattr(G, "degree", 0)
        if m >= 2 and n == math.factorial(m):
            return f"S{m}"  # the full symmetric group on its m points
        if m >= 4 and 2 * n == math.factorial(m):
            return f"A{m}"  # index 2 in S_m: the alternating group
    elif n > MAX_ORDER:
        return None

    def proved(name: str) -> bool:
        if dense:
            return isomorphism(G, _named(name)) is not None
        try:
            H = _large(name)
        except GroupInputError:  # too large to build as a permutation group: not provable here
            return False
        return isomorphism_on_generators(G, H) is not None

    if G.is_abelian:
        name = _abelian_name(abelian_invariants(G))
        return name if proved(name) else None  # always found: a check
    sig = _signature(G)
    k = len(sig)
    for parts in _candidates(n, k, sig):
        sigs = [_factor_signature(p) for p in parts]
        if any(x is None for x in sigs) or math.prod(len(x) for x in sigs) != k:
            continue  # class numbers multiply: the cheapest screen
        s = sigs[0]
        for x in sigs[1:]:
            s = _product_signature(s, x)
        if s != sig:
            continue
        name = "x".join(p.name for p in parts)
        if proved(name):
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


def _compose_word(E: np.ndarray, word) -> np.ndarray:
    """The permutation ``E[w_1]·E[w_2]·…`` (``p·q`` applies ``p`` first) as an image array."""
    img = np.arange(E.shape[1], dtype=np.int64)
    for w in word:
        img = E[w].astype(np.int64)[img]
    return img


def isomorphism_on_generators(G, H, *, seed: int = 0) -> tuple[int, ...] | None:
    """Images ``(φ(g_1), …, φ(g_r))`` in ``H`` of ``G``'s generators under an isomorphism ``φ: G → H``, or ``None``.

    ``g_i`` are ``G.generators`` (a :class:`~grokcheck.theory.FiniteGroup`) or
    ``G.generator_indices`` (a :class:`~grokcheck.theory.PermutationGroup`: the generators it
    was given, in order); the images are element indices of ``H``. Dense pairs use
    :func:`isomorphism`. Permutation groups (no Cayley table): images are searched with the
    same order and class size (the first up to conjugacy in ``H``; the orders of ``g_a^x g_i^y``,
    ``x, y ∈ {−1, 1, 2}``, and of the commutators ``[g_a, g_i]`` matched), screened by the element orders of ``16`` random words (seeded by
    ``seed``), and proved by Schreier–Sims: ``⟨(g_i, h_i)⟩`` on the disjoint union of the
    points has order ``|G|`` (it is the graph of a homomorphism) and ``⟨h_i⟩`` has order
    ``|H| = |G|`` (it is onto). ``None`` also when no proof came within 20 000 image tuples
    or 64 Schreier–Sims runs.
    """
    if isinstance(G, FiniteGroup) and isinstance(H, FiniteGroup):
        phi = isomorphism(G, H)
        return None if phi is None else tuple(int(phi[g]) for g in G.generators)
    n = G.order
    if H.order != n or _signature(G) != _signature(H):
        return None
    if isinstance(G, FiniteGroup) or isinstance(H, FiniteGroup):
        raise TypeError("isomorphism_on_generators: give two FiniteGroups or two PermutationGroups")
    from sympy.combinatorics import Permutation
    from sympy.combinatorics import PermutationGroup as SymPermGroup

    given = [int(g) for g in G.generator_indices]
    EG, EH = G.elements_array, H.elements_array
    gens = distinct = [g for g in dict.fromkeys(given) if g != G.identity]
    if len(distinct) > 2:  # a generator in the group of the earlier ones is left out of the search (pc-style sets)
        gens, kept = distinct[:1], SymPermGroup([Permutation(EG[distinct[0]].astype(np.int64).tolist())])
        for g in distinct[1:]:
            perm = Permutation(EG[g].astype(np.int64).tolist())
            if not kept.contains(perm):
                gens.append(g)
                kept = SymPermGroup([Permutation(EG[x].astype(np.int64).tolist()) for x in gens])
    if not gens:
        return tuple(H.identity for _ in given)
    gord, gsize = G.class_orders[G.class_of], G.class_sizes[G.class_of]
    hord, hsize = H.class_orders[H.class_of], H.class_sizes[H.class_of]
    pools = []
    for i, g in enumerate(gens):
        pool = np.flatnonzero((hord == gord[g]) & (hsize == gsize[g]))
        if i == 0:  # up to an inner automorphism of H: one per class
            pool = np.unique(H.class_representatives[np.unique(H.class_of[pool])])
        pools.append(pool)
    r = len(gens)

    def power(X, e: int, x):
        """``x^e`` for ``e`` in (−1, 1, 2), element indices of ``X`` (scalar or array)."""
        return X.inverses[x] if e == -1 else x if e == 1 else X.mul(x, x)

    # the orders of g_a^x g_i^y (a < i) and of the commutators g_a⁻¹ g_i⁻¹ g_a g_i: invariants of the pair
    # that an isomorphism keeps, checked level by level on a whole pool at once
    exps = tuple((x, y) for x in (-1, 1, 2) for y in (-1, 1, 2))

    def probes(X, xorders, a_elems, cand):
        out = [xorders[X.mul(np.full(np.shape(cand), power(X, x, a)), power(X, y, cand))]
               for a in a_elems for x, y in exps]
        out += [xorders[X.mul(X.mul(np.full(np.shape(cand), X.inverses[a]), X.inverses[cand]),
                              X.mul(np.full(np.shape(cand), a), cand))] for a in a_elems]
        return out

    wanted = [[int(v[0]) for v in probes(G, gord, gens[:i], np.array([gens[i]]))] for i in range(len(gens))]
    rng = np.random.default_rng(seed)
    words = [rng.integers(r, size=_WORD_LENGTH) for _ in range(_WORDS)] if r > 1 else []
    from grokcheck.theory._perm_group import _perm_order

    word_orders = [_perm_order(_compose_word(EG[gens], w)) for w in words]
    sym_g = [EG[g].astype(np.int64) for g in gens]
    m_g = EG.shape[1]
    attempts = proofs = 0

    def is_isomorphism(images: list[int]) -> bool:
        nonlocal proofs
        EHi = EH[images]
        if any(_perm_order(_compose_word(EHi, w)) != o for w, o in zip(words, word_orders)):
            return False
        proofs += 1
        graph = [np.concatenate([sg, m_g + EH[h].astype(np.int64)]) for sg, h in zip(sym_g, images)]
        if int(SymPermGroup([Permutation(x.tolist()) for x in graph]).order()) != n:
            return False  # not a homomorphism: some relation of G fails in H
        return int(SymPermGroup([Permutation(EH[h].astype(np.int64).tolist()) for h in images]).order()) == n

    def search(i: int, images: list[int]):
        nonlocal attempts
        if i == r:
            attempts += 1
            return list(images) if is_isomorphism(images) else None
        pool = pools[i]
        if i and pool.size:
            keep = np.ones(pool.size, dtype=bool)
            for got, want in zip(probes(H, hord, images, pool), wanted[i]):
                keep &= got == want
            pool = pool[keep]
        for h in pool.tolist():
            found = search(i + 1, images + [h])
            if found is not None or attempts > _MAX_PERM_ATTEMPTS or proofs > _MAX_PERM_PROOFS:
                return found
        return None

    found = search(0, [])
    if found is None:
        return None
    image_of = dict(zip(gens, found))
    rest = [g for g in given if g not in image_of and g != G.identity]
    if rest:
        graph = np.stack([np.concatenate([EG[g].astype(np.int64), m_g + EH[h].astype(np.int64)])
                          for g, h in zip(gens, found)])
        for g, h in zip(rest, _graph_images(graph, m_g, G._base, EG[rest].astype(np.int64))):
            image_of[g] = int(H.index_of(h[None, :])[0])
    return tuple(int(image_of.get(g, H.identity)) for g in given)


def _graph_images(graph: np.ndarray, m_g: int, base, xs: np.ndarray) -> np.ndarray:
    """``φ(x)`` as image arrays, for the graph ``Γ = ⟨(g_i, φ(g_i))⟩`` of an isomorphism (``graph``: ``(r, m_g + m_h)``).

    A base of G (on its ``m_g`` points) is a base of Γ (only the identity of Γ fixes it), so
    sifting ``(x, 1)`` through Γ's stabiliser chain on that base leaves ``(1, φ(x)⁻¹)``.
    """
    from sympy.combinatorics import Permutation
    from sympy.combinatorics import PermutationGroup as SymPermGroup
    from sympy.combinatorics.util import _distribute_gens_by_base, _orbits_transversals_from_bsgs

    Gamma = SymPermGroup([Permutation(row.tolist()) for row in graph])
    b, strong = Gamma.schreier_sims_incremental(base=[int(v) for v in base])
    _, transversals = _orbits_transversals_from_bsgs(b, _distribute_gens_by_base(b, strong))
    out = []
    for x in xs:
        h = np.concatenate([x, np.arange(m_g, graph.shape[1])])
        for level, point in enumerate(b):
            u = np.array(transversals[level][int(h[point])].array_form)  # point^u = point^h
            inv = np.empty_like(u)
            inv[u] = np.arange(u.size)
            h = inv[h]  # h·u⁻¹: apply h, then u⁻¹
        assert (h[:m_g] == np.arange(m_g)).all(), "internal error: the base of G is not a base of the graph"
        y = h[m_g:] - m_g  # φ(x)⁻¹ on H's points
        img = np.empty_like(y)
        img[y] = np.arange(y.size)
        out.append(img)
    return np.array(out)
